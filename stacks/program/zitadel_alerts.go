package program

import (
	"fmt"

	"github.com/orbos/orbos/components/boom/alerts"
	"github.com/orbos/orbos/internal/cronperiod"
	"github.com/orbos/orbos/stacks"
)

// zitadelDatabase is the database cluster's name before any restore (components/zitadel's).
const zitadelDatabase = "zitadel-db"

// alertOptions are the options of orbos's own alerting rules that the spec decides: Zitadel's
// rules when it is on, with the backup rule's limit from the period of the spec's cron.
func alertOptions(spec *stacks.Spec) (alerts.Options, error) {
	z := spec.ZitadelOn()
	if z == nil {
		return alerts.Options{}, nil
	}
	d := z.Database
	za := &alerts.Zitadel{Namespace: z.Namespace, Engine: d.Engine, Cluster: d.ClusterName(zitadelDatabase), Instances: d.Instances}
	if d.Backups != nil {
		p, err := cronperiod.Period(d.Backups.Schedule)
		if err != nil {
			return alerts.Options{}, fmt.Errorf("Zitadel's backup alert: %w", err)
		}
		za.BackupPeriod = p
	}
	return alerts.Options{Zitadel: za}, nil
}
