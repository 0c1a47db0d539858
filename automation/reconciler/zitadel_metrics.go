package reconciler

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/orbos/orbos/automation/record"
	"github.com/orbos/orbos/components/boom/alerts"
	"github.com/orbos/orbos/internal/cronperiod"
	"github.com/orbos/orbos/stacks"
)

// zitadelGauges are what the reconciler last read of Zitadel's backups, by the live database
// cluster: the rule OrbosZitadelBackupMissing reads them. A series exists only while backups are
// scheduled and readable, so that an ORB without them has nothing to alert on.
type zitadelGauges struct {
	lastBackup *prometheus.GaugeVec
	period     *prometheus.GaugeVec
}

func newZitadelGauges() zitadelGauges {
	return zitadelGauges{
		lastBackup: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: alerts.LastBackupMetric,
			Help: "When the newest successful backup of Zitadel's database finished (0 while none has); absent when backups are off or not readable (CockroachDB).",
		}, []string{"cluster"}),
		period: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: alerts.BackupPeriodMetric,
			Help: "The longest gap between two scheduled backups of Zitadel's database, from the spec's cron.",
		}, []string{"cluster"}),
	}
}

// zitadel notes a reading of Zitadel (nil when it is off).
func (m *Metrics) zitadel(z *stacks.Zitadel, st *record.ZitadelStatus) {
	g := m.Zitadel
	if z == nil || z.Database.Backups == nil || st == nil || st.Backups == nil || z.Database.Engine == stacks.EngineCockroachDB {
		// CockroachDB's backups are in its own tables: no reading, no series.
		g.lastBackup.Reset()
		g.period.Reset()
		return
	}
	cluster := st.Database.Cluster
	if p, err := cronperiod.Period(z.Database.Backups.Schedule); err == nil {
		g.period.Reset()
		g.period.WithLabelValues(cluster).Set(p.Seconds())
	}
	b := st.Backups
	switch {
	case b.LastSuccessful != nil:
		g.lastBackup.Reset() // a restore changes the live cluster: the one before is no longer watched
		g.lastBackup.WithLabelValues(cluster).Set(float64(b.LastSuccessful.Finished.Unix()))
	case b.Unknown != "":
		// The cluster could not be read: what was read before still holds, and keeps ageing.
	default:
		g.lastBackup.Reset()
		g.lastBackup.WithLabelValues(cluster).Set(0)
	}
}

// observeZitadel reads Zitadel back from the cluster after a run or a drift check, for the gauges.
func (r *Reconciler) observeZitadel(ctx context.Context, spec *stacks.Spec) {
	r.Metrics.zitadel(spec.ZitadelOn(), r.orb.ZitadelStatus(ctx, spec))
}
