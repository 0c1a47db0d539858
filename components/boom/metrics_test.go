package boom

import (
	"encoding/json"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/internal/golden"
	"github.com/orbos/orbos/stacks"
)

func metricsSpec() *stacks.MetricsSpec {
	return &stacks.MetricsSpec{
		Retention: "30d", RetentionSize: "90GB",
		Storage: &stacks.MetricsStorage{Size: "100Gi", Class: "fast-ssd"},
		RemoteWrite: []stacks.RemoteWrite{
			{Name: "central", URL: "https://metrics.example.com/api/v1/push", BearerTokenSecret: "rw-token"},
			{URL: "https://prom.example.com/push", BasicAuth: &stacks.BasicAuthRef{Username: "12345", PasswordSecret: "rw-password"}},
			{URL: "http://mimir.metrics.svc:8080/api/v1/push"},
		},
		ExternalLabels: map[string]string{"cluster": "prod-eu"},
		Alertmanager: &stacks.AlertmanagerSpec{
			Receivers: []stacks.Receiver{
				{Name: "ops", Slack: &stacks.SlackReceiver{APIURLSecret: "slack-url", Channel: "#alerts"},
					Email: &stacks.EmailReceiver{To: "ops@example.com", From: "alerts@example.com", Smarthost: "smtp.example.com:587", Username: "alerts", PasswordSecret: "smtp-password"}},
				{Name: "pager", PagerDuty: &stacks.PagerDutyReceiver{RoutingKeySecret: "pd-key"}},
			},
			Route: &stacks.AlertRoute{RepeatInterval: "4h", Routes: []stacks.AlertSubRoute{{Receiver: "pager", Match: map[string]string{"severity": "critical", "team": `a"b`}}}},
		},
	}
}

// The metrics block reaches kube-prometheus-stack's values; its credentials reach only two
// Secrets the program makes (Pulumi secrets, in the tool's namespace, before the chart), which the
// values name by key.
func TestMetricsBlockCredentialsOnlyInSecrets(t *testing.T) {
	tool := catalogTool("metrics")
	tool.Metrics = metricsSpec()
	m, err := installWithSecrets(t, Env{}, tool)
	if err != nil {
		t.Fatal(err)
	}
	main := m.get(t, chartType, "metrics")
	for path, want := range map[string]string{
		"values.prometheus.prometheusSpec.retention":                                                       "30d",
		"values.prometheus.prometheusSpec.retentionSize":                                                   "90GB",
		"values.prometheus.prometheusSpec.externalLabels":                                                  `{"cluster":"prod-eu"}`,
		"values.prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.storageClassName":           "fast-ssd",
		"values.prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage": "100Gi",
		"values.prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.accessModes":                `["ReadWriteOnce"]`,
		"values.prometheus.prometheusSpec.remoteWrite": `[{"authorization":{"credentials":{"key":"0-token","name":"metrics-remote-write"},"type":"Bearer"},"name":"central","url":"https://metrics.example.com/api/v1/push"},` +
			`{"basicAuth":{"password":{"key":"1-password","name":"metrics-remote-write"},"username":{"key":"1-username","name":"metrics-remote-write"}},"url":"https://prom.example.com/push"},` +
			`{"url":"http://mimir.metrics.svc:8080/api/v1/push"}]`,
		"values.alertmanager.alertmanagerSpec.useExistingSecret": "true",
		"values.alertmanager.alertmanagerSpec.configSecret":      AlertmanagerSecret,
		"values.alertmanager.alertmanagerSpec.retention":         "120h", // the profile's defaults stay
	} {
		if got := str(at(main.inputs, path)); got != want {
			t.Errorf("%s = %s, want %s", path, got, want)
		}
	}
	values, _ := json.Marshal(at(main.inputs, "values").Mappable())
	for name, v := range stackSecrets {
		if strings.Contains(string(values), strings.TrimSpace(v)) {
			t.Errorf("the stack secret %s is in the chart's values", name)
		}
	}

	rw := m.get(t, "kubernetes:core/v1:Secret", "metrics-"+RemoteWriteSecret)
	am := m.get(t, "kubernetes:core/v1:Secret", "metrics-"+AlertmanagerSecret)
	for _, s := range []registered{rw, am} {
		if !s.inputs["stringData"].IsSecret() {
			t.Errorf("%s: stringData is not a Pulumi secret", s.name)
		}
		if len(s.ignoreChanges) != 0 {
			t.Errorf("%s ignores changes %v: it must follow the stack secrets", s.name, s.ignoreChanges)
		}
		if !dependsOn(main, s) {
			t.Errorf("the chart does not wait for %s", s.name)
		}
		if str(at(s.inputs, "metadata.namespace")) != "monitoring" || str(at(s.inputs, "metadata.labels")) != `{"orbos.io/orb":"demo"}` {
			t.Errorf("%s metadata %s", s.name, str(s.inputs["metadata"]))
		}
	}
	data := func(s registered) map[string]string {
		out := map[string]string{}
		for k, v := range s.inputs["stringData"].SecretValue().Element.ObjectValue() {
			out[string(k)] = v.StringValue()
		}
		return out
	}
	if got := data(rw); len(got) != 3 || got["0-token"] != strings.TrimSpace(stackSecrets["rw-token"]) || got["1-username"] != "12345" || got["1-password"] != stackSecrets["rw-password"] {
		t.Errorf("remote-write Secret %v", got)
	}
	config := data(am)["alertmanager.yaml"]
	for _, name := range []string{"slack-url", "pd-key", "smtp-password"} {
		if !strings.Contains(config, strings.TrimSpace(stackSecrets[name])+"\n") {
			t.Errorf("Alertmanager's configuration lacks %s", name)
		}
	}
}

// A tool without a metrics block makes no such Secrets, and keeps the chart's own Alertmanager
// configuration.
func TestNoMetricsBlockNoSecrets(t *testing.T) {
	m, err := installWithSecrets(t, Env{}, catalogTool("metrics"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range m.all {
		if r.typ == "kubernetes:core/v1:Secret" {
			t.Errorf("a Secret %s without a metrics block", r.name)
		}
	}
	if v := at(m.get(t, chartType, "metrics").inputs, "values.alertmanager.alertmanagerSpec.useExistingSecret"); !v.IsNull() {
		t.Errorf("useExistingSecret %v", v)
	}
	// A missing stack secret is an error of the run, naming the tool.
	tool := catalogTool("metrics")
	tool.Metrics = &stacks.MetricsSpec{RemoteWrite: []stacks.RemoteWrite{{URL: "https://x.example.com", BearerTokenSecret: "gone"}}}
	if _, err := installWithSecrets(t, Env{}, tool); err == nil || !strings.Contains(err.Error(), "BOOM tool metrics") || !strings.Contains(err.Error(), "gone") {
		t.Errorf("a missing stack secret: %v", err)
	}
}

// Alertmanager's configuration as orbos renders it (placeholders for the secrets), reviewed in
// testdata/alertmanager.golden; it is YAML whose routes all lead to declared receivers.
func TestAlertmanagerConfig(t *testing.T) {
	spec := metricsSpec().Alertmanager
	placeholders := map[string]string{}
	for _, n := range alertmanagerSecretNames(spec) {
		placeholders[n] = "<" + n + ">"
	}
	if got := strings.Join(alertmanagerSecretNames(spec), ","); got != "pd-key,slack-url,smtp-password" {
		t.Errorf("secret names %s", got)
	}
	out, err := AlertmanagerConfig(spec, placeholders)
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "alertmanager", out)
	var c amConfig
	if err := yaml.Unmarshal([]byte(out), &c); err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for _, r := range c.Receivers {
		declared[r.Name] = true
	}
	var walk func(amRoute)
	walk = func(r amRoute) {
		if r.Receiver != "" && !declared[r.Receiver] {
			t.Errorf("route to undeclared receiver %s", r.Receiver)
		}
		for _, c := range r.Routes {
			walk(c)
		}
	}
	walk(c.Route)
	if c.Route.Receiver != "ops" {
		t.Errorf("default receiver %s, want the first", c.Route.Receiver)
	}
	if _, err := AlertmanagerConfig(spec, map[string]string{}); err == nil {
		t.Error("rendered without its secrets")
	}
}

// The systemd exporter: a DaemonSet's chart on every node (every taint tolerated, the control
// planes' among them), watching the units kubeadm nodes run, scraped and alerting only when the
// metrics tool (and so its CRDs) is there, and installed after it.
func TestSystemdExporterDefaults(t *testing.T) {
	off := Values(catalogTool("systemd-exporter"), Env{})
	on := Values(catalogTool("systemd-exporter"), Env{Enabled: map[string]string{"metrics": "monitoring"}})
	tols, _ := json.Marshal(lookup(on, "tolerations"))
	if string(tols) != `[{"operator":"Exists"}]` {
		t.Errorf("tolerations %s, want every taint", tols)
	}
	units, _ := json.Marshal(lookup(on, "config.systemd.collector.unitInclude"))
	for _, u := range []string{`kubelet\\.service`, `containerd\\.service`} {
		if !strings.Contains(string(units), u) {
			t.Errorf("units %s lack %s", units, u)
		}
	}
	for _, path := range []string{"prometheus.monitor.enabled", "prometheus.rules.enabled"} {
		if lookup(on, path) != true || lookup(off, path) != false {
			t.Errorf("%s: %v with metrics, %v without", path, lookup(on, path), lookup(off, path))
		}
	}
	if lookup(on, "resources.limits.memory") == nil {
		t.Error("no memory limit")
	}
	if got := After("systemd-exporter"); len(got) != 1 || got[0] != "metrics" {
		t.Errorf("after %v", got)
	}
	// The spec's placement replaces the defaults.
	tool := catalogTool("systemd-exporter")
	tool.Tolerations = []stacks.Toleration{{Key: "node-role.kubernetes.io/control-plane", Operator: "Exists", Effect: "NoSchedule"}}
	tool.NodeSelector = map[string]string{"kubernetes.io/os": "linux"}
	v := Values(tool, Env{ImageRegistry: "registry.local:5000"})
	if tols, _ := json.Marshal(v["tolerations"]); !strings.Contains(string(tols), "control-plane") || strings.Count(string(tols), "operator") != 1 {
		t.Errorf("the spec's tolerations %s", tols)
	}
	if sel, _ := v["nodeSelector"].(map[string]any); lookup(v, "global.imageRegistry") != "registry.local:5000" || sel["kubernetes.io/os"] != "linux" {
		t.Errorf("mirror and selector %v %v", v["global"], v["nodeSelector"])
	}
}
