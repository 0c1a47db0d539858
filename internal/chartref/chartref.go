// Package chartref holds what orbos renders for third-party charts and operators to reference
// copies of their own definitions, kept as test data beside the components: a chart's values.yaml
// (every key orbos sets must be one the chart reads) and a CustomResourceDefinition's
// openAPIV3Schema (every field orbos sets must exist, with an allowed value). Helm ignores unknown
// values and a Pulumi preview accepts any custom resource, so a misspelt or outdated key would
// otherwise be dropped silently on a real cluster.
package chartref

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// UnknownValues returns the paths of values a chart does not define, compared with the chart's
// values.yaml (ref, decoded). A key of a map the reference leaves empty ({}), a list it leaves
// empty ([]) or a key whose default is null is free-form: anything goes below it. A scalar must
// meet a scalar of the same kind (string, number, bool).
func UnknownValues(values, ref any) []string {
	var out []string
	walkValues("", values, ref, &out)
	sort.Strings(out)
	return out
}

func walkValues(path string, v, ref any, out *[]string) {
	if ref == nil || v == nil {
		return
	}
	switch r := ref.(type) {
	case map[string]any:
		m, ok := asMap(v)
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: a %s where the chart has a map", show(path), kind(v)))
			return
		}
		if len(r) == 0 {
			return
		}
		for k, sub := range m {
			rs, ok := r[k]
			if !ok {
				*out = append(*out, fmt.Sprintf("%s: not a value of the chart", join(path, k)))
				continue
			}
			walkValues(join(path, k), sub, rs, out)
		}
	case []any:
		l, ok := v.([]any)
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: a %s where the chart has a list", show(path), kind(v)))
			return
		}
		if len(r) == 0 {
			return
		}
		for i, item := range l {
			walkValues(fmt.Sprintf("%s[%d]", path, i), item, r[0], out)
		}
	default:
		if kind(v) != kind(ref) {
			*out = append(*out, fmt.Sprintf("%s: a %s where the chart has a %s", show(path), kind(v), kind(ref)))
		}
	}
}

// UnknownFields returns what of obj a CRD's structural schema (an openAPIV3Schema node, decoded)
// refuses or would prune: fields it does not define, values outside an enum or pattern, wrong
// types, and required fields left out.
func UnknownFields(obj any, schema map[string]any) []string {
	var out []string
	walkSchema("", obj, schema, &out)
	sort.Strings(out)
	return out
}

func walkSchema(path string, v any, s map[string]any, out *[]string) {
	if s == nil || v == nil {
		return
	}
	bad := func(format string, a ...any) { *out = append(*out, show(path)+": "+fmt.Sprintf(format, a...)) }
	if e, ok := s["enum"].([]any); ok && !contains(e, v) {
		bad("%v is not one of %v", v, e)
	}
	if p, ok := s["pattern"].(string); ok {
		if str, isStr := v.(string); isStr && !regexp.MustCompile(p).MatchString(str) {
			bad("%q does not match %s", str, p)
		}
	}
	if s["x-kubernetes-int-or-string"] == true {
		if k := kind(v); k != "number" && k != "string" {
			bad("a %s where the schema has an int or a string", k)
		}
		return
	}
	switch t, _ := s["type"].(string); t {
	case "object":
		m, ok := asMap(v)
		if !ok {
			bad("a %s where the schema has an object", kind(v))
			return
		}
		for _, r := range asList(s["required"]) {
			if _, ok := m[fmt.Sprint(r)]; !ok {
				bad("required field %s is missing", r)
			}
		}
		props, _ := asMap(s["properties"])
		for k, sub := range m {
			if ps, ok := props[k]; ok {
				sm, _ := asMap(ps)
				walkSchema(join(path, k), sub, sm, out)
				continue
			}
			switch extra := s["additionalProperties"].(type) {
			case map[string]any:
				walkSchema(join(path, k), sub, extra, out)
			case bool:
				if !extra {
					*out = append(*out, join(path, k)+": not a field of the schema")
				}
			default:
				if s["x-kubernetes-preserve-unknown-fields"] != true {
					*out = append(*out, join(path, k)+": not a field of the schema (it would be pruned)")
				}
			}
		}
	case "array":
		l, ok := v.([]any)
		if !ok {
			bad("a %s where the schema has an array", kind(v))
			return
		}
		items, _ := asMap(s["items"])
		for i, item := range l {
			walkSchema(fmt.Sprintf("%s[%d]", path, i), item, items, out)
		}
	case "string", "boolean":
		if want := map[string]string{"string": "string", "boolean": "bool"}[t]; kind(v) != want {
			bad("a %s where the schema has a %s", kind(v), t)
		}
	case "integer", "number":
		if kind(v) != "number" {
			bad("a %s where the schema has a %s", kind(v), t)
		} else if f, ok := toFloat(v); ok && t == "integer" && f != float64(int64(f)) {
			bad("%v is not an integer", v)
		}
	}
}

func asMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case map[any]any:
		out := make(map[string]any, len(m))
		for k, x := range m {
			out[fmt.Sprint(k)] = x
		}
		return out, true
	}
	return nil, false
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func kind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "bool"
	case int, int32, int64, uint, uint32, uint64, float32, float64:
		return "number"
	case []any:
		return "list"
	case nil:
		return "null"
	}
	if _, ok := asMap(v); ok {
		return "map"
	}
	return fmt.Sprintf("%T", v)
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint:
		return float64(n), true
	case uint32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float32:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func contains(l []any, v any) bool {
	for _, x := range l {
		if fmt.Sprint(x) == fmt.Sprint(v) && kind(x) == kind(v) {
			return true
		}
	}
	return false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func show(path string) string {
	if path == "" {
		return "(top)"
	}
	return strings.TrimPrefix(path, ".")
}

// Read decodes a reference file (YAML). A CRD's file may hold the CustomResourceDefinition or just
// its openAPIV3Schema; Schema finds the spec's schema in either.
func Read(path string) (any, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the reference %s: %w", path, err)
	}
	var v any
	if err := yaml.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("decoding the reference %s: %w", path, err)
	}
	return v, nil
}

// Schema returns the openAPIV3Schema of a CustomResourceDefinition's first version, or doc itself
// when it is a schema already.
func Schema(doc any) (map[string]any, error) {
	m, ok := asMap(doc)
	if !ok {
		return nil, fmt.Errorf("a CRD or schema is a map, not a %s", kind(doc))
	}
	if m["kind"] != "CustomResourceDefinition" {
		return m, nil
	}
	spec, _ := asMap(m["spec"])
	versions := asList(spec["versions"])
	if len(versions) == 0 {
		return nil, fmt.Errorf("the CRD has no versions")
	}
	v, _ := asMap(versions[0])
	s, _ := asMap(v["schema"])
	schema, ok := asMap(s["openAPIV3Schema"])
	if !ok {
		return nil, fmt.Errorf("the CRD's first version has no openAPIV3Schema")
	}
	return schema, nil
}
