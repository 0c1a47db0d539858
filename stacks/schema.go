package stacks

import (
	"reflect"
	"strings"
)

// JSONSchema describes the stack file for editors: every field with its type, the required ones,
// no unknown ones, and each field's documentation.
func JSONSchema() map[string]any {
	s := schemaOf(reflect.TypeOf(StackFile{}))
	s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	s["$id"] = "https://orbos.io/schemas/" + APIVersion + "/stack.json"
	s["title"] = "orbos ORB desired state (Pulumi.<orb>.yaml)"
	return s
}

var (
	secretType = reflect.TypeOf(Secret{})
	valuesType = reflect.TypeOf(Values{})
)

func schemaOf(t reflect.Type) map[string]any {
	if t == secretType {
		return map[string]any{
			"type": "object", "required": []string{"secure"}, "additionalProperties": false,
			"properties":  map[string]any{"secure": map[string]any{"type": "string"}},
			"description": "a secret, encrypted by `orbctl config set --secret`",
		}
	}
	if t == valuesType {
		return map[string]any{"type": "object"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return schemaOf(t.Elem())
	case reflect.Struct:
		props := map[string]any{}
		var required []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name := yamlName(f)
			p := schemaOf(f.Type)
			if doc := f.Tag.Get("doc"); doc != "" {
				p["description"] = doc
			}
			// enum lists the only values validation accepts, for editors and MISSION's selects; the
			// validation stays the authority (TestSchemaEnumsAreValidated keeps the two in step).
			if enum := f.Tag.Get("enum"); enum != "" {
				p["enum"] = strings.Split(enum, ",")
			}
			// x-orbos-tools names the tools a tool-specific block belongs to (validation refuses it
			// on any other; TestToolOnlyFieldsAreRefusedElsewhere keeps the two in step), so that
			// MISSION's forms offer it on those tools only.
			if tools := f.Tag.Get("tools"); tools != "" {
				p["x-orbos-tools"] = strings.Split(tools, ",")
			}
			props[name] = p
			if f.Tag.Get("orbos") == "required" {
				required = append(required, name)
			}
		}
		out := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
		if len(required) > 0 {
			out["required"] = required
		}
		return out
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem())}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem())}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int32, reflect.Int64:
		return map[string]any{"type": "integer"}
	}
	return map[string]any{"description": strings.ToLower(t.String())}
}
