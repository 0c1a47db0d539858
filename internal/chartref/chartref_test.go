package chartref

import (
	"reflect"
	"testing"

	"gopkg.in/yaml.v3"
)

func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// A key the chart does not have, a map where it has a scalar and a scalar of another kind are
// reported by path; free-form maps, lists and null defaults take anything.
func TestUnknownValues(t *testing.T) {
	ref := decode(t, `
replicaCount: 1
image: {repository: x, tag: ""}
affinity: {}
env: []
pdb: {enabled: false, minAvailable: null}
hosts: [{paths: [{path: /}]}]
`)
	values := map[string]any{
		"replicaCount": 3, "image": map[string]any{"tag": "v1", "tga": "v2"},
		"affinity": map[string]any{"podAntiAffinity": map[string]any{"x": 1}},
		"env":      []any{map[string]any{"name": "A"}},
		"pdb":      map[string]any{"enabled": "yes", "minAvailable": map[string]any{"any": 1}},
		"hosts":    []any{map[string]any{"paths": []any{map[string]any{"path": "/", "type": "Prefix"}}}},
		"replicas": 2,
	}
	want := []string{
		"hosts[0].paths[0].type: not a value of the chart",
		"image.tga: not a value of the chart",
		"pdb.enabled: a string where the chart has a bool",
		"replicas: not a value of the chart",
	}
	if got := UnknownValues(values, ref); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if got := UnknownValues(map[string]any{"image": "x:1"}, ref); len(got) != 1 {
		t.Errorf("a string for a map: %q", got)
	}
}

// The schema refuses unknown fields (unless preserved), values outside an enum or pattern, wrong
// types and missing required fields.
func TestUnknownFields(t *testing.T) {
	crd := decode(t, `
kind: CustomResourceDefinition
spec:
  versions:
  - name: v1
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [schedule]
            properties:
              schedule: {type: string}
              method: {type: string, enum: [plugin, volumeSnapshot]}
              retention: {type: string, pattern: '^[1-9][0-9]*[dwm]$'}
              instances: {type: integer}
              params: {type: object, additionalProperties: {type: string}}
              free: {type: object, x-kubernetes-preserve-unknown-fields: true}
              port: {x-kubernetes-int-or-string: true}
              plugins:
                type: array
                items: {type: object, required: [name], properties: {name: {type: string}, enabled: {type: boolean}}}
`)
	schema, err := Schema(crd)
	if err != nil {
		t.Fatal(err)
	}
	obj := map[string]any{"spec": map[string]any{
		"method": "barman", "retention": "30 days", "instances": 1.5, "params": map[string]any{"a": "b", "c": 1},
		"free": map[string]any{"anything": []any{1}}, "port": "http", "plugins": []any{map[string]any{"enabled": "true", "nmae": "x"}},
		"immediate": true,
	}}
	want := []string{
		"spec.immediate: not a field of the schema (it would be pruned)",
		"spec.instances: 1.5 is not an integer",
		"spec.method: barman is not one of [plugin volumeSnapshot]",
		"spec.params.c: a number where the schema has a string",
		"spec.plugins[0].enabled: a string where the schema has a boolean",
		"spec.plugins[0].nmae: not a field of the schema (it would be pruned)",
		"spec.plugins[0]: required field name is missing",
		"spec.retention: \"30 days\" does not match ^[1-9][0-9]*[dwm]$",
		"spec: required field schedule is missing",
	}
	if got := UnknownFields(obj, schema); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	good := map[string]any{"spec": map[string]any{"schedule": "0 0 3 * * *", "method": "plugin", "retention": "30d", "instances": 3,
		"plugins": []any{map[string]any{"name": "p", "enabled": true}}, "port": 8080}}
	if got := UnknownFields(good, schema); len(got) != 0 {
		t.Errorf("a valid object: %q", got)
	}
}
