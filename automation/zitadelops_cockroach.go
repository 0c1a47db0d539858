package automation

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/orbos/orbos/automation/dbbackup"
	"github.com/orbos/orbos/components/database"
	"github.com/orbos/orbos/stacks"
)

// ZitadelSQLDatabase is the SQL database Zitadel works in before any restore (components/zitadel);
// a CockroachDB restore makes <it>_r<N> beside it.
const ZitadelSQLDatabase = "zitadel"

// cockroachBackups lists the backups in CockroachDB's collection: a Job runs SHOW BACKUPS IN the
// schedule's destination and orbctl reads its pod's log.
func (o *Orb) cockroachBackups(ctx context.Context, z *stacks.Zitadel, c *dbbackup.Client) ([]dbbackup.Backup, error) {
	job := dbbackup.CockroachJob{Namespace: z.Namespace, Name: DatabaseBase + "-backups-" + time.Now().UTC().Format("20060102150405"),
		Release: DatabaseBase, Image: database.CockroachImage}
	o.progressf("running the Job %s/%s: SHOW BACKUPS IN the backups' destination\n", z.Namespace, job.Name)
	return c.ListCockroach(ctx, job)
}

// resolveCockroachRestore checks the backup a CockroachDB restore names (a subdirectory of the
// collection, as orbctl zitadel backups lists it, or latest) and names the databases: the restore
// makes zitadel_r<N> in the same cluster. Whether the collection holds the backup, RESTORE says
// in the up (the restore Job's log).
func resolveCockroachRestore(z *stacks.Zitadel, r *stacks.Restore, out *ZitadelRestoreResult) error {
	out.From = z.Database.DatabaseName(ZitadelSQLDatabase)
	if r.Backup != "latest" {
		// SHOW BACKUPS prints the subdirectory with a leading slash; the spec holds it without.
		r.Backup = strings.TrimPrefix(r.Backup, "/")
		if !stacks.CockroachBackup(r.Backup) {
			return fmt.Errorf("%q names no CockroachDB backup: give its subdirectory as orbctl zitadel backups lists it, like 2026/12/01-030000.00, or latest", r.Backup)
		}
	}
	out.Backup = r.Backup
	next := stacks.Database{Engine: stacks.EngineCockroachDB, Restore: r}
	out.To = next.DatabaseName(ZitadelSQLDatabase)
	return nil
}
