package boom

import (
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/stacks"
)

// Every exporter a dashboard reads is scraped when the metrics tool is on, and none is when it is
// off: a ServiceMonitor or PodMonitor is a custom resource of the metrics tool's CRDs, which a
// cluster without that tool lacks. Where a chart makes its monitors, its values switch them
// (scrapeValues); where it has none, the program makes them (Monitors). Every tool named here
// comes after the metrics tool (its profile's After).

// MonitoringAPI is the Prometheus operator's API group and version of its monitors.
const MonitoringAPI = "monitoring.coreos.com/v1"

// metricsOn says whether the metrics tool, and so the monitors' CRDs, is there.
func metricsOn(env Env) bool {
	_, ok := env.Enabled[stacks.MetricsTool]
	return ok
}

// scrapeValues are the values that turn a chart's own monitors on with the metrics tool and off
// without it; nil for a tool whose chart has none orbos uses.
func scrapeValues(name string, env Env) map[string]any {
	on := metricsOn(env)
	switch name {
	case stacks.LogsTool:
		// Loki's ServiceMonitor only: its rules, alerts and dashboards are the chart's
		// self-monitoring extras, written for the chart's distributed modes and its own Grafana
		// dashboards; orbos ships its own logs dashboard.
		return map[string]any{"monitoring": map[string]any{
			"serviceMonitor": map[string]any{"enabled": on},
			"rules":          map[string]any{"enabled": false},
			"alerts":         map[string]any{"enabled": false},
			"dashboards":     map[string]any{"enabled": false},
		}}
	case "reconciling":
		// The controller's argocd_app_* and Git requests, the repo server's Git requests, the
		// server's and the ApplicationSet controller's own: each a metrics Service and its
		// ServiceMonitor (argo-cd renders a monitor only with both on).
		v := map[string]any{}
		for _, c := range ArgoCDMetricsComponents {
			v[c] = map[string]any{"metrics": map[string]any{"enabled": on, "serviceMonitor": map[string]any{"enabled": on}}}
		}
		return v
	}
	return nil
}

// ArgoCDMetricsComponents are the argo-cd chart's components whose metrics are scraped.
var ArgoCDMetricsComponents = []string{"controller", "server", "repoServer", "applicationSet"}

// Monitor is a ServiceMonitor or PodMonitor the program makes for a tool whose chart has none.
type Monitor struct {
	Kind, Name string
	Spec       map[string]any
}

// Monitors are the monitors the program makes for a tool: none without the metrics tool.
func Monitors(t stacks.NamedTool, env Env) []Monitor {
	if !metricsOn(env) {
		return nil
	}
	switch t.Name {
	case "gateway":
		return gatewayMonitors(t)
	}
	return nil
}

// Envoy Gateway's chart (gateway-helm 1.9.0) makes no monitor. Its control plane serves /metrics
// on the port named metrics (19001) of its Service envoy-gateway, labelled control-plane:
// envoy-gateway and with the chart's selector labels (the chart's name, the release's); the Envoy
// proxies it deploys in its own namespace serve their stats at /stats/prometheus on the container
// port named metrics, labelled as every proxy of Envoy Gateway.
const (
	GatewayControlPlaneMonitor = "envoy-gateway"
	GatewayProxyMonitor        = "envoy-proxies"
)

func gatewayMonitors(t stacks.NamedTool) []Monitor {
	return []Monitor{
		{Kind: "ServiceMonitor", Name: GatewayControlPlaneMonitor, Spec: map[string]any{
			"selector": map[string]any{"matchLabels": map[string]any{
				"control-plane":              "envoy-gateway",
				"app.kubernetes.io/name":     t.Chart.Name,
				"app.kubernetes.io/instance": t.Name,
			}},
			"endpoints": []any{map[string]any{"port": "metrics", "path": "/metrics", "interval": "30s"}},
		}},
		{Kind: "PodMonitor", Name: GatewayProxyMonitor, Spec: map[string]any{
			"selector": map[string]any{"matchLabels": map[string]any{
				"app.kubernetes.io/name":       "envoy",
				"app.kubernetes.io/component":  "proxy",
				"app.kubernetes.io/managed-by": "envoy-gateway",
			}},
			"podMetricsEndpoints": []any{map[string]any{"port": "metrics", "path": "/stats/prometheus", "interval": "30s"}},
		}},
	}
}

// monitors makes a tool's monitors in its namespace, after its chart (their targets' Services and
// labels) and, through the tool's order, after the metrics tool's CRDs.
func monitors(ctx *pulumi.Context, args Args, chart pulumi.Resource, opts ...pulumi.ResourceOption) error {
	t := args.Tool
	for _, m := range Monitors(t, args.Env) {
		_, err := apiextensions.NewCustomResource(ctx, t.Name+"-"+m.Name, &apiextensions.CustomResourceArgs{
			ApiVersion: pulumi.String(MonitoringAPI), Kind: pulumi.String(m.Kind),
			Metadata: &metav1.ObjectMetaArgs{
				Name: pulumi.String(m.Name), Namespace: pulumi.String(t.Namespace), Labels: pulumi.ToStringMap(args.Labels),
				Annotations: pulumi.StringMap{patchForce: pulumi.String("true")},
			},
			OtherFields: kubernetes.UntypedArgs{"spec": m.Spec},
		}, append(opts, pulumi.DependsOn([]pulumi.Resource{chart}))...)
		if err != nil {
			return err
		}
	}
	return nil
}
