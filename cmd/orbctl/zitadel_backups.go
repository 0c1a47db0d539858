package main

import (
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/orbos/orbos/automation/dbbackup"
)

func (a *app) zitadelBackupsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "backups",
		Short: "List the backups of Zitadel's database, newest first",
		Long: `backups lists the backups the cluster records, newest first: name, database cluster, phase,
when it started, its age, its size and whether the schedule or someone on demand took it. It
takes no lock and makes no commit.

On postgres these are CloudNativePG's Backup objects in Zitadel's namespace (it only reads). On
cockroachdb a Job with the cockroach client runs SHOW BACKUPS IN the backups' destination and
orbctl reads its log (the Job is deleted after): NAME is the backup's subdirectory in the
collection, when it started is the time it is named for, and METHOD is "-" (CockroachDB does not
record who took it).

SIZE is "-": neither engine records one (the object store has it). A restore takes a completed
backup of the live cluster by its NAME, or latest.`,
		Example: `  orbctl zitadel backups
  orbctl zitadel backups -o json | jq -r '.[] | select(.phase=="completed") | .name' | head -1`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			orb, err := a.open()
			if err != nil {
				return err
			}
			defer orb.Close()
			backups, err := orb.ZitadelBackups(a.ctx)
			if err != nil {
				return err
			}
			if a.structured() {
				return a.print(backups)
			}
			if len(backups) == 0 {
				fmt.Fprintln(a.out, "no backups yet: the schedule takes the first soon after the database starts; orbctl zitadel backup takes one now")
				return nil
			}
			printBackups(a, backups, time.Now())
			return nil
		},
	}
}

func printBackups(a *app, backups []dbbackup.Backup, now time.Time) {
	w := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tCLUSTER\tPHASE\tSTARTED\tAGE\tSIZE\tMETHOD")
	for _, b := range backups {
		started, age := "-", "-"
		if b.Started != nil {
			started = b.Started.UTC().Format(time.RFC3339)
			age = shortAge(now.Sub(*b.Started))
		}
		size := "-"
		if b.Size >= 0 {
			size = strconv.FormatInt(b.Size, 10)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", b.Name, b.Cluster, dash(b.Phase), started, age, size, dash(b.Method))
	}
	w.Flush()
}

// shortAge says 45s, 12m, 5h or 3d.
func shortAge(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
