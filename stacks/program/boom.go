package program

import (
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/components/boom"
	"github.com/orbos/orbos/stacks"
)

// systemNamespaces exist in every cluster and are never orbos's to create or delete.
var systemNamespaces = map[string]bool{"default": true, "kube-system": true, "kube-public": true, "kube-node-lease": true}

// platform installs BOOM's enabled tools with the cluster's provider: the namespaces they need
// (but the cluster's own and the ORB's, which exist already), then each tool after those it
// follows. It returns the tools by name.
func platform(ctx *pulumi.Context, spec *stacks.Spec, orbNamespace pulumi.Resource, labels pulumi.StringMap, opts ...pulumi.ResourceOption) (map[string]*boom.Tool, error) {
	tools := spec.Tools()
	if len(tools) == 0 {
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
	ordered, after := boom.Order(tools)
	out := map[string]*boom.Tool{}
	for _, t := range ordered {
		var deps []pulumi.Resource
		if ns := namespaces[t.Namespace]; ns != nil {
			deps = append(deps, ns)
		}
		for _, a := range after[t.Name] {
			deps = append(deps, out[a])
		}
		tool, err := boom.New(ctx, boom.Args{
			Tool: t, Env: env, ChartRepository: b.ChartRepository,
			RepoDir: spec.Runtime.RepoDir, Orbctl: spec.Runtime.Orbctl, SkipAwait: spec.Runtime.NoNodes, Labels: secretLabels,
		}, append(opts, pulumi.DependsOn(deps))...)
		if err != nil {
			return nil, err
		}
		out[t.Name] = tool
	}
	return out, nil
}
