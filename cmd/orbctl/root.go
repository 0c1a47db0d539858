package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	root.SetIn(in)
	root.SetOut(out)
	root.SetErr(errOut)
	err := root.ExecuteContext(ctx)
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
	return exitCode(ctx, err)
}

func exitCode(ctx context.Context, err error) int {
	var (
		ve   *stacks.ValidationError
		held *orblock.HeldError
		mark *orblock.UnpushedError
		push *automation.PushError
		pol  *automation.PolicyError
		ue   usageError
	)
	switch {
	case errors.As(err, &ve), errors.As(err, &ue), errors.As(err, &pol):
		return exitInvalid
	case errors.As(err, &held), errors.As(err, &mark):
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

Exit codes: 0 ok, 1 failed, 2 invalid flags or spec, or refused by policy (nothing done), 3 ORB locked by another run
(or marked with state another checkout never pushed: see unlock), 4 state committed locally but not pushed, 5 preview found changes (--expect-no-changes), 130 interrupted;
node exec exits with the remote command's code.`

const rootExample = `  # Create an ORB in an empty repository and deploy it
  orbctl init --orb demo --repo git@github.com:acme/orb-demo.git --kubeconfig ~/.kube/config
  orbctl preview
  orbctl up

  # Operate it from anywhere with the orbconfig alone
  ORBOS_CONFIG=./orbconfig orbctl status --output json`

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "orbctl",
		Short:         "Operate ORBs: GitOps-managed Kubernetes clusters on Pulumi",
		Long:          rootLong,
		Example:       rootExample,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if a.s.Output != "text" && a.s.Output != "json" {
				return usageError{fmt.Errorf("--output must be text or json, not %q", a.s.Output)}
			}
			return nil
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	defaultConfig := a.s.Orbconfig
	if defaultConfig == "" {
		defaultConfig = orbconfig.DefaultPath()
	}
	pf.StringVar(&a.s.Orbconfig, "orbconfig", defaultConfig, "the orbconfig file: repository URL and passphrase of the ORB [$ORBOS_CONFIG]")
	pf.StringVarP(&a.s.Output, "output", "o", a.s.Output, "output format: text or json [$ORBOS_OUTPUT]")
	pf.StringVar(&a.s.Checkout, "checkout", a.s.Checkout, "local checkout of the ORB repository (default: a cache directory per ORB) [$ORBOS_CHECKOUT]")
	pf.DurationVar(&a.s.LockWait, "lock-wait", a.s.LockWait, "how long to wait for another run holding the ORB lock; 0 fails at once [$ORBOS_LOCK_WAIT]")
	pf.DurationVar(&a.s.LockTTL, "lock-ttl", a.s.LockTTL, "lease of the ORB lock, renewed while the run lasts; a waiter takes it over once it has seen it unchanged that long [$ORBOS_LOCK_TTL]")
	_ = root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))

	root.AddGroup(&cobra.Group{ID: "run", Title: "Run the ORB:"}, &cobra.Group{ID: "repo", Title: "Read and change the ORB repository:"})
	for _, c := range []*cobra.Command{a.initCommand(), a.previewCommand(), a.upCommand(), a.refreshCommand(), a.destroyCommand(), a.reconcileCommand(), a.takeoffCommand()} {
		c.GroupID = "run"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{a.statusCommand(), a.configCommand(), a.secretsCommand(), a.historyCommand(), a.nodeCommand(), a.schemaCommand(), a.kubeconfigCommand(), a.unlockCommand()} {
		c.GroupID = "repo"
		root.AddCommand(c)
	}
	return root
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

// printJSON writes v as indented JSON to stdout.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (a *app) json() bool { return a.s.Output == "json" }

// commandExit is a remote command's exit code, which orbctl exits with.
type commandExit struct{ code int }

func (c commandExit) Error() string { return fmt.Sprintf("the command exited with %d", c.code) }

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("%s takes no arguments, got %q", cmd.CommandPath(), args)}
	}
	return nil
}
