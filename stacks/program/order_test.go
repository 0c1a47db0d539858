package program

import (
	"os"
	"testing"

	"github.com/orbos/orbos/stacks"
)

// Zitadel comes after everything every tool made (its namespace and its release), the
// Cloudflare origin certificate's Secret after everything the gateway tool made.
func TestZitadelAndTheOriginSecretComeAfterTheTools(t *testing.T) {
	raw, err := os.ReadFile("../../examples/zitadel/Pulumi.zitadel-demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := stacks.Parse("zitadel-demo", raw)
	if err != nil {
		t.Fatal(err)
	}
	m := planDeps(t, spec)
	release, ns := "kubernetes:helm.sh/v3:Release zitadel", "kubernetes:core/v1:Namespace zitadel-zitadel"
	origin := "kubernetes:core/v1:Secret tls-cert-wildcard"
	for _, k := range []string{release, ns, origin} {
		if _, ok := m.parents[k]; !ok {
			t.Fatalf("%s was not registered", k)
		}
	}
	tools := spec.Tools()
	if len(tools) == 0 {
		t.Fatal("the example enables no tool")
	}
	for _, tool := range tools {
		parts := m.childrenOf("orbos:boom:Tool " + tool.Name)
		if len(parts) == 0 {
			t.Fatalf("tool %s made nothing", tool.Name)
		}
		for _, part := range parts {
			if !m.before(part, ns) || !m.before(part, release) {
				t.Errorf("Zitadel does not come after %s of tool %s", part, tool.Name)
			}
			if tool.Name == "gateway" && !m.before(part, origin) {
				t.Errorf("the origin certificate's Secret does not come after %s", part)
			}
		}
	}
	if m.before(release, "orbos:boom:Tool gateway") {
		t.Error("the order has a cycle")
	}
}

// childrenOf lists the resources whose parent is c.
func (m *depsMock) childrenOf(c string) []string {
	var out []string
	for k, p := range m.parents {
		if p == c {
			out = append(out, k)
		}
	}
	return out
}
