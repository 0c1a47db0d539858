package orblock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/orbos/orbos/automation/gitrepo"
)

// markTimeout bounds the retries of marking the lock with unpushed state.
const markTimeout = 30 * time.Second

// ErrNoAtomicPush means the remote cannot update the branch and the lock in one push.
var ErrNoAtomicPush = errors.New("the remote does not support atomic pushes (git receive-pack's \"atomic\" capability), " +
	"which orbos needs to publish state together with the ORB lock")

// Lock is a held ORB lock.
type Lock struct {
	repo *gitrepo.Repo
	opts Options
	self process

	// TookOver is the lock this one replaced, if any: expired, of a dead holder, or marked with
	// unpushed state that this checkout holds.
	TookOver *Info

	// pushMu makes the compare-and-swap pushes of the lock ref (renewals, publishing, marking,
	// release) one at a time.
	pushMu       sync.Mutex
	atomicPushOK bool

	mu       sync.Mutex
	head     plumbing.Hash // the lock commit this process last pushed
	info     Info
	lost     *LostError
	lostCh   chan struct{}
	lastErr  error       // of the last failed renewal
	keeping  bool        // renewing; false once released, marked or lost
	ended    bool        // released or marked: the lock is no longer this run's to change
	watchdog *time.Timer // gives the lock up when no renewal succeeded in time
	stop     chan struct{}
	stopped  chan struct{}
	stopOnce sync.Once
	// renewing ends with the renewals, so that a renewal stuck on the remote cannot hold up Release.
	renewing     context.Context
	stopRenewing context.CancelFunc
}

func newLock(repo *gitrepo.Repo, opts Options) *Lock {
	l := &Lock{repo: repo, opts: opts, self: thisProcess(), lostCh: make(chan struct{}), stop: make(chan struct{}), stopped: make(chan struct{})}
	l.renewing, l.stopRenewing = context.WithCancel(context.Background())
	return l
}

func (l *Lock) newInfo() Info {
	now := l.opts.WallClock()
	return Info{Holder: l.opts.Holder, Purpose: l.opts.Purpose, RunID: l.opts.RunID, Acquired: now, Renewed: now,
		LeaseSeconds: l.opts.TTL.Seconds(), process: l.self}
}

// renewDeadline is how long after the start of its last successful renewal the holder gives the
// lock up. A waiter cannot see the lease run out before a whole TTL after that start; the last third
// is the engine's time to stop.
func (l *Lock) renewDeadline() time.Duration { return l.opts.TTL * 2 / 3 }

// Info returns what the lock currently says.
func (l *Lock) Info() Info {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.info
}

// Head is the lock commit this process last pushed.
func (l *Lock) Head() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.head.String()
}

// Lost is closed when this process no longer holds the lock.
func (l *Lock) Lost() <-chan struct{} { return l.lostCh }

// Err says why the lock was lost (a *LostError), or nil.
func (l *Lock) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost == nil {
		return nil
	}
	return l.lost
}

// Context returns a context that is cancelled, with the *LostError as its cause, when the lock is lost.
func (l *Lock) Context(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	go func() {
		select {
		case <-l.lostCh:
			cancel(l.Err())
		case <-ctx.Done():
		}
	}()
	return ctx, func() { cancel(context.Canceled) }
}

func (l *Lock) lose(err *LostError) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost == nil {
		l.lost = err
		l.keeping = false
		close(l.lostCh)
	}
}

// lostTo records that somebody else holds the lock now.
func (l *Lock) lostTo(ctx context.Context) error {
	by := Info{Holder: "somebody (the lock is gone)"}
	if cur, info, err := readLock(ctx, l.repo); err == nil && !cur.IsZero() {
		by = info
	}
	l.lose(&LostError{By: &by})
	return l.Err()
}

// keep renews the lease every third of it until stopped, retrying failed renewals with backoff, and
// gives the lock up when no renewal succeeded for two thirds of the lease.
func (l *Lock) keep() {
	l.mu.Lock()
	l.keeping = true
	l.watchdog = time.AfterFunc(l.renewDeadline(), func() {
		l.mu.Lock()
		last := l.lastErr
		l.mu.Unlock()
		reason := fmt.Sprintf("no renewal of its lease (%s) succeeded for %s", l.opts.TTL, l.renewDeadline())
		if last != nil {
			reason += fmt.Sprintf(" (last error: %v)", last)
		}
		l.lose(&LostError{Reason: reason})
	})
	l.mu.Unlock()
	go func() {
		defer close(l.stopped)
		interval := l.opts.TTL / 3
		retry := &backoff.ExponentialBackOff{InitialInterval: interval / 10, RandomizationFactor: 0.2, Multiplier: 2, MaxInterval: interval / 2}
		retry.Reset()
		next := interval
		for {
			select {
			case <-l.stop:
				return
			case <-l.lostCh:
				return
			case <-time.After(next):
			}
			err := l.renew()
			var lost *LostError
			switch {
			case err == nil:
				next = interval
				retry.Reset()
			case errors.As(err, &lost):
				return
			default:
				l.mu.Lock()
				l.lastErr = err
				l.mu.Unlock()
				next = retry.NextBackOff()
			}
		}
	}()
}

// stopKeeping stops the renewals and the watchdog.
func (l *Lock) stopKeeping() {
	l.stopOnce.Do(func() {
		close(l.stop)
		l.stopRenewing()
		l.mu.Lock()
		l.keeping = false
		w := l.watchdog
		l.mu.Unlock()
		if w != nil {
			w.Stop()
			<-l.stopped
		}
	})
}

// renew extends the lease, within what is left of the renewal deadline.
func (l *Lock) renew() error {
	ctx, cancel := context.WithTimeout(l.renewing, l.renewDeadline())
	defer cancel()
	return l.Renew(ctx)
}

// Renew extends the lease now (renewals run by themselves; this is for tests and callers that want
// to know at once whether they still hold the lock).
func (l *Lock) Renew(ctx context.Context) error {
	l.pushMu.Lock()
	defer l.pushMu.Unlock()
	if err := l.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	head, info := l.head, l.info
	l.mu.Unlock()
	info.Renewed = l.opts.WallClock()
	ok, err := l.swapLocked(ctx, head, info, nil)
	if err != nil {
		return err
	}
	if !ok {
		return l.lostTo(ctx)
	}
	return nil
}

// Publish pushes refs (the ORB's branch) together with a renewal of the lock in ONE atomic push that
// the remote accepts only while the lock is still this process's commit: a run that lost its lock
// cannot publish. A *LostError says the lock was lost; any other error leaves the remote as it was.
func (l *Lock) Publish(ctx context.Context, refs ...config.RefSpec) error {
	l.pushMu.Lock()
	defer l.pushMu.Unlock()
	if err := l.Err(); err != nil {
		return err
	}
	if !l.atomicPushOK {
		ok, err := l.repo.SupportsAtomicPush(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNoAtomicPush
		}
		l.atomicPushOK = true
	}
	l.mu.Lock()
	head, info := l.head, l.info
	l.mu.Unlock()
	info.Renewed = l.opts.WallClock()
	ok, err := l.swapLocked(ctx, head, info, refs)
	if err != nil {
		return err
	}
	if !ok {
		return l.lostTo(ctx)
	}
	return nil
}

// MarkUnpushed keeps the lock, marked with state that exists only in this checkout, instead of
// releasing it: no other checkout starts a run until that state is pushed or an operator removes
// the mark. The lock is this run's no more: renewals stop and it never expires.
func (l *Lock) MarkUnpushed(ctx context.Context, u Unpushed) error {
	l.stopKeeping()
	l.pushMu.Lock()
	defer l.pushMu.Unlock()
	if lost := l.lostErr(); lost != nil && lost.By != nil {
		return lost
	}
	l.mu.Lock()
	head, info := l.head, l.info
	l.mu.Unlock()
	info.Unpushed = &u
	info.Renewed = l.opts.WallClock()
	ctx, cancel := context.WithTimeout(ctx, markTimeout)
	defer cancel()
	ok, err := backoff.Retry(ctx, func() (bool, error) { return l.swapLocked(ctx, head, info, nil) },
		backoff.WithMaxElapsedTime(markTimeout))
	if err != nil {
		return fmt.Errorf("marking the ORB lock with the unpushed state: %w; the lock stays, but another checkout "+
			"may take it over once it has seen it unchanged for its lease (%s)", err, l.opts.TTL)
	}
	if !ok {
		return l.lostTo(ctx)
	}
	l.mu.Lock()
	l.ended = true
	l.mu.Unlock()
	return nil
}

func (l *Lock) lostErr() *LostError {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lost
}

// Release stops renewing and deletes the lock, unless somebody else took it meanwhile (then it
// returns the *LostError) or it is marked. It gives up after Options.ReleaseTimeout: the lock then stays
// until a waiter has seen it unchanged for its lease.
func (l *Lock) Release(ctx context.Context) error {
	l.stopKeeping()
	l.pushMu.Lock()
	defer l.pushMu.Unlock()
	l.mu.Lock()
	head, ended, lost := l.head, l.ended, l.lost
	l.mu.Unlock()
	if ended {
		return nil
	}
	if lost != nil && lost.By != nil {
		return lost
	}
	ctx, cancel := context.WithTimeout(ctx, l.opts.ReleaseTimeout)
	defer cancel()
	ok, err := casPush(ctx, l.repo, head, nil, nil)
	if err != nil {
		return fmt.Errorf("releasing the ORB lock: %w (it stays until a waiter has seen it unchanged for its lease, %s)", err, l.opts.TTL)
	}
	if !ok {
		return errors.New("releasing the ORB lock: it changed hands meanwhile")
	}
	l.mu.Lock()
	l.ended = true
	l.mu.Unlock()
	return nil
}

// swap replaces the remote lock commit old (zero: no lock) by a new commit carrying info, as one
// compare-and-swap. It reports false when somebody else changed the lock first.
func (l *Lock) swap(ctx context.Context, old plumbing.Hash, info Info) (bool, error) {
	l.pushMu.Lock()
	defer l.pushMu.Unlock()
	return l.swapLocked(ctx, old, info, nil)
}

// swapLocked is swap, with refs pushed in the same atomic push; the caller holds pushMu.
func (l *Lock) swapLocked(ctx context.Context, old plumbing.Hash, info Info, refs []config.RefSpec) (bool, error) {
	h, err := lockCommit(l.repo.Git(), old, info)
	if err != nil {
		return false, err
	}
	start := time.Now()
	ok, err := casPush(ctx, l.repo, old, &h, refs)
	if err != nil || !ok {
		return ok, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.head, l.info = h, info
	if l.keeping && l.watchdog != nil {
		l.watchdog.Reset(l.renewDeadline() - time.Since(start))
	}
	return true, nil
}

// lockCommit stores a commit that carries info, with old as its parent.
func lockCommit(r *git.Repository, old plumbing.Hash, info Info) (plumbing.Hash, error) {
	msg, err := json.Marshal(info)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encoding lock info: %w", err)
	}
	tree, err := emptyTree(r)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	c := &object.Commit{
		Author:    object.Signature{Name: "orbos", Email: "orbos@localhost", When: info.Acquired},
		Committer: object.Signature{Name: "orbos", Email: "orbos@localhost", When: info.Renewed},
		Message:   string(msg),
		TreeHash:  tree,
	}
	if !old.IsZero() {
		c.ParentHashes = []plumbing.Hash{old} // a fast-forward of the lock we saw
	}
	obj := r.Storer.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encoding lock commit: %w", err)
	}
	h, err := r.Storer.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("storing lock commit: %w", err)
	}
	return h, nil
}

// casPush sets the remote lock to commit (nil: deletes it), together with refs in one atomic push,
// provided the remote lock is at old (zero: absent). It reports false when the lock was elsewhere.
// go-git checks old against the refs the remote advertises and sends old with each update, so the
// remote itself refuses an update of a ref that moved in between.
func casPush(ctx context.Context, repo *gitrepo.Repo, old plumbing.Hash, commit *plumbing.Hash, refs []config.RefSpec) (bool, error) {
	specs := append([]config.RefSpec{}, refs...)
	if commit != nil {
		if err := repo.Git().Storer.SetReference(plumbing.NewHashReference(heldRef, *commit)); err != nil {
			return false, fmt.Errorf("storing lock ref: %w", err)
		}
		specs = append(specs, config.RefSpec(string(heldRef)+":"+string(Ref)))
	} else {
		specs = append(specs, config.RefSpec(":"+string(Ref)))
	}
	opts := &git.PushOptions{RemoteName: gitrepo.RemoteName, RefSpecs: specs, Auth: repo.Options().Auth, Atomic: true}
	if !old.IsZero() {
		opts.RequireRemoteRefs = []config.RefSpec{config.RefSpec(old.String() + ":" + string(Ref))}
	}
	err := pushWithin(ctx, repo, opts)
	if err == nil || errors.Is(err, git.NoErrAlreadyUpToDate) {
		return true, nil
	}
	// Tell a lost race from a failure by looking rather than by the error's words: the lock moved
	// away from old, or it did not.
	cur, lerr := remoteLock(ctx, repo)
	switch {
	case lerr != nil:
		return false, fmt.Errorf("updating the ORB lock on %s: %w", repo.Options().URL, gitrepo.Explain(err))
	case commit != nil && cur == *commit, commit == nil && cur.IsZero() && !old.IsZero():
		return true, nil // done; only the answer was lost
	case cur != old:
		return false, nil
	}
	return false, fmt.Errorf("pushing to %s: %w", repo.Options().URL, gitrepo.Explain(err))
}

// pushWithin pushes, returning when ctx ends even if the remote never answers: go-git's context
// does not reach every wait of the file and SSH transports. A push abandoned that way may still land;
// the caller's next look at the lock tells.
func pushWithin(ctx context.Context, repo *gitrepo.Repo, opts *git.PushOptions) error {
	done := make(chan error, 1)
	go func() { done <- repo.Git().PushContext(ctx, opts) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("the remote did not answer: %w", context.Cause(ctx))
	}
}

func emptyTree(r *git.Repository) (plumbing.Hash, error) {
	obj := r.Storer.NewEncodedObject()
	if err := (&object.Tree{}).Encode(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encoding empty tree: %w", err)
	}
	h, err := r.Storer.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("storing empty tree: %w", err)
	}
	return h, nil
}
