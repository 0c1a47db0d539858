package boom

import (
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/orbos/orbos/stacks"
)

var (
	withMetrics    = Env{Enabled: map[string]string{"metrics": "monitoring", "logs": "logging"}}
	withoutMetrics = Env{Enabled: map[string]string{"logs": "logging"}}
)

// The charts' own monitors: on with the metrics tool, explicitly off without it (the chart's
// ServiceMonitor is a kind a cluster without the metrics tool's CRDs rejects); Loki's extras off
// either way.
func TestChartsMonitorsFollowTheMetricsTool(t *testing.T) {
	switches := map[string][]string{
		"logs": {"monitoring.serviceMonitor.enabled"},
	}
	for _, c := range ArgoCDMetricsComponents {
		switches["reconciling"] = append(switches["reconciling"], c+".metrics.enabled", c+".metrics.serviceMonitor.enabled")
	}
	for tool, paths := range switches {
		on, off := Values(catalogTool(tool), withMetrics), Values(catalogTool(tool), withoutMetrics)
		for _, p := range paths {
			if lookup(on, p) != true {
				t.Errorf("%s: %s = %v with the metrics tool, want true", tool, p, lookup(on, p))
			}
			if lookup(off, p) != false {
				t.Errorf("%s: %s = %v without the metrics tool, want false", tool, p, lookup(off, p))
			}
		}
	}
	logs := Values(catalogTool("logs"), withMetrics)
	for _, p := range []string{"monitoring.rules.enabled", "monitoring.alerts.enabled", "monitoring.dashboards.enabled"} {
		if lookup(logs, p) != false {
			t.Errorf("logs: %s = %v, want false (self-monitoring extras)", p, lookup(logs, p))
		}
	}
	// The spec's own values still win.
	tool := catalogTool("logs")
	tool.Values = stacks.Values{"monitoring": map[string]any{"serviceMonitor": map[string]any{"interval": "1m"}}}
	if v := Values(tool, withMetrics); lookup(v, "monitoring.serviceMonitor.interval") != "1m" || lookup(v, "monitoring.serviceMonitor.enabled") != true {
		t.Errorf("the spec's values and the monitor: %v", lookup(v, "monitoring.serviceMonitor"))
	}
}

// Envoy Gateway's chart has no monitor: with the metrics tool the program makes a ServiceMonitor
// of the control plane's Service and a PodMonitor of the proxies, by the labels and port names
// gateway-helm 1.9.0 and its proxies carry, in the tool's namespace after its release.
func TestGatewayMonitors(t *testing.T) {
	gw := catalogTool("gateway")
	if got := Monitors(gw, withoutMetrics); got != nil {
		t.Errorf("monitors without the metrics tool: %v", got)
	}
	m, err := install(t, []stacks.NamedTool{gw}, withMetrics, "", "")
	if err != nil {
		t.Fatal(err)
	}
	const smT, pmT = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor", "kubernetes:monitoring.coreos.com/v1:PodMonitor"
	cp := m.get(t, smT, "gateway-"+GatewayControlPlaneMonitor)
	for path, want := range map[string]string{
		"metadata.namespace":                                   "envoy-gateway-system",
		"spec.selector.matchLabels.control-plane":              "envoy-gateway",
		"spec.selector.matchLabels.app.kubernetes.io/name":     "gateway-helm",
		"spec.selector.matchLabels.app.kubernetes.io/instance": "gateway",
	} {
		if got := str(atKeys(cp, path)); got != want {
			t.Errorf("control plane's ServiceMonitor: %s = %s, want %s", path, got, want)
		}
	}
	if got := str(at(cp.inputs, "spec.endpoints")); got != `[{"interval":"30s","path":"/metrics","port":"metrics"}]` {
		t.Errorf("control plane's endpoints %s", got)
	}
	proxies := m.get(t, pmT, "gateway-"+GatewayProxyMonitor)
	for path, want := range map[string]string{
		"metadata.namespace": "envoy-gateway-system",
		"spec.selector.matchLabels.app.kubernetes.io/name":       "envoy",
		"spec.selector.matchLabels.app.kubernetes.io/component":  "proxy",
		"spec.selector.matchLabels.app.kubernetes.io/managed-by": "envoy-gateway",
	} {
		if got := str(atKeys(proxies, path)); got != want {
			t.Errorf("proxies' PodMonitor: %s = %s, want %s", path, got, want)
		}
	}
	if got := str(at(proxies.inputs, "spec.podMetricsEndpoints")); got != `[{"interval":"30s","path":"/stats/prometheus","port":"metrics"}]` {
		t.Errorf("proxies' endpoints %s", got)
	}
	release := m.get(t, releaseType, "gateway")
	for _, mon := range []registered{cp, proxies} {
		if !dependsOn(mon, release) {
			t.Errorf("%s does not come after the gateway's release: %v", mon.name, mon.deps)
		}
	}
	off, err := install(t, []stacks.NamedTool{gw}, withoutMetrics, "", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range off.all {
		if r.typ == smT || r.typ == pmT {
			t.Errorf("without the metrics tool: %s %s", r.typ, r.name)
		}
	}
}

// atKeys reads a path whose last key may hold dots (a label name): the rest after
// spec.selector.matchLabels. or metadata. is one key.
func atKeys(r registered, path string) resource.PropertyValue {
	for _, prefix := range []string{"spec.selector.matchLabels.", "metadata."} {
		if rest, ok := strings.CutPrefix(path, prefix); ok {
			if m := at(r.inputs, strings.TrimSuffix(prefix, ".")); m.IsObject() {
				return m.ObjectValue()[resource.PropertyKey(rest)]
			}
			return resource.NewNullProperty()
		}
	}
	return at(r.inputs, path)
}

// Every tool whose monitors need the metrics tool's CRDs comes after it.
func TestScrapedToolsComeAfterTheMetricsTool(t *testing.T) {
	names := []string{"gateway", "logs", "reconciling", stacks.CollectorTool, "metrics", "certificates"}
	var tools []stacks.NamedTool
	for _, n := range names {
		tools = append(tools, catalogTool(n))
	}
	_, after := Order(tools)
	for _, n := range []string{"gateway", "logs", "reconciling", stacks.CollectorTool} {
		if !slices.Contains(after[n], "metrics") {
			t.Errorf("%s comes after %v, not after the metrics tool", n, after[n])
		}
	}
}
