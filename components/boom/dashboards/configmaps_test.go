package dashboards

import (
	"encoding/json"
	"slices"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func names(ds []Dashboard) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Name)
	}
	return out
}

// Dashboards ship only with Grafana, each only when the tools it shows are on, Zitadel's only
// when orbos:zitadel is.
func TestSelectShipsOnlyForEnabledParts(t *testing.T) {
	all := map[string]string{}
	for _, d := range Catalog {
		for _, tool := range d.Tools {
			all[tool] = "ns"
		}
	}
	all[Tool] = "monitoring"
	if got := names(Select(all, true)); len(got) != len(Catalog) {
		t.Errorf("everything on: %v", got)
	}
	for _, c := range []struct {
		name    string
		enabled []string
		zitadel bool
		want    []string
	}{
		{"no Grafana", []string{"metrics", "logs", "gateway"}, true, nil},
		{"Grafana alone", []string{Tool}, false, []string{"reconciler"}},
		{"metrics", []string{Tool, "metrics"}, false, []string{"reconciler", "nodes", "metrics"}},
		{"gateway without metrics", []string{Tool, "gateway"}, false, []string{"reconciler"}},
		{"logs and Argo CD", []string{Tool, "metrics", "logs", "reconciling"}, false, []string{"reconciler", "nodes", "metrics", "logs", "argocd"}},
		{"Zitadel", []string{Tool, "metrics"}, true, []string{"reconciler", "nodes", "metrics", "zitadel", "zitadel-database"}},
	} {
		enabled := map[string]string{}
		for _, e := range c.enabled {
			enabled[e] = "ns"
		}
		if got := names(Select(enabled, c.zitadel)); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

type mocks struct {
	mu  sync.Mutex
	all []pulumi.MockResourceArgs
}

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.all = append(m.all, args)
	return args.Name + "-id", args.Inputs, nil
}

func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) { return args.Args, nil }

// Each dashboard is a ConfigMap in the given namespace with the sidecar's label, the ORB's labels
// and the dashboard's JSON under <name>.json.
func TestConfigMapsCarryTheSidecarsLabel(t *testing.T) {
	m := &mocks{}
	list := Select(map[string]string{Tool: "monitoring", "metrics": "monitoring"}, false)
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := New(ctx, "dashboards", Args{Dashboards: list, Namespace: "observability", Labels: map[string]string{"orbos.io/orb": "demo"}})
		return err
	}, pulumi.WithMocks("orbos", "test", m))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range m.all {
		if r.TypeToken != "kubernetes:core/v1:ConfigMap" {
			continue
		}
		got = append(got, r.Name)
		meta := r.Inputs["metadata"].ObjectValue()
		labels := meta["labels"].ObjectValue()
		if meta["namespace"].StringValue() != "observability" || labels[Label].StringValue() != LabelValue || labels["orbos.io/orb"].StringValue() != "demo" {
			t.Errorf("%s: metadata %v", r.Name, meta)
		}
		data := r.Inputs["data"].ObjectValue()
		if len(data) != 1 {
			t.Errorf("%s: data keys %v", r.Name, data)
		}
		for k, v := range data {
			var b board
			if err := json.Unmarshal([]byte(v.StringValue()), &b); err != nil || "orbos-dashboard-"+string(k[:len(k)-len(".json")]) != r.Name || b.UID == "" {
				t.Errorf("%s: key %s, JSON %v", r.Name, k, err)
			}
		}
	}
	// The mock engine registers resources concurrently: the set is what counts, not its order.
	want := []string{"orbos-dashboard-metrics", "orbos-dashboard-nodes", "orbos-dashboard-reconciler"}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("ConfigMaps %v, want %v", got, want)
	}
}
