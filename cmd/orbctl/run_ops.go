package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/orbos/orbos/automation"
	"github.com/orbos/orbos/automation/orbconfig"
	"github.com/orbos/orbos/stacks"
	"github.com/orbos/orbos/stacks/program"
)

// runOp runs one engine operation and prints its result.
func (a *app) runOp(op automation.Operation, ro automation.RunOptions) error {
	orb, err := a.open()
	if err != nil {
		return err
	}
	defer orb.Close()
	res, err := orb.Run(a.ctx, op, ro)
	if a.s.Verbose {
		defer automation.PrintPhases(a.errOut, res) // after the result
	}
	if errors.Is(err, automation.ErrNotConfirmed) {
		return err // the question was the output; the error says nothing changed
	}
	if a.structured() {
		if perr := a.print(res); perr != nil {
			return perr
		}
		return err
	}
	a.printResult(res)
	return err
}

var previewWords = map[string]string{"create": "to create", "update": "to update", "delete": "to delete", "replace": "to replace"}

func (a *app) printResult(res *automation.Result) {
	if res.Outcome == "" {
		return // stopped before the engine ran; the error says why
	}
	if res.Operation == automation.Preview {
		if res.Outcome != automation.Succeeded {
			fmt.Fprintf(a.out, "preview of %s failed: see the error below\n", res.Orb)
			return
		}
		if res.ChangeCount() == 0 {
			fmt.Fprintf(a.out, "preview of %s: no changes\n", res.Orb)
			return
		}
		fmt.Fprintf(a.out, "preview of %s: %s\n", res.Orb, planWords(res.Changes))
		return
	}
	changes := automation.DescribeChanges(res.Changes)
	if changes == "" {
		changes = "no changes"
	}
	fmt.Fprintf(a.out, "%s of %s %s in %.1fs: %s\n", res.Operation, res.Orb, res.Outcome, res.Seconds, changes)
	switch {
	case res.Commit != "" && res.Pushed:
		fmt.Fprintf(a.out, "state committed as %.12s and pushed\n", res.Commit)
	case res.Commit != "":
		fmt.Fprintf(a.out, "state committed as %.12s but NOT pushed\n", res.Commit)
	default:
		fmt.Fprintln(a.out, "nothing changed: no commit")
	}
}

func (a *app) previewCommand() *cobra.Command {
	var (
		ro       automation.RunOptions
		mocks    bool
		specFile string
		ref      string
	)
	c := &cobra.Command{
		Use:   "preview",
		Short: "Show what `up` would change, as a diff, without changing anything",
		Long: `preview validates the desired state, then lets the engine compute the plan and prints it:
+ create, ~ update (with each changed property, old => new), - delete, +- replace.
It takes no lock and makes no commit.

--ref previews a proposal: the desired state of another branch (or a pull request's head, e.g.
refs/pull/7/head) against the state the ORB runs now, with the policy pack, in a scratch checkout
of its own; main and the ORB lock stay untouched. -o markdown prints a summary fit for a
pull-request comment: the verdicts of the spec checks and the policy pack, and the changes. For CI:
exit 0 passes, 2 an invalid desired state or a policy violation, 1 a preview that failed otherwise.`,
		Example: `  orbctl preview
  orbctl preview --expect-no-changes   # exit 5 when the cluster differs from the repository
  orbctl preview -o json | jq .changes
  orbctl preview --ref "$PROPOSAL_BRANCH" -o markdown > comment.md   # in the ORB repository's CI`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if mocks {
				return a.mockPreview(specFile)
			}
			if specFile != "" {
				return usageError{fmt.Errorf("--spec needs --mocks")}
			}
			if ref != "" {
				return a.previewProposal(ref, ro)
			}
			if a.s.Output == outputMarkdown {
				return a.previewMarkdown(ro)
			}
			return a.runOp(automation.Preview, ro)
		},
	}
	c.Flags().StringVar(&ref, "ref", "", "preview the desired state of this branch or ref (a proposal) against the ORB's current state")
	c.Flags().BoolVar(&ro.ExpectNoChanges, "expect-no-changes", false, "fail with exit code 5 when the preview finds changes")
	c.Flags().BoolVar(&ro.NoPolicy, "no-policy", false, "skip orbos's policy pack (it runs by default)")
	c.Flags().BoolVar(&mocks, "mocks", false, "plan against mocks of every cloud (for GCE and Cloudflare where their providers cannot run): every resource with its inputs")
	c.Flags().StringVar(&specFile, "spec", "", "with --mocks: plan this Pulumi.<orb>.yaml instead of the ORB's (no orbconfig needed)")
	_ = c.MarkFlagFilename("spec", "yaml")
	return c
}

// mockPreview plans the spec against mocks and prints every resource with its inputs.
func (a *app) mockPreview(specFile string) error {
	var raw []byte
	var orbName, repoDir string
	if specFile != "" {
		var err error
		if raw, err = readFlagFile(specFile); err != nil {
			return err
		}
		base := filepath.Base(specFile)
		orbName = strings.TrimSuffix(strings.TrimPrefix(base, "Pulumi."), ".yaml")
		if orbName == base {
			return usageError{fmt.Errorf("--spec %s: the file must be named Pulumi.<orb>.yaml", specFile)}
		}
		// The spec's directory stands for the ORB repository: its preApply/ and postApply/.
		repoDir = filepath.Dir(specFile)
	} else {
		orb, err := a.openSynced()
		if err != nil {
			return err
		}
		defer orb.Close()
		if _, raw, err = orb.StackFile(); err != nil {
			return err
		}
		orbName, repoDir = orb.Name(), orb.Checkout()
	}
	spec, err := stacks.Parse(orbName, raw)
	if err != nil {
		return err
	}
	spec.Runtime.RepoDir = repoDir
	plan, err := program.MockPlan(spec)
	if err != nil {
		return err
	}
	if a.structured() {
		return a.print(plan)
	}
	fmt.Fprint(a.out, program.FormatPlan(plan))
	fmt.Fprintf(a.out, "plan of %s against mocks: %d resources to create\n", orbName, len(plan))
	return nil
}

func (a *app) upCommand() *cobra.Command {
	var ro automation.RunOptions
	c := &cobra.Command{
		Use:   "up",
		Short: "Converge the ORB to its desired state, then commit and push the state",
		Long: `up takes the ORB lock, brings the checkout up to the repository, validates the desired state
and runs the engine, printing each resource as it is created, updated or deleted. Whatever
happens once the engine has started (success, failure, Ctrl-C), the state and status/<orb>.yaml
are committed and pushed before the lock is released. A run that changes nothing makes no commit.
On a terminal, up first shows the plan (with the lock held, so that it is what runs) and asks
before changing anything; --yes skips the question. Without a terminal (scripts, CI, the
reconciler) it never asks.`,
		Example: `  orbctl up
  orbctl up --yes               # apply without showing the plan first
  orbctl up --lock-wait 10m     # queue behind a run that holds the lock
  orbctl up -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !a.s.Yes && a.interactive() {
				cfg, err := loadConfigForPrompt(a.s.Orbconfig)
				if err != nil {
					return usageError{err}
				}
				ro.Confirm = a.confirmPlan(cfg)
			}
			return a.runOp(automation.Up, ro)
		},
	}
	c.Flags().StringVarP(&ro.Message, "message", "m", "", "a note for the state commit")
	c.Flags().BoolVarP(&a.s.Yes, "yes", "y", a.s.Yes, "apply without showing the plan and asking first (only a terminal is asked) [$ORBOS_YES]")
	c.Flags().BoolVar(&ro.NoPolicy, "no-policy", false, "skip orbos's policy pack (it runs by default)")
	return c
}

func (a *app) refreshCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "refresh",
		Short: "Read the real resources back into the state and record drift",
		Long: `refresh asks every provider for the real state of each resource and writes what changed
behind orbos's back into the state and status/<orb>.yaml, as one commit.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runOp(automation.Refresh, automation.RunOptions{})
		},
	}
}

func (a *app) destroyCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "destroy",
		Short: "Delete every resource of the ORB (asks first unless --yes)",
		Long: `destroy deletes every resource the ORB manages. The repository stays: its history keeps every
state, and a later up builds the ORB again. orbctl asks you to type the ORB's name unless --yes.`,
		Example: `  orbctl destroy
  orbctl destroy --yes -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !a.s.Yes {
				if err := a.confirmDestroy(); err != nil {
					return err
				}
			}
			return a.runOp(automation.Destroy, automation.RunOptions{})
		},
	}
	c.Flags().BoolVarP(&a.s.Yes, "yes", "y", a.s.Yes, "do not ask for confirmation [$ORBOS_YES]")
	return c
}

func (a *app) confirmDestroy() error {
	cfg, err := loadConfigForPrompt(a.s.Orbconfig)
	if err != nil {
		return err
	}
	return a.confirmTyped(fmt.Sprintf("This deletes every resource of the ORB %s. Type its name to confirm: ", cfg), cfg, "run")
}

// previewProposal previews the desired state of ref against the ORB's current state.
func (a *app) previewProposal(ref string, ro automation.RunOptions) error {
	cfg, err := orbconfig.Load(a.s.Orbconfig)
	if err != nil {
		return usageError{err}
	}
	if _, err := automation.ProposalRef(ref); err != nil {
		return usageError{fmt.Errorf("--ref: %w", err)}
	}
	p, err := automation.OpenProposal(a.ctx, automation.Options{
		Config: cfg, Checkout: a.s.Checkout, Progress: a.errOut, Redactor: a.redactor,
	}, ref)
	if err != nil {
		return err
	}
	defer p.Close()
	res, err := p.Preview(a.ctx, ro)
	return a.printPreview(res, ref, err)
}

// previewMarkdown previews the ORB's own desired state, printing markdown.
func (a *app) previewMarkdown(ro automation.RunOptions) error {
	orb, err := a.open()
	if err != nil {
		return err
	}
	defer orb.Close()
	res, err := orb.Run(a.ctx, automation.Preview, ro)
	return a.printPreview(res, "", err)
}

func (a *app) printPreview(res *automation.Result, ref string, err error) error {
	switch {
	case a.s.Output == outputMarkdown:
		writeMarkdown(a.out, res, ref, err)
	case a.structured():
		return errors.Join(err, a.print(res))
	default:
		a.printResult(res)
	}
	return err
}
