package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sethvargo/go-envconfig"
	"github.com/spf13/cobra"

	"github.com/orbos/orbos/automation"
	"github.com/orbos/orbos/automation/orbconfig"
	"github.com/orbos/orbos/automation/orblock"
	"github.com/orbos/orbos/stacks"
)

// Exit codes: scripts can tell why orbctl failed.
const (
	exitOK          = 0
	exitFailed      = 1 // the operation failed
	exitInvalid     = 2 // bad flags, arguments or spec: nothing was done
	exitLocked      = 3 // another run holds the ORB lock, or it is marked with state another checkout never pushed
	exitNotPushed   = 4 // the state is committed locally but not pushed
	exitChanges     = 5 // preview --expect-no-changes found changes
	exitInterrupted = 130
)

// settings are the global options; each has an environment variable, which a flag overrides.
type settings struct {
	Orbconfig string        `env:"ORBOS_CONFIG"`
	Output    string        `env:"ORBOS_OUTPUT, default=text"`
	Checkout  string        `env:"ORBOS_CHECKOUT"`
	LockWait  time.Duration `env:"ORBOS_LOCK_WAIT, default=0s"`
	LockTTL   time.Duration `env:"ORBOS_LOCK_TTL, default=2m"`
	Yes       bool          `env:"ORBOS_YES, default=false"`
	Verbose   bool          `env:"ORBOS_VERBOSE, default=false"`
}

// app is one invocation of orbctl.
type app struct {
	ctx    context.Context
	in     io.Reader
	out    io.Writer
	errOut io.Writer
	s      settings
	// redactor is the ORB's, shared by every ORB this invocation opens: it masks the final error too.
	redactor *automation.Redactor
}

// usageError marks wrong flags or arguments.
type usageError struct{ error }

func run(ctx context.Context, args []string, in io.Reader, out, errOut io.Writer) int {
	a := &app{ctx: ctx, in: in, out: out, errOut: errOut, redactor: &automation.Redactor{}}
	if err := envconfig.Process(ctx, &a.s); err != nil {
		fmt.Fprintf(errOut, "orbctl: environment: %v\n", err)
		return exitInvalid
	}
	root := a.rootCommand()
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	// node exec passes the remote command's exit code through, without a message of its own.
	var ce commandExit
	if errors.As(err, &ce) {
		return ce.code
	}
	// With --output json, a run's result (with its error) is already on stdout; stderr is for humans.
	fmt.Fprintf(errOut, "orbctl: %s\n", a.redactor.String(err.Error()))
	var ue usageError
	if errors.As(err, &ue) && cmd != nil {
		if cmd.Name() == "help" {
			cmd = root
		}
		fmt.Fprintf(errOut, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return exitCode(ctx, err)
}

func exitCode(ctx context.Context, err error) int {
	var (
		ve   *stacks.ValidationError
		held *orblock.HeldError
		mark *orblock.UnpushedError
		// renewed: lock break found a holder still renewing its lease.
		renewed *orblock.RenewedError
		push    *automation.PushError
		pol     *automation.PolicyError
		ue      usageError
	)
	switch {
	case errors.As(err, &ve), errors.As(err, &ue), errors.As(err, &pol):
		return exitInvalid
	case errors.As(err, &held), errors.As(err, &mark), errors.As(err, &renewed):
		return exitLocked
	case errors.Is(err, automation.ErrChangesPending):
		return exitChanges
	case ctx.Err() != nil:
		return exitInterrupted
	case errors.As(err, &push):
		return exitNotPushed
	}
	return exitFailed
}

const rootLong = `orbctl operates ORBs: Kubernetes clusters managed the GitOps way.

Each ORB is a Git repository holding its desired state (Pulumi.<orb>.yaml, secrets encrypted),
its current state (.pulumi/, Pulumi's file backend) and a readable status (status/<orb>.yaml).
orbctl clones it, takes the ORB lock, runs the Pulumi engine and commits and pushes the state
after every run, failed and interrupted ones included. Only the orbconfig file, which holds the
repository URL and the passphrase of the secrets, lives outside the repository.

Exit codes: 0 ok, 1 failed, 2 unknown command, invalid flags, arguments or spec, or refused by policy (nothing done), 3 ORB locked by another run
(or marked with state another checkout never pushed: see unlock), 4 state committed locally but not pushed, 5 preview found changes (--expect-no-changes), 130 interrupted;
node exec exits with the remote command's code.`

const rootExample = `  # Create an ORB in an empty repository and deploy it
  orbctl init --orb demo --repo git@github.com:acme/orb-demo.git --kubeconfig ~/.kube/config
  orbctl preview
  orbctl up

  # Operate it from anywhere with the orbconfig alone
  ORBOS_CONFIG=./orbconfig orbctl status --output json`

func (a *app) rootCommand() *cobra.Command {
	var showVersion bool
	root := &cobra.Command{
		Use:           "orbctl",
		Short:         "Operate ORBs: GitOps-managed Kubernetes clusters on Pulumi",
		Long:          rootLong,
		Example:       rootExample,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          subcommandArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if showVersion {
				return a.printVersion()
			}
			return cmd.Help()
		},
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if !validOutput(a.s.Output) && !(a.s.Output == outputMarkdown && cmd.Name() == "preview") {
				return usageError{fmt.Errorf("--output must be text, json or yaml, not %q", a.s.Output)}
			}
			return nil
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.Flags().BoolVar(&showVersion, "version", false, "show the versions of orbctl, the Pulumi engine, the providers and the spec (as orbctl version)")
	pf := root.PersistentFlags()
	defaultConfig := a.s.Orbconfig
	if defaultConfig == "" {
		defaultConfig = orbconfig.DefaultPath()
	}
	pf.StringVar(&a.s.Orbconfig, "orbconfig", defaultConfig, "the orbconfig file: repository URL and passphrase of the ORB [$ORBOS_CONFIG]")
	pf.StringVarP(&a.s.Output, "output", "o", a.s.Output, "output format: text, json or yaml [$ORBOS_OUTPUT]")
	pf.StringVar(&a.s.Checkout, "checkout", a.s.Checkout, "local checkout of the ORB repository (default: a cache directory per ORB) [$ORBOS_CHECKOUT]")
	pf.DurationVar(&a.s.LockWait, "lock-wait", a.s.LockWait, "how long to wait for another run holding the ORB lock; 0 fails at once [$ORBOS_LOCK_WAIT]")
	pf.DurationVar(&a.s.LockTTL, "lock-ttl", a.s.LockTTL, "lease of the ORB lock, renewed while the run lasts; a waiter takes it over once it has seen it unchanged that long [$ORBOS_LOCK_TTL]")
	pf.BoolVarP(&a.s.Verbose, "verbose", "v", a.s.Verbose, "after a run, print where its time went, phase by phase (open, lock, spec, policy, workspace, engine, record, unlock) to stderr [$ORBOS_VERBOSE]")
	_ = root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(outputFormats, cobra.ShellCompDirectiveNoFileComp))

	root.AddGroup(&cobra.Group{ID: "run", Title: "Run the ORB:"}, &cobra.Group{ID: "repo", Title: "Read and change the ORB repository:"})
	for _, c := range []*cobra.Command{a.initCommand(), a.previewCommand(), a.upCommand(), a.refreshCommand(), a.destroyCommand(), a.reconcileCommand(), a.takeoffCommand(), a.zitadelCommand()} {
		c.GroupID = "run"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{a.statusCommand(), a.configCommand(), a.secretsCommand(), a.historyCommand(), a.nodeCommand(), a.schemaCommand(), a.kubeconfigCommand(), a.lockCommand(), a.unlockCommand(), a.missionCommand(), a.versionCommand()} {
		c.GroupID = "repo"
		root.AddCommand(c)
	}
	root.SetHelpCommand(helpCommand(root))
	// cobra adds its completion command when it runs; add it now to refuse unknown shells too
	// (it keeps the writer it sees now).
	root.SetIn(a.in)
	root.SetOut(a.out)
	root.SetErr(a.errOut)
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			group(c)
		}
	}
	return root
}

// helpCommand is cobra's help command, except that an unknown topic is a usage error.
func helpCommand(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Long:  "help shows the help of any command, e.g. orbctl help node list.",
		ValidArgsFunction: func(c *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			cmd, _, _ := root.Find(args)
			var names []string
			for _, sub := range cmd.Commands() {
				if sub.IsAvailableCommand() {
					names = append(names, sub.Name())
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			cmd, rest, err := root.Find(args)
			if err != nil || len(rest) > 0 {
				return usageError{fmt.Errorf("unknown help topic %q", strings.Join(args, " "))}
			}
			return cmd.Help()
		},
	}
}

// open loads the orbconfig and opens the ORB's checkout.
func (a *app) open() (*automation.Orb, error) {
	cfg, err := orbconfig.Load(a.s.Orbconfig)
	if err != nil {
		return nil, usageError{err}
	}
	return automation.Open(a.ctx, automation.Options{
		Config: cfg, Checkout: a.s.Checkout, LockWait: a.s.LockWait, LockTTL: a.s.LockTTL, Progress: a.errOut, Redactor: a.redactor,
	})
}

// openSnapshot opens a read-only view of the ORB's repository as the remote holds it now: commands
// that only read never wait for a run that holds the ORB's checkout, nor take the ORB lock.
func (a *app) openSnapshot() (*automation.Snapshot, error) {
	cfg, err := orbconfig.Load(a.s.Orbconfig)
	if err != nil {
		return nil, usageError{err}
	}
	return automation.OpenSnapshot(a.ctx, automation.Options{
		Config: cfg, Checkout: a.s.Checkout, Progress: a.errOut, Redactor: a.redactor,
	})
}

// openSynced opens the ORB and brings its checkout up to the remote, for commands that only read.
func (a *app) openSynced() (*automation.Orb, error) {
	orb, err := a.open()
	if err != nil {
		return nil, err
	}
	if err := orb.Sync(a.ctx); err != nil {
		orb.Close()
		return nil, err
	}
	return orb, nil
}

// commandExit is a remote command's exit code, which orbctl exits with.
type commandExit struct{ code int }

func (c commandExit) Error() string { return fmt.Sprintf("the command exited with %d", c.code) }

// subcommandArgs refuses an unknown subcommand of a command that groups others, naming the
// closest ones; without arguments the command prints its help.
func subcommandArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return usageError{errors.New(msg)}
}

// group makes c a command that only groups subcommands: alone it prints its help; with an unknown
// subcommand it fails with exit code 2.
func group(c *cobra.Command) *cobra.Command {
	c.Args = subcommandArgs
	c.RunE = func(cmd *cobra.Command, args []string) error { return cmd.Help() }
	return c
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("%s takes no arguments, got %q", cmd.CommandPath(), args)}
	}
	return nil
}
