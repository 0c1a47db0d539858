package program

import (
	"strings"
	"testing"
)

// With the metrics tool on, orbos's alerting rules and cert-manager's ServiceMonitor come after
// the metrics tool's CRDs; the systemd exporter after the metrics tool; the example's credentials
// only in the two Secrets, as Pulumi secrets.
func TestMetricsToolBringsOrbosMonitoring(t *testing.T) {
	plan := boomPlan(t, func(s string) string { return s })
	rule, ok := plan["kubernetes:monitoring.coreos.com/v1:PrometheusRule "+OrbosRules]
	if !ok {
		t.Fatalf("no PrometheusRule among %v", keys(plan))
	}
	rules := strings.Join(rule, "\n")
	for _, want := range []string{`spec.groups[0].name = "orbos.reconciler"`, `alert = "OrbosLockHeldTooLong"`, `alert = "OrbosCertificateExpiresSoon"`, `metadata.namespace = "orbos-system"`} {
		if !strings.Contains(rules, want) {
			t.Errorf("the PrometheusRule lacks %s:\n%s", want, rules)
		}
	}
	if _, ok := plan["kubernetes:monitoring.coreos.com/v1:ServiceMonitor "+CertManagerMonitor]; !ok {
		t.Error("no ServiceMonitor for cert-manager's certificate metrics")
	}
	for _, name := range []string{"metrics-metrics-remote-write", "metrics-metrics-alertmanager"} {
		in := strings.Join(plan["kubernetes:core/v1:Secret "+name], "\n")
		if !strings.Contains(in, "stringData = [secret]") || !strings.Contains(in, `metadata.namespace = "monitoring"`) {
			t.Errorf("Secret %s:\n%s", name, in)
		}
	}
	metrics := strings.Join(plan["kubernetes:helm.sh/v4:Chart metrics"], "\n")
	for _, want := range []string{
		`values.prometheus.prometheusSpec.remoteWrite[0].authorization.credentials.name = "metrics-remote-write"`,
		`values.prometheus.prometheusSpec.externalLabels.cluster = "boom-demo"`,
		`values.alertmanager.alertmanagerSpec.configSecret = "metrics-alertmanager"`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("the metrics chart lacks %s", want)
		}
	}
	exporter := strings.Join(plan["kubernetes:helm.sh/v4:Chart systemd-exporter"], "\n")
	if !strings.Contains(exporter, `values.prometheus.monitor.enabled = true`) || !strings.Contains(exporter, `version = "0.5.2"`) {
		t.Errorf("the systemd exporter:\n%s", exporter)
	}

	// Without the metrics tool: none of it, and the exporter scrapes nothing.
	off := boomPlan(t, func(s string) string {
		s = strings.Replace(s, "      metrics:\n        enabled: true", "      metrics:\n        enabled: false", 1)
		return s
	})
	for k := range off {
		if strings.Contains(k, "monitoring.coreos.com") || strings.Contains(k, "metrics-metrics-") {
			t.Errorf("metrics is off but %s is planned", k)
		}
	}
	if ex := strings.Join(off["kubernetes:helm.sh/v4:Chart systemd-exporter"], "\n"); !strings.Contains(ex, `values.prometheus.monitor.enabled = false`) {
		t.Errorf("the exporter's ServiceMonitor without the metrics tool:\n%s", ex)
	}
}
