package program

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/orbos/orbos/components/boom/dashboards"
	"github.com/orbos/orbos/stacks"
)

// dashboardMaps lists the dashboards' ConfigMaps a plan has, sorted.
func dashboardMaps(plan map[string][]string) []string {
	var out []string
	for k := range plan {
		if name, ok := strings.CutPrefix(k, "kubernetes:core/v1:ConfigMap orbos-dashboard-"); ok {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// toolOff turns one of the example's tools off.
func toolOff(s, name string) string {
	return strings.Replace(s, "      "+name+":\n        enabled: true", "      "+name+":\n        enabled: false", 1)
}

// The example with every tool on ships every dashboard but Zitadel's into Grafana's namespace,
// labelled for its sidecar, after Grafana; a tool turned off takes its dashboard with it; Grafana
// turned off takes them all; orbos:zitadel on adds Zitadel's and its database's.
func TestDashboardsShipForTheEnabledTools(t *testing.T) {
	plan := boomPlan(t, func(s string) string { return s })
	if got, want := dashboardMaps(plan), []string{"argocd", "certificates", "gateway", "logs", "metrics", "nodes", "reconciler"}; !slices.Equal(got, want) {
		t.Errorf("dashboards %v, want %v", got, want)
	}
	inputs := strings.Join(plan["kubernetes:core/v1:ConfigMap orbos-dashboard-nodes"], "\n")
	for _, want := range []string{`metadata.namespace = "monitoring"`, `metadata.labels.` + dashboards.Label + ` = "` + dashboards.LabelValue + `"`, `metadata.labels.orbos.io/orb = "boom-demo"`, `data.nodes.json = "{`} {
		if !strings.Contains(inputs, want) {
			t.Errorf("the nodes' dashboard lacks %s:\n%.2000s", want, inputs)
		}
	}
	if _, ok := plan[dashboards.SetType+" dashboards"]; !ok {
		t.Error("no dashboards component")
	}

	noArgoCD := boomPlan(t, func(s string) string { return toolOff(s, "reconciling") })
	if got := dashboardMaps(noArgoCD); slices.Contains(got, "argocd") || !slices.Contains(got, "nodes") {
		t.Errorf("Argo CD off: dashboards %v", got)
	}
	noGrafana := boomPlan(t, func(s string) string { return toolOff(s, "dashboards") })
	if got := dashboardMaps(noGrafana); len(got) != 0 {
		t.Errorf("Grafana off: dashboards %v", got)
	}
	zitadel := boomPlan(t, func(s string) string {
		return strings.Replace(s, "  orbos:kubeconfig:", "  orbos:zitadel: {apiVersion: orbos.io/v1alpha1, enabled: true, externalDomain: id.example.com}\n  orbos:kubeconfig:", 1)
	})
	if got := dashboardMaps(zitadel); !slices.Contains(got, "zitadel") || !slices.Contains(got, "zitadel-database") {
		t.Errorf("Zitadel on: dashboards %v", got)
	}
}

// The dashboards come after Grafana (and so after its namespace).
func TestDashboardsComeAfterGrafana(t *testing.T) {
	raw, err := os.ReadFile("../../examples/boom/Pulumi.boom-demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := stacks.Parse("boom-demo", raw)
	if err != nil {
		t.Fatal(err)
	}
	m := planDeps(t, spec)
	nodes := "kubernetes:core/v1:ConfigMap orbos-dashboard-nodes"
	if _, ok := m.parents[nodes]; !ok {
		t.Fatalf("%s was not registered", nodes)
	}
	for _, first := range []string{"orbos:boom:Tool dashboards", "kubernetes:core/v1:Namespace boom-monitoring"} {
		if !m.before(first, nodes) {
			t.Errorf("the dashboards do not come after %s", first)
		}
	}
	if m.before(nodes, "orbos:boom:Tool dashboards") {
		t.Error("Grafana comes after its dashboards")
	}
}
