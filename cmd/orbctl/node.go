package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/orbos/orbos/automation"
)

func (a *app) nodeCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "node",
		Short: "The ORB's machines",
	}
	c.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the machines from the inventory in the ORB's state (no cloud access needed)",
		Long: `list reads the machine inventory that the last run recorded in the ORB's state: name, pool,
role, zone and addresses. It works from any clone of the repository, without cloud credentials.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			orb, err := a.openSynced()
			if err != nil {
				return err
			}
			defer orb.Close()
			inv, err := automation.Inventory(orb.Checkout(), orb.Name())
			if err != nil {
				return err
			}
			if a.json() {
				return a.printJSON(inv)
			}
			if len(inv) == 0 {
				fmt.Fprintln(a.out, "no machines in the state: the ORB has no provider, or no run has created them yet")
				return nil
			}
			w := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tPOOL\tROLE\tZONE\tPRIVATE IP\tPUBLIC IP")
			for _, m := range inv {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", m["name"], m["pool"], m["role"], dash(str(m["zone"])), dash(str(m["privateIP"])), dash(str(m["publicIP"])))
			}
			return w.Flush()
		},
	})
	return c
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}
