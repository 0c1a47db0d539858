package automation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/automation/langhost"
	"github.com/orbos/orbos/automation/record"
	"github.com/orbos/orbos/internal/tools"
	"github.com/orbos/orbos/policy"
	"github.com/orbos/orbos/provider"
	"github.com/orbos/orbos/stacks"
	"github.com/orbos/orbos/stacks/program"
)

// engine runs op on the ORB's stack with the file backend inside the checkout, reporting progress.
func (o *Orb) engine(ctx context.Context, op Operation, spec *stacks.Spec, res *Result, ro RunOptions) error {
	var packs []string
	if (op == Preview || op == Up) && !ro.NoPolicy {
		pack, err := tools.Find(PolicyPackBinary)
		if err != nil {
			return fmt.Errorf("the policy pack: %w; it is built next to orbctl by `make build` (or pass --no-policy)", err)
		}
		packs = []string{pack}
	} else if ro.NoPolicy {
		o.progressf("policy checks are off (--no-policy)\n")
	}
	// The version-step policy compares with what the ORB runs now.
	var current string
	if st, _ := record.ReadStatus(o.Checkout(), o.name()); st != nil && st.LastSuccess != nil {
		current = st.Kubernetes.DesiredVersion
	}
	if len(packs) > 0 {
		// The rules over the whole ORB are judged here, before the engine starts, so that a violation
		// changes nothing without a preview of its own; the engine checks the rules over single
		// resources before it changes each one (the pack's resource policies).
		done := res.timed(PhasePolicy)
		err := o.judge(op, current)
		done()
		if err != nil {
			return err
		}
	}
	done := res.timed(PhaseWorkspace)
	ws, err := o.workspace()
	if err != nil {
		return err
	}
	defer ws.close()
	if len(packs) > 0 {
		ws.extraEnv = map[string]string{}
		if current != "" {
			ws.extraEnv[policy.CurrentVersionEnv] = current
		}
		// The masterkey policy compares with the key Zitadel runs with.
		if h := o.runningMasterkeyHash(); h != "" {
			ws.extraEnv[policy.RunningMasterkeyEnv] = h
		}
	}
	ws.engineOnly = true
	o.runtime(ctx, spec)
	stack, err := ws.stack(ctx, o.name(), program.New(spec), o.Redact)
	done()
	if err != nil {
		return err
	}
	if op == Up {
		// Before anything asks Helm about a release (the plan below included).
		o.recoverReleases(ctx, spec)
	}
	if op == Up && ro.Confirm != nil {
		// On a terminal the plan is shown, with what the policies say, and asked about first.
		done := res.timed(PhasePlan)
		err := o.policyCheck(ctx, stack, packs, ro)
		done()
		if err != nil {
			return err
		}
	}
	defer res.timed(PhaseEngine)()
	w := o.progressWriter()
	cp, err := record.ReadCheckpoint(o.Checkout(), o.name())
	if err != nil {
		return err
	}
	if n := cp.PendingOperations(); n > 0 && op != Preview && op != Drift {
		// An interrupted engine left operations whose outcome it never learned. Refresh them away;
		// what a lost create made is adopted by the next create (server-side apply upserts).
		o.progressf("clearing %d unfinished operations of an interrupted run\n", n)
		if _, err := stack.Refresh(ctx, optrefresh.ClearPendingCreates(), optrefresh.Message("orbos: clear unfinished operations")); err != nil {
			return o.engineError(Refresh, err, nil)
		}
	}
	prog := newProgress(w, op == Preview || op == Drift)
	ch := make(chan events.EngineEvent)
	consumed := make(chan struct{})
	go func() {
		prog.consume(ch)
		close(consumed)
	}()
	msg := fmt.Sprintf("orbos %s %s (run %s)", op, o.name(), res.RunID)
	if ro.Message != "" {
		msg += ": " + ro.Message
	}
	switch op {
	case Preview:
		_, err = stack.Preview(ctx, optpreview.EventStreams(ch), optpreview.Message(msg), optpreview.PolicyPacks(packs...))
	case Drift:
		_, err = stack.Preview(ctx, optpreview.EventStreams(ch), optpreview.Refresh(), optpreview.Message(msg))
	case Up:
		opts := []optup.Option{optup.EventStreams(ch), optup.Message(msg), optup.PolicyPacks(packs...)}
		if ro.Refresh {
			opts = append(opts, optup.Refresh())
		}
		_, err = stack.Up(ctx, opts...)
	case Refresh:
		_, err = stack.Refresh(ctx, optrefresh.EventStreams(ch), optrefresh.Message(msg))
	case Destroy:
		_, err = stack.Destroy(ctx, optdestroy.EventStreams(ch), optdestroy.Message(msg))
	default:
		err = fmt.Errorf("unknown operation %q", op)
		close(ch)
	}
	select {
	case <-consumed:
	case <-time.After(5 * time.Second): // the stream ends with the command; never hang on it
	}
	res.Steps = prog.Steps()
	for _, s := range res.Steps {
		if s.Op != "refresh" {
			res.Changes[s.Op]++
		}
	}
	if prog.summary != nil {
		for k, v := range prog.summary.ResourceChanges {
			if k != "same" && v > 0 {
				res.engineChanges += v
			}
		}
	}
	if err != nil {
		if len(prog.violations) > 0 {
			return &PolicyError{Operation: op, Violations: redactAll(o, prog.violations)}
		}
		return o.engineError(op, err, prog.errors)
	}
	return nil
}

// progressWriter is where progress goes, redacted and in order; nil discards it.
func (o *Orb) progressWriter() io.Writer {
	if o.opts.Progress == nil {
		return nil
	}
	o.progressOnce.Do(func() { o.progress = newProgressQueue(o.redactor.Writer(o.opts.Progress), o.redactor) })
	return o.progress
}

// flushProgress returns once every progress line written has been passed on.
func (o *Orb) flushProgress() {
	if o.progress != nil {
		o.progress.Flush()
	}
}

// policyCheck previews with the policy packs and fails, before anything changes, on a violation;
// then it shows the plan and asks ro.Confirm.
func (o *Orb) policyCheck(ctx context.Context, stack auto.Stack, packs []string, ro RunOptions) error {
	w := o.progressWriter()
	// Only what the policies say is shown, unless the plan is asked about; else the plan itself
	// follows as the up's progress.
	prog := newProgress(nil, true)
	ch := make(chan events.EngineEvent)
	consumed := make(chan struct{})
	go func() {
		for ev := range ch {
			if ev.PolicyEvent != nil || ro.Confirm != nil {
				prog.w = w
			}
			prog.handle(ev.EngineEvent)
			prog.w = nil
		}
		close(consumed)
	}()
	opts := []optpreview.Option{optpreview.EventStreams(ch), optpreview.PolicyPacks(packs...), optpreview.Message("orbos: policy check")}
	if ro.Refresh {
		opts = append(opts, optpreview.Refresh())
	}
	_, err := stack.Preview(ctx, opts...)
	select {
	case <-consumed:
	case <-time.After(5 * time.Second):
	}
	if len(prog.violations) > 0 {
		return &PolicyError{Operation: Up, Violations: redactAll(o, prog.violations)}
	}
	if err != nil {
		return o.engineError(Preview, err, prog.errors)
	}
	changes := map[string]int{}
	for _, s := range prog.Steps() {
		if s.Op != "refresh" && s.Op != "same" {
			changes[s.Op]++
		}
	}
	if len(changes) == 0 {
		return nil
	}
	o.flushProgress() // the whole plan, before the question
	return ro.Confirm(ctx, changes)
}

func redactAll(o *Orb, list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = o.Redact(s)
	}
	return out
}

// engineError keeps what the engine said went wrong, not the whole CLI transcript.
func (o *Orb) engineError(op Operation, err error, diags []string) error {
	if auto.IsConcurrentUpdateError(err) {
		return fmt.Errorf("%s: another Pulumi engine holds this ORB's state in %s", op, o.Checkout())
	}
	if len(diags) > 0 {
		return fmt.Errorf("%s failed: %s", op, o.Redact(strings.Join(diags, "; ")))
	}
	msg := err.Error()
	if i := strings.Index(msg, "stderr:"); i >= 0 {
		msg = strings.TrimSpace(msg[i+len("stderr:"):])
	}
	return fmt.Errorf("%s failed: %s", op, o.Redact(truncate(msg, 2000)))
}

// PolicyPackBinary is the executable serving orbos's policy pack; it lives next to orbctl.
const PolicyPackBinary = "orbos-policy"

// workspace opens the ORB's Pulumi workspace; close removes its passphrase file.
func (o *Orb) workspace() (*workspace, error) {
	home := o.opts.PulumiHome
	if home == "" {
		home = os.Getenv("PULUMI_HOME")
	}
	return newWorkspace(o.Checkout(), o.opts.Config.Passphrase, home)
}

// workspace is where the Pulumi CLI runs for an ORB: the checkout, with the file backend inside it.
type workspace struct {
	dir  string
	home string // Pulumi's home; the CLI's default when empty
	// passphraseFile holds the passphrase (mode 0600, in a directory only this user can enter) for as
	// long as the workspace is open: the CLI reads it from there, and the plugins it starts, which
	// inherit its environment, never see the passphrase itself.
	passphraseFile string
	extraEnv       map[string]string
	// orb is the stack the workspace selects; engineOnly says that a run reads what the engine did
	// from its events and the checkout, not from the CLI afterwards (see pulumiCLI).
	orb        string
	engineOnly bool
}

func newWorkspace(dir, passphrase, home string) (*workspace, error) {
	tmp, err := os.MkdirTemp("", "orbos-passphrase-")
	if err != nil {
		return nil, fmt.Errorf("creating the passphrase file: %w", err)
	}
	file := filepath.Join(tmp, "passphrase")
	if err := os.WriteFile(file, []byte(passphrase), 0o600); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("writing the passphrase file: %w", err)
	}
	return &workspace{dir: dir, home: home, passphraseFile: file}, nil
}

// close removes the passphrase file.
func (w *workspace) close() {
	if w.passphraseFile != "" {
		os.RemoveAll(filepath.Dir(w.passphraseFile))
	}
}

// env is the environment every Pulumi CLI call of an ORB gets.
func (w *workspace) env() map[string]string {
	env := map[string]string{
		"PULUMI_BACKEND_URL":                          "file://" + w.dir,
		"PULUMI_CONFIG_PASSPHRASE_FILE":               w.passphraseFile,
		"PULUMI_SKIP_UPDATE_CHECK":                    "true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
		// Use the plugins installed into Pulumi's home, not whatever is on PATH.
		"PULUMI_IGNORE_AMBIENT_PLUGINS": "true",
		// Git keeps every version of the state; Pulumi's own backup copies would only bloat the repo.
		"PULUMI_DIY_BACKEND_DISABLE_CHECKPOINT_BACKUPS": "true",
	}
	if w.home != "" {
		env["PULUMI_HOME"] = w.home
	}
	for k, v := range w.extraEnv {
		env[k] = v
	}
	return env
}

func (w *workspace) open(ctx context.Context, prog pulumi.RunFunc, redact func(string) string) (auto.Workspace, error) {
	cmd, err := pulumiCommand()
	if err != nil {
		return nil, err
	}
	cmd.noReadBack = w.engineOnly
	if w.orb != "" {
		cmd.stackState = filepath.Join(w.dir, record.StatePath(w.orb))
	}
	if err := w.ensurePlugin(ctx, "kubernetes", program.KubernetesProviderVersion); err != nil {
		return nil, err
	}
	// The orbos provider (machines over SSH) is orbctl itself; a library user without an orbctl
	// binary can still run ORBs whose program needs no machine.
	if home, err := w.pulumiHome(); err != nil {
		return nil, err
	} else if err := provider.Install(home); err != nil && !errors.Is(err, tools.ErrMissing) {
		return nil, err
	} else if bin, err := provider.Orbctl(); err == nil {
		// The same orbctl runs the ORB program for the Pulumi CLI (runtime: orbos, see langhost).
		if err := langhost.Install(home, bin); err != nil {
			return nil, err
		}
	}
	opts := []auto.LocalWorkspaceOption{
		auto.WorkDir(w.dir), auto.Program(prog), auto.Pulumi(cmd), auto.EnvVars(w.env()),
	}
	if w.home != "" {
		opts = append(opts, auto.PulumiHome(w.home))
	}
	ws, err := auto.NewLocalWorkspace(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("opening the Pulumi workspace: %s", redact(err.Error()))
	}
	return ws, nil
}

// stack selects the ORB's stack, creating it in the file backend when it does not exist yet. The
// desired-state file stays byte for byte as it was (Pulumi would rewrite it without comments).
func (w *workspace) stack(ctx context.Context, orb string, prog pulumi.RunFunc, redact func(string) string) (auto.Stack, error) {
	w.orb = orb
	ws, err := w.open(ctx, prog, redact)
	if err != nil {
		return auto.Stack{}, err
	}
	s, err := auto.SelectStack(ctx, orb, ws)
	if err == nil {
		return s, nil
	}
	if !auto.IsSelectStack404Error(err) {
		return auto.Stack{}, fmt.Errorf("selecting stack %s: %s", orb, redact(err.Error()))
	}
	path := filepath.Join(w.dir, stacks.StackFileName(orb))
	raw, rerr := os.ReadFile(path)
	if rerr != nil {
		return auto.Stack{}, fmt.Errorf("reading the desired state: %w", rerr)
	}
	s, err = auto.NewStack(ctx, orb, ws)
	if err != nil {
		return auto.Stack{}, fmt.Errorf("creating stack %s: %s", orb, redact(err.Error()))
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		return auto.Stack{}, fmt.Errorf("restoring the desired state: %w", err)
	}
	return s, nil
}

// pulumiHome is Pulumi's home directory for this workspace.
func (w *workspace) pulumiHome() (string, error) {
	if w.home != "" {
		return w.home, nil
	}
	h, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding Pulumi's home: %w", err)
	}
	return filepath.Join(h, ".pulumi"), nil
}

// ensurePlugin installs a resource provider plugin that `make tools` built into Pulumi's home, once.
func (w *workspace) ensurePlugin(ctx context.Context, name, version string) error {
	home, err := w.pulumiHome()
	if err != nil {
		return err
	}
	bin := "pulumi-resource-" + name
	if _, err := os.Stat(filepath.Join(home, "plugins", "resource-"+name+"-v"+version, bin)); err == nil {
		return nil
	}
	src, err := tools.Find(bin)
	if err != nil {
		return err
	}
	pulumi, err := tools.Find("pulumi")
	if err != nil {
		return err
	}
	c := exec.CommandContext(ctx, pulumi, "plugin", "install", "resource", name, version, "--file", src)
	c.Env = append(os.Environ(), "PULUMI_HOME="+home, "PULUMI_SKIP_UPDATE_CHECK=true")
	if out, err := c.CombinedOutput(); err != nil {
		return fmt.Errorf("installing the %s provider plugin %s from %s: %v\n%s", name, version, src, err, out)
	}
	return nil
}

// judge applies the policy pack's rules over the whole ORB to the desired state, in-process.
func (o *Orb) judge(op Operation, current string) error {
	raw, err := os.ReadFile(filepath.Join(o.Checkout(), stacks.StackFileName(o.name())))
	if err != nil {
		return fmt.Errorf("reading the desired state: %w", err)
	}
	in, err := policy.InputFromStackFile(raw, current)
	if err != nil {
		return err
	}
	found := policy.Judge(in)
	if len(found) == 0 {
		return nil
	}
	list := make([]string, len(found))
	for i, v := range found {
		list[i] = o.Redact(v.String())
		o.progressf("  policy %s/%s (mandatory): %s\n", policy.PackName, v.Policy, o.Redact(v.Message))
	}
	return &PolicyError{Operation: op, Violations: list}
}
