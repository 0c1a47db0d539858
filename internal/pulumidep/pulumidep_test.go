package pulumidep

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

type component struct {
	pulumi.ResourceState
	Recorder
}

type thing struct {
	pulumi.CustomResourceState
}

// mocks records the names of each resource's dependencies.
type mocks struct {
	mu   sync.Mutex
	deps map[string][]string
}

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, d := range args.RegisterRPC.GetDependencies() {
		m.deps[args.Name] = append(m.deps[args.Name], d[strings.LastIndex(d, "::")+2:])
	}
	return args.Name + "-id", args.Inputs, nil
}

func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) { return args.Args, nil }

func newComponent(ctx *pulumi.Context, name string, opts ...pulumi.ResourceOption) (*component, error) {
	c := &component{}
	return c, ctx.RegisterComponentResource("test:index:Component", name, c, append(opts, c.Recording(c))...)
}

func newThing(ctx *pulumi.Context, name string, opts ...pulumi.ResourceOption) (*thing, error) {
	t := &thing{}
	return t, ctx.RegisterResource("test:index:Thing", name, pulumi.Map{}, t, opts...)
}

// A component knows its parts (children, and their children) when its constructor returns, before
// the SDK has registered any of them; a dependent names those parts, not the component.
func TestADependentWaitsForThePartsOfAComponent(t *testing.T) {
	m := &mocks{deps: map[string][]string{}}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		outer, err := newComponent(ctx, "outer")
		if err != nil {
			return err
		}
		x, err := newThing(ctx, "x", pulumi.Parent(outer))
		if err != nil {
			return err
		}
		inner, err := newComponent(ctx, "inner", pulumi.Parent(outer))
		if err != nil {
			return err
		}
		y, err := newThing(ctx, "y", pulumi.Parent(inner))
		if err != nil {
			return err
		}
		other, err := newThing(ctx, "other")
		if err != nil {
			return err
		}
		// Right after the constructors, in the program's goroutine.
		if got := outer.Parts(); !slices.Equal(got, []pulumi.Resource{x, inner, y}) {
			t.Errorf("outer's parts: %d resources, want x, inner and y", len(got))
		}
		if got := inner.Parts(); !slices.Equal(got, []pulumi.Resource{y}) {
			t.Errorf("inner's parts: %d resources, want y", len(got))
		}
		var none *component
		if got := Expand(outer, other, nil, none, y); !slices.Equal(got, []pulumi.Resource{x, y, other}) {
			t.Errorf("Expand: %d resources, want x, y and other", len(got))
		}
		if got := Expand(none); len(got) != 0 {
			t.Errorf("Expand of a component not made: %d resources", len(got))
		}
		_, err = newThing(ctx, "dependent", On(outer))
		return err
	}, pulumi.WithMocks("project", "stack", m))
	if err != nil {
		t.Fatal(err)
	}
	got := m.deps["dependent"]
	sort.Strings(got)
	if !slices.Equal(got, []string{"x", "y"}) {
		t.Errorf("the dependent depends on %v, want [x y]", got)
	}
}
