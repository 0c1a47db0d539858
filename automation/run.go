package automation

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/orbos/orbos/automation/orblock"
	"github.com/orbos/orbos/automation/record"
	"github.com/orbos/orbos/automation/txn"
)

// Operation is what a run does.
type Operation string

const (
	Preview Operation = "preview"
	Up      Operation = "up"
	Refresh Operation = "refresh"
	Destroy Operation = "destroy"
	// Drift refreshes the state from the real resources in a preview and records what differs.
	Drift Operation = "drift"
)

// Outcomes of a run.
const (
	Succeeded   = "succeeded"
	Failed      = "failed"
	Interrupted = "interrupted"
)

// RunOptions tune one run.
type RunOptions struct {
	// ExpectNoChanges makes a preview that finds changes fail with ErrChangesPending.
	ExpectNoChanges bool
	// Message is added to the state commit.
	Message string
	// Refresh makes an up read the real resources first, so that it corrects drift.
	Refresh bool
	// NoPolicy skips orbos's policy pack, which previews and ups run by default; the run's commit says so.
	NoPolicy bool
	// Confirm, when set, is asked before an up changes anything, under the lock: the plan (the changes
	// a preview found, each shown as progress) was just printed. An error (ErrNotConfirmed) stops the
	// run, which then records nothing. A plan without changes is not asked about.
	Confirm func(ctx context.Context, changes map[string]int) error
	// Prepare runs under the lock, in the run's transaction, before the desired state is read: an
	// operation that changes the cluster and the desired state before its up (zitadel restore)
	// commits its change there. An error ends the run before the engine starts.
	Prepare func(ctx context.Context) error
	// Trailers are added to the run's state commit (record.Trailers keys, Orbos-*).
	Trailers record.Trailers
}

// Result is what a run did; it is also orbctl's JSON output.
type Result struct {
	Orb           string         `json:"orb"`
	Operation     Operation      `json:"operation"`
	RunID         string         `json:"runID"`
	Outcome       string         `json:"outcome"`
	Changes       map[string]int `json:"changes"`
	Steps         []Step         `json:"steps"`
	DesiredCommit string         `json:"desiredCommit,omitempty"`
	// Commit is the state commit the run made; empty when it changed nothing.
	Commit string `json:"commit,omitempty"`
	Pushed bool   `json:"pushed"`
	// Recovered is the commit that saved an interrupted run's leftover state, if any.
	Recovered string `json:"recovered,omitempty"`
	// TookOver names the lock this run took over, if any.
	TookOver *orblock.Info `json:"tookOver,omitempty"`
	// NoPolicy is set when the run skipped the policy pack.
	NoPolicy bool      `json:"noPolicy,omitempty"`
	Started  time.Time `json:"started"`
	// engineChanges counts every step the engine took, the stack's and providers' included.
	engineChanges int
	Seconds       float64 `json:"seconds"`
	// Phases are the parts of the run and their times (see PhasePolicy...), in order.
	Phases []Phase `json:"phases,omitempty"`
	Error  string  `json:"error,omitempty"`
	// trailers are RunOptions.Trailers, for the state commit.
	trailers record.Trailers
}

// ChangeCount is the number of resources the run changed (or, for a preview, would change).
func (r *Result) ChangeCount() int {
	n := 0
	for _, c := range r.Changes {
		n += c
	}
	return n
}

func newRunID(now time.Time) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

// Run runs op on the ORB. Every run but a preview goes through the ORB's transaction (txn): whatever
// happens once the engine has started, the state is committed and published with the lock before
// the lock is released; a run that lost its lock publishes nothing.
func (o *Orb) Run(ctx context.Context, op Operation, ro RunOptions) (*Result, error) {
	now := time.Now()
	res := &Result{Orb: o.name(), Operation: op, RunID: newRunID(now), Started: now, Changes: map[string]int{},
		NoPolicy: ro.NoPolicy && (op == Up || op == Preview)}
	if o.opened > 0 {
		// The first run of an opened ORB counts the opening: it is part of what the command took.
		now = o.opening
		res.addPhase(PhaseOpen, o.opened)
		o.opened = 0
	}
	err := o.run(ctx, op, ro, res)
	o.flushProgress()
	res.Seconds = time.Since(now).Round(time.Millisecond).Seconds()
	if err != nil {
		res.Error = o.Redact(err.Error())
		if res.Outcome == "" {
			res.Outcome = Failed
		}
	}
	return res, err
}

func (o *Orb) run(ctx context.Context, op Operation, ro RunOptions, res *Result) (err error) {
	if op == Preview {
		return o.preview(ctx, ro, res)
	}
	done := res.timed(PhaseLock)
	t, err := o.begin(ctx, string(op), res.RunID)
	done()
	if err != nil {
		return err
	}
	res.TookOver, res.Recovered = t.TookOver, t.Recovered
	defer func() {
		done := res.timed(PhaseUnlock)
		err = errors.Join(err, t.End(ctx))
		done()
	}()
	// Publishing goes on when the caller's context is done: that is when it matters most. Its time
	// starts when publishing does, not with the run (a real cluster's first up takes minutes).
	saveCtx := func() context.Context {
		c, stop := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		context.AfterFunc(c, stop)
		return c
	}

	if ro.Prepare != nil {
		if err := ro.Prepare(ctx); err != nil {
			return errors.Join(err, o.publish(saveCtx(), t, res))
		}
	}
	res.trailers = ro.Trailers
	// Until the engine starts, a failure changes nothing; afterwards, the state is always saved.
	done = res.timed(PhaseSpec)
	spec, learned, err := o.loadSpecLearning()
	if err == nil && op != Destroy {
		spec, err = o.ensureSSHKey(spec)
	}
	if err == nil && op != Destroy {
		spec, err = o.ensureZitadelMasterkey(spec)
	}
	if err == nil && op != Destroy {
		spec, err = o.ensureOriginKey(spec)
	}
	if err == nil && op != Destroy {
		err = o.preflight(ctx, spec)
	}
	done()
	if err != nil {
		return errors.Join(err, o.publish(saveCtx(), t, res))
	}
	if head, err := o.repo.Head(); err == nil {
		res.DesiredCommit = head.String()
	}

	runCtx, cancel := t.Context(ctx)
	defer cancel()
	go func() {
		<-runCtx.Done()
		var lost *orblock.LostError
		if errors.As(context.Cause(runCtx), &lost) {
			o.progressf("stopping the run: %v\n", lost)
		}
	}()
	runErr := o.engine(runCtx, op, spec, res, ro)
	if err := learned(); err != nil {
		// The desired state's secrets do not open with this orbconfig's passphrase: neither did
		// they for the engine, which reads them before it changes anything. Nothing to record.
		res.Outcome = Failed
		return errors.Join(err, o.repo.Discard(txn.IsState), o.publish(saveCtx(), t, res))
	}
	var blocked *PolicyError
	if (errors.As(runErr, &blocked) || errors.Is(runErr, ErrNotConfirmed)) && op == Up {
		// Refused or declined before anything changed: like an invalid spec, nothing to record.
		res.Outcome = Failed
		return errors.Join(runErr, o.repo.Discard(txn.IsState), o.publish(saveCtx(), t, res))
	}
	switch {
	case runErr == nil:
		res.Outcome = Succeeded
	case ctx.Err() != nil || t.Lost() != nil:
		res.Outcome = Interrupted
	default:
		res.Outcome = Failed
	}
	done = res.timed(PhaseRecord)
	defer done()
	return errors.Join(runErr, o.save(saveCtx(), t, res, spec, runErr))
}

// begin starts the ORB's transaction: the lock taken, the checkout up to the remote.
func (o *Orb) begin(ctx context.Context, purpose, runID string) (*txn.Txn, error) {
	return txn.Begin(ctx, o.repo, txn.Options{
		Orb: o.name(), Holder: o.holder(), Purpose: purpose, RunID: runID, TTL: o.opts.LockTTL, Wait: o.opts.LockWait,
		Progress: o.progressf, Redact: o.Redact,
	})
}

// publish pushes what the checkout holds beyond the remote (this run's commit, or an earlier run's)
// together with the lock.
func (o *Orb) publish(ctx context.Context, t *txn.Txn, res *Result) error {
	if ahead, err := o.repo.Ahead(); err == nil && ahead && res.Commit == "" {
		o.progressf("pushing state an earlier run could not push\n")
	}
	if err := t.Publish(ctx); err != nil {
		return err
	}
	res.Pushed = res.Commit != ""
	return nil
}

func (o *Orb) preview(ctx context.Context, ro RunOptions, res *Result) error {
	done := res.timed(PhaseFetch)
	err := o.Sync(ctx)
	done()
	if err != nil {
		return err
	}
	changed, err := o.repo.Changed()
	if err != nil {
		return err
	}
	if len(changed) > 0 {
		o.progressf("note: this checkout holds state of an interrupted run that the next up will recover\n")
	} else {
		// A preview changes nothing: drop whatever the engine wrote.
		defer o.repo.Discard(txn.IsState)
	}
	done = res.timed(PhaseSpec)
	spec, learned, err := o.loadSpecLearning()
	done()
	if err != nil {
		return err
	}
	if head, err := o.repo.Head(); err == nil {
		res.DesiredCommit = head.String()
	}
	err = o.engine(ctx, Preview, spec, res, ro)
	if lerr := learned(); lerr != nil {
		err = lerr // the engine could not open them either
	}
	if err != nil {
		res.Outcome = Failed
		return err
	}
	res.Outcome = Succeeded
	if ro.ExpectNoChanges && res.ChangeCount() > 0 {
		return fmt.Errorf("%w: %s", ErrChangesPending, DescribeChanges(res.Changes))
	}
	return nil
}

func (o *Orb) holder() string {
	if o.opts.Holder != "" {
		return o.opts.Holder
	}
	return orblock.DefaultHolder()
}

func (o *Orb) progressf(format string, args ...any) {
	if w := o.progressWriter(); w != nil {
		fmt.Fprintf(w, format, args...)
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
