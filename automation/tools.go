package automation

import (
	"context"
	"net/http"

	"github.com/orbos/orbos/automation/record"
	"github.com/orbos/orbos/automation/toolstatus"
	"github.com/orbos/orbos/components/boom"
	"github.com/orbos/orbos/stacks"
)

// readTools reads BOOM's enabled tools back from the cluster for the status: chart, version and
// readiness (the Helm release's status for releases, the rollout of every workload). It is read
// after the run through the API, not from the engine: readiness changes without any run.
func (o *Orb) readTools(ctx context.Context, spec *stacks.Spec, cp record.Checkpoint) []record.ToolStatus {
	tools := spec.Tools()
	if len(tools) == 0 {
		return nil
	}
	in := make([]toolstatus.Tool, 0, len(tools))
	for _, t := range tools {
		in = append(in, toolstatus.Tool{
			Name: t.Name, Chart: t.Chart.Name, Version: t.Chart.Version, Namespace: t.Namespace,
			Release: boom.HookReason(t.Name) != "", Workloads: toolstatus.FromState(cp.DeploymentV3, t.Name),
		})
	}
	get, err := o.clusterGet(ctx, spec)
	if err != nil {
		get = func(context.Context, string) (int, []byte, error) { return 0, nil, err }
	}
	return toolstatus.Read(ctx, get, in)
}

// clusterGet is a GET on the ORB's cluster through its admin kubeconfig.
func (o *Orb) clusterGet(ctx context.Context, spec *stacks.Spec) (toolstatus.Get, error) {
	kubeconfig, err := o.clusterKubeconfig(ctx, spec)
	if err != nil {
		return nil, err
	}
	client, err := newKubeClient(kubeconfig)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, path string) (int, []byte, error) {
		return client.do(ctx, http.MethodGet, path, nil)
	}, nil
}

// recoverReleases makes the tools' Helm releases that an interrupted run left pending installable
// again, before up runs the engine (Helm refuses to touch a pending release).
func (o *Orb) recoverReleases(ctx context.Context, spec *stacks.Spec) {
	var releases []stacks.NamedTool
	for _, t := range spec.Tools() {
		if boom.HookReason(t.Name) != "" {
			releases = append(releases, t)
		}
	}
	if len(releases) == 0 {
		return
	}
	kubeconfig, err := o.clusterKubeconfig(ctx, spec)
	if err != nil {
		return // no cluster yet (orbos makes it in this run): no release either
	}
	client, err := newKubeClient(kubeconfig)
	if err != nil {
		return
	}
	get := func(ctx context.Context, path string) (int, []byte, error) {
		return client.do(ctx, http.MethodGet, path, nil)
	}
	del := func(ctx context.Context, path string) (int, []byte, error) {
		return client.do(ctx, http.MethodDelete, path, nil)
	}
	for _, t := range releases {
		did, err := toolstatus.RecoverPending(ctx, get, del, t.Namespace, t.Name)
		if err != nil {
			// The engine goes on: if the release is pending, Helm's own error says so.
			o.progressf("could not check the Helm release %s for a pending revision: %v\n", t.Name, err)
			continue
		}
		if did != "" {
			o.progressf("%s\n", did)
		}
	}
}
