package boom

import "github.com/orbos/orbos/stacks"

// systemdExporter is prometheus-community's prometheus-systemd-exporter: a DaemonSet on every node,
// control planes and other tainted nodes too, reporting the systemd units orbos's nodes run.
var systemdExporter = profile{
	Defaults: func(_ stacks.NamedTool, env Env) map[string]any {
		_, metrics := env.Enabled[stacks.MetricsTool]
		return map[string]any{
			"fullnameOverride": "systemd-exporter",
			// Every taint, the control planes' node-role.kubernetes.io/control-plane among them:
			// a node whose kubelet fails is the one to hear about.
			"tolerations": []any{map[string]any{"operator": "Exists"}},
			"config": map[string]any{"systemd": map[string]any{"collector": map[string]any{
				// Regular expressions (joined with '|'): what kubeadm nodes and orbos's load
				// balancers run; the chart's default watches docker, which they do not.
				"unitInclude": []any{`kubelet\.service`, `containerd\.service`, `haproxy\.service`, `keepalived\.service`, `ssh\.service`},
			}}},
			"resources": map[string]any{
				"requests": map[string]any{"cpu": "10m", "memory": "32Mi"},
				"limits":   map[string]any{"memory": "64Mi"},
			},
			// The metrics tool's Prometheus scrapes it and alerts on failed units, through the
			// operator's CRDs, which exist only with the metrics tool.
			"prometheus": map[string]any{
				"monitor": map[string]any{"enabled": metrics},
				"rules":   map[string]any{"enabled": metrics},
			},
		}
	},
	Placement: []string{""},
	Registry:  map[string]string{"global.imageRegistry": ""},
	// Its ServiceMonitor and PrometheusRule need the metrics tool's CRDs.
	After: []string{stacks.MetricsTool},
}
