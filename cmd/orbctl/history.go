package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func (a *app) historyCommand() *cobra.Command {
	var limit int
	c := &cobra.Command{
		Use:   "history",
		Short: "List the ORB's runs and desired-state changes from its Git log",
		Long: `history reads the ORB repository's log: every run (operation, outcome, changes, who ran it)
and every change of the desired state, newest first.`,
		Example: "  orbctl history -n 5\n  orbctl history -o json | jq '.[] | select(.outcome==\"failed\")'",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			orb, err := a.openSnapshot()
			if err != nil {
				return err
			}
			defer orb.Close()
			entries, err := orb.History(a.ctx, limit)
			if err != nil {
				return err
			}
			if a.structured() {
				return a.print(entries)
			}
			w := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "COMMIT\tWHEN\tOPERATION\tOUTCOME\tCHANGES\tSUBJECT")
			for _, e := range entries {
				fmt.Fprintf(w, "%.12s\t%s\t%s\t%s\t%s\t%s\n", e.Commit, e.When.UTC().Format(time.RFC3339), e.Operation,
					dash(e.Outcome), dash(e.Changes), e.Subject)
			}
			return w.Flush()
		},
	}
	c.Flags().IntVarP(&limit, "limit", "n", 20, "show at most this many entries (0: all)")
	return c
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
