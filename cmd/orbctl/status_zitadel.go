package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/orbos/orbos/automation/record"
)

// printZitadel shows Zitadel's part of the status: readiness, the live database cluster and the
// backups as the last run read them (ages as of that reading, which the line says).
func printZitadel(out io.Writer, z *record.ZitadelStatus) {
	if z == nil {
		return
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	defer w.Flush()
	fmt.Fprintf(w, "Zitadel:\t%s at %s (namespace %s): %s, %d/%d replicas ready\n", z.Version, z.ExternalURL, z.Namespace, z.Status, z.Replicas.Ready, z.Replicas.Wanted)
	if z.Detail != "" {
		fmt.Fprintf(w, "  \t%s\n", z.Detail)
	}
	d := z.Database
	fmt.Fprintf(w, "  Database:\t%s cluster %s: %s, %d/%d instances ready\n", d.Engine, d.Cluster, d.Status, d.Instances.Ready, d.Instances.Wanted)
	if d.Detail != "" {
		fmt.Fprintf(w, "  \t%s\n", d.Detail)
	}
	if r := z.RestoredFrom; r != nil {
		to := ""
		if r.ToTime != "" {
			to = " to " + r.ToTime
		}
		fmt.Fprintf(w, "  Restored from:\t%s%s (restore %d)\n", r.Backup, to, r.Generation)
	}
	b := z.Backups
	if b == nil {
		fmt.Fprintf(w, "  Backups:\tnone scheduled (orbos:zitadel.database.backups)\n")
		return
	}
	period := ""
	if b.Period != "" {
		period = ", at most " + b.Period + " apart"
	}
	fmt.Fprintf(w, "  Backups:\t%q%s to %s (read %s)\n", b.Schedule, period, b.Destination, b.Checked.Format(time.RFC3339))
	if b.Unknown != "" {
		fmt.Fprintf(w, "  Last backup:\tunknown: %s\n", b.Unknown)
		return
	}
	if s := b.LastSuccessful; s != nil {
		fmt.Fprintf(w, "  Last backup:\t%s finished %s (%s old)\n", s.Name, s.Finished.Format(time.RFC3339), s.Age)
	} else {
		fmt.Fprintf(w, "  Last backup:\tnone completed yet\n")
	}
	if f := b.LastFailed; f != nil {
		why := ""
		if f.Error != "" {
			why = ": " + f.Error
		}
		fmt.Fprintf(w, "  Failed since:\t%s at %s (%s ago)%s\n", f.Name, f.Finished.Format(time.RFC3339), f.Age, why)
	}
}
