package reconciler

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/orbos/orbos/automation/record"
	"github.com/orbos/orbos/components/boom/alerts"
	"github.com/orbos/orbos/stacks"
)

func zitadelSpec(engine string) *stacks.Zitadel {
	return &stacks.Zitadel{Enabled: true, Namespace: "zitadel", Database: stacks.Database{Engine: engine, Instances: 2,
		Backups: &stacks.DBBackups{Schedule: "0 3 * * 1-5"}}}
}

func reading(cluster string, last *time.Time, unknown string) *record.ZitadelStatus {
	st := &record.ZitadelStatus{Database: record.DatabaseStatus{Cluster: cluster}, Backups: &record.BackupsStatus{Unknown: unknown}}
	if last != nil {
		st.Backups.LastSuccessful = &record.BackupRecord{Name: "b", Finished: *last}
	}
	return st
}

// The gauges follow the readings: the newest backup's time by the live cluster (the cluster
// before a restore drops out), 0 while none completed, the last value kept while the cluster
// cannot be read, the period of the spec's cron; nothing for CockroachDB or without backups.
func TestZitadelGaugesFollowTheReadings(t *testing.T) {
	m := NewMetrics()
	g := m.Zitadel
	count := func() int { return testutil.CollectAndCount(g.lastBackup) }
	z := zitadelSpec(stacks.EnginePostgres)

	m.zitadel(z, reading("zitadel-db", nil, ""))
	if v := testutil.ToFloat64(g.lastBackup.WithLabelValues("zitadel-db")); v != 0 || count() != 1 {
		t.Errorf("no backup yet: %v (%d series)", v, count())
	}
	if v := testutil.ToFloat64(g.period.WithLabelValues("zitadel-db")); v != 72*3600 {
		t.Errorf("period of weekdays at 3: %v, want 259200", v)
	}
	at := time.Date(2026, 12, 1, 3, 5, 0, 0, time.UTC)
	m.zitadel(z, reading("zitadel-db", &at, ""))
	if v := testutil.ToFloat64(g.lastBackup.WithLabelValues("zitadel-db")); v != float64(at.Unix()) {
		t.Errorf("last backup %v, want %d", v, at.Unix())
	}
	m.zitadel(z, reading("zitadel-db", nil, "connection refused"))
	if v := testutil.ToFloat64(g.lastBackup.WithLabelValues("zitadel-db")); v != float64(at.Unix()) {
		t.Errorf("an unreadable cluster forgot the last backup: %v", v)
	}
	later := at.Add(24 * time.Hour)
	m.zitadel(z, reading("zitadel-db-r1", &later, ""))
	if count() != 1 || testutil.ToFloat64(g.lastBackup.WithLabelValues("zitadel-db-r1")) != float64(later.Unix()) {
		t.Errorf("after a restore: %d series", count())
	}
	m.zitadel(zitadelSpec(stacks.EngineCockroachDB), reading("zitadel-db", nil, "CockroachDB records its backups in its own tables"))
	if count() != 0 || testutil.CollectAndCount(g.period) != 0 {
		t.Errorf("CockroachDB: %d series", count())
	}
	m.zitadel(z, reading("zitadel-db", &at, ""))
	m.zitadel(nil, nil)
	if count() != 0 {
		t.Errorf("Zitadel off: %d series", count())
	}
}

// Every Zitadel metric orbos's rules read is one the reconciler exports.
func TestZitadelAlertsReadMetricsTheReconcilerExports(t *testing.T) {
	m := NewMetrics()
	m.zitadel(zitadelSpec(stacks.EnginePostgres), reading("zitadel-db", nil, ""))
	used := 0
	for _, g := range alerts.Groups(alerts.Options{Zitadel: &alerts.Zitadel{Namespace: "zitadel", Engine: "postgres", Cluster: "zitadel-db", Instances: 2, BackupPeriod: time.Hour}}) {
		for _, r := range g.Rules {
			for _, name := range regexp.MustCompile(`orbos_zitadel_[a-z_]+`).FindAllString(r.Expr, -1) {
				used++
				if n, err := testutil.GatherAndCount(m.Registry, name); err != nil || n != 1 {
					t.Errorf("%s reads %s: the reconciler exports %d series (%v)", r.Alert, name, n, err)
				}
			}
		}
	}
	if used == 0 {
		t.Error("no rule reads a Zitadel metric")
	}
	if !strings.HasPrefix(alerts.LastBackupMetric, "orbos_zitadel_") {
		t.Error(alerts.LastBackupMetric)
	}
}
