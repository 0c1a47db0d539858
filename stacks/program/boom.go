package program

import (
	"fmt"
	"slices"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/components/boom"
	"github.com/orbos/orbos/components/boom/prepost"
	"github.com/orbos/orbos/internal/pulumidep"
	"github.com/orbos/orbos/stacks"
)

// systemNamespaces exist in every cluster and are never orbos's to create or delete.
var systemNamespaces = map[string]bool{"default": true, "kube-system": true, "kube-public": true, "kube-node-lease": true}

// platform installs BOOM's enabled tools with the cluster's provider: the namespaces they need
// (but the cluster's own and the ORB's, which exist already), the ORB repository's preApply/
// manifests, each tool after those it follows, then its postApply/ manifests. It returns the tools
// by name.
func platform(ctx *pulumi.Context, spec *stacks.Spec, orbNamespace pulumi.Resource, labels pulumi.StringMap, opts ...pulumi.ResourceOption) (map[string]*boom.Tool, error) {
	tools := spec.Tools()
	pre, post, err := manifests(spec.Runtime.RepoDir)
	if err != nil {
		return nil, err
	}
	if len(tools) == 0 && pre.Empty() && post.Empty() {
		return nil, nil
	}
	b := spec.File.Config.Boom
	env := boom.Env{ImageRegistry: b.ImageRegistry, Enabled: map[string]string{}}
	for _, t := range tools {
		env.Enabled[t.Name] = t.Namespace
	}
	namespaces := map[string]pulumi.Resource{spec.Kubernetes().Namespace: orbNamespace}
	for _, ns := range boom.Namespaces(tools) {
		if systemNamespaces[ns] || namespaces[ns] != nil {
			continue
		}
		r, err := corev1.NewNamespace(ctx, "boom-"+ns, &corev1.NamespaceArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(ns), Labels: labels, Annotations: pulumi.StringMap{"pulumi.com/patchForce": pulumi.String("true")}},
		}, opts...)
		if err != nil {
			return nil, err
		}
		namespaces[ns] = r
	}
	secretLabels := map[string]string{}
	for k, v := range labels {
		secretLabels[k] = string(v.(pulumi.String))
	}
	// preApply comes after every namespace BOOM makes: its objects may live in a tool's namespace.
	var applied []pulumi.Resource
	for _, ns := range namespaces {
		applied = append(applied, ns)
	}
	if !pre.Empty() {
		p, err := prepost.New(ctx, pre, spec.Runtime.NoNodes, append(opts, pulumidep.On(applied...))...)
		if err != nil {
			return nil, err
		}
		applied = append(applied, p)
	}
	secret, err := stackSecrets(ctx)
	if err != nil {
		return nil, err
	}
	ordered, after := boom.Order(tools)
	out := map[string]*boom.Tool{}
	for _, t := range ordered {
		deps := slices.Clone(applied)
		for _, a := range after[t.Name] {
			deps = append(deps, out[a])
		}
		tool, err := boom.New(ctx, boom.Args{
			Tool: t, Env: env, ChartRepository: b.ChartRepository,
			RepoDir: spec.Runtime.RepoDir, Orbctl: spec.Runtime.Orbctl, SkipAwait: spec.Runtime.NoNodes, Labels: secretLabels,
			StackSecret: secret,
		}, append(opts, pulumidep.On(deps...))...)
		if err != nil {
			return nil, err
		}
		out[t.Name] = tool
		applied = append(applied, tool)
	}
	if err := shipDashboards(ctx, spec, env, out, secretLabels, opts...); err != nil {
		return nil, err
	}
	made, err := edge(ctx, out, tools, spec.File.Config.Networking.OriginOn(), secret, secretLabels, opts...)
	if err != nil {
		return nil, err
	}
	applied = append(applied, made...)
	if !post.Empty() {
		if _, err := prepost.New(ctx, post, spec.Runtime.NoNodes, append(opts, pulumidep.On(applied...))...); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// manifests reads the checkout's preApply/ and postApply/; a plan without a checkout has none.
func manifests(repoDir string) (pre, post *prepost.Set, err error) {
	if repoDir == "" {
		return nil, nil, nil
	}
	if pre, err = prepost.Read(repoDir, prepost.PreApply); err != nil {
		return nil, nil, fmt.Errorf("BOOM: %w", err)
	}
	if post, err = prepost.Read(repoDir, prepost.PostApply); err != nil {
		return nil, nil, fmt.Errorf("BOOM: %w", err)
	}
	return pre, post, nil
}
