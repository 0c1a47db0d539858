// Package sizing recommends cluster sizes from what an ORB's repository records: the nodes the last
// run found joined (status/<orb>.yaml) against the spec's pools and the BOOM tools it runs. Each
// recommendation names the form fields whose values propose it, so that MISSION offers it as an edit
// (a reviewed commit), never as a change of its own.
package sizing

import (
	"fmt"

	"github.com/orbos/orbos/automation/record"
	"github.com/orbos/orbos/stacks"
)

// Recommendation is one size change worth proposing.
type Recommendation struct {
	Title, Reason string
	// Fields are the edit form's fields and values that propose it (config keys);
	// empty when the provider's pools are not editable in MISSION.
	Fields []Field
}

// ControlPlaneNodes is the config key of the control plane's node count.
const ControlPlaneNodes = stacks.KeyOrbiter + ".kubernetes.controlPlane.nodes"

// PoolCount is the config key of a GCE pool's machine count.
func PoolCount(pool string) string {
	return stacks.KeyOrbiter + ".providers.gce.pools." + pool + ".count"
}

// Field is one edit form field (a config key, as the form generated from the schema names it) with
// the value proposed.
type Field struct {
	Name  string
	Value int
}

// Roles of nodes as the provider records them.
const (
	roleInit         = "init"
	roleControlPlane = "controlplane"
	roleWorker       = "worker"
)

// MinWorkersWithTools is the worker count below which BOOM's tools have nowhere to go when a worker
// is drained for an upgrade.
const MinWorkersWithTools = 2

// Recommend reads the spec and the status; nil when either is missing or nothing is worth proposing.
func Recommend(sp *stacks.Spec, st *record.Status) []Recommendation {
	if sp == nil || st == nil {
		return nil
	}
	var control, workers int
	for _, n := range st.Nodes {
		if !n.Joined {
			continue
		}
		switch n.Role {
		case roleInit, roleControlPlane:
			control++
		case roleWorker:
			workers++
		}
	}
	pools := poolCounts(sp)
	k := sp.Kubernetes()
	var out []Recommendation
	if cp := k.ControlPlane; cp != nil && cp.Nodes == 1 && control == 1 && workers >= MinWorkersWithTools {
		r := Recommendation{Title: "3 control-plane nodes",
			Reason: fmt.Sprintf("%d workers depend on one control plane: the API is down while it is upgraded or fails; three tolerate one failure (etcd quorum)", workers)}
		if n, ok := pools[cp.Pool]; ok {
			r.Fields = []Field{{ControlPlaneNodes, 3}, {PoolCount(cp.Pool), max(n, 3)}}
		}
		out = append(out, r)
	}
	if tools := len(sp.Tools()); tools > 0 && workers < MinWorkersWithTools && len(k.Workers) > 0 {
		pool := k.Workers[0].Pool
		r := Recommendation{Title: fmt.Sprintf("%d workers in pool %s", MinWorkersWithTools, pool),
			Reason: fmt.Sprintf("%d BOOM tools run on %d joined worker(s): draining one for an upgrade leaves them nowhere to go", tools, workers)}
		if n, ok := pools[pool]; ok {
			r.Fields = []Field{{PoolCount(pool), n + MinWorkersWithTools - workers}}
		}
		out = append(out, r)
	}
	return out
}

// poolCounts are the machine counts of the pools MISSION's form edits (GCE's), by pool.
func poolCounts(sp *stacks.Spec) map[string]int {
	out := map[string]int{}
	if p := sp.File.Config.Orbiter.Providers; p != nil && p.GCE != nil {
		for name, pool := range p.GCE.Pools {
			out[name] = pool.Count
		}
	}
	return out
}
