package program

import (
	"slices"
	"strings"
	"testing"

	"github.com/orbos/orbos/stacks"
)

func boomPlan(t *testing.T, edit func(string) string) map[string][]string {
	t.Helper()
	return examplePlan(t, "boom", edit)
}

// The example ORB with every tool on plans every tool's pinned chart, the namespaces they need but
// not the cluster's own, and nothing of a tool that is off.
func TestEveryToolOfTheExampleIsPlanned(t *testing.T) {
	plan := boomPlan(t, func(s string) string { return s })
	for _, name := range stacks.CatalogNames() {
		c := stacks.BoomCatalog[name]
		if _, ok := plan["orbos:boom:Tool "+name]; !ok {
			t.Errorf("no component for %s", name)
		}
		typ := "kubernetes:helm.sh/v4:Chart "
		if name == "gateway" {
			typ = "kubernetes:helm.sh/v3:Release "
		}
		inputs := strings.Join(plan[typ+name], "\n")
		if !strings.Contains(inputs, `version = "`+c.Chart.Version+`"`) || !strings.Contains(inputs, `namespace = "`+c.Namespace+`"`) {
			t.Errorf("%s is not its pinned chart in its namespace:\n%s", name, inputs)
		}
	}
	for _, ns := range []string{"cert-manager", "monitoring", "logging", "argocd", "envoy-gateway-system"} {
		if _, ok := plan["kubernetes:core/v1:Namespace boom-"+ns]; !ok {
			t.Errorf("no namespace %s", ns)
		}
	}
	if _, ok := plan["kubernetes:core/v1:Namespace boom-kube-system"]; ok {
		t.Error("orbos would own kube-system (metrics-server's namespace)")
	}
	for _, in := range plan["kubernetes:core/v1:Secret dashboards-dashboards-admin"] {
		if strings.HasPrefix(in, "stringData") && in != "stringData = [secret]" {
			t.Errorf("a generated secret in the plan: %s", in)
		}
	}
	metrics := strings.Join(plan["kubernetes:helm.sh/v4:Chart metrics"], "\n")
	for _, want := range []string{`values.prometheus.prometheusSpec.retention = "30d"`, `values.prometheus.prometheusSpec.nodeSelector.orbos.io/pool = "infra"`, `values.prometheus.prometheusSpec.resources.limits.memory = "4Gi"`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("the metrics chart lacks %s", want)
		}
	}

	off := boomPlan(t, func(s string) string {
		// The collector ships to Loki: it goes with it.
		s = strings.Replace(s, "      logs-collector:\n        enabled: true", "      logs-collector:\n        enabled: false", 1)
		return strings.Replace(s, "      logs:\n        enabled: true", "      logs:\n        enabled: false", 1)
	})
	for k := range off {
		if strings.HasSuffix(k, " logs") || strings.HasSuffix(k, " logs-crds") || strings.HasSuffix(k, " boom-logging") {
			t.Errorf("logs is off but %s is planned", k)
		}
	}
	if len(off) >= len(plan) {
		t.Errorf("turning logs off planned %d resources, with it %d", len(off), len(plan))
	}
}

// A cluster orbos makes gets BOOM's tools (and the footprint they live next to) without takeoff.
func TestMadeClusterGetsBoomWithoutTheReconciler(t *testing.T) {
	plan := planOf(t, "  orbos:boom: {apiVersion: orbos.io/v1alpha1, tools: {metrics-server: {enabled: true}}}\n")
	var got []string
	for k := range plan {
		if strings.HasPrefix(k, "orbos:boom:") || strings.HasPrefix(k, "kubernetes:helm.sh") {
			got = append(got, k)
		}
	}
	slices.Sort(got)
	want := []string{"kubernetes:helm.sh/v4:Chart metrics-server", "kubernetes:helm.sh/v4:Chart metrics-server-crds", "orbos:boom:Tool metrics-server"}
	if !slices.Equal(got, want) {
		t.Errorf("BOOM on a made cluster: %v, want %v", got, want)
	}
	if _, ok := plan["kubernetes:apps/v1:Deployment orbos-reconciler"]; ok {
		t.Error("the reconciler came without takeoff")
	}
}
