package program

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/stacks"
)

// depsMock records each resource's parent and dependencies, each resource as "TYPE NAME" (a tool's
// component and its chart share a name).
type depsMock struct {
	mu      sync.Mutex
	deps    map[string][]string
	parents map[string]string
}

// key is "TYPE NAME" of a URN.
func key(urn string) string {
	parts := strings.Split(urn, "::")
	if len(parts) < 4 {
		return urn
	}
	types := strings.Split(parts[2], "$")
	return types[len(types)-1] + " " + parts[3]
}

func (m *depsMock) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := args.TypeToken + " " + args.Name
	if rpc := args.RegisterRPC; rpc != nil {
		for _, d := range rpc.GetDependencies() {
			m.deps[k] = append(m.deps[k], key(d))
		}
		if p := rpc.GetParent(); p != "" {
			m.parents[k] = key(p)
		}
	}
	return args.Name + "-id", args.Inputs, nil
}

func (m *depsMock) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return args.Args, nil
}

// planDeps runs the program for spec under the mocks and returns what each resource was registered
// with.
func planDeps(t *testing.T, spec *stacks.Spec) *depsMock {
	t.Helper()
	restore := setMockConfig(spec)
	defer restore()
	m := &depsMock{deps: map[string][]string{}, parents: map[string]string{}}
	if err := pulumi.RunErr(New(spec), pulumi.WithMocks(stacks.Project, spec.Orb, m)); err != nil {
		t.Fatal(err)
	}
	return m
}

// before says whether a comes before b: b, or one of its ancestors, depends on a or, when a is
// one of orbos's components, on a resource inside a, directly or through others. Dependencies
// name concrete resources (internal/pulumidep), never a component holding a: that would not
// make b wait for a.
func (m *depsMock) before(a, b string) bool {
	seen := map[string]bool{}
	var reach func(string) bool
	reach = func(n string) bool {
		if seen[n] {
			return false
		}
		seen[n] = true
		for _, d := range m.deps[n] {
			// d is a, or inside a (a component whose parts its dependents name).
			if d == a || m.holds(a, d) || reach(d) {
				return true
			}
		}
		if p, ok := m.parents[n]; ok {
			return reach(p)
		}
		return false
	}
	return reach(b)
}

// holds says whether component c is an ancestor of n.
func (m *depsMock) holds(c, n string) bool {
	for p, ok := m.parents[n]; ok; p, ok = m.parents[p] {
		if p == c {
			return true
		}
	}
	return false
}

// preApply comes before every tool (their CRDs included), postApply after every tool; each phase's
// CRDs before the rest of it.
func TestPreApplyToolsPostApplyInOrder(t *testing.T) {
	raw, err := os.ReadFile("../../examples/boom/Pulumi.boom-demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := stacks.Parse("boom-demo", raw)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for p, content := range map[string]string{
		"preApply/crd.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: gadgets.e2e.orbos.io}\n",
		"preApply/cm.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: monitoring}\n",
		"postApply/cr.yaml": "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: r, namespace: monitoring}\n",
	} {
		f := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	spec.Runtime.RepoDir = dir
	m := planDeps(t, spec)
	const (
		group = "kubernetes:yaml/v2:ConfigGroup "
		chart = "kubernetes:helm.sh/v4:Chart "
		tool  = "orbos:boom:Tool "
	)
	preCRDs, preCM, postCR := group+"preApply/crds", group+"preApply/cm.yaml", group+"postApply/cr.yaml"
	for _, k := range []string{"orbos:boom:Manifests preApply", preCRDs, preCM, "orbos:boom:Manifests postApply", postCR} {
		if _, ok := m.parents[k]; !ok {
			t.Fatalf("%s was not registered", k)
		}
	}
	if !m.before(preCRDs, preCM) {
		t.Error("preApply's objects do not wait for its CRDs")
	}
	if !m.before("kubernetes:core/v1:Namespace boom-monitoring", preCM) {
		t.Error("preApply comes before the tools' namespaces")
	}
	for _, name := range stacks.CatalogNames() {
		if !m.before(preCM, chart+name+"-crds") || !m.before(preCRDs, tool+name) {
			t.Errorf("%s does not come after preApply", name)
		}
		if !m.before(tool+name, postCR) || !m.before(chart+name+"-crds", postCR) {
			t.Errorf("postApply does not come after %s", name)
		}
	}
	if m.before(postCR, preCM) {
		t.Error("the order has a cycle")
	}
}
