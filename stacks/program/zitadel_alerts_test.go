package program

import (
	"strings"
	"testing"
)

// withMetrics turns BOOM's metrics tool on in the Zitadel example, which the rules need.
func withMetrics(s string) string {
	return strings.Replace(s, "      certificates:\n        enabled: true\n", "      certificates:\n        enabled: true\n      metrics:\n        enabled: true\n", 1)
}

// With Zitadel and the metrics tool on, orbos's PrometheusRule holds Zitadel's rules: the backup
// rule's limit is two periods of the spec's cron (daily: 48h), the database rule counts the live
// cluster's instances. Without scheduled backups there is no backup rule; without Zitadel, none.
func TestZitadelAlertsFollowTheSpec(t *testing.T) {
	const rule = "kubernetes:monitoring.coreos.com/v1:PrometheusRule " + OrbosRules
	rules := func(edit func(string) string) string {
		plan := examplePlan(t, "zitadel", func(s string) string { return edit(withMetrics(s)) })
		in, ok := plan[rule]
		if !ok {
			t.Fatalf("no PrometheusRule among %v", keys(plan))
		}
		// The plan shows each value as JSON, with < and > escaped.
		return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">").Replace(strings.Join(in, "\n"))
	}
	on := rules(func(s string) string { return s })
	for _, want := range []string{
		`name = "orbos.zitadel"`, `alert = "OrbosZitadelBackupMissing"`, `(orbos_zitadel_last_backup_timestamp_seconds) > 172800"`,
		`alert = "OrbosZitadelNotReady"`, `pod=~\"zitadel-db-[0-9]+\"}) or vector(0)) < 3"`,
	} {
		if !strings.Contains(on, want) {
			t.Errorf("the rules lack %s:\n%s", want, on)
		}
	}
	weekdays := rules(func(s string) string {
		return strings.Replace(s, `schedule: "0 3 * * *"`, `schedule: "0 3 * * 1-5"`, 1)
	})
	if !strings.Contains(weekdays, "> 518400") {
		t.Errorf("weekdays at 3: the limit is two weekends (144h):\n%s", weekdays)
	}
	restored := rules(func(s string) string {
		return strings.Replace(s, "      backups:\n", "      restore: {generation: 2, backup: latest}\n      backups:\n", 1)
	})
	if !strings.Contains(restored, `pod=~\"zitadel-db-r2-[0-9]+\"`) || !strings.Contains(restored, "cluster zitadel-db-r2") {
		t.Errorf("after a restore the rules watch the live cluster:\n%s", restored)
	}
	noBackups := rules(func(s string) string {
		i := strings.Index(s, "      backups:\n")
		j := strings.Index(s, "  # Set each with")
		return s[:i] + s[j:]
	})
	if strings.Contains(noBackups, "OrbosZitadelBackupMissing") || !strings.Contains(noBackups, "OrbosZitadelDatabaseNotReady") {
		t.Errorf("without backups:\n%s", noBackups)
	}
	if off := strings.Join(boomPlan(t, func(s string) string { return s })[rule], "\n"); strings.Contains(off, "Zitadel") || off == "" {
		t.Errorf("without Zitadel:\n%s", off)
	}
}
