package program

import (
	"maps"
	"strings"
	"testing"

	"github.com/orbos/orbos/components/boom/dashboards"
)

const (
	serviceMonitorT = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor "
	podMonitorT     = "kubernetes:monitoring.coreos.com/v1:PodMonitor "
	chartT          = "kubernetes:helm.sh/v4:Chart "
	releaseT        = "kubernetes:helm.sh/v3:Release "
)

// scraped is how the plan shows that Prometheus scrapes an exporter: resources that must be
// planned, each with input lines it must carry, and input lines none of them may carry (a
// scrape kube-prometheus-stack does by default, unless its values turn it off).
type scraped struct {
	want    map[string][]string
	without map[string][]string
}

// scrapes maps every exporter a dashboard may read to its monitor in the plan.
var scrapes = map[string]scraped{
	"reconciler":         {want: map[string][]string{serviceMonitorT + ReconcilerName: {`spec.endpoints[0].port = "metrics"`}}},
	"prometheus":         {without: map[string][]string{chartT + "metrics": {`values.prometheus.enabled = false`, `values.prometheus.serviceMonitor.selfMonitor = false`}}},
	"alertmanager":       {without: map[string][]string{chartT + "metrics": {`values.alertmanager.enabled = false`, `values.alertmanager.serviceMonitor.selfMonitor = false`}}},
	"node-exporter":      {without: map[string][]string{chartT + "metrics": {`values.nodeExporter.enabled = false`}}},
	"kube-state-metrics": {without: map[string][]string{chartT + "metrics": {`values.kubeStateMetrics.enabled = false`}}},
	"cadvisor":           {without: map[string][]string{chartT + "metrics": {`values.kubelet.enabled = false`, `values.kubelet.serviceMonitor.cAdvisor = false`}}},
	"cert-manager":       {want: map[string][]string{serviceMonitorT + CertManagerMonitor: {`spec.selector.matchLabels.app.kubernetes.io/component = "controller"`}}},
	"loki":               {want: map[string][]string{chartT + "logs": {`values.monitoring.serviceMonitor.enabled = true`}}},
	"fluent-bit":         {want: map[string][]string{chartT + "logs-collector": {`values.serviceMonitor.enabled = true`}}},
	"argocd": {want: map[string][]string{chartT + "reconciling": {
		`values.controller.metrics.enabled = true`, `values.controller.metrics.serviceMonitor.enabled = true`,
		`values.repoServer.metrics.enabled = true`, `values.repoServer.metrics.serviceMonitor.enabled = true`,
	}}},
	"envoy": {want: map[string][]string{podMonitorT + "gateway-envoy-proxies": {
		`spec.podMetricsEndpoints[0].path = "/stats/prometheus"`, `spec.selector.matchLabels.app.kubernetes.io/component = "proxy"`,
	}}},
	"zitadel": {want: map[string][]string{releaseT + "zitadel": {`values.metrics.enabled = true`, `values.metrics.serviceMonitor.enabled = true`}}},
	"cloudnative-pg": {want: map[string][]string{
		podMonitorT + "zitadel-db-instances": {`spec.selector.matchLabels.cnpg.io/cluster = "zitadel-db"`, `spec.podMetricsEndpoints[0].port = "metrics"`},
		chartT + "cloudnative-pg":            {`values.monitoring.podMonitorEnabled = true`},
	}},
}

// metricsOnPlans plans the BOOM example (every tool, metrics on) with the reconciler, and the
// Zitadel example with the metrics tool added: together they hold every exporter a dashboard reads.
func metricsOnPlans(t *testing.T) map[string][]string {
	t.Helper()
	plan := examplePlan(t, "boom", func(s string) string {
		return s + "  orbos:reconciler: {apiVersion: orbos.io/v1alpha1, image: \"registry.local/orbos:v1\"}\n"
	})
	maps.Copy(plan, examplePlan(t, "zitadel", addMetricsTool(t)))
	return plan
}

func addMetricsTool(t *testing.T) func(string) string {
	return func(s string) string {
		const tools = "    tools:\n"
		if !strings.Contains(s, tools) {
			t.Fatal("the Zitadel example has no BOOM tools")
		}
		return strings.Replace(s, tools, tools+"      metrics:\n        enabled: true\n", 1)
	}
}

// Every metric a dashboard reads comes from an exporter that Prometheus scrapes when the metrics
// tool is on (the dashboards' own test holds each metric to its exporter): a monitor removed, or a
// chart's switch turned off, fails here.
func TestEveryDashboardsExportersAreScraped(t *testing.T) {
	plan := metricsOnPlans(t)
	for _, d := range dashboards.Catalog {
		for _, e := range d.Exporters {
			s, ok := scrapes[e]
			if !ok {
				t.Errorf("dashboard %s reads %s, which nothing here says is scraped", d.Name, e)
				continue
			}
			for res, lines := range s.want {
				in, ok := plan[res]
				if !ok {
					t.Errorf("dashboard %s: %s is not scraped: no %s", d.Name, e, res)
					continue
				}
				joined := strings.Join(in, "\n")
				for _, l := range lines {
					if !strings.Contains(joined, l) {
						t.Errorf("dashboard %s: %s is not scraped: %s lacks %s", d.Name, e, res, l)
					}
				}
			}
			for res, lines := range s.without {
				in, ok := plan[res]
				if !ok {
					t.Errorf("dashboard %s: %s is not scraped: no %s", d.Name, e, res)
					continue
				}
				joined := strings.Join(in, "\n")
				for _, l := range lines {
					if strings.Contains(joined, l) {
						t.Errorf("dashboard %s: %s is not scraped: %s has %s", d.Name, e, res, l)
					}
				}
			}
		}
	}
}

// Without the metrics tool nothing of the Prometheus operator's kinds is planned (a cluster
// without the tool lacks their CRDs) and every chart's monitor switch is off.
func TestNoMonitorWithoutTheMetricsTool(t *testing.T) {
	plan := examplePlan(t, "boom", func(s string) string {
		return strings.Replace(s, "      metrics:\n        enabled: true", "      metrics:\n        enabled: false", 1)
	})
	maps.Copy(plan, examplePlan(t, "zitadel", func(s string) string { return s }))
	for k := range plan {
		if strings.Contains(k, "monitoring.coreos.com") {
			t.Errorf("metrics is off but %s is planned", k)
		}
	}
	for res, line := range map[string]string{
		chartT + "logs":           `values.monitoring.serviceMonitor.enabled = false`,
		chartT + "logs-collector": `values.serviceMonitor.enabled = false`,
		chartT + "reconciling":    `values.controller.metrics.serviceMonitor.enabled = false`,
		releaseT + "zitadel":      `values.metrics.serviceMonitor.enabled = false`,
		chartT + "cloudnative-pg": `values.monitoring.podMonitorEnabled = false`,
	} {
		if !strings.Contains(strings.Join(plan[res], "\n"), line) {
			t.Errorf("%s lacks %s", res, line)
		}
	}
}
