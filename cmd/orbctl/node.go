package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/spf13/cobra"

	"github.com/orbos/orbos/automation"
	"github.com/orbos/orbos/internal/sshexec"
)

func (a *app) nodeCommand() *cobra.Command {
	c := group(&cobra.Command{
		Use:   "node",
		Short: "The ORB's machines",
	})
	c.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the machines from the inventory in the ORB's state (no cloud access needed)",
		Long: `list reads the machine inventory that the last run recorded in the ORB's state: name, pool,
role, zone and addresses. It works from any clone of the repository, without cloud credentials.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			orb, err := a.openSnapshot()
			if err != nil {
				return err
			}
			defer orb.Close()
			inv, err := orb.Inventory()
			if err != nil {
				return err
			}
			if a.structured() {
				return a.print(inv)
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
	c.AddCommand(a.nodeRequestCommand("reboot", "Drain, reboot and uncordon a machine at the next run",
		`reboot writes a reboot request for the machine into the desired state (orbos:orbiter.nodes.<id>.reboot,
the current time) as a commit, pushed. The next run (orbctl up, or the reconciler) drains the node
(respecting PodDisruptionBudgets), reboots the machine, waits until it is back with its kubelet
active, and uncordons it.`))
	c.AddCommand(a.nodeRequestCommand("replace", "Remove a machine's node and join the machine anew at the next run",
		`replace writes a replace request for the machine into the desired state (orbos:orbiter.nodes.<id>.replace,
the current time) as a commit, pushed. The next run removes the node (drain and kubeadm reset; only
its node object when the machine is gone or was reinstalled with a new host key) and joins the
machine again, trusting its new host key. To swap in another machine instead, mark the old one
retired: true in its pool.`))
	c.AddCommand(a.nodeExecCommand(), a.nodeSSHCommand(), a.nodeTrustCommand())
	return c
}

func (a *app) nodeTrustCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "trust MACHINE",
		Short: "Accept a machine's new SSH host key at the next run (shows it and asks first unless --yes)",
		Long: `trust reads the host key the machine presents now, shows its fingerprint next to the one the
ORB's state pins, and asks you to confirm it (compare it with ssh-keygen -lf on the machine's
console). It then writes the fingerprint into the desired state (orbos:orbiter.nodes.<id>.trust) as
a commit, pushed. The next run pins the machine's key anew, if the machine still presents the key
with that fingerprint, and every resource of the machine logs in with it. Without trust (or node
replace), a machine presenting another key than the pinned one is refused.`,
		Args:              exactArgs(1),
		ValidArgsFunction: a.completeMachines,
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			orb, err := a.openSynced()
			if err != nil {
				return err
			}
			defer orb.Close()
			pinned, presented, err := orb.HostKeys(cmd.Context(), id)
			if err != nil {
				return err
			}
			fp, err := sshexec.Fingerprint(presented)
			if err != nil {
				return err
			}
			was := "nothing yet"
			if pinned != "" {
				if was, err = sshexec.Fingerprint(pinned); err != nil {
					return err
				}
			}
			if pinned == presented {
				if a.structured() {
					return a.print(map[string]string{"machine": id, "fingerprint": fp, "commit": ""})
				}
				fmt.Fprintf(a.out, "machine %s presents the pinned host key %s: nothing to trust\n", id, fp)
				return nil
			}
			fmt.Fprintf(a.errOut, "machine %s presents the host key %s\n  (%s)\nthe ORB's state pins %s\n", id, fp, strings.Fields(presented)[0], was)
			if !a.s.Yes {
				if err := a.confirmTyped(fmt.Sprintf("Trust %s for %s from the next run on? Type yes to confirm: ", fp, id), "yes", "trust"); err != nil {
					return err
				}
			}
			commit, err := orb.TrustHostKey(cmd.Context(), id, fp)
			if err != nil {
				return err
			}
			if a.structured() {
				return a.print(map[string]string{"machine": id, "fingerprint": fp, "commit": commit})
			}
			fmt.Fprintf(a.out, "trusted %s for %s in %.12s; the next run (orbctl up, or the reconciler) pins it\n", fp, id, commit)
			return nil
		},
	}
	c.Flags().BoolVarP(&a.s.Yes, "yes", "y", a.s.Yes, "do not ask for confirmation [$ORBOS_YES]")
	return c
}

func (a *app) nodeRequestCommand(what, short, long string) *cobra.Command {
	var (
		apply, wait bool
		timeout     time.Duration
	)
	c := &cobra.Command{
		Use:   what + " MACHINE [--apply] [--wait]",
		Short: short,
		Long: long + `

With --apply, orbctl carries the request out at once: it runs up from here right after the request's
commit. With --wait, it returns only once a run has carried the request out, and fails if that run
failed: with --apply it waits for the ORB lock when another run holds it; without, it waits for the
next run of someone else (the reconciler, or another orbctl up), up to --timeout.`,
		Example:           fmt.Sprintf("  orbctl node %[1]s w-1\n  orbctl node %[1]s w-1 --apply\n  orbctl node %[1]s w-1 --wait --timeout 20m   # the reconciler carries it out", what),
		Args:              exactArgs(1),
		ValidArgsFunction: a.completeMachines,
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			if wait && apply && a.s.LockWait == 0 {
				a.s.LockWait = timeout
			}
			orb, err := a.open()
			if err != nil {
				return err
			}
			defer orb.Close()
			if err := orb.Sync(cmd.Context()); err != nil {
				return err
			}
			if _, err := orb.Machine(cmd.Context(), id); err != nil && !errors.Is(err, automation.ErrHostKeyUnknown) {
				return err
			}
			commit, err := orb.RequestNode(cmd.Context(), id, what)
			if err != nil {
				return err
			}
			out := nodeRequestResult{Machine: id, Request: what, Commit: commit}
			switch {
			case apply:
				if !a.structured() {
					fmt.Fprintf(a.out, "requested %s of %s in %.12s; carrying it out with up\n", what, id, commit)
				}
				res, err := orb.Run(a.ctx, automation.Up, automation.RunOptions{Message: what + " " + id})
				out.Run = res
				if a.structured() {
					return errors.Join(err, a.print(out))
				}
				a.printResult(res)
				return err
			case wait:
				orb.Close() // others may run from this checkout meanwhile
				fmt.Fprintf(a.errOut, "requested %s of %s in %.12s; waiting (up to %s) for a run, the reconciler's or an orbctl up, to carry it out\n", what, id, commit, timeout)
				run, err := a.waitForRun(commit, timeout)
				if err != nil {
					return err
				}
				out.Ran = run
				if a.structured() {
					err = a.print(out)
				} else {
					fmt.Fprintf(a.out, "%s of %s carried out by %s run %s of %s: %s\n", what, id, run.Operation, run.RunID, run.Holder, run.Outcome)
				}
				if run.Outcome != automation.Succeeded {
					return errors.Join(err, fmt.Errorf("the run that carried out the %s of %s %s: %s", what, id, run.Outcome, run.Error))
				}
				return err
			}
			if a.structured() {
				return a.print(out)
			}
			fmt.Fprintf(a.out, "requested %s of %s in %.12s; the next run (orbctl up, or the reconciler) carries it out\n", what, id, commit)
			return nil
		},
	}
	c.Flags().BoolVar(&apply, "apply", false, "carry the request out at once with an up from here")
	c.Flags().BoolVar(&wait, "wait", false, "return once a run has carried the request out (with --apply: wait for the ORB lock too)")
	c.Flags().DurationVar(&timeout, "timeout", 30*time.Minute, "with --wait: how long to wait")
	return c
}

// nodeRequestResult is what node reboot and node replace print with -o json or yaml.
type nodeRequestResult struct {
	Machine string `json:"machine"`
	Request string `json:"request"`
	// Commit is the request's commit.
	Commit string `json:"commit"`
	// Run is the up that carried it out (--apply).
	Run *automation.Result `json:"run,omitempty"`
	// Ran is the run of somebody else that carried it out (--wait).
	Ran *automation.RunRecord `json:"ran,omitempty"`
}

// waitForRun waits until the ORB's status records a finished run of the desired state of commit or
// a later one, reading a fresh snapshot every few seconds.
func (a *app) waitForRun(commit string, timeout time.Duration) (*automation.RunRecord, error) {
	var run *automation.RunRecord
	err := wait.PollUntilContextTimeout(a.ctx, 3*time.Second, timeout, true, func(context.Context) (bool, error) {
		snap, err := a.openSnapshot()
		if err != nil {
			return false, err
		}
		defer snap.Close()
		run, err = snap.RunOf(commit)
		return run != nil, err
	})
	if err != nil {
		return nil, fmt.Errorf("waiting for a run of %.12s: %w", commit, err)
	}
	return run, nil
}

func (a *app) nodeExecCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "exec MACHINE -- COMMAND [ARGS...]",
		Short: "Run a command on a machine over SSH, with the ORB's key and the machine's known host key",
		Long: `exec runs COMMAND on the machine through its login user's shell (prefix sudo for root), with
your stdin, stdout and stderr attached. The host key must match the one pinned in the spec or
trusted by the first run. orbctl exits with the command's exit code.`,
		Example:           "  orbctl node exec w-1 -- sudo crictl ps\n  orbctl node exec cp-1 -- uptime",
		Args:              minArgs(2),
		ValidArgsFunction: a.completeMachines,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := a.machine(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			c, err := sshexec.Dial(cmd.Context(), t, sshexec.Options{})
			if err != nil {
				return err
			}
			defer c.Close()
			quoted := make([]string, len(args)-1)
			for i, arg := range args[1:] {
				quoted[i] = sshexec.Quote(arg)
			}
			code, err := c.Stream(cmd.Context(), strings.Join(quoted, " "), a.in, a.out, a.errOut)
			if err != nil {
				return err
			}
			if code != 0 {
				return commandExit{code}
			}
			return nil
		},
	}
}

func (a *app) nodeSSHCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "ssh MACHINE [-- SSH-ARGS...]",
		Short: "Open an interactive SSH session on a machine (OpenSSH's ssh, the machine's host key pinned)",
		Long: `ssh starts OpenSSH's ssh client on the machine with the ORB's key and a known_hosts file that
holds only the machine's host key (pinned in the spec or trusted by the first run), with strict
host-key checking. Both live in a private temporary directory removed afterwards.`,
		Args:              minArgs(1),
		ValidArgsFunction: a.completeMachines,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := a.machine(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return runSSH(cmd.Context(), t, args[1:], a.in, a.out, a.errOut)
		},
	}
}

// machine returns how to log in to one of the ORB's machines.
func (a *app) machine(ctx context.Context, id string) (sshexec.Target, error) {
	orb, err := a.openSynced()
	if err != nil {
		return sshexec.Target{}, err
	}
	defer orb.Close()
	return orb.Machine(ctx, id)
}

func (a *app) completeMachines(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveDefault
	}
	orb, err := a.openSnapshot()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	defer orb.Close()
	inv, _ := orb.Inventory()
	var names []string
	for _, m := range inv {
		names = append(names, str(m["name"]))
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}
