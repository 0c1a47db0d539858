package stacks

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// FieldError is one wrong field, named by its path in the stack config file.
type FieldError struct {
	Path    string // e.g. config.orbos:orbiter.kubernetes.version
	Line    int    // 0 when unknown
	Message string
}

func (e FieldError) String() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s (line %d): %s", e.Path, e.Line, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Message)
}

// ValidationError lists every wrong field of a spec; nothing is applied when it is returned.
type ValidationError struct {
	File   string
	Errors []FieldError
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	n := len(e.Errors)
	fmt.Fprintf(&b, "invalid ORB spec in %s (%d %s):", e.File, n, plural(n, "error", "errors"))
	for _, fe := range e.Errors {
		b.WriteString("\n  ")
		b.WriteString(fe.String())
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// errs collects field errors during decoding and validation.
type errs struct {
	list []FieldError
	// lines maps each decoded path to its line, so that validation, which works on the decoded
	// values, still names the line of a wrong field.
	lines map[string]int
}

func (e *errs) add(path string, n *yaml.Node, format string, args ...any) {
	line := e.lines[path]
	if n != nil {
		line = n.Line
	}
	e.list = append(e.list, FieldError{Path: path, Line: line, Message: fmt.Sprintf(format, args...)})
}

// check adds the reasons a rule (package internal/valid, apimachinery's validation) gives for
// refusing value, if any, as one error at path.
func (e *errs) check(path, value string, reasons []string) {
	if len(reasons) > 0 {
		e.add(path, nil, "%s: %s", quoteShort(value), strings.Join(reasons, "; "))
	}
}

// quoteShort quotes a refused value for an error, escaping control characters (a newline in a value
// must not start a line of its own in logs) and cutting long values.
func quoteShort(v string) string {
	if r := []rune(v); len(r) > 64 {
		return strconv.Quote(string(r[:60])) + "..."
	}
	return strconv.Quote(v)
}

func (e *errs) seen(path string, n *yaml.Node) {
	if e.lines == nil {
		e.lines = map[string]int{}
	}
	e.lines[path] = n.Line
}

func (e *errs) sorted() []FieldError {
	sort.SliceStable(e.list, func(i, j int) bool { return e.list[i].Path < e.list[j].Path })
	return e.list
}

// decodeStrict decodes n into the value v points to, reporting every unknown field, wrong type and
// missing required field (tag `orbos:"required"`) by path, and going on after each error so that one
// run names them all.
func decodeStrict(n *yaml.Node, v reflect.Value, path string, e *errs) {
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	e.seen(path, n)
	if u, ok := v.Addr().Interface().(yaml.Unmarshaler); ok {
		if err := u.UnmarshalYAML(n); err != nil {
			e.add(path, n, "%v", err)
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if n.Tag == "!!null" {
			return
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		decodeStrict(n, v.Elem(), path, e)
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			e.add(path, n, "must be a mapping, not %s", describe(n))
			return
		}
		fields := structFields(v.Type())
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i].Value, n.Content[i+1]
			idx, ok := fields[key]
			if !ok {
				e.add(join(path, key), n.Content[i], "unknown field (known: %s)", knownFields(fields))
				continue
			}
			if seen[key] {
				e.add(join(path, key), n.Content[i], "set twice: a YAML mapping takes each key once, and which one counts would be a guess")
				continue
			}
			seen[key] = true
			decodeStrict(val, v.Field(idx), join(path, key), e)
		}
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			name := yamlName(f)
			if f.Tag.Get("orbos") == "required" && !seen[name] {
				e.add(join(path, name), n, "required")
			}
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			e.add(path, n, "must be a mapping, not %s", describe(n))
			return
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		keys := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			if keys[key] {
				e.add(join(path, key), n.Content[i], "set twice: a YAML mapping takes each key once, and which one counts would be a guess")
				continue
			}
			keys[key] = true
			elem := reflect.New(v.Type().Elem()).Elem()
			decodeStrict(n.Content[i+1], elem, join(path, key), e)
			v.SetMapIndex(reflect.ValueOf(key).Convert(v.Type().Key()), elem)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			e.add(path, n, "must be a list, not %s", describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			decodeStrict(c, s.Index(i), fmt.Sprintf("%s[%d]", path, i), e)
		}
		v.Set(s)
	case reflect.String:
		if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
			e.add(path, n, "must be a string, not %s", describe(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		b, err := strconv.ParseBool(n.Value)
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || err != nil {
			e.add(path, n, "must be true or false, not %s", describe(n))
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(n.Value, 10, 64)
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || err != nil {
			e.add(path, n, "must be a whole number, not %s", describe(n))
			return
		}
		v.SetInt(i)
	default:
		e.add(path, n, "cannot decode into %s", v.Type())
	}
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "empty"
		}
		// Quote short values only: a long one may be a pasted secret.
		if len(n.Value) <= 40 {
			return strconv.Quote(n.Value)
		}
		return "a long scalar"
	}
	return "something else"
}

func structFields(t reflect.Type) map[string]int {
	out := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		if name := yamlName(f); name != "-" {
			out[name] = i
		}
	}
	return out
}

func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "" {
		return strings.ToLower(f.Name[:1]) + f.Name[1:]
	}
	return name
}

func knownFields(fields map[string]int) string {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// plainKey is a map key or field name that can stand in a path as it is.
var plainKey = regexp.MustCompile(`^[A-Za-z0-9_.:/-]+$`)

// join adds a field name or map key to a path: .key, or ["key"] for a key with other characters (a
// newline or a quote in a key must not reach an error message unescaped).
func join(path, key string) string {
	if !plainKey.MatchString(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}
