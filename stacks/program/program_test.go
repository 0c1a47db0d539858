package program

import (
	"os"
	"strings"
	"testing"

	"github.com/orbos/orbos/stacks"
)

// examplePlan plans the example ORB examples/NAME as edit changes it, by resource "TYPE NAME".
func examplePlan(t *testing.T, name string, edit func(string) string) map[string][]string {
	t.Helper()
	raw, err := os.ReadFile("../../examples/" + name + "/Pulumi." + name + "-demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := stacks.Parse(name+"-demo", []byte(edit(string(raw))))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := MockPlan(spec)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, p := range plan {
		out[p.Type+" "+p.Name] = p.Inputs
	}
	return out
}

// planOf plans the static example ORB with extra top-level config appended.
func planOf(t *testing.T, extra string) map[string][]string {
	t.Helper()
	return examplePlan(t, "static", func(s string) string { return s + extra })
}

// A cluster orbos makes gets nothing of orbos inside it until takeoff names the reconciler's image;
// then the reconciler runs there, with a provider that talks to that cluster.
func TestMadeClusterGetsTheReconcilerAfterTakeoff(t *testing.T) {
	before := planOf(t, "")
	for k := range before {
		if strings.HasPrefix(k, "kubernetes:") || strings.HasPrefix(k, "pulumi:providers:kubernetes") {
			t.Fatalf("a made cluster without takeoff gets %s", k)
		}
	}
	after := planOf(t, "  orbos:reconciler: {apiVersion: orbos.io/v1alpha1, image: \"registry.local/orbos:v1\", interval: 10s}\n")
	deployment, ok := after["kubernetes:apps/v1:Deployment orbos-reconciler"]
	if !ok {
		t.Fatalf("no reconciler Deployment in %v", keys(after))
	}
	inputs := strings.Join(deployment, "\n")
	for _, want := range []string{
		`spec.template.spec.containers[0].image = "registry.local/orbos:v1"`,
		`spec.template.spec.containers[0].args[8] = "--interval"`,
		`spec.template.spec.containers[0].args[9] = "10s"`,
		`spec.template.spec.tolerations[0].key = "node-role.kubernetes.io/control-plane"`,
		`spec.template.spec.terminationGracePeriodSeconds = 120`,
	} {
		if !strings.Contains(inputs, want) {
			t.Errorf("the reconciler Deployment lacks %s:\n%s", want, inputs)
		}
	}
	provider, ok := after["pulumi:providers:kubernetes cluster"]
	if !ok {
		t.Fatalf("no kubernetes provider in %v", keys(after))
	}
	if kc := strings.Join(provider, "\n"); !strings.Contains(kc, "kubeconfig = [secret]") {
		t.Errorf("the provider does not take the made cluster's (secret) kubeconfig:\n%s", kc)
	}
}

func keys(m map[string][]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
