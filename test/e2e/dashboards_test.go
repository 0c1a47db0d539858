package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// orbos's dashboards on the real engine and kube-apiserver: after up, a ConfigMap per dashboard of
// the enabled tools in Grafana's namespace, labelled for its sidecar (whose label the Grafana
// stand-in chart shows it was given); a tool turned off takes its dashboards with it, and Grafana
// turned off takes them all. The tools are local charts: a stand-in for Grafana and the
// ServiceMonitor CRD for the metrics tool.
func TestDashboardsFollowTheTools(t *testing.T) {
	o := newORB(t, "dash")
	const ns = "boom-dash"
	o.pushChart("monitoring-crds", "boom: the metrics tool's CRDs", func(s string) string { return s })
	o.pushChart("grafana-stub", "boom: dashboards and metrics", func(s string) string {
		// The starter spec lists the metrics tool, off.
		return strings.Replace(s, "      metrics:\n        enabled: false\n        chart: {version: 88.5.3}\n", `      metrics:
        enabled: true
        chart: {repository: charts/monitoring-crds, name: monitoring-crds, version: 0.1.0}
        namespace: `+ns+`
      dashboards:
        enabled: true
        chart: {repository: charts/grafana-stub, name: grafana-stub, version: 0.1.0}
        namespace: `+ns+`
`, 1)
	})
	o.mustRun("up")
	code, sidecar := kube(t, "/api/v1/namespaces/"+ns+"/configmaps/dashboards-sidecar")
	if code != http.StatusOK {
		t.Fatalf("the Grafana stand-in: HTTP %d", code)
	}
	data := sidecar["data"].(map[string]any)
	label, value := data["label"].(string), data["labelValue"].(string)
	if label != "grafana_dashboard" || value != "1" {
		t.Fatalf("Grafana's sidecar looks for %s=%s", label, value)
	}
	dashboard := func(name string) string { return "/api/v1/namespaces/" + ns + "/configmaps/orbos-dashboard-" + name }
	for _, name := range []string{"reconciler", "nodes", "metrics"} {
		code, cm := kube(t, dashboard(name))
		if code != http.StatusOK {
			t.Fatalf("dashboard %s: HTTP %d", name, code)
		}
		labels := cm["metadata"].(map[string]any)["labels"].(map[string]any)
		if labels[label] != value {
			t.Errorf("dashboard %s is not labelled for the sidecar: %v", name, labels)
		}
		if json, _ := cm["data"].(map[string]any)[name+".json"].(string); !strings.Contains(json, `"uid":"orbos-`) {
			t.Errorf("dashboard %s holds %.200q", name, json)
		}
	}
	for _, name := range []string{"gateway", "logs", "zitadel"} {
		if code, _ := kube(t, dashboard(name)); code != http.StatusNotFound {
			t.Errorf("dashboard %s of a tool that is off: HTTP %d", name, code)
		}
	}
	o.mustRun("preview", "--expect-no-changes")

	// The metrics tool off: its dashboards go, the reconciler's stays.
	o.pushSpec("boom: metrics off", func(s string) string {
		return strings.Replace(s, "      metrics:\n        enabled: true", "      metrics:\n        enabled: false", 1)
	})
	o.mustRun("up")
	waitGone(t, dashboard("nodes"))
	waitGone(t, dashboard("metrics"))
	if code, _ := kube(t, dashboard("reconciler")); code != http.StatusOK {
		t.Fatalf("the reconciler's dashboard went with the metrics tool: HTTP %d", code)
	}

	// Grafana off: every dashboard goes.
	o.pushSpec("boom: dashboards off", func(s string) string {
		return strings.Replace(s, "      dashboards:\n        enabled: true", "      dashboards:\n        enabled: false", 1)
	})
	o.mustRun("up")
	waitGone(t, dashboard("reconciler"))
	for _, r := range o.stateResources() {
		if strings.Contains(r, "orbos-dashboard-") {
			t.Errorf("the state still holds %s", r)
		}
	}
	o.mustRun("destroy", "--yes")
}
