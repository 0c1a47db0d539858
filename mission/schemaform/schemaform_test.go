package schemaform

import (
	"net/url"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/stacks"
)

// A section with every kind of field, as the schema describes one.
var schema = map[string]any{"properties": map[string]any{"config": map[string]any{"properties": map[string]any{
	"demo:section": map[string]any{"type": "object", "required": []string{"name"}, "properties": map[string]any{
		"name":     map[string]any{"type": "string", "description": "the <b>name</b>"},
		"size":     map[string]any{"type": "integer"},
		"on":       map[string]any{"type": "boolean"},
		"mode":     map[string]any{"type": "string", "enum": []string{"fast", "safe"}},
		"token":    map[string]any{"type": "object", "properties": map[string]any{"secure": map[string]any{"type": "string"}}},
		"values":   map[string]any{"type": "object"},
		"zones":    map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
		"ports":    map[string]any{"type": "array", "items": map[string]any{"type": "integer"}},
		"hosts":    map[string]any{"type": "array", "items": map[string]any{"type": "object", "properties": map[string]any{"name": map[string]any{"type": "string"}}}},
		"pools":    map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "object", "properties": map[string]any{"count": map[string]any{"type": "integer"}}}},
		"versions": map[string]any{"type": "string"},
	}},
}}}}

const current = `
name: demo
size: 3
token: {secure: v1:Q0lQSEVSVEVYVA==}
zones: [a, b]
ports: [80, 443]
hosts: [{name: h}]
pools: {big: {count: 2}, "odd.key": {count: 1}}
versions: "1.0"
`

func build(t *testing.T) *Field {
	t.Helper()
	var cur any
	if err := yaml.Unmarshal([]byte(current), &cur); err != nil {
		t.Fatal(err)
	}
	f, err := Build(schema, "demo:section", cur, Options{
		Choices: func(path, value string) []Option {
			if path == "demo:section.versions" {
				return []Option{{value, value}, {"1.1", "1.1"}}
			}
			return nil
		},
		Keys: func(path string) []string {
			if path == "demo:section.pools" {
				return []string{"extra"}
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestBuildKindsAndValues(t *testing.T) {
	f := build(t)
	want := map[string][2]string{ // name: kind, value
		"demo:section.name": {KindString, "demo"}, "demo:section.size": {KindInteger, "3"}, "demo:section.on": {KindBoolean, "false"},
		"demo:section.mode": {KindSelect, ""}, "demo:section.token": {KindSecret, ""}, "demo:section.values": {KindFree, ""},
		"demo:section.zones": {KindLines, "a\nb"}, "demo:section.ports": {KindLines, "80\n443"}, "demo:section.hosts": {KindList, ""},
		"demo:section.hosts[0].name": {KindString, "h"}, "demo:section.pools.big.count": {KindInteger, "2"}, "demo:section.pools.extra.count": {KindInteger, ""},
		"demo:section.versions": {KindSelect, "1.0"},
	}
	for name, w := range want {
		got := f.Find(name)
		if got == nil || got.Kind != w[0] || got.Value != w[1] {
			t.Errorf("%s: %+v, want %v", name, got, w)
		}
	}
	if !f.Find("demo:section.name").Required || f.Find("demo:section.size").Required {
		t.Error("required comes from the schema")
	}
	if m := f.Find("demo:section.mode"); len(m.Options) != 3 || m.Options[0].Value != "" {
		t.Errorf("an optional unset enum offers the default first: %+v", m.Options)
	}
	if !f.Find("demo:section.token").Set || !f.Find("demo:section.pools.odd.key.count").ReadOnly || !f.Find("demo:section.hosts[0].name").ReadOnly {
		t.Error("the secret is set; a key with a dot and the fields of list items are read-only")
	}
}

// A secret shows as set, never its ciphertext; descriptions are escaped.
func TestRenderNeverShowsSecrets(t *testing.T) {
	html, err := Render(build(t))
	if err != nil {
		t.Fatal(err)
	}
	s := string(html)
	if strings.Contains(s, "Q0lQSEVSVEVYVA") || strings.Contains(s, "secure") || !strings.Contains(s, `<output id="f-demo-section-token" class="secret">set`) {
		t.Fatalf("secret rendered:\n%s", s)
	}
	if strings.Contains(s, "<b>name</b>") || !strings.Contains(s, "the &lt;b&gt;name&lt;/b&gt;") {
		t.Fatal("the description is not escaped")
	}
	if !strings.Contains(s, `<input type="text" id="f-demo-section-hosts-0-name" name="demo:section.hosts[0].name" value="h" disabled>`) ||
		!strings.Contains(s, `<textarea id="f-demo-section-zones" name="demo:section.zones" rows="3">a`+"\n"+`b</textarea>`) {
		t.Fatalf("list items are not shown, read-only in objects, a line each otherwise:\n%s", s)
	}
}

func TestChanges(t *testing.T) {
	f := build(t)
	got, errs := Changes([]*Field{f}, url.Values{
		"demo:section.name":              {"demo"},          // unchanged
		"demo:section.size":              {"5"},             // changed
		"demo:section.on":                {"false", "true"}, // a checked box
		"demo:section.pools.extra.count": {"1"},             // an offered entry
		"demo:section.versions":          {"1.1"},
		"demo:section.zones":             {"a\r\n\n c \n"},
		"demo:section.ports":             {"80\n443"}, // unchanged
	})
	want := map[string]string{"demo:section.size": "5", "demo:section.on": "true", "demo:section.pools.extra.count": "1", "demo:section.versions": "1.1"}
	if len(errs) > 0 || len(got.Values) != len(want) || len(got.Lists) != 1 || strings.Join(got.Lists["demo:section.zones"], ",") != "a,c" {
		t.Fatalf("%v %v", got, errs)
	}
	for k, v := range want {
		if got.Values[k] != v {
			t.Fatalf("%s = %q, want %q", k, got.Values[k], v)
		}
	}
	// An unchecked box of an unset boolean changes nothing; fields not posted are left alone.
	if got, errs := Changes([]*Field{f}, url.Values{"demo:section.on": {"false"}}); len(got.Values)+len(got.Lists) != 0 || len(errs) != 0 {
		t.Fatalf("%v %v", got, errs)
	}
	// Wrong values, each an error by path; the right ones beside them are still read.
	got, errs = Changes([]*Field{f}, url.Values{"demo:section.size": {"three"}, "demo:section.mode": {"reckless"}, "demo:section.name": {""},
		"demo:section.token": {"plain"}, "demo:section.versions": {"2.0"}, "demo:section.hosts[0].name": {"c"}, "demo:section.pools.extra.count": {"1"},
		"demo:section.ports": {"80\nhttps"}})
	paths := map[string]bool{}
	for _, e := range errs {
		paths[e.Path] = true
	}
	for _, p := range []string{"size", "mode", "name", "token", "versions", "hosts[0].name", "ports"} {
		if !paths["config.demo:section."+p] {
			t.Errorf("no error at config.demo:section.%s: %v", p, errs)
		}
	}
	if len(errs) != 7 || len(got.Values) != 1 || got.Values["demo:section.pools.extra.count"] != "1" {
		t.Errorf("errors %v, changes %v", errs, got)
	}
	// A text YAML would read as no value is refused.
	if _, errs := Changes([]*Field{f}, url.Values{"demo:section.name": {"null"}}); len(errs) != 1 || !strings.Contains(errs[0].Message, "no value") {
		t.Errorf("null: %v", errs)
	}
}

// The real schema: both sections MISSION edits build, and a BOOM tool's fields come from it.
func TestBuildTheSpecSchema(t *testing.T) {
	for _, sec := range []string{stacks.KeyOrbiter, stacks.KeyBoom} {
		if _, err := Build(stacks.JSONSchema(), sec, nil, Options{}); err != nil {
			t.Fatal(err)
		}
	}
	f, _ := Build(stacks.JSONSchema(), stacks.KeyBoom, map[string]any{"tools": map[string]any{"metrics": map[string]any{"enabled": true}}}, Options{})
	if ns := f.Find("orbos:boom.tools.metrics.namespace"); ns == nil || ns.Kind != KindString || ns.Help == "" {
		t.Fatalf("namespace: %+v", ns)
	}
	// A tool's own block is offered on that tool only.
	f, _ = Build(stacks.JSONSchema(), stacks.KeyBoom, map[string]any{"tools": map[string]any{
		"metrics": map[string]any{"enabled": true}, "logs": map[string]any{"enabled": true}, "dashboards": map[string]any{"enabled": true},
	}}, Options{})
	if f.Find("orbos:boom.tools.metrics.metrics") == nil || f.Find("orbos:boom.tools.dashboards.sso") == nil {
		t.Error("a tool's own block is not offered on it")
	}
	for _, other := range []string{"orbos:boom.tools.logs.metrics", "orbos:boom.tools.logs.sso", "orbos:boom.tools.metrics.gateway", "orbos:boom.tools.dashboards.argocd"} {
		if f.Find(other) != nil {
			t.Errorf("%s is offered on a tool it does not belong to", other)
		}
	}
	if _, err := Build(stacks.JSONSchema(), "orbos:nothing", nil, Options{}); err == nil {
		t.Fatal("an unknown section built")
	}
}
