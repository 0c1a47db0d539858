// Package boom installs BOOM's platform tools: each tool a ComponentResource holding its pinned Helm
// chart with orbos's production defaults, in two steps (the chart's CRDs, kept when the tool goes;
// then everything else), and the Secrets the chart takes by name.
package boom

import (
	"fmt"
	"maps"
	"slices"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/internal/pulumidep"
	"github.com/orbos/orbos/stacks"
)

// ToolType is the type token of a tool's component.
const ToolType = "orbos:boom:Tool"

// ManifestsCommand is orbctl's hidden post-renderer command: `orbctl boom-manifests crds|resources`.
const ManifestsCommand = "boom-manifests"

// Args are one tool and what it is installed with.
type Args struct {
	Tool stacks.NamedTool
	Env  Env
	// ChartRepository is the ORB-wide chart mirror, "" for none.
	ChartRepository string
	// RepoDir is the ORB repository's checkout, where local charts are; "" leaves their paths
	// relative and unchecked (plans without a checkout).
	RepoDir string
	// Orbctl is the executable Helm runs as the post-renderer.
	Orbctl string
	// SkipAwait makes the engine not wait for the tool's objects to become ready: only for a
	// cluster without nodes, where no pod ever runs.
	SkipAwait bool
	// Labels are set on the Secrets the program makes.
	Labels map[string]string
	// StackSecret returns a stack secret (orbos:secrets.NAME) that a spec field names, as a
	// Pulumi secret, for the Secrets the chart reads.
	StackSecret func(name string) (pulumi.StringOutput, error)
}

// Tool is an installed platform tool.
type Tool struct {
	pulumi.ResourceState
	// Recorder names what the component made, for those that come after it (pulumidep.On).
	pulumidep.Recorder
	// CRDs is the step that applies the chart's CustomResourceDefinitions.
	CRDs pulumi.Resource
	// Chart is the chart (helm.sh/v4:Chart) or release (helm.sh/v3:Release) with everything else.
	Chart pulumi.Resource
	// Secrets are the Secrets the program made for the chart: generated ones and those the spec
	// calls for (repositories, SSO client secrets).
	Secrets []*corev1.Secret
}

// New installs one tool; opts carry the kubernetes provider and what it must come after.
func New(ctx *pulumi.Context, args Args, opts ...pulumi.ResourceOption) (*Tool, error) {
	t := args.Tool
	tool := &Tool{}
	if err := ctx.RegisterComponentResource(ToolType, t.Name, tool, append(slices.Clip(opts), tool.Recording(tool))...); err != nil {
		return nil, err
	}
	src, err := resolveChart(t.Chart, args.ChartRepository, args.RepoDir)
	if err != nil {
		return nil, fmt.Errorf("BOOM tool %s: %w", t.Name, err)
	}
	values := pulumi.ToMap(Values(t, args.Env))
	// Children inherit the provider from the component; dependencies come from the options too.
	child := []pulumi.ResourceOption{pulumi.Parent(tool)}
	orbctl := args.Orbctl
	if orbctl == "" {
		orbctl = "orbctl"
	}
	crds, err := helmv4.NewChart(ctx, t.Name+"-crds", &helmv4.ChartArgs{
		Chart: pulumi.String(src.chart), Version: pulumi.String(t.Chart.Version), RepositoryOpts: src.repoV4(),
		Name: pulumi.String(t.Name), Namespace: pulumi.String(t.Namespace), Values: values,
		PostRenderer: &helmv4.PostRendererArgs{Command: pulumi.String(orbctl), Args: pulumi.ToStringArray([]string{ManifestsCommand, OnlyCRDs})},
		SkipAwait:    pulumi.Bool(args.SkipAwait),
	}, child...)
	if err != nil {
		return nil, err
	}
	tool.CRDs = crds
	deps := []pulumi.Resource{crds}
	p := profileOf(t.Name)
	for _, s := range p.Secrets {
		data, err := s.Keys()
		if err != nil {
			return nil, fmt.Errorf("BOOM tool %s: %w", t.Name, err)
		}
		secret, err := corev1.NewSecret(ctx, t.Name+"-"+s.Name, &corev1.SecretArgs{
			Metadata: &metav1.ObjectMetaArgs{
				Name: pulumi.String(s.Name), Namespace: pulumi.String(t.Namespace), Labels: pulumi.ToStringMap(args.Labels),
				Annotations: pulumi.StringMap{patchForce: pulumi.String("true")},
			},
			Type:       pulumi.String("Opaque"),
			StringData: pulumi.ToSecret(pulumi.ToStringMap(data)).(pulumi.StringMapOutput),
		}, append(child,
			// Generated once: later runs generate anew and keep what the first one made. The
			// provider turns stringData into data before diffing, so both are ignored (else
			// every run replaced the Secret with new passwords).
			pulumi.IgnoreChanges([]string{"stringData", "data"}),
			pulumi.AdditionalSecretOutputs([]string{"data", "stringData"}))...)
		if err != nil {
			return nil, err
		}
		tool.Secrets = append(tool.Secrets, secret)
		deps = append(deps, secret)
	}
	// Secrets filled from the stack secrets the tool's own blocks name.
	own, err := specSecrets(ctx, args, child)
	if err != nil {
		return nil, err
	}
	fromStack, err := metricsSecrets(ctx, args, child)
	if err != nil {
		return nil, fmt.Errorf("BOOM tool %s: %w", t.Name, err)
	}
	for _, s := range append(own, fromStack...) {
		tool.Secrets = append(tool.Secrets, s)
		deps = append(deps, s)
	}
	mainOpts := append(slices.Clone(child), pulumi.DependsOn(deps))
	if p.Hooks != "" {
		tool.Chart, err = helmv3.NewRelease(ctx, t.Name, &helmv3.ReleaseArgs{
			Chart: pulumi.String(src.chart), Version: pulumi.String(t.Chart.Version), RepositoryOpts: src.repoV3(),
			Name: pulumi.String(t.Name), Namespace: pulumi.String(t.Namespace), Values: values,
			SkipCrds: pulumi.Bool(true), SkipAwait: pulumi.Bool(args.SkipAwait),
			// A failed install or upgrade is rolled back rather than left pending (#2054). Atomic
			// makes Helm wait for every workload whatever SkipAwait says: on a cluster without
			// nodes, where no pod ever runs, the install would time out and be rolled back.
			Atomic: pulumi.Bool(!args.SkipAwait), CleanupOnFail: pulumi.Bool(true), MaxHistory: pulumi.Int(10),
		}, mainOpts...)
	} else {
		tool.Chart, err = helmv4.NewChart(ctx, t.Name, &helmv4.ChartArgs{
			Chart: pulumi.String(src.chart), Version: pulumi.String(t.Chart.Version), RepositoryOpts: src.repoV4(),
			Name: pulumi.String(t.Name), Namespace: pulumi.String(t.Namespace), Values: values,
			SkipCrds:     pulumi.Bool(true),
			PostRenderer: &helmv4.PostRendererArgs{Command: pulumi.String(orbctl), Args: pulumi.ToStringArray([]string{ManifestsCommand, WithoutCRDs})},
			SkipAwait:    pulumi.Bool(args.SkipAwait),
		}, mainOpts...)
	}
	if err != nil {
		return nil, err
	}
	if err := monitors(ctx, args, tool.Chart, child...); err != nil {
		return nil, fmt.Errorf("BOOM tool %s: %w", t.Name, err)
	}
	if err := argoApplications(ctx, args, append(slices.Clone(child), pulumi.DependsOn(append(slices.Clone(deps), tool.Chart)))); err != nil {
		return nil, fmt.Errorf("BOOM tool %s: %w", t.Name, err)
	}
	return tool, ctx.RegisterResourceOutputs(tool, pulumi.Map{
		"chart":   pulumi.String(t.Chart.Name),
		"version": pulumi.String(t.Chart.Version),
	})
}

// Order sorts the enabled tools so that every tool comes after those it must follow; it returns,
// for each tool, the enabled tools it comes after.
func Order(tools []stacks.NamedTool) ([]stacks.NamedTool, map[string][]string) {
	enabled := map[string]bool{}
	for _, t := range tools {
		enabled[t.Name] = true
	}
	after := map[string][]string{}
	for _, t := range tools {
		for _, a := range After(t.Name) {
			if enabled[a] {
				after[t.Name] = append(after[t.Name], a)
			}
		}
	}
	// The catalog's After relations have no cycles; a tool's depth is one more than its deepest.
	depth := map[string]int{}
	var depthOf func(string) int
	depthOf = func(n string) int {
		if d, ok := depth[n]; ok {
			return d
		}
		d := 0
		for _, a := range after[n] {
			d = max(d, depthOf(a)+1)
		}
		depth[n] = d
		return d
	}
	out := slices.Clone(tools)
	slices.SortStableFunc(out, func(a, b stacks.NamedTool) int { return depthOf(a.Name) - depthOf(b.Name) })
	return out, after
}

// Namespaces lists the namespaces the enabled tools need, sorted.
func Namespaces(tools []stacks.NamedTool) []string {
	set := map[string]bool{}
	for _, t := range tools {
		set[t.Namespace] = true
	}
	return slices.Sorted(maps.Keys(set))
}
