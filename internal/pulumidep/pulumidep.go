// Package pulumidep makes a resource wait for what a local component made rather than for the
// component itself.
//
// The Pulumi Go SDK turns pulumi.DependsOn on a local component (ctx.RegisterComponentResource)
// into a dependency on the component's children as known at that moment, and drops the component.
// But a child joins its parent's children only later, in its own registration goroutine
// (pulumi/pulumi#7852): a resource made right after a component may find none of them yet and
// then waits for nothing. Components here record their parts synchronously while they are made
// (Recorder), and dependents name those parts (On): custom resources, and remote components such
// as helm.sh/v4:Chart and yaml/v2:ConfigGroup, which the SDK keeps as dependencies by URN.
package pulumidep

import (
	"reflect"
	"slices"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Parted is a local component that names the resources it made.
type Parted interface {
	pulumi.Resource
	Parts() []pulumi.Resource
}

// Recorder records every resource registered inside a component: its children and, through
// them, their descendants. Embed it in the component's struct and pass Recording to
// RegisterComponentResource; the component then is Parted.
type Recorder struct {
	mu    sync.Mutex
	parts []pulumi.Resource
}

// Recording is the option that makes the component self record what is registered inside it.
// It is a transformation: the SDK runs a parent's transformations for each of its descendants
// synchronously, in the call that registers the descendant, so the parts are known as soon as
// the component's constructor returns. A later pulumi.Transformations option would replace it.
func (r *Recorder) Recording(self pulumi.Resource) pulumi.ResourceOption {
	return pulumi.Transformations([]pulumi.ResourceTransformation{
		func(args *pulumi.ResourceTransformationArgs) *pulumi.ResourceTransformationResult {
			// The component's own options run it on the component too.
			if args.Resource != self {
				r.mu.Lock()
				r.parts = append(r.parts, args.Resource)
				r.mu.Unlock()
			}
			return nil
		},
	})
}

// Parts are the resources registered inside the component so far, in their order.
func (r *Recorder) Parts() []pulumi.Resource {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.parts)
}

// Expand replaces each Parted component by its parts, recursively, and leaves out nils and
// duplicates; other resources stay as they are.
func Expand(rs ...pulumi.Resource) []pulumi.Resource {
	seen := map[pulumi.Resource]bool{}
	var out []pulumi.Resource
	var add func(pulumi.Resource)
	add = func(r pulumi.Resource) {
		if isNil(r) || seen[r] {
			return
		}
		seen[r] = true
		if p, ok := r.(Parted); ok {
			for _, part := range p.Parts() {
				add(part)
			}
			return
		}
		out = append(out, r)
	}
	for _, r := range rs {
		add(r)
	}
	return out
}

// On is pulumi.DependsOn on the expansion of rs: use it wherever rs may hold a local component.
func On(rs ...pulumi.Resource) pulumi.ResourceOption {
	return pulumi.DependsOn(Expand(rs...))
}

// isNil also catches a nil pointer in the interface (an optional component that was not made).
func isNil(r pulumi.Resource) bool {
	if r == nil {
		return true
	}
	v := reflect.ValueOf(r)
	return v.Kind() == reflect.Pointer && v.IsNil()
}
