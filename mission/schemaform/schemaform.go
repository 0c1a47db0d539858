// Package schemaform turns the desired state's JSON Schema (stacks.JSONSchema, what `orbctl schema`
// prints) into an HTML form for one section of an ORB's spec, filled with the ORB's current values,
// and reads the submitted form back as the values it changes. The schema decides the fields, their
// types, labels and help; what it cannot express (the Kubernetes versions an ORB may move to, the
// chart versions of the catalog) comes in as Options.
package schemaform

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Kinds of fields.
const (
	KindGroup   = "group"   // an object with named properties
	KindMap     = "map"     // an object of entries by name, each rendered as a group of its own
	KindList    = "list"    // an array of objects: shown as groups, edited in the file
	KindLines   = "lines"   // an array of strings or numbers: one item a line
	KindFree    = "free"    // an object of any shape (Helm values): edited in the file
	KindSecret  = "secret"  // an encrypted value: only whether it is set
	KindString  = "string"  // a text input
	KindInteger = "integer" // a number input
	KindBoolean = "boolean" // a checkbox
	KindSelect  = "select"  // a choice from the schema's enum or from Options.Choices
)

// Field is one node of the form: a group of fields or one value.
type Field struct {
	// Name is the config key the field edits, e.g. orbos:orbiter.kubernetes.version; the form posts
	// the value under it.
	Name string
	// ID is Name made fit for an HTML id.
	ID    string
	Label string
	// Help is the schema's description.
	Help string
	Kind string
	// Value is the current value as the form shows it ("" when unset; a secret's is never read).
	Value string
	// Set tells whether the spec has the field (a secret: whether it is set).
	Set     bool
	Options []Option
	// ReadOnly fields are shown but not posted (lists, keys the editor cannot address).
	ReadOnly bool
	Required bool
	// ItemKind is the type of a list's items (string, integer).
	ItemKind string
	Children []*Field
}

// Option is one choice of a select.
type Option struct{ Value, Label string }

// Options bring what the schema cannot say.
type Options struct {
	// Choices limits the field at the config key path to these values (nil: the schema decides).
	// current is the field's value in the spec ("" when unset).
	Choices func(path, current string) []Option
	// Keys are entries a map at path offers besides the spec's own (BOOM's catalog tools).
	Keys func(path string) []string
}

// Build makes the form of the section (a config key such as orbos:boom) from the whole schema and
// the spec's current value of the section (YAML decoded into maps; nil when absent).
func Build(schema map[string]any, section string, current any, o Options) (*Field, error) {
	cfg, ok := prop(schema, "config")
	if !ok {
		return nil, fmt.Errorf("the schema has no config")
	}
	node, ok := prop(cfg, section)
	if !ok {
		return nil, fmt.Errorf("the schema has no section %s", section)
	}
	b := builder{o: o}
	f := b.build(node, section, section, current, false)
	f.Label = section
	return f, nil
}

type builder struct{ o Options }

// safeKey is a map key the dotted config path can address.
var safeKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func (b builder) build(node map[string]any, path, label string, cur any, readOnly bool) *Field {
	f := &Field{Name: path, ID: id(path), Label: label, Help: str(node["description"]), ReadOnly: readOnly}
	if cur != nil {
		f.Set = true
	}
	props, _ := node["properties"].(map[string]any)
	if _, secure := props["secure"]; secure && len(props) == 1 {
		// Secrets are never shown, not even as ciphertext: only whether one is there.
		f.Kind, f.ReadOnly, f.Value = KindSecret, true, ""
		return f
	}
	switch str(node["type"]) {
	case "object":
		curMap, _ := cur.(map[string]any)
		switch {
		case props != nil:
			f.Kind = KindGroup
			required := strs(node["required"])
			for _, name := range sortedKeys(props) {
				child, _ := props[name].(map[string]any)
				// A block of some tools only (x-orbos-tools) is offered on those tools alone: the
				// object's label is its key in the tools map.
				if tools := strs(child["x-orbos-tools"]); len(tools) > 0 && !slices.Contains(tools, label) {
					continue
				}
				c := b.build(child, path+"."+name, name, curMap[name], readOnly)
				c.Required = slices.Contains(required, name)
				f.Children = append(f.Children, c)
			}
			// Values first, then groups: the short fields of a section stay together at its top.
			sort.SliceStable(f.Children, func(i, j int) bool { return !nested(f.Children[i]) && nested(f.Children[j]) })
		case node["additionalProperties"] != nil:
			f.Kind = KindMap
			entry, _ := node["additionalProperties"].(map[string]any)
			keys := sortedKeys(curMap)
			if b.o.Keys != nil {
				for _, k := range b.o.Keys(path) {
					if _, ok := curMap[k]; !ok {
						keys = append(keys, k)
					}
				}
				sort.Strings(keys)
			}
			for _, k := range keys {
				f.Children = append(f.Children, b.build(entry, path+"."+k, k, curMap[k], readOnly || !safeKey.MatchString(k)))
			}
		default:
			f.Kind, f.ReadOnly = KindFree, true
		}
	case "array":
		items, _ := node["items"].(map[string]any)
		list, _ := cur.([]any)
		if t := str(items["type"]); t == "string" || t == "integer" {
			// One item a line; a list inside a list has no config key to address it.
			f.Kind, f.ItemKind = KindLines, t
			var lines []string
			for _, it := range list {
				lines = append(lines, scalar(it))
			}
			f.Value = strings.Join(lines, "\n")
			return f
		}
		f.Kind, f.ReadOnly = KindList, true
		for i, item := range list {
			f.Children = append(f.Children, b.build(items, fmt.Sprintf("%s[%d]", path, i), fmt.Sprintf("%s[%d]", label, i), item, true))
		}
	case "boolean":
		f.Kind = KindBoolean
		f.Value = "false"
		if v, ok := cur.(bool); ok && v {
			f.Value = "true"
		}
	case "integer":
		f.Kind, f.Value = KindInteger, scalar(cur)
	default:
		f.Kind, f.Value = KindString, scalar(cur)
		if enum := strs(node["enum"]); len(enum) > 0 {
			f.Kind = KindSelect
			for _, v := range enum {
				f.Options = append(f.Options, Option{v, v})
			}
			if !f.Required && cur == nil {
				f.Options = append([]Option{{"", "(default)"}}, f.Options...)
			}
		}
		if b.o.Choices != nil {
			if c := b.o.Choices(path, f.Value); c != nil {
				f.Kind, f.Options = KindSelect, c
			}
		}
	}
	return f
}

func nested(f *Field) bool {
	return f.Kind == KindGroup || f.Kind == KindMap || f.Kind == KindList || f.Kind == KindFree
}

// Leaves lists the fields that hold a value, depth first.
func (f *Field) Leaves() []*Field {
	if len(f.Children) == 0 && !nested(f) {
		return []*Field{f}
	}
	var out []*Field
	for _, c := range f.Children {
		out = append(out, c.Leaves()...)
	}
	return out
}

// Find returns the field with the config key name, or nil.
func (f *Field) Find(name string) *Field {
	if f.Name == name {
		return f
	}
	for _, c := range f.Children {
		if r := c.Find(name); r != nil {
			return r
		}
	}
	return nil
}

// Open tells whether a group is shown unfolded: when the spec sets something in it.
func (f *Field) Open() bool { return f.Set }

func prop(node map[string]any, name string) (map[string]any, bool) {
	props, _ := node["properties"].(map[string]any)
	p, ok := props[name].(map[string]any)
	return p, ok
}

var idUnsafe = regexp.MustCompile(`[^A-Za-z0-9]+`)

func id(path string) string { return "f-" + strings.Trim(idUnsafe.ReplaceAllString(path, "-"), "-") }

func str(v any) string {
	s, _ := v.(string)
	return s
}

// strs reads a list of strings as Go builds it ([]string) or as JSON decodes it ([]any).
func strs(v any) []string {
	switch l := v.(type) {
	case []string:
		return l
	case []any:
		var out []string
		for _, x := range l {
			out = append(out, fmt.Sprint(x))
		}
		return out
	}
	return nil
}

func scalar(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
