// Package reconciler is the loop that keeps an ORB converged from inside its cluster. It polls the
// ORB repository cheaply (refs only), runs `up` when the desired commit moved or a resync is due,
// checks for drift on its own schedule and corrects it only where the spec asks, backs off on
// failures and gives up on a commit that keeps failing until a new one arrives. There is no inbound
// API: everything it is told comes through the repository, and everything it has to say goes there.
package reconciler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/orbos/orbos/automation"
	"github.com/orbos/orbos/automation/orblock"
	"github.com/orbos/orbos/stacks"
)

// Options tune the loop.
type Options struct {
	// Interval between checks of the repository; each wait is jittered by ±20%.
	Interval time.Duration
	// Resync runs up even without a new commit once this long has passed since the last run.
	Resync time.Duration
	// DriftInterval is how often drift is checked; 0 never.
	DriftInterval time.Duration
	// MaxFailures of one commit after which it is not retried until a new commit arrives.
	MaxFailures int
	// BackoffBase and BackoffMax: after n failures the next try waits base × 3^(n-1), at most max.
	BackoffBase, BackoffMax time.Duration
	Logger                  *slog.Logger
	// Now is the clock (tests).
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.Interval <= 0 {
		o.Interval = 30 * time.Second
	}
	if o.Resync <= 0 {
		o.Resync = 10 * time.Minute
	}
	if o.MaxFailures <= 0 {
		o.MaxFailures = 5
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = 10 * time.Second
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = 10 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Action says what a cycle did.
type Action string

const (
	Idle       Action = "idle"        // nothing to do
	Applied    Action = "applied"     // ran up
	Failed     Action = "failed"      // ran up, which failed; backing off
	BackingOff Action = "backing-off" // waiting after a failure
	GaveUp     Action = "gave-up"     // the commit failed too often, or is invalid; waiting for a new one
	Suspended  Action = "suspended"   // the spec says suspend
	DriftFound Action = "drift"       // a drift check found drift (and corrected it if the spec asks)
	NoDrift    Action = "no-drift"    // a drift check found none
)

// Reconciler keeps one ORB converged.
type Reconciler struct {
	orb     *automation.Orb
	opts    Options
	Metrics *Metrics

	mu        sync.Mutex
	lastSeen  string // the remote head at the last look
	applied   string // digest of the desired state last applied
	lastRun   time.Time
	lastDrift time.Time
	failing   string // digest of the desired state that fails
	failures  int
	nextTry   time.Time
	noted     string
	ready     bool
}

// New returns a reconciler of orb, which it keeps open.
func New(orb *automation.Orb, opts Options) *Reconciler {
	opts.defaults()
	m := NewMetrics()
	m.now = opts.Now
	return &Reconciler{orb: orb, opts: opts, Metrics: m}
}

// Run cycles until ctx ends.
func (r *Reconciler) Run(ctx context.Context) error {
	for {
		start := r.opts.Now()
		action, err := r.Cycle(ctx)
		r.Metrics.cycle(action, r.opts.Now().Sub(start))
		if err != nil {
			r.opts.Logger.Error("cycle", "action", string(action), "error", r.orb.Redact(err.Error()))
		} else if action != Idle {
			r.opts.Logger.Info("cycle", "action", string(action))
		}
		jitter := time.Duration((rand.Float64()*0.4 - 0.2) * float64(r.opts.Interval))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(r.opts.Interval + jitter):
		}
	}
}

// Ready reports whether the reconciler has completed a check of the repository.
func (r *Reconciler) Ready() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ready
}

// backoff is the wait after n failures of one desired state: base × 3^(n-1), at most max.
func (r *Reconciler) backoff(n int) time.Duration {
	b := &backoff.ExponentialBackOff{InitialInterval: r.opts.BackoffBase, Multiplier: 3, MaxInterval: r.opts.BackoffMax}
	b.Reset()
	var d time.Duration
	for range max(n, 1) {
		d = b.NextBackOff()
	}
	return d
}

// Cycle runs one iteration: look at the remote's refs, and only when something may be due fetch the
// desired state and run up or a drift check.
func (r *Reconciler) Cycle(ctx context.Context) (Action, error) {
	head, err := r.orb.RemoteHead(ctx)
	if err != nil {
		return Idle, err
	}
	r.mu.Lock()
	r.ready = true
	now := r.opts.Now()
	moved := head != r.lastSeen
	resync := now.Sub(r.lastRun) >= r.opts.Resync
	driftDue := r.opts.DriftInterval > 0 && now.Sub(r.lastDrift) >= r.opts.DriftInterval
	retry := r.failing != "" && r.failures < r.opts.MaxFailures && !now.Before(r.nextTry)
	r.mu.Unlock()
	if !moved && !resync && !driftDue && !retry {
		return r.waiting(), nil
	}

	spec, desired, err := r.orb.DesiredSpec(ctx)
	var invalid *stacks.ValidationError
	switch {
	case errors.As(err, &invalid):
		r.mu.Lock()
		r.lastSeen = head
		if r.failing != desired {
			r.failing, r.failures = desired, r.opts.MaxFailures // retrying cannot help
		}
		r.mu.Unlock()
		// The last good state stays; the status says why.
		r.note(ctx, desired, fmt.Sprintf("desired commit %.12s is invalid and was not applied: %v", head, err))
		return GaveUp, nil
	case err != nil:
		return Idle, err
	}
	r.mu.Lock()
	r.lastSeen = head
	if r.failing != "" && r.failing != desired {
		r.failing, r.failures, r.nextTry = "", 0, time.Time{} // a new desired state: start afresh
	}
	failing, failures, nextTry, applied := r.failing, r.failures, r.nextTry, r.applied
	r.mu.Unlock()
	switch {
	case failing == desired && failures >= r.opts.MaxFailures:
		return GaveUp, nil
	case failing == desired && now.Before(nextTry):
		return BackingOff, nil
	}
	if c := spec.File.Config.Reconciler; c != nil && c.Suspend {
		r.note(ctx, desired, "suspended by the spec (orbos:reconciler.suspend)")
		return Suspended, nil
	}
	if desired != applied || resync || failing == desired {
		action, err := r.apply(ctx, desired)
		if action == Applied {
			r.observeZitadel(ctx, spec)
		}
		return action, err
	}
	if driftDue {
		action, err := r.checkDrift(ctx, spec)
		r.observeZitadel(ctx, spec)
		return action, err
	}
	return Idle, nil
}

// waiting says why a cycle without news does nothing.
func (r *Reconciler) waiting() Action {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.failing == "":
		return Idle
	case r.failures >= r.opts.MaxFailures:
		return GaveUp
	}
	return BackingOff
}

func (r *Reconciler) apply(ctx context.Context, desired string) (Action, error) {
	res, err := r.orb.Run(ctx, automation.Up, automation.RunOptions{Message: "reconciler"})
	r.Metrics.run(res, err)
	var held *orblock.HeldError
	if errors.As(err, &held) {
		return Idle, nil // somebody else is running; try again next cycle
	}
	var marked *orblock.UnpushedError
	if errors.As(err, &marked) {
		// Another checkout holds the newest state: nothing may run from the older one here.
		return Idle, err
	}
	var refused *automation.PolicyError
	if errors.As(err, &refused) {
		// Like an invalid spec: retrying cannot help, and nothing was changed.
		r.giveUp(desired, r.opts.MaxFailures)
		r.note(ctx, desired, "the desired state is refused by the policy pack and was not applied: "+strings.Join(refused.Violations, "; "))
		return GaveUp, nil
	}
	if err != nil {
		n := r.giveUp(desired, 1)
		if n >= r.opts.MaxFailures {
			r.note(ctx, desired, fmt.Sprintf("gave up on the desired state after %d failed runs (last: %s); waiting for a new commit",
				n, strings.SplitN(res.Error, "\n", 2)[0]))
			return GaveUp, err
		}
		return Failed, err
	}
	// What the reconciler said about an earlier desired state no longer holds.
	if err := r.orb.NoteReconciler(ctx, ""); err != nil {
		r.opts.Logger.Error("clearing the status note", "error", r.orb.Redact(err.Error()))
	}
	head, herr := r.orb.RemoteHead(ctx)
	r.mu.Lock()
	if herr == nil {
		r.lastSeen = head // our own state commit is no news
	}
	r.applied, r.lastRun, r.failing, r.failures = desired, r.opts.Now(), "", 0
	r.noted = ""
	r.mu.Unlock()
	r.Metrics.success(r.opts.Now())
	return Applied, nil
}

// giveUp counts add failures of the desired state and schedules the next try; it returns the count.
func (r *Reconciler) giveUp(desired string, add int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failing != desired {
		r.failing, r.failures = desired, 0
	}
	r.failures += add
	r.nextTry = r.opts.Now().Add(r.backoff(r.failures))
	return r.failures
}

func (r *Reconciler) checkDrift(ctx context.Context, spec *stacks.Spec) (Action, error) {
	r.mu.Lock()
	r.lastDrift = r.opts.Now()
	r.mu.Unlock()
	res, err := r.orb.Run(ctx, automation.Drift, automation.RunOptions{})
	if err != nil {
		return Idle, err
	}
	n := res.ChangeCount()
	r.Metrics.Drift.Set(float64(n))
	if n == 0 {
		return NoDrift, nil
	}
	if c := spec.File.Config.Reconciler; c != nil && c.CorrectDrift {
		// up with a refresh first, so the engine compares the program with the real resources.
		res, err := r.orb.Run(ctx, automation.Up, automation.RunOptions{Refresh: true, Message: "reconciler: correct drift"})
		r.Metrics.run(res, err)
		if err != nil {
			return DriftFound, err
		}
		if _, err := r.orb.Run(ctx, automation.Drift, automation.RunOptions{}); err != nil {
			return DriftFound, err
		}
		r.Metrics.Drift.Set(0)
	}
	return DriftFound, nil
}

// note writes what the reconciler has to say into the status, once per desired state and kind of
// message; the note's own commit then moves the head, which is no news.
func (r *Reconciler) note(ctx context.Context, desired, msg string) {
	key := desired + "\x00" + strings.SplitN(msg, " ", 2)[0]
	r.mu.Lock()
	if r.noted == key {
		r.mu.Unlock()
		return
	}
	r.noted = key
	r.mu.Unlock()
	if err := r.orb.NoteReconciler(ctx, msg); err != nil {
		r.opts.Logger.Error("noting in status", "error", r.orb.Redact(err.Error()))
		return
	}
	if head, err := r.orb.RemoteHead(ctx); err == nil {
		r.mu.Lock()
		r.lastSeen = head
		r.mu.Unlock()
	}
}
