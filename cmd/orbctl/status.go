package main

import (
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/orbos/orbos/automation"
	"github.com/orbos/orbos/automation/orbconfig"
	"github.com/orbos/orbos/automation/orblock"
)

func (a *app) statusCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the ORB's current state from its repository alone",
		Long: `status reads status/<orb>.yaml and the ORB lock from the repository: the last run, its outcome
and changes, the managed resources and who holds the lock now. It needs no cluster access, and
answers while a run holds the ORB (it reads what the repository holds, never the run's checkout).`,
		Example: `  orbctl status
  orbctl status -o json | jq .status.lastRun.outcome`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			orb, err := a.openSnapshot()
			if err != nil {
				return err
			}
			defer orb.Close()
			st, err := orb.Status()
			if err != nil {
				return err
			}
			_, lock, err := orb.Lock(a.ctx)
			if err != nil {
				return err
			}
			if a.structured() {
				return a.print(struct {
					Orb    string             `json:"orb"`
					Status *automation.Status `json:"status"`
					Lock   *orblock.Info      `json:"lock"`
				}{orb.Name(), st, lock})
			}
			a.printStatus(orb.Name(), st, lock)
			return nil
		},
	}
}

func (a *app) printStatus(orb string, st *automation.Status, lock *orblock.Info) {
	w := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
	defer w.Flush()
	fmt.Fprintf(w, "ORB:\t%s\n", orb)
	if lock != nil {
		fmt.Fprintf(w, "Lock:\theld by %s\n", lock)
	} else {
		fmt.Fprintf(w, "Lock:\tfree\n")
	}
	if st == nil {
		fmt.Fprintf(w, "Last run:\tnone yet: run `orbctl up`\n")
		return
	}
	r := st.LastRun
	fmt.Fprintf(w, "Kubernetes:\t%s (namespace %s)\n", st.Kubernetes.DesiredVersion, st.Kubernetes.Namespace)
	fmt.Fprintf(w, "Last run:\t%s %s at %s by %s (%s)\n", r.Operation, r.Outcome, r.Finished.Format(time.RFC3339), r.Holder, changeList(r.Changes))
	if r.Error != "" {
		fmt.Fprintf(w, "Error:\t%s\n", r.Error)
	}
	if st.LastSuccess != nil {
		fmt.Fprintf(w, "Last success:\t%s\n", st.LastSuccess.Format(time.RFC3339))
	}
	if e := st.Kubernetes.CertExpiry; e != "" {
		note := ""
		if t, err := time.Parse(time.RFC3339, e); err == nil && time.Until(t) < 30*24*time.Hour {
			note = " (renew: less than 30 days left; `kubeadm certs renew all` on each control plane)"
		}
		fmt.Fprintf(w, "Certificates:\texpire %s%s\n", e, note)
	}
	fmt.Fprintf(w, "Desired commit:\t%.12s\n", st.DesiredCommit)
	fmt.Fprintf(w, "Resources:\t%d\n", len(st.Resources))
	w.Flush()
	rw := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
	for _, res := range st.Resources {
		fmt.Fprintf(rw, "  %s\t%s\t%s\n", res.Type, res.Name, res.ID)
	}
	rw.Flush()
	if len(st.Nodes) > 0 {
		fmt.Fprintf(a.out, "Nodes:\t%d\n", len(st.Nodes))
		nw := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(nw, "  NAME\tROLE\tKUBELET\tJOINED\tPREPARED\tCERT EXPIRY")
		for _, n := range st.Nodes {
			fmt.Fprintf(nw, "  %s\t%s\t%s\t%t\t%t\t%s\n", n.Name, n.Role, dash(n.Kubelet), n.Joined, n.Prepared, dash(n.CertExpiry))
		}
		nw.Flush()
	}
	if len(st.Tools) > 0 {
		fmt.Fprintf(a.out, "BOOM tools:\t%d\n", len(st.Tools))
		tw := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  NAME\tCHART\tVERSION\tNAMESPACE\tRELEASE\tREADY\tSTATUS")
		for _, t := range st.Tools {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%d/%d\t%s\n", t.Name, t.Chart, t.Version, t.Namespace, dash(t.Release), t.Ready, t.Workloads, t.Status)
		}
		tw.Flush()
		for _, t := range st.Tools {
			if t.Detail != "" {
				fmt.Fprintf(a.out, "  %s: %s\n", t.Name, t.Detail)
			}
		}
	}
	printZitadel(a.out, st.Zitadel)
}

func changeList(c map[string]int) string {
	if len(c) == 0 {
		return "no changes"
	}
	var parts []string
	for k, n := range c {
		parts = append(parts, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// loadConfigForPrompt returns the ORB's name for a confirmation prompt.
func loadConfigForPrompt(path string) (string, error) {
	cfg, err := orbconfig.Load(path)
	if err != nil {
		return "", err
	}
	return cfg.Orb, nil
}
