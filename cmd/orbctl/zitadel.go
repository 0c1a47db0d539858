package main

import "github.com/spf13/cobra"

func (a *app) zitadelCommand() *cobra.Command {
	c := group(&cobra.Command{
		Use:   "zitadel",
		Short: "Back up and restore Zitadel's database",
		Long: `zitadel takes backups of Zitadel's database (orbos:zitadel.database.backups) now, lists the
backups the cluster records, and restores one. Each command that changes something is one
transaction of the ORB (lock, fetch, act, commit, push, unlock) and leaves a commit whose
operation and subject orbctl history shows.

On postgres they work through CloudNativePG's Backup objects and a new Cluster bootstrapped from
the object store; on cockroachdb through Jobs running the cockroach client (BACKUP INTO, SHOW
BACKUPS IN, RESTORE DATABASE into a new database). Either way they need
orbos:zitadel.database.backups: its object store is where backups go and come back from.`,
	})
	c.AddCommand(a.zitadelBackupCommand(), a.zitadelBackupsCommand(), a.zitadelRestoreCommand())
	return c
}
