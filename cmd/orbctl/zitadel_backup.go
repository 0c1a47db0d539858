package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/orbos/orbos/automation"
)

func (a *app) zitadelBackupCommand() *cobra.Command {
	opts := automation.ZitadelBackupOptions{Wait: true}
	c := &cobra.Command{
		Use:   "backup",
		Short: "Back up Zitadel's database now (waits for the backup unless --wait=false)",
		Long: `backup asks CloudNativePG for a backup of the live database cluster now: a Backup object named
<cluster>-<UTC yyyymmddhhmmss>, taken through the Barman Cloud plugin into the object store of
orbos:zitadel.database.backups, beside the scheduled ones. It waits until the backup completed
(or failed: exit 1 with the operator's reason), then records it in
status/<orb>.zitadel-backups.yaml as one commit, pushed, whose trailers name the backup.
With --wait=false it records the backup as asked for and returns at once.`,
		Example: `  orbctl zitadel backup
  orbctl zitadel backup --wait=false -o json | jq -r .backup.name`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			orb, err := a.open()
			if err != nil {
				return err
			}
			defer orb.Close()
			res, err := orb.ZitadelBackup(a.ctx, opts)
			if res == nil {
				return err
			}
			if a.structured() {
				return joinPrint(a.print(res), err)
			}
			b := res.Backup
			switch {
			case b.Phase == "":
				fmt.Fprintf(a.out, "backup %s of %s/%s asked for\n", b.Name, res.Namespace, b.Cluster)
			case b.Stopped != nil:
				fmt.Fprintf(a.out, "backup %s of %s/%s %s at %s (backup ID %s)\n", b.Name, res.Namespace, b.Cluster, b.Phase, b.Stopped.UTC().Format("2006-01-02T15:04:05Z"), dash(b.BackupID))
			default:
				fmt.Fprintf(a.out, "backup %s of %s/%s %s\n", b.Name, res.Namespace, b.Cluster, b.Phase)
			}
			if res.Commit != "" {
				fmt.Fprintf(a.out, "recorded as %.12s\n", res.Commit)
			}
			return err
		},
	}
	c.Flags().BoolVar(&opts.Wait, "wait", true, "wait until the backup completed or failed")
	return c
}

// joinPrint returns the command's error, else the printing's.
func joinPrint(printErr, err error) error {
	if err != nil {
		return err
	}
	return printErr
}
