package boom

import (
	"bytes"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const rendered = `---
# Source: demo/crds/widgets.yaml
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
---
# Source: demo/templates/empty.yaml
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: demo
  annotations:
    pulumi.com/patchForce: "false"
data:
  a: "1"
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
---
apiVersion: example.com/v1
kind: CustomResourceDefinition
metadata:
  name: not-a-crd
`

func filter(t *testing.T, part string) []map[string]any {
	t.Helper()
	var out bytes.Buffer
	if err := FilterManifests(strings.NewReader(rendered), &out, part); err != nil {
		t.Fatal(err)
	}
	var docs []map[string]any
	dec := yaml.NewDecoder(&out)
	for {
		var d map[string]any
		if err := dec.Decode(&d); err != nil {
			break
		}
		docs = append(docs, d)
	}
	return docs
}

func annotation(d map[string]any, key string) any {
	ann, _ := d["metadata"].(map[string]any)["annotations"].(map[string]any)
	return ann[key]
}

// The CRD step gets the CRDs only, marked to be kept; the main step everything else, owned by
// orbos (patchForce, which also overrides a chart's own "false").
func TestFilterManifestsSplitsTheCRDs(t *testing.T) {
	crds := filter(t, OnlyCRDs)
	if len(crds) != 1 || crds[0]["kind"] != "CustomResourceDefinition" || annotation(crds[0], keepAnnotation) != "keep" {
		t.Fatalf("CRD part %v", crds)
	}
	rest := filter(t, WithoutCRDs)
	if len(rest) != 3 {
		t.Fatalf("resources part has %d objects: %v", len(rest), rest)
	}
	for _, d := range rest {
		if annotation(d, patchForce) != "true" || annotation(d, keepAnnotation) != nil {
			t.Errorf("%v: annotations %v", d["kind"], d["metadata"])
		}
	}
	if rest[0]["data"].(map[string]any)["a"] != "1" {
		t.Errorf("the ConfigMap's data changed: %v", rest[0])
	}
	// A chart of CRDs only renders nothing for the main step (a real chart did: "expected STREAM-START").
	for _, empty := range []string{"", "\n", "---\n"} {
		var out bytes.Buffer
		if err := FilterManifests(strings.NewReader(empty), &out, WithoutCRDs); err != nil || strings.TrimSpace(out.String()) != "" {
			t.Errorf("rendered %q: %q %v", empty, out.String(), err)
		}
	}
	if err := FilterManifests(strings.NewReader(rendered), &bytes.Buffer{}, "all"); err == nil {
		t.Error("an unknown part was accepted")
	}
	if err := FilterManifests(strings.NewReader("a: [\n"), &bytes.Buffer{}, OnlyCRDs); err == nil {
		t.Error("broken YAML was accepted")
	}
}
