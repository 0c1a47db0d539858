package automation

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"

	"github.com/orbos/orbos/components/boom/prepost"
	"github.com/orbos/orbos/stacks"
)

// runtime tells the program what this run knows beyond the spec: the checkout (BOOM's local charts
// are there), this executable (Helm calls it back to filter rendered charts) and, for an existing
// cluster with BOOM's tools or manifests, whether it has any node to run their pods.
func (o *Orb) runtime(ctx context.Context, spec *stacks.Spec) {
	spec.Runtime.RepoDir = o.Checkout()
	if exe, err := os.Executable(); err == nil {
		spec.Runtime.Orbctl = exe
	}
	// A cluster orbos makes has nodes by the time the tools are applied: its kubeconfig comes from
	// the control plane the run made.
	if (len(spec.Tools()) == 0 && !o.hasManifests()) || !spec.File.Config.Kubeconfig.IsSet() {
		return
	}
	spec.Runtime.NoNodes = o.clusterHasNoNodes(ctx, spec)
	if spec.Runtime.NoNodes {
		o.progressf("the cluster has no nodes: BOOM's tools are applied without waiting for their pods to become ready\n")
	}
}

// hasManifests says whether the checkout has BOOM's preApply/ or postApply/ (whose workloads would
// never become ready without nodes either).
func (o *Orb) hasManifests() bool {
	for _, dir := range []string{prepost.PreApply, prepost.PostApply} {
		if _, err := os.Stat(filepath.Join(o.Checkout(), dir)); err == nil {
			return true
		}
	}
	return false
}

// clusterHasNoNodes asks the cluster for one node. Any doubt (unreachable, forbidden) counts as
// nodes: the engine then waits for readiness, as it should on a real cluster.
func (o *Orb) clusterHasNoNodes(ctx context.Context, spec *stacks.Spec) bool {
	kubeconfig, err := o.clusterKubeconfig(ctx, spec)
	if err != nil {
		return false
	}
	client, err := newKubeClient(kubeconfig)
	if err != nil {
		return false
	}
	code, body, err := client.do(ctx, http.MethodGet, "/api/v1/nodes?limit=1", nil)
	if err != nil || code != http.StatusOK {
		return false
	}
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	return json.Unmarshal(body, &list) == nil && len(list.Items) == 0
}
