// Package toolstatus reads back from the cluster whether BOOM's tools are ready: a Helm release's
// status for the tools installed as releases, and the rollout of every Deployment, StatefulSet and
// DaemonSet of each tool (found in orbos's state for rendered charts, in the release's manifest for
// releases).
package toolstatus

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/orbos/orbos/automation/record"
)

// Get reads an API path of the cluster: status code and body.
type Get func(ctx context.Context, path string) (int, []byte, error)

// Tool is what the status of one tool is read from.
type Tool struct {
	Name, Chart, Version, Namespace string
	// Release says the tool is a Helm release (its objects are not in orbos's state).
	Release bool
	// Workloads are the tool's workloads as orbos's state lists them (rendered charts).
	Workloads []Ref
}

// Ref names a workload.
type Ref struct{ Kind, Namespace, Name string }

func (r Ref) String() string { return r.Kind + " " + r.Namespace + "/" + r.Name }

var workloadKinds = map[string]string{"Deployment": "deployments", "StatefulSet": "statefulsets", "DaemonSet": "daemonsets"}

// toolType is components/boom's type token (automation does not import components).
const toolType = "orbos:boom:Tool"

// FromState lists each tool's workloads from a checkpoint: the Deployments, StatefulSets and
// DaemonSets that descend from the tool's component.
func FromState(cp *apitype.DeploymentV3, tool string) []Ref {
	if cp == nil {
		return nil
	}
	parent := map[string]string{}
	var root string
	for _, r := range cp.Resources {
		parent[string(r.URN)] = string(r.Parent)
		if string(r.Type) == toolType && r.URN.Name() == tool {
			root = string(r.URN)
		}
	}
	if root == "" {
		return nil
	}
	var out []Ref
	for _, r := range cp.Resources {
		typ := string(r.Type)
		if !strings.HasPrefix(typ, "kubernetes:apps/v1:") || workloadKinds[strings.TrimPrefix(typ, "kubernetes:apps/v1:")] == "" {
			continue
		}
		for p := string(r.Parent); p != ""; p = parent[p] {
			if p == root {
				ns, name, _ := strings.Cut(string(r.ID), "/")
				out = append(out, Ref{Kind: strings.TrimPrefix(typ, "kubernetes:apps/v1:"), Namespace: ns, Name: name})
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// Read reads every tool's status. A tool whose objects cannot be read is "unknown", with why.
func Read(ctx context.Context, get Get, tools []Tool) []record.ToolStatus {
	out := make([]record.ToolStatus, 0, len(tools))
	for _, t := range tools {
		out = append(out, readOne(ctx, get, t))
	}
	return out
}

func readOne(ctx context.Context, get Get, t Tool) record.ToolStatus {
	s := record.ToolStatus{Name: t.Name, Chart: t.Chart, Version: t.Version, Namespace: t.Namespace}
	refs := t.Workloads
	if t.Release {
		rel, err := latestRelease(ctx, get, t.Namespace, t.Name)
		if err != nil {
			s.Status, s.Detail = "unknown", err.Error()
			return s
		}
		s.Release = rel.status
		if rel.status == "" {
			s.Status, s.Detail = "failed", "no Helm release "+t.Name+" in "+t.Namespace
			return s
		}
		refs = rel.workloads
	}
	var notReady []string
	for _, r := range refs {
		ready, why, err := rolledOut(ctx, get, r)
		if err != nil {
			s.Status, s.Detail = "unknown", err.Error()
			return s
		}
		s.Workloads++
		if ready {
			s.Ready++
		} else {
			notReady = append(notReady, r.String()+": "+why)
		}
	}
	switch {
	case s.Release == "failed" || s.Release == "superseded" || s.Release == "uninstalled":
		s.Status, s.Detail = "failed", "the Helm release is "+s.Release
	case strings.HasPrefix(s.Release, "pending-") || s.Release == "uninstalling":
		s.Status, s.Detail = "progressing", "the Helm release is "+s.Release
	case len(notReady) > 0:
		s.Status, s.Detail = "progressing", strings.Join(notReady, "; ")
	default:
		s.Status = "ready"
	}
	return s
}

// rolledOut says whether a workload's current generation runs everywhere it should.
func rolledOut(ctx context.Context, get Get, r Ref) (bool, string, error) {
	path := fmt.Sprintf("/apis/apps/v1/namespaces/%s/%s/%s", url.PathEscape(r.Namespace), workloadKinds[r.Kind], url.PathEscape(r.Name))
	var w workload
	code, err := getJSON(ctx, get, path, &w)
	if err != nil {
		return false, "", fmt.Errorf("reading %s: %w", r, err)
	}
	if code == http.StatusNotFound {
		return false, "missing", nil
	}
	ready, why := w.ready(r.Kind)
	return ready, why, nil
}

type workload struct {
	Metadata struct {
		Generation int64 `json:"generation"`
	} `json:"metadata"`
	Spec struct {
		Replicas *int64 `json:"replicas"`
	} `json:"spec"`
	Status struct {
		ObservedGeneration     int64 `json:"observedGeneration"`
		Replicas               int64 `json:"replicas"`
		ReadyReplicas          int64 `json:"readyReplicas"`
		UpdatedReplicas        int64 `json:"updatedReplicas"`
		AvailableReplicas      int64 `json:"availableReplicas"`
		DesiredNumberScheduled int64 `json:"desiredNumberScheduled"`
		NumberReady            int64 `json:"numberReady"`
		UpdatedNumberScheduled int64 `json:"updatedNumberScheduled"`
		NumberAvailable        int64 `json:"numberAvailable"`
	} `json:"status"`
}

// ready applies kubectl rollout status's rules.
func (w workload) ready(kind string) (bool, string) {
	st := w.Status
	if st.ObservedGeneration < w.Metadata.Generation {
		return false, "its controller has not seen the latest change"
	}
	want := int64(1)
	if w.Spec.Replicas != nil {
		want = *w.Spec.Replicas
	}
	switch kind {
	case "DaemonSet":
		if st.UpdatedNumberScheduled < st.DesiredNumberScheduled || st.NumberAvailable < st.DesiredNumberScheduled {
			return false, fmt.Sprintf("%d of %d pods updated and available", min(st.UpdatedNumberScheduled, st.NumberAvailable), st.DesiredNumberScheduled)
		}
	case "StatefulSet":
		if st.UpdatedReplicas < want || st.ReadyReplicas < want {
			return false, fmt.Sprintf("%d of %d replicas updated and ready", min(st.UpdatedReplicas, st.ReadyReplicas), want)
		}
	default:
		if st.UpdatedReplicas < want || st.AvailableReplicas < want || st.Replicas > st.UpdatedReplicas {
			return false, fmt.Sprintf("%d of %d replicas updated and available", min(st.UpdatedReplicas, st.AvailableReplicas), want)
		}
	}
	return true, ""
}
