package alerts

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Zitadel is what Zitadel's rules depend on: where it runs, its database, and how far apart its
// scheduled backups are.
type Zitadel struct {
	Namespace string
	// Engine is postgres or cockroachdb; Cluster the live database cluster (zitadel-db-rN after a
	// restore) and Instances how many it runs.
	Engine    string
	Cluster   string
	Instances int
	// BackupPeriod is the longest gap between two scheduled backups (from the spec's cron); 0
	// without scheduled backups, and then there is no backup rule.
	BackupPeriod time.Duration
}

// Metrics the reconciler exports from what it reads of Zitadel's backups (automation/reconciler).
const (
	LastBackupMetric     = "orbos_zitadel_last_backup_timestamp_seconds"
	BackupPeriodMetric   = "orbos_zitadel_backup_schedule_period_seconds"
	zitadelDeploymentKSM = "zitadel"
)

// zitadelGroup holds Zitadel's rules: no successful backup within two schedule periods, and
// Zitadel or its database not ready (from kube-state-metrics, which BOOM's metrics tool runs).
func zitadelGroup(z *Zitadel) *Group {
	if z == nil {
		return nil
	}
	ns := strconv.Quote(z.Namespace)
	warning := map[string]string{"severity": "warning"}
	critical := map[string]string{"severity": "critical"}
	g := &Group{Name: "orbos.zitadel"}
	if z.BackupPeriod > 0 {
		limit := 2 * z.BackupPeriod
		g.Rules = append(g.Rules, Rule{
			Alert: "OrbosZitadelBackupMissing",
			// The reconciler sets the time to 0 while no backup has completed: a database that never
			// had one is missing it too (the first backup is taken at once, when the schedule is made).
			Expr:   fmt.Sprintf(`time() - max by (namespace, job) (%s) > %d`, LastBackupMetric, int64(limit.Seconds())),
			For:    "30m",
			Labels: critical,
			Annotations: map[string]string{
				Summary:     "Zitadel's database has no recent successful backup.",
				Description: fmt.Sprintf("The last successful backup of Zitadel's database (cluster %s) finished {{ $value | humanizeDuration }} ago: more than two schedule periods (2 × %s). A restore would lose what changed since.", z.Cluster, promDuration(z.BackupPeriod)),
				Runbook:     "orbctl status (the last backup and the last failed one) and orbctl zitadel backups; orbctl zitadel backup takes one now",
			},
		})
	}
	g.Rules = append(g.Rules, Rule{
		Alert: "OrbosZitadelNotReady",
		// A restore scales Zitadel to zero on purpose: then it wants none and this is no alert.
		Expr: fmt.Sprintf(`kube_deployment_status_replicas_available{namespace=%[1]s,deployment=%[2]q} < kube_deployment_spec_replicas{namespace=%[1]s,deployment=%[2]q}`,
			ns, zitadelDeploymentKSM),
		For:    "15m",
		Labels: warning,
		Annotations: map[string]string{
			Summary:     "Zitadel runs fewer replicas than it should.",
			Description: "Zitadel in {{ $labels.namespace }} has {{ $value }} available replicas, fewer than it wants, for 15 minutes.",
			Runbook:     "orbctl status; kubectl -n " + z.Namespace + " describe deployment zitadel and the logs of its pods",
		},
	})
	g.Rules = append(g.Rules, databaseNotReady(z, ns, critical))
	return g
}

// databaseNotReady: fewer ready database instances than the spec's. CloudNativePG runs its
// instances as pods <cluster>-<n> (no StatefulSet); CockroachDB's chart as a StatefulSet.
func databaseNotReady(z *Zitadel, ns string, labels map[string]string) Rule {
	expr := fmt.Sprintf(`(sum(kube_pod_status_ready{namespace=%s,condition="true",pod=~%s}) or vector(0)) < %d`,
		ns, strconv.Quote(regexp.QuoteMeta(z.Cluster)+"-[0-9]+"), z.Instances)
	if z.Engine == "cockroachdb" {
		sts := strconv.Quote(z.Cluster + "-cockroachdb")
		expr = fmt.Sprintf(`kube_statefulset_status_replicas_ready{namespace=%[1]s,statefulset=%[2]s} < kube_statefulset_replicas{namespace=%[1]s,statefulset=%[2]s}`, ns, sts)
	}
	return Rule{
		Alert:  "OrbosZitadelDatabaseNotReady",
		Expr:   expr,
		For:    "10m",
		Labels: labels,
		Annotations: map[string]string{
			Summary:     "Zitadel's database runs fewer ready instances than it should.",
			Description: fmt.Sprintf("The %s cluster %s of Zitadel has fewer than %d ready instances for 10 minutes ({{ $value }} now); Zitadel fails without its primary.", z.Engine, z.Cluster, z.Instances),
			Runbook:     "orbctl status (the database's readiness); kubectl -n " + z.Namespace + " get pods and, for postgres, kubectl -n " + z.Namespace + " describe cluster " + z.Cluster,
		},
	}
}
