package stacks_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/orbos/orbos/stacks"
)

// gceSpec is a valid desired state of a GCE ORB, for the edits of the test.
const gceSpec = `encryptionsalt: v1:ZXhhbXBsZQ==:v1:placeholder:placeholder
config:
  orbos:orbiter:
    apiVersion: orbos.io/v1alpha1
    providers:
      gce:
        project: acme-fixture
        region: europe-west1
        zones: [europe-west1-b]
        pools:
          control:
            machineType: e2-standard-4
            count: 1
          workers:
            machineType: e2-standard-4
            count: 2
    loadBalancing:
      vips:
        - name: default
          transports:
            - {name: kubeapi, frontendPort: 6443, backendPort: 6443, backendPools: [control]}
    kubernetes:
      version: v1.37.1
      controlPlane: {pool: control, nodes: 1}
      workers:
        - pool: workers
  orbos:sshKey:
    secure: v1:c2VjcmV0LWNpcGhlcnRleHQ=
`

// TestSchemaEnumsAreValidated keeps the schema's enums and the validation in step: every value an
// enum offers is accepted, and a value outside it is refused at the field's path.
func TestSchemaEnumsAreValidated(t *testing.T) {
	base := gceSpec
	cases := []struct {
		schema []string // path of the field in the schema's properties
		path   string   // the field's validation path
		edit   func(v string) string
	}{
		{[]string{"kubernetes", "cgroupDriver"}, "kubernetes.cgroupDriver", func(v string) string {
			return strings.Replace(base, "      version: ", "      cgroupDriver: "+v+"\n      version: ", 1)
		}},
		{[]string{"kubernetes", "networking", "cni"}, "kubernetes.networking.cni", func(v string) string {
			return strings.Replace(base, "      version: ", "      networking: {cni: "+v+"}\n      version: ", 1)
		}},
		{[]string{"providers", "gce", "pools", "*", "diskType"}, "pools.workers.diskType", func(v string) string {
			return strings.Replace(base, "            count: 2", "            count: 2\n            diskType: "+v, 1)
		}},
	}
	orbiter := stacks.JSONSchema()["properties"].(map[string]any)["config"].(map[string]any)["properties"].(map[string]any)[stacks.KeyOrbiter].(map[string]any)
	for _, c := range cases {
		node := orbiter
		for _, p := range c.schema {
			if p == "*" {
				node = node["additionalProperties"].(map[string]any)
				continue
			}
			node = node["properties"].(map[string]any)[p].(map[string]any)
		}
		enum, _ := node["enum"].([]string)
		if len(enum) < 2 {
			t.Fatalf("%s: enum %v", c.path, node["enum"])
		}
		for _, v := range enum {
			if _, err := stacks.Parse("o", []byte(c.edit(v))); err != nil {
				t.Errorf("%s: %q from the enum is refused: %v", c.path, v, err)
			}
		}
		_, err := stacks.Parse("o", []byte(c.edit("bogus")))
		var ve *stacks.ValidationError
		if !errors.As(err, &ve) || !strings.Contains(ve.Error(), c.path) {
			t.Errorf("%s: a value outside the enum: %v", c.path, err)
		}
	}
}

// TestToolOnlyFieldsAreRefusedElsewhere keeps x-orbos-tools, which MISSION's forms follow, in step
// with the validation: every block the schema gives to some tools only is refused, by path, on a
// tool that is not one of them.
func TestToolOnlyFieldsAreRefusedElsewhere(t *testing.T) {
	tools := stacks.JSONSchema()["properties"].(map[string]any)["config"].(map[string]any)["properties"].(map[string]any)[stacks.KeyBoom].(map[string]any)["properties"].(map[string]any)["tools"].(map[string]any)
	fields := tools["additionalProperties"].(map[string]any)["properties"].(map[string]any)
	tagged := 0
	for name, node := range fields {
		owners, _ := node.(map[string]any)["x-orbos-tools"].([]string)
		if len(owners) == 0 {
			continue
		}
		tagged++
		const other = "metrics-server" // a catalog tool that takes no block of its own
		for _, o := range owners {
			if o == other {
				t.Fatalf("%s belongs to %s, the tool the test sets it on", name, other)
			}
		}
		spec := `encryptionsalt: v1:ZXhhbXBsZQ==:v1:placeholder:placeholder
config:
  orbos:orbiter:
    apiVersion: orbos.io/v1alpha1
    kubernetes: {version: v1.31.4}
  orbos:boom:
    apiVersion: orbos.io/v1alpha1
    tools:
      ` + other + `: {enabled: true, ` + name + `: {}}
  orbos:kubeconfig:
    secure: v1:c2VjcmV0LWNpcGhlcnRleHQ=
`
		_, err := stacks.Parse("o", []byte(spec))
		var ve *stacks.ValidationError
		path := "config.orbos:boom.tools." + other + "." + name
		if !errors.As(err, &ve) || !strings.Contains(ve.Error(), path) {
			t.Errorf("%s (for %v) set on %s: %v", name, owners, other, err)
		}
	}
	if tagged < 5 {
		t.Errorf("%d tool-only blocks in the schema, want gateway, acme, argocd, sso and metrics at least", tagged)
	}
}
