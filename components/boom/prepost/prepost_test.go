package prepost

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

type registered struct {
	typ, name string
	inputs    resource.PropertyMap
	deps      []string
}

type mocks struct {
	mu  sync.Mutex
	all []registered
}

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := registered{typ: args.TypeToken, name: args.Name, inputs: args.Inputs}
	if rpc := args.RegisterRPC; rpc != nil {
		r.deps = rpc.GetDependencies()
	}
	m.all = append(m.all, r)
	return args.Name + "-id", args.Inputs, nil
}

func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) { return args.Args, nil }

func (m *mocks) named(name string) *registered {
	for i := range m.all {
		if m.all[i].name == name {
			return &m.all[i]
		}
	}
	return nil
}

func after(r *registered, name string) bool {
	return slices.ContainsFunc(r.deps, func(urn string) bool { return strings.HasSuffix(urn, "::"+name) })
}

// Each file and each kustomize directory is a resource of its own (so that removing one deletes its
// objects), after the step with the phase's CRDs; every object of both phases is named alike.
func TestEachFileIsAStepAfterThePhasesCRDs(t *testing.T) {
	dir := repo(t, map[string]string{
		"postApply/crd.yaml":             crd,
		"postApply/gadget.yaml":          "apiVersion: e2e.orbos.io/v1\nkind: Gadget\nmetadata: {name: g}\n",
		"postApply/k/kustomization.yaml": "resources: []\n",
	})
	set, err := Read(dir, PostApply)
	if err != nil {
		t.Fatal(err)
	}
	m := &mocks{}
	err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := New(ctx, set, true)
		return err
	}, pulumi.WithMocks("orbos", "test", m))
	if err != nil {
		t.Fatal(err)
	}
	crds, gadget, kust := m.named("postApply/crds"), m.named("postApply/gadget.yaml"), m.named("postApply/k")
	if crds == nil || gadget == nil || kust == nil || m.named(PostApply) == nil {
		t.Fatalf("registered %+v", m.all)
	}
	if crds.typ != "kubernetes:yaml/v2:ConfigGroup" || gadget.typ != crds.typ || kust.typ != "kubernetes:kustomize/v2:Directory" {
		t.Errorf("types %s %s %s", crds.typ, gadget.typ, kust.typ)
	}
	if !after(gadget, "postApply/crds") || !after(kust, "postApply/crds") || len(crds.deps) != 0 {
		t.Errorf("not after the CRDs: gadget %v, kustomization %v, crds %v", gadget.deps, kust.deps, crds.deps)
	}
	if y := crds.inputs["yaml"].StringValue(); !strings.Contains(y, "CustomResourceDefinition") || strings.Contains(y, "Gadget") {
		t.Errorf("the CRD step:\n%s", y)
	}
	if y := gadget.inputs["yaml"].StringValue(); !strings.Contains(y, "kind: Gadget") {
		t.Errorf("the file's step:\n%s", y)
	}
	for _, r := range []*registered{crds, gadget, kust} {
		if r.inputs["resourcePrefix"].StringValue() != prefix || !r.inputs["skipAwait"].BoolValue() {
			t.Errorf("%s: %v", r.name, r.inputs)
		}
	}
	if kust.inputs["directory"].StringValue() != set.Kustomizations[0].Dir {
		t.Errorf("the kustomization's directory %v", kust.inputs["directory"])
	}
}
