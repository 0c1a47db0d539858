package prepost

import (
	"slices"
	"strings"

	kustomizev2 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/kustomize/v2"
	yamlv2 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/yaml/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/internal/pulumidep"
)

// Type is the type token of a phase's component.
const Type = "orbos:boom:Manifests"

// prefix names every object of both phases alike ("manifests-<namespace>/<name>"), so an object
// moved from one plain file to another, or from preApply to postApply, keeps its URN: it is moved
// in the state, not created again and then deleted (which would delete it from the cluster).
const prefix = "manifests"

// Applied is one phase applied.
type Applied struct {
	pulumi.ResourceState
	// Recorder names what the component made, for those that come after it (pulumidep.On).
	pulumidep.Recorder
	// CRDs is the step with the plain files' CRDs, nil when there are none.
	CRDs pulumi.Resource
	// Steps are the files' and kustomizations' resources, by path in the repository.
	Steps map[string]pulumi.Resource
}

// New applies a phase: its CRDs first, then every file and kustomize directory, each its own
// resource so that removing it deletes its objects. opts carry the provider and what the phase
// comes after. skipAwait is for clusters without nodes, where no workload becomes ready.
func New(ctx *pulumi.Context, set *Set, skipAwait bool, opts ...pulumi.ResourceOption) (*Applied, error) {
	a := &Applied{Steps: map[string]pulumi.Resource{}}
	if err := ctx.RegisterComponentResource(Type, set.Phase, a, append(slices.Clip(opts), a.Recording(a))...); err != nil {
		return nil, err
	}
	child := []pulumi.ResourceOption{pulumi.Parent(a)}
	after := child
	if len(set.CRDs) > 0 {
		crds, err := yamlv2.NewConfigGroup(ctx, set.Phase+"/crds", &yamlv2.ConfigGroupArgs{
			Yaml: pulumi.String(join(set.CRDs)), ResourcePrefix: pulumi.String(prefix), SkipAwait: pulumi.Bool(skipAwait),
		}, child...)
		if err != nil {
			return nil, err
		}
		a.CRDs = crds
		after = append(after, pulumi.DependsOn([]pulumi.Resource{crds}))
	}
	for _, f := range set.Files {
		r, err := yamlv2.NewConfigGroup(ctx, f.Path, &yamlv2.ConfigGroupArgs{
			Yaml: pulumi.String(join(f.Docs)), ResourcePrefix: pulumi.String(prefix), SkipAwait: pulumi.Bool(skipAwait),
		}, after...)
		if err != nil {
			return nil, err
		}
		a.Steps[f.Path] = r
	}
	for _, k := range set.Kustomizations {
		r, err := kustomizev2.NewDirectory(ctx, k.Path, &kustomizev2.DirectoryArgs{
			Directory: pulumi.String(k.Dir), ResourcePrefix: pulumi.String(prefix), SkipAwait: pulumi.Bool(skipAwait),
		}, after...)
		if err != nil {
			return nil, err
		}
		a.Steps[k.Path] = r
	}
	return a, ctx.RegisterResourceOutputs(a, pulumi.Map{})
}

func join(docs []Doc) string {
	var b strings.Builder
	for _, d := range docs {
		b.WriteString("---\n")
		b.WriteString(d.YAML)
	}
	return b.String()
}
