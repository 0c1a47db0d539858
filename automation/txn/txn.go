// Package txn is the Git-backed transaction every run that changes an ORB goes through: take the ORB
// lock, fetch, recover what an interrupted run left, bring the checkout up to the remote, let the
// caller run and commit, publish in ONE atomic push of the branch together with the lock, release.
// It never releases the lock while state is unpushed: the lock then stays, marked with that state,
// so that no other checkout starts from the older state on the remote.
package txn

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/orbos/orbos/automation/gitrepo"
	"github.com/orbos/orbos/automation/orblock"
	"github.com/orbos/orbos/automation/record"
	"github.com/orbos/orbos/automation/recovery"
)

// IsState tells the paths runs write (the ORB's current state) from the desired state.
func IsState(p string) bool {
	return strings.HasPrefix(p, ".pulumi/") || strings.HasPrefix(p, "status/")
}

// Options of Begin.
type Options struct {
	Orb     string
	Holder  string // names this process in the lock and the commits; orblock.DefaultHolder() when empty
	Purpose string // what the run does, e.g. "up"
	RunID   string
	TTL     time.Duration // lease of the lock
	Wait    time.Duration // how long to wait for another holder
	// Progress says what the transaction does; nil discards it.
	Progress func(format string, args ...any)
	// Redact removes secrets from what goes into the lock (the reason a push failed).
	Redact func(string) string
	// LockClock is the clock a waiter measures leases with (tests); time.Now when nil.
	LockClock func() time.Time
}

// Txn is a running transaction: the lock is held until End.
type Txn struct {
	repo *gitrepo.Repo
	lock *orblock.Lock
	opts Options
	// TookOver is the lock this run took over, if any.
	TookOver *orblock.Info
	// Recovered is the commit that saved an interrupted run's leftover state, if any.
	Recovered string
	// pushErr is why the last publish failed.
	pushErr error
}

// Begin takes the ORB lock and brings the checkout up to the remote, first committing what an
// interrupted run left behind. On error nothing is held.
func Begin(ctx context.Context, repo *gitrepo.Repo, opts Options) (*Txn, error) {
	if opts.Progress == nil {
		opts.Progress = func(string, ...any) {}
	}
	if opts.Redact == nil {
		opts.Redact = func(s string) string { return s }
	}
	if opts.Holder == "" {
		opts.Holder = orblock.DefaultHolder()
	}
	lock, err := orblock.Acquire(ctx, repo, orblock.Options{
		Holder: opts.Holder, Purpose: opts.Purpose, RunID: opts.RunID, TTL: opts.TTL, Wait: opts.Wait, Clock: opts.LockClock,
		OnWait: func(i orblock.Info) { opts.Progress("waiting for the ORB lock held by %s\n", i) },
	})
	if err != nil {
		return nil, err
	}
	t := &Txn{repo: repo, lock: lock, opts: opts, TookOver: lock.TookOver}
	switch prev := lock.TookOver; {
	case prev == nil:
	case prev.Unpushed != nil:
		opts.Progress("this checkout holds the state run %s could not push (commit %.12s): pushing it with this run\n", prev.Unpushed.RunID, prev.Unpushed.Commit)
	default:
		opts.Progress("took over the ORB lock of %s: its lease ran out or its process is gone\n", prev)
	}
	if err := t.sync(ctx); err != nil {
		var conflict *gitrepo.ConflictError
		if errors.As(err, &conflict) {
			// The remote moved on without this checkout's state: marking the ORB with it would
			// stop every other run. The error says what to do with this checkout.
			return nil, errors.Join(err, lock.Release(context.WithoutCancel(ctx)))
		}
		return nil, errors.Join(err, t.End(ctx))
	}
	return t, nil
}

func (t *Txn) sync(ctx context.Context) error {
	if err := t.repo.Fetch(ctx); err != nil {
		return err
	}
	changed, err := recovery.Leftovers(ctx, t.repo, recovery.Options{IsState: IsState, Progress: t.opts.Progress})
	if err != nil {
		return err
	}
	if len(changed) > 0 {
		t.opts.Progress("recovering the state an interrupted run left in %s: %s\n", t.repo.Dir(), strings.Join(changed, ", "))
		h, err := t.repo.CommitAll(record.Message(fmt.Sprintf("orbos recover %s: state of an interrupted run", t.opts.Orb),
			strings.Join(changed, "\n"), record.Trailers{record.KeyOperation: "recover", record.KeyOutcome: "interrupted"}))
		if err != nil {
			return err
		}
		t.Recovered = h.String()
	}
	_, err = t.repo.Sync(IsState)
	return err
}

// Repo is the checkout.
func (t *Txn) Repo() *gitrepo.Repo { return t.repo }

// Context returns a context that ends, with the *orblock.LostError as its cause, when the lock is lost
// (taken over, or given up because its lease could not be renewed in time): the run stops.
func (t *Txn) Context(parent context.Context) (context.Context, context.CancelFunc) {
	return t.lock.Context(parent)
}

// Lost says why the lock was lost (a *orblock.LostError), or nil.
func (t *Txn) Lost() error { return t.lock.Err() }

// Publish pushes the local branch, when it holds commits the remote lacks, together with the lock in
// one atomic push. When the remote's branch moved meanwhile (a desired-state commit), it merges that
// (refusing a merge in which both sides changed state) and pushes again. Failing, it returns a
// *PushError: the commits stay in the checkout, and End keeps the ORB marked with them.
func (t *Txn) Publish(ctx context.Context) error {
	for range 5 {
		ahead, err := t.repo.Ahead()
		if err != nil || !ahead {
			return err
		}
		err = t.lock.Publish(ctx, t.repo.BranchRefSpec())
		if err == nil {
			t.pushErr = nil
			return t.repo.MarkPushed()
		}
		var lost *orblock.LostError
		if errors.As(err, &lost) {
			return t.failed(err)
		}
		// Tell a moved remote from a failed push by looking, not by the error's words.
		moved, merr := t.remoteMoved(ctx)
		if merr != nil || !moved {
			return t.failed(errors.Join(err, merr))
		}
		t.opts.Progress("the remote moved meanwhile: merging it and pushing again\n")
		if _, err := t.repo.Sync(IsState); err != nil {
			return t.failed(err)
		}
	}
	return t.failed(errors.New("the remote kept moving: gave up after 5 merges"))
}

// remoteMoved fetches and reports whether the remote's branch has commits this checkout lacks.
func (t *Txn) remoteMoved(ctx context.Context) (bool, error) {
	if err := t.repo.Fetch(ctx); err != nil {
		return false, err
	}
	remote, err := t.repo.RemoteHead()
	if err != nil || remote.IsZero() {
		return false, err
	}
	has, err := t.repo.Contains(remote.String())
	return !has, err
}

func (t *Txn) failed(err error) error {
	t.pushErr = err
	head, _ := t.repo.Head()
	return &PushError{Commit: head.String(), Checkout: t.repo.Dir(), Err: err}
}

// End finishes the transaction: it releases the lock, unless the checkout holds commits the remote
// lacks; then it keeps the lock, marked with them, so that no other checkout starts a run from the
// older state until a run from this checkout pushes them (or an operator runs `orbctl unlock`).
// End never hangs on a stuck remote.
func (t *Txn) End(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	lost := t.lock.Err()
	ahead, err := t.repo.Ahead()
	if err != nil {
		// Unsure whether state is unpushed: keep the lock; a waiter takes it once its lease ran out.
		return fmt.Errorf("the ORB lock is kept (its lease runs out unrenewed): %w", err)
	}
	var lostErr *orblock.LostError
	if ahead {
		if errors.As(lost, &lostErr) && lostErr.By != nil {
			return nil // somebody else holds the ORB: the PushError says what happened to this state
		}
		head, _ := t.repo.Head()
		reason := "not pushed"
		if t.pushErr != nil {
			reason = truncate(firstLine(t.opts.Redact(t.pushErr.Error())), 200)
		}
		host, _ := os.Hostname()
		err := t.lock.MarkUnpushed(ctx, orblock.Unpushed{
			Commit: head.String(), Checkout: host + ":" + t.repo.Dir(), Holder: t.opts.Holder, RunID: t.opts.RunID,
			Reason: reason, Since: time.Now().UTC(),
		})
		if errors.As(err, &lostErr) {
			return nil // the lock moved on: the PushError says what happened to this state
		}
		if err != nil {
			return err
		}
		t.opts.Progress("the ORB stays locked, marked with this checkout's unpushed state (commit %.12s): "+
			"the next orbctl run from %s pushes it; no other checkout can run until then\n", head, t.repo.Dir())
		return nil
	}
	err = t.lock.Release(ctx)
	if lost != nil && errors.As(err, &lostErr) {
		return nil // already said
	}
	return err
}

// PushError means a run's state is committed in the local checkout but not pushed.
type PushError struct {
	Commit   string
	Checkout string
	Err      error
}

func (e *PushError) Error() string {
	var lost *orblock.LostError
	if errors.As(e.Err, &lost) {
		return fmt.Sprintf("the run's state is committed locally (%.12s in %s) and was NOT published: %v. "+
			"Another run may have started from the older state; this checkout's next run refuses to merge "+
			"the two and says what to do", e.Commit, e.Checkout, e.Err)
	}
	return fmt.Sprintf("the run's state is committed locally (%.12s in %s) but pushing it failed: %v; "+
		"the next orbctl run from this checkout pushes it, and until then the ORB stays locked", e.Commit, e.Checkout, e.Err)
}

func (e *PushError) Unwrap() error { return e.Err }

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
