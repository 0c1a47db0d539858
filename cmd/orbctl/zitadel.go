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

Backups and restores through orbctl need the postgres engine (CloudNativePG with the Barman Cloud
plugin); on cockroachdb the schedule inside the database takes the backups.`,
	})
	c.AddCommand(a.zitadelBackupCommand(), a.zitadelBackupsCommand(), a.zitadelRestoreCommand())
	return c
}
