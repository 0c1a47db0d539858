package boom

import (
	"fmt"

	"github.com/orbos/orbos/stacks"
)

// The log collector is Fluent Bit (chart fluent-bit 0.58.1) rather than Grafana Alloy: it runs on
// every node, control planes included, so its footprint counts many times over, and Fluent Bit is
// one small C process with bounded buffers where Alloy is a Go runtime around a programmable
// pipeline; its classic configuration is a fixed list of sections without expressions, which orbos
// renders from the spec's facts alone and checks against a golden file; its built-in loki output
// takes stream labels straight from the record (kubernetes filter) and the environment (the node).

// collectorNode is the environment variable the DaemonSet sets to the node's name: the journal's
// records carry a host name, which need not be the Kubernetes node's name.
const collectorNode = "NODE_NAME"

// lokiPort is the logs tool's Loki HTTP port (the loki chart's default; its Service is named
// "loki" by the logs profile's fullnameOverride).
const lokiPort = 3100

// collectorConfig is the collector's configuration: the sections of the fluent-bit chart's
// config values.
type collectorConfig struct {
	Service, Inputs, Filters, Outputs string
}

// The pods' logs: every container log file the kubelet writes, in the CRI or Docker format, with
// the pod's namespace, name and container from the kubernetes filter; the node's kubelet and
// container runtime from the systemd journal (persistent journals under /var/log/journal, which the
// chart mounts with /var/log). Read positions live in /var/log so that a restarted collector
// neither loses nor repeats lines. Retries never give up: the tail input pauses at its memory
// limit instead, so an unavailable Loki delays logs rather than dropping them.
const (
	collectorService = `[SERVICE]
    Daemon Off
    Flush 1
    Log_Level info
    Parsers_File /fluent-bit/etc/parsers.conf
    HTTP_Server On
    HTTP_Listen 0.0.0.0
    HTTP_Port 2020
    Health_Check On
`
	collectorInputs = `[INPUT]
    Name tail
    Tag kube.*
    Path /var/log/containers/*.log
    multiline.parser cri, docker
    DB /var/log/orbos-fluent-bit-containers.db
    Mem_Buf_Limit 16MB
    Skip_Long_Lines On
    Refresh_Interval 10

[INPUT]
    Name systemd
    Tag node.*
    Path /var/log/journal
    Systemd_Filter _SYSTEMD_UNIT=kubelet.service
    Systemd_Filter _SYSTEMD_UNIT=containerd.service
    Strip_Underscores On
    Read_From_Tail On
    DB /var/log/orbos-fluent-bit-journal.db
`
	collectorFilters = `[FILTER]
    Name kubernetes
    Match kube.*
    Kube_Tag_Prefix kube.var.log.containers.
    Merge_Log On
    Keep_Log Off
    K8S-Logging.Parser On
    K8S-Logging.Exclude On
    Labels Off
    Annotations Off
`
	// Stream labels: namespace, pod, container and node for the pods' logs; node and systemd
	// unit for the journal's. Fluent Bit fills ${NODE_NAME} from the environment and
	// $kubernetes['...'] from each record.
	collectorOutputs = `[OUTPUT]
    Name loki
    Match kube.*
    Host %[1]s
    Port %[2]d
    Labels job=pods, node=${%[3]s}, namespace=$kubernetes['namespace_name'], pod=$kubernetes['pod_name'], container=$kubernetes['container_name']
    Remove_Keys kubernetes
    Line_Format json
    Retry_Limit no_limits

[OUTPUT]
    Name loki
    Match node.*
    Host %[1]s
    Port %[2]d
    Labels job=node, node=${%[3]s}, unit=$SYSTEMD_UNIT
    Line_Format json
    Retry_Limit no_limits
`
)

// renderCollector renders the collector's configuration for the Loki of the logs tool in
// namespace lokiNamespace (a DNS label, validated with the spec).
func renderCollector(lokiNamespace string) collectorConfig {
	return collectorConfig{
		Service: collectorService,
		Inputs:  collectorInputs,
		Filters: collectorFilters,
		Outputs: fmt.Sprintf(collectorOutputs, lokiHost(lokiNamespace), lokiPort, collectorNode),
	}
}

// lokiHost is the in-cluster DNS name of the logs tool's Loki.
func lokiHost(namespace string) string { return fmt.Sprintf("loki.%s.svc", namespace) }

// collectorValues are the collector's production defaults: a DaemonSet on every node, tolerating
// every NoSchedule taint (control planes included), at node-critical priority, with the
// configuration above; Prometheus scrapes it when the metrics tool is on.
func collectorValues(_ stacks.NamedTool, env Env) map[string]any {
	// The spec refuses the collector without the logs tool; a plan that still lacks it ships to
	// the logs tool's default namespace rather than nowhere.
	ns, ok := env.Enabled[stacks.LogsTool]
	if !ok {
		ns = stacks.BoomCatalog[stacks.LogsTool].Namespace
	}
	cfg := renderCollector(ns)
	_, metrics := env.Enabled["metrics"]
	return map[string]any{
		"kind":              "DaemonSet",
		"priorityClassName": "system-node-critical",
		"tolerations":       []any{map[string]any{"operator": "Exists", "effect": "NoSchedule"}},
		"env": []any{map[string]any{"name": collectorNode, "valueFrom": map[string]any{
			"fieldRef": map[string]any{"fieldPath": "spec.nodeName"},
		}}},
		"resources": map[string]any{
			"requests": map[string]any{"cpu": "50m", "memory": "64Mi"},
			"limits":   map[string]any{"memory": "256Mi"},
		},
		"config": map[string]any{
			"service": cfg.Service, "inputs": cfg.Inputs, "filters": cfg.Filters, "outputs": cfg.Outputs,
		},
		"serviceMonitor": map[string]any{"enabled": metrics},
		// The chart's test pod is a Helm test, never part of an install.
		"testFramework": map[string]any{"enabled": false},
	}
}

var collector = profile{
	Defaults:  collectorValues,
	Placement: []string{""},
	Registry:  map[string]string{"image.repository": "fluent/fluent-bit"},
	// Its ServiceMonitor needs the metrics tool's CRDs; it ships to Loki.
	After: []string{stacks.LogsTool, "metrics"},
}
