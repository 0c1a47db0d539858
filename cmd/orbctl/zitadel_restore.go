package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/orbos/orbos/automation"
)

func (a *app) zitadelRestoreCommand() *cobra.Command {
	var opts automation.ZitadelRestoreOptions
	c := &cobra.Command{
		Use:   "restore --from NAME|latest [--to-time RFC3339]",
		Short: "Restore Zitadel's database from a backup into a new database cluster (asks first unless --yes)",
		Long: `restore brings Zitadel's database back to a backup, in one transaction of the ORB:

  1. Zitadel's Deployment is scaled to zero and orbctl waits until no Zitadel pod runs;
  2. the desired state gets orbos:zitadel.database.restore (the next generation, the backup, its
     Barman backup ID, --to-time), committed;
  3. the ORB's up makes a new CloudNativePG cluster, zitadel-db-r<generation>, bootstrapped from the
     backups of the live one (to the named backup's end, to --to-time, or with latest to the end of
     the archived WAL), waits until it is Ready, and only then upgrades Zitadel back to its
     replicas, connected to the new cluster. Its state commit names the backup now live.

The cluster restored from is kept (retained, no longer managed): remove it by hand once the
restored one serves, with kubectl -n zitadel delete cluster.postgresql.cnpg.io <old name>.

On cockroachdb, --from is a backup's subdirectory in the collection (orbctl zitadel backups) or
latest; the up runs a Job that restores the live database from it (RESTORE DATABASE ... AS OF
SYSTEM TIME --to-time, within the backup's revision history) into the new database
zitadel_r<generation> of the same cluster, gives it to Zitadel's user, and only then starts Zitadel
on it. The database restored from stays (never dropped).
If the up fails, Zitadel stays at zero replicas; fix the cause and run orbctl up.`,
		Example: `  orbctl zitadel backups
  orbctl zitadel restore --from zitadel-db-20261201030000
  orbctl zitadel restore --from latest --to-time 2026-12-01T10:00:00Z --yes
  orbctl zitadel restore --from 2026/12/01-030000.00   # cockroachdb`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.From == "" {
				return usageError{errors.New("--from names the backup to restore (orbctl zitadel backups lists them), or latest")}
			}
			if opts.ToTime != "" {
				if _, err := time.Parse(time.RFC3339, opts.ToTime); err != nil {
					return usageError{fmt.Errorf("--to-time %q is not an RFC 3339 time like 2026-12-01T10:00:00Z", opts.ToTime)}
				}
			}
			if !a.s.Yes {
				cfg, err := loadConfigForPrompt(a.s.Orbconfig)
				if err != nil {
					return usageError{err}
				}
				q := fmt.Sprintf("Restore Zitadel's database of %s from %s? Zitadel stops until the restored database is ready. Type yes to restore: ", cfg, opts.From)
				if err := a.confirmTyped(q, "yes", "restore"); err != nil {
					return err
				}
			}
			orb, err := a.open()
			if err != nil {
				return err
			}
			defer orb.Close()
			res, err := orb.ZitadelRestore(a.ctx, opts)
			if res == nil {
				return err
			}
			if a.structured() {
				return joinPrint(a.print(res), err)
			}
			if res.RestoreCommit != "" {
				fmt.Fprintf(a.out, "restore of %s from %s into %s recorded as %.12s\n", res.Orb, res.Backup, res.To, res.RestoreCommit)
			}
			if res.Result != nil {
				a.printResult(res.Result)
			}
			if err == nil {
				fmt.Fprintf(a.out, "Zitadel runs on %s, restored from %s; %s is retained until you remove it\n", res.To, res.Backup, res.From)
			}
			return err
		},
	}
	c.Flags().StringVar(&opts.From, "from", "", "the backup: a NAME from orbctl zitadel backups, or latest")
	c.Flags().StringVar(&opts.ToTime, "to-time", "", "restore to this point in time (RFC 3339, e.g. 2026-12-01T10:00:00Z)")
	c.Flags().BoolVarP(&a.s.Yes, "yes", "y", a.s.Yes, "do not ask for confirmation [$ORBOS_YES]")
	return c
}
