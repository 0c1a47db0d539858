package boom

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/orbos/orbos/internal/golden"
	"github.com/orbos/orbos/stacks"
)

// The collector's configuration as orbos renders it, for a Loki in the logs tool's default
// namespace.
func TestCollectorConfig(t *testing.T) {
	cfg := renderCollector("logging")
	golden.Assert(t, "collector-fluent-bit.conf", cfg.Service+"\n"+cfg.Inputs+"\n"+cfg.Filters+"\n"+cfg.Outputs)
}

// The collector ships to the Loki of the logs tool wherever the spec put it, with the stream labels
// namespace, pod, container and node.
func TestCollectorShipsToTheLogsToolsLoki(t *testing.T) {
	v := Values(catalogTool(stacks.CollectorTool), Env{Enabled: map[string]string{"logs": "observability"}})
	outputs, _ := lookup(v, "config.outputs").(string)
	if n := strings.Count(outputs, "Host loki.observability.svc\n    Port 3100\n"); n != 2 {
		t.Errorf("%d outputs to the logs tool's Loki in observability, want 2:\n%s", n, outputs)
	}
	if strings.Contains(outputs, "logging") {
		t.Errorf("an output still names the default namespace:\n%s", outputs)
	}
	var pods string
	for _, section := range strings.Split(outputs, "[OUTPUT]") {
		if strings.Contains(section, "Match kube.*") {
			pods = section
		}
	}
	for _, label := range []string{"namespace=$kubernetes['namespace_name']", "pod=$kubernetes['pod_name']", "container=$kubernetes['container_name']", "node=${NODE_NAME}"} {
		if !strings.Contains(pods, label) {
			t.Errorf("the pods' output lacks the label %s:\n%s", label, pods)
		}
	}
	// The node name the labels use is the one the DaemonSet's pod runs on.
	env, _ := json.Marshal(lookup(v, "env"))
	if !strings.Contains(string(env), `"name":"NODE_NAME","valueFrom":{"fieldRef":{"fieldPath":"spec.nodeName"}}`) {
		t.Errorf("NODE_NAME is not the pod's node: %s", env)
	}
	inputs, _ := lookup(v, "config.inputs").(string)
	for _, want := range []string{"Path /var/log/containers/*.log", "Name systemd", "_SYSTEMD_UNIT=kubelet.service"} {
		if !strings.Contains(inputs, want) {
			t.Errorf("the inputs lack %s:\n%s", want, inputs)
		}
	}
}

// A DaemonSet on every node, control planes included; scraped by Prometheus only when the metrics
// tool (and so the ServiceMonitor CRD) is there; the spec's placement and mirror still apply.
func TestCollectorDefaults(t *testing.T) {
	v := Values(catalogTool(stacks.CollectorTool), Env{Enabled: map[string]string{"logs": "logging"}})
	for path, want := range map[string]any{"kind": "DaemonSet", "priorityClassName": "system-node-critical", "serviceMonitor.enabled": false, "testFramework.enabled": false} {
		if got := lookup(v, path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	tols, _ := json.Marshal(lookup(v, "tolerations"))
	// Without a key, operator Exists tolerates every NoSchedule taint, the control plane's too.
	if string(tols) != `[{"effect":"NoSchedule","operator":"Exists"}]` {
		t.Errorf("tolerations %s", tols)
	}
	if lookup(v, "resources.limits.memory") == nil {
		t.Error("the collector has no memory limit")
	}
	withMetrics := Values(catalogTool(stacks.CollectorTool), Env{Enabled: map[string]string{"logs": "logging", "metrics": "monitoring"}})
	if lookup(withMetrics, "serviceMonitor.enabled") != true {
		t.Error("the metrics tool is on but the collector is not scraped")
	}

	tool := catalogTool(stacks.CollectorTool)
	tool.Tolerations = []stacks.Toleration{{Key: "orbos.io/edge", Operator: "Exists", Effect: "NoExecute"}}
	tool.NodeSelector = map[string]string{"kubernetes.io/os": "linux"}
	placed := Values(tool, Env{ImageRegistry: "registry.local:5000/mirror"})
	tols, _ = json.Marshal(lookup(placed, "tolerations"))
	sel, _ := lookup(placed, "nodeSelector").(map[string]any)
	if string(tols) != `[{"effect":"NoExecute","key":"orbos.io/edge","operator":"Exists"}]` || sel["kubernetes.io/os"] != "linux" {
		t.Errorf("the spec's placement: tolerations %s, nodeSelector %v", tols, lookup(placed, "nodeSelector"))
	}
	if got := lookup(placed, "image.repository"); got != "registry.local:5000/mirror/fluent/fluent-bit" {
		t.Errorf("image behind the mirror: %v", got)
	}
	// Without the logs tool (which the spec refuses) a plan still names the default Loki.
	alone, _ := lookup(Values(catalogTool(stacks.CollectorTool), Env{}), "config.outputs").(string)
	if !strings.Contains(alone, "Host loki.logging.svc") {
		t.Errorf("outputs without the logs tool:\n%s", alone)
	}
}

// The collector comes after Loki and after the metrics tool whose CRD its ServiceMonitor is.
func TestCollectorComesAfterLokiAndMetrics(t *testing.T) {
	ordered, after := Order([]stacks.NamedTool{catalogTool(stacks.CollectorTool), catalogTool("metrics"), catalogTool("logs")})
	if ordered[len(ordered)-1].Name != stacks.CollectorTool {
		t.Errorf("order %v", ordered)
	}
	if got := after[stacks.CollectorTool]; !slices.Equal(got, []string{"logs", "metrics"}) {
		t.Errorf("the collector comes after %v", got)
	}
}
