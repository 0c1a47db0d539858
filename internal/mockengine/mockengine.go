// Package mockengine records what a Pulumi program registers with the engine's mocks, for the unit
// tests of components: each resource's type, name, inputs, dependencies and options.
package mockengine

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Resource is one resource the program registered.
type Resource struct {
	Type, Name string
	Inputs     resource.PropertyMap
	// Deps are the URNs it was registered depending on; IgnoreChanges its ignored input paths.
	Deps          []string
	IgnoreChanges []string
	Parent        string
	// RetainOnDelete: the engine leaves the object in place when the program drops it.
	RetainOnDelete bool
}

// Engine stands in for every provider: it records each resource and answers with its inputs.
type Engine struct {
	mu  sync.Mutex
	All []Resource
}

// NewResource records the resource.
func (m *Engine) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := Resource{Type: args.TypeToken, Name: args.Name, Inputs: args.Inputs}
	if rpc := args.RegisterRPC; rpc != nil {
		r.Deps, r.IgnoreChanges, r.Parent = rpc.GetDependencies(), rpc.GetIgnoreChanges(), rpc.GetParent()
		r.RetainOnDelete = rpc.GetRetainOnDelete()
	}
	m.All = append(m.All, r)
	return args.Name + "-id", args.Inputs, nil
}

// Call answers an invoke with its arguments.
func (m *Engine) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) { return args.Args, nil }

// Run runs prog against a new Engine as the stack orb of project orbos.
func Run(t *testing.T, orb string, prog pulumi.RunFunc) (*Engine, error) {
	t.Helper()
	m := &Engine{}
	err := pulumi.RunErr(prog, pulumi.WithMocks("orbos", orb, m))
	return m, err
}

// Get returns the resource of type typ named name, failing the test without one.
func (m *Engine) Get(t *testing.T, typ, name string) Resource {
	t.Helper()
	for _, r := range m.All {
		if r.Type == typ && r.Name == name {
			return r
		}
	}
	var have []string
	for _, r := range m.All {
		have = append(have, r.Type+" "+r.Name)
	}
	t.Fatalf("no %s %s among:\n%s", typ, name, strings.Join(have, "\n"))
	return Resource{}
}

// Inputs maps "TYPE NAME" of every resource registered to its inputs.
func (m *Engine) Inputs() map[string]resource.PropertyMap {
	out := map[string]resource.PropertyMap{}
	for _, r := range m.All {
		out[r.Type+" "+r.Name] = r.Inputs
	}
	return out
}

// Has says whether a resource of type typ named name was registered.
func (m *Engine) Has(typ, name string) bool {
	for _, r := range m.All {
		if r.Type == typ && r.Name == name {
			return true
		}
	}
	return false
}

// DependsOn says whether r was registered depending on the resource of type typ named name.
func (r Resource) DependsOn(typ, name string) bool {
	return slices.ContainsFunc(r.Deps, func(urn string) bool {
		return strings.HasSuffix(urn, "::"+name) && strings.Contains(urn, typ)
	})
}

// At follows keys through the inputs (secrets unwrapped); a missing one is null.
func (r Resource) At(keys ...string) resource.PropertyValue {
	v := resource.NewObjectProperty(r.Inputs)
	for _, k := range keys {
		for v.IsSecret() {
			v = v.SecretValue().Element
		}
		if !v.IsObject() {
			return resource.NewNullProperty()
		}
		v = v.ObjectValue()[resource.PropertyKey(k)]
	}
	return v
}

// Str is At as a string ("" when it is none).
func (r Resource) Str(keys ...string) string {
	v := r.At(keys...)
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	if v.IsString() {
		return v.StringValue()
	}
	return ""
}
