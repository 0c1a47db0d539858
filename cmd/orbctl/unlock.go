package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/orbos/orbos/automation/orblock"
)

func (a *app) unlockCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "unlock",
		Short: "Remove the ORB lock of a holder that is gone for good (asks first unless --yes)",
		Long: `unlock removes the ORB lock whoever holds it. It is the override for two cases only:
- a lock marked with state a run could not push ("unpushed state at HOST:DIR, run R"), when that
  checkout is lost for good. Runs from other checkouts then start from the older state on the
  remote: what that run changed is missing from it (orbctl refresh reads real resources back).
  If the checkout still exists, run orbctl there instead: any run pushes the state.
- a holder that hangs: its lease is renewed, yet it does nothing.
A lock whose holder died needs no unlock: it is taken over once it has been seen unchanged for its
lease (--lock-ttl of the holder), or at once from the same machine.
unlock shows the lock and asks you to type the ORB's name; it removes only the lock it showed.`,
		Example: `  orbctl unlock
  orbctl unlock --yes   # in scripts: removes whatever lock there is`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			orb, err := a.openSnapshot()
			if err != nil {
				return err
			}
			defer orb.Close()
			commit, info, err := orblock.Inspect(a.ctx, orb.Repo())
			if err != nil {
				return err
			}
			if info == nil {
				fmt.Fprintf(a.out, "the ORB %s is not locked\n", orb.Name())
				return nil
			}
			fmt.Fprintf(a.errOut, "The ORB %s is locked by %s.\n", orb.Name(), info)
			if u := info.Unpushed; u != nil {
				fmt.Fprintf(a.errOut, "Its newest state (commit %.12s, run %s) exists only in %s: unlocking gives it up (%s).\n",
					u.Commit, u.RunID, u.Checkout, u.Reason)
			}
			if !a.s.Yes {
				if err := a.confirmTyped("Type the ORB's name to remove the lock: ", orb.Name(), "run"); err != nil {
					return err
				}
			}
			if err := orblock.Break(a.ctx, orb.Repo(), commit); err != nil {
				return err
			}
			fmt.Fprintf(a.out, "removed the lock of %s\n", info.Holder)
			return nil
		},
	}
	c.Flags().BoolVarP(&a.s.Yes, "yes", "y", a.s.Yes, "do not ask for confirmation [$ORBOS_YES]")
	return c
}
