package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/orbos/orbos/automation/orblock"
)

// lockView is what `orbctl lock` prints.
type lockView struct {
	Orb    string `json:"orb"`
	Locked bool   `json:"locked"`
	// Commit is the lock's commit on the remote (refs/orbos/lock).
	Commit string        `json:"commit,omitempty"`
	Lock   *orblock.Info `json:"lock,omitempty"`
}

func (a *app) lockCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "lock",
		Short: "Show who holds the ORB lock, its lease and run; break the lock of a holder that is gone",
		Long: `lock shows the ORB lock as the repository holds it (refs/orbos/lock): the holder, what it runs
(purpose and run id), since when and when it last renewed (by the holder's clock), its lease, its
process, and state it could not push, if any. A run waiting for the lock takes it over once it has
seen it unchanged for its lease; orbctl lock break removes it at once, when that is safe.`,
		Example: "  orbctl lock\n  orbctl lock -o json | jq .lock.holder\n  orbctl lock break",
		Args:    subcommandArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			orb, err := a.openSnapshot()
			if err != nil {
				return err
			}
			defer orb.Close()
			commit, info, err := orb.Lock(a.ctx)
			if err != nil {
				return err
			}
			v := lockView{Orb: orb.Name(), Locked: info != nil, Commit: commit, Lock: info}
			if a.structured() {
				return a.print(v)
			}
			a.printLock(v)
			return nil
		},
	}
	c.AddCommand(a.lockBreakCommand())
	return c
}

func (a *app) printLock(v lockView) {
	w := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
	defer w.Flush()
	fmt.Fprintf(w, "ORB:\t%s\n", v.Orb)
	i := v.Lock
	if i == nil {
		fmt.Fprintf(w, "Lock:\tfree\n")
		return
	}
	fmt.Fprintf(w, "Lock:\theld (commit %.12s)\n", v.Commit)
	fmt.Fprintf(w, "Holder:\t%s\n", i.Holder)
	fmt.Fprintf(w, "Purpose:\t%s\n", i.Purpose)
	fmt.Fprintf(w, "Run:\t%s\n", dash(i.RunID))
	fmt.Fprintf(w, "Acquired:\t%s (the holder's clock)\n", i.Acquired.UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "Renewed:\t%s (the holder's clock)\n", i.Renewed.UTC().Format(time.RFC3339))
	if u := i.Unpushed; u != nil {
		fmt.Fprintf(w, "Lease:\tnone: the lock stays until its unpushed state is pushed\n")
		fmt.Fprintf(w, "Unpushed:\tcommit %.12s at %s, run %s, since %s: %s\n", u.Commit, u.Checkout, u.RunID, u.Since.UTC().Format(time.RFC3339), u.Reason)
	} else {
		fmt.Fprintf(w, "Lease:\t%s: a run waiting for the lock takes it over once it has seen it unchanged that long\n", i.Lease())
	}
	if i.PID > 0 {
		fmt.Fprintf(w, "Process:\tpid %d on %s\n", i.PID, dash(i.Host))
	}
}

func (a *app) lockBreakCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "break",
		Short: "Remove the ORB lock of a holder that no longer renews it, recorded in a commit (asks first unless --yes)",
		Long: `break shows the lock and asks you to type the ORB's name. It then watches the lock for its lease:
a holder that still renews it is alive, and break refuses (exit code 3). A holder on this machine
whose process is gone, and a lock marked with state that was never pushed, need no watching (that
state is given up: break says so before asking). The lock is removed in one atomic push together
with a commit on the ORB's branch that records who broke whose lock (orbctl history shows it).
break removes only the lock it showed.`,
		Example: "  orbctl lock break\n  orbctl lock break --yes -o json",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			orb, err := a.openSnapshot()
			if err != nil {
				return err
			}
			defer orb.Close()
			commit, info, err := orb.Lock(a.ctx)
			if err != nil {
				return err
			}
			if info == nil {
				if a.structured() {
					return a.print(map[string]any{"orb": orb.Name(), "broken": false})
				}
				fmt.Fprintf(a.out, "the ORB %s is not locked\n", orb.Name())
				return nil
			}
			fmt.Fprintf(a.errOut, "The ORB %s is locked by %s, run %s.\n", orb.Name(), info, dash(info.RunID))
			if u := info.Unpushed; u != nil {
				fmt.Fprintf(a.errOut, "Its newest state (commit %.12s, run %s) exists only in %s: breaking the lock gives it up (%s).\n",
					u.Commit, u.RunID, u.Checkout, u.Reason)
			}
			if !a.s.Yes {
				if err := a.confirmTyped("Type the ORB's name to break the lock: ", orb.Name(), "break it"); err != nil {
					return err
				}
			}
			record, err := orb.BreakLock(a.ctx, commit, *info, func(lease time.Duration) {
				fmt.Fprintf(a.errOut, "watching the lock for its lease (%s): a holder that still renews it is alive\n", lease)
			})
			if err != nil {
				return err
			}
			if a.structured() {
				return a.print(map[string]any{"orb": orb.Name(), "broken": true, "holder": info.Holder, "runID": info.RunID, "commit": record})
			}
			fmt.Fprintf(a.out, "broke the lock of %s (run %s); recorded in commit %.12s\n", info.Holder, dash(info.RunID), record)
			return nil
		},
	}
	c.Flags().BoolVarP(&a.s.Yes, "yes", "y", a.s.Yes, "do not ask for confirmation [$ORBOS_YES]")
	return c
}
