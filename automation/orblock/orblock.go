// Package orblock implements the ORB lock: a Git ref on the ORB's remote, changed only by
// compare-and-swap pushes, that names its holder and carries a lease the holder keeps renewing.
//
// A lease expires by observed time, as in client-go's leader election: a waiter takes the lock over
// once it has seen the same lock commit unchanged for a whole lease on its own monotonic clock. The
// holder's timestamps are shown to people and never compared with another machine's clock. The
// holder gives the lock up (and cancels its run) before a waiter could see its lease run out.
//
// A lock can also be marked: the state of a run that could not be pushed lives only in the holder's
// checkout. A marked lock never expires; only a checkout that holds that state, or an operator who
// says so (Break), ends it.
package orblock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/orbos/orbos/automation/gitrepo"
)

// Ref is the lock's ref on the remote; fetchedRef and heldRef keep its commits locally.
const (
	Ref        plumbing.ReferenceName = "refs/orbos/lock"
	fetchedRef plumbing.ReferenceName = "refs/orbos/remote-lock"
	heldRef    plumbing.ReferenceName = "refs/orbos/held-lock"
)

// DefaultTTL is the lease when none is given (and of locks that do not say theirs).
const DefaultTTL = 2 * time.Minute

// Info is what the lock says about its holder.
type Info struct {
	Holder  string `json:"holder"`
	Purpose string `json:"purpose"`
	RunID   string `json:"runID"`
	// Acquired and Renewed are the holder's wall clock: shown to people, never compared with another clock.
	Acquired time.Time `json:"acquired"`
	Renewed  time.Time `json:"renewed"`
	// LeaseSeconds: whoever sees this lock commit unchanged for this long may take the lock over.
	LeaseSeconds float64 `json:"leaseSeconds"`
	// The holder's process, so that a holder on the same machine that died is recognised at once.
	process
	// Unpushed marks state that exists only in the holder's checkout.
	Unpushed *Unpushed `json:"unpushed,omitempty"`
}

// Unpushed is state a run committed but could not push.
type Unpushed struct {
	Commit string `json:"commit"`
	// Checkout is where the state is: host:directory.
	Checkout string    `json:"checkout"`
	Holder   string    `json:"holder"`
	RunID    string    `json:"runID"`
	Reason   string    `json:"reason"`
	Since    time.Time `json:"since"`
}

// Lease is how long the lock stays unchanged before it may be taken over.
func (i Info) Lease() time.Duration {
	if i.LeaseSeconds <= 0 {
		return DefaultTTL
	}
	return time.Duration(i.LeaseSeconds * float64(time.Second))
}

func (i Info) String() string {
	s := fmt.Sprintf("%s (%s, since %s, lease %s)", i.Holder, i.Purpose, i.Acquired.UTC().Format(time.RFC3339), i.Lease())
	if u := i.Unpushed; u != nil {
		s += fmt.Sprintf(", with unpushed state: commit %.12s at %s, run %s", u.Commit, u.Checkout, u.RunID)
	}
	return s
}

// HeldError is returned when another holder keeps the lock past the wait.
type HeldError struct {
	Info Info
	// Unchanged is how long this process saw the lock commit unchanged.
	Unchanged time.Duration
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("the ORB is locked by %s; wait for it, or retry with a longer --lock-wait "+
		"(a lock whose holder is gone is taken over once it has been seen unchanged for its lease)", e.Info)
}

// UnpushedError is returned when the lock marks state that only another checkout holds.
type UnpushedError struct{ Info Info }

func (e *UnpushedError) Error() string {
	u := e.Info.Unpushed
	return fmt.Sprintf("the ORB's newest state was never pushed: run %s of %s committed it as %.12s in %s (%s). "+
		"No run may start from the older state on the remote: run orbctl from that checkout, which pushes it; "+
		"if that state is lost for good, `orbctl unlock` removes the mark (it asks first)",
		u.RunID, u.Holder, u.Commit, u.Checkout, u.Reason)
}

// LostError means this process no longer holds the lock it took.
type LostError struct {
	// By is the holder that took the lock over; nil when this process gave it up itself because it
	// could not renew the lease in time.
	By     *Info
	Reason string
}

func (e *LostError) Error() string {
	if e.By != nil {
		return fmt.Sprintf("the ORB lock was taken over by %s: this run's lease had run out", e.By)
	}
	return "this run gave up the ORB lock before its lease could run out: " + e.Reason
}

// Options of Acquire.
type Options struct {
	Holder  string        // who takes the lock; DefaultHolder() when empty
	Purpose string        // what for, e.g. "up"
	RunID   string        // unique per run
	TTL     time.Duration // lease length; renewed every TTL/3, given up after 2/3 TTL without renewal
	Wait    time.Duration // how long to wait for another holder; 0 fails at once
	// OnWait is called once per holder seen while waiting.
	OnWait func(Info)
	// Clock measures how long a lock was seen unchanged (time.Now, whose readings are monotonic, when nil).
	Clock func() time.Time
	// WallClock stamps the lock for people to read (time.Now when nil).
	WallClock func() time.Time
	// ReleaseTimeout bounds Release, so that a stuck remote cannot keep a finished run waiting
	// (DefaultReleaseTimeout when 0).
	ReleaseTimeout time.Duration
}

// DefaultReleaseTimeout bounds Release.
const DefaultReleaseTimeout = 30 * time.Second

func (o *Options) defaults() {
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if o.Holder == "" {
		o.Holder = DefaultHolder()
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.WallClock == nil {
		o.WallClock = time.Now
	}
	if o.ReleaseTimeout <= 0 {
		o.ReleaseTimeout = DefaultReleaseTimeout
	}
}

// Acquire takes the lock, waiting up to opts.Wait for another holder, and starts renewing its lease.
func Acquire(ctx context.Context, repo *gitrepo.Repo, opts Options) (*Lock, error) {
	opts.defaults()
	l := newLock(repo, opts)
	until := opts.Clock().Add(opts.Wait)
	var seen plumbing.Hash
	var seenAt time.Time
	var announced string
	wait := &backoff.ExponentialBackOff{InitialInterval: 200 * time.Millisecond, RandomizationFactor: 0.2, Multiplier: 2, MaxInterval: 2 * time.Second}
	wait.Reset()
	for {
		cur, info, err := readLock(ctx, repo)
		if err != nil {
			return nil, err
		}
		now := opts.Clock()
		if cur != seen {
			seen, seenAt = cur, now
		}
		takeOver := false
		switch {
		case cur.IsZero():
		case info.Unpushed != nil:
			// Only the checkout that holds the unpushed state may go on: it pushes it first.
			if has, err := repo.Contains(info.Unpushed.Commit); err != nil {
				return nil, err
			} else if has {
				takeOver = true
			} else if !now.Before(until) {
				return nil, &UnpushedError{Info: info}
			}
		case info.process.gone(l.self), now.Sub(seenAt) >= info.Lease():
			takeOver = true
		case !now.Before(until):
			return nil, &HeldError{Info: info, Unchanged: now.Sub(seenAt)}
		}
		if cur.IsZero() || takeOver {
			ok, err := l.swap(ctx, cur, l.newInfo())
			if err != nil {
				return nil, err
			}
			if ok {
				if takeOver {
					prev := info
					l.TookOver = &prev
				}
				l.keep()
				return l, nil
			}
			continue // somebody was faster: read again
		}
		if opts.OnWait != nil && info.RunID+info.Holder != announced {
			announced = info.RunID + info.Holder
			opts.OnWait(info)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the ORB lock held by %s: %w", info, ctx.Err())
		case <-time.After(wait.NextBackOff()):
		}
	}
}

// Read returns the remote lock's holder, if any, without taking it.
func Read(ctx context.Context, repo *gitrepo.Repo) (*Info, error) {
	cur, info, err := readLock(ctx, repo)
	if err != nil || cur.IsZero() {
		return nil, err
	}
	return &info, nil
}

// Inspect returns the remote lock commit and what it says; an empty commit when the ORB is unlocked.
func Inspect(ctx context.Context, repo *gitrepo.Repo) (string, *Info, error) {
	cur, info, err := readLock(ctx, repo)
	if err != nil || cur.IsZero() {
		return "", nil, err
	}
	return cur.String(), &info, nil
}

// Break removes the lock, whoever holds it and whatever it marks, provided it is still the commit
// the operator was shown (commit, from Inspect). It is the override for a holder that is gone for good.
func Break(ctx context.Context, repo *gitrepo.Repo, commit string) error {
	old := plumbing.NewHash(commit)
	ok, err := casPush(ctx, repo, old, nil, nil)
	if err != nil {
		return fmt.Errorf("removing the ORB lock: %w", err)
	}
	if !ok {
		return errors.New("the ORB lock changed meanwhile: nothing was removed; look again")
	}
	return nil
}

// readLock returns the remote lock commit and its info (zero hash when unlocked).
func readLock(ctx context.Context, repo *gitrepo.Repo) (plumbing.Hash, Info, error) {
	cur, err := remoteLock(ctx, repo)
	if err != nil || cur.IsZero() {
		return cur, Info{}, err
	}
	r := repo.Git()
	if _, err := r.CommitObject(cur); err != nil {
		err := r.FetchContext(ctx, &git.FetchOptions{
			RemoteName: gitrepo.RemoteName,
			RefSpecs:   []config.RefSpec{config.RefSpec("+" + Ref + ":" + fetchedRef)},
			Auth:       repo.Options().Auth,
			Tags:       git.NoTags,
		})
		if errors.Is(err, git.NoMatchingRefSpecError{}) {
			return plumbing.ZeroHash, Info{}, nil // released meanwhile
		}
		if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
			return plumbing.ZeroHash, Info{}, fmt.Errorf("fetching the ORB lock: %w", gitrepo.Explain(err))
		}
	}
	c, err := r.CommitObject(cur)
	if err != nil {
		// Changed again between listing and fetching: report the newer one as held; the caller re-reads.
		return cur, Info{Holder: "unknown", Purpose: "changing hands"}, nil
	}
	var info Info
	if err := json.Unmarshal([]byte(c.Message), &info); err != nil {
		return cur, Info{}, fmt.Errorf("the ORB lock %s holds no lock info (%v): remove it with `orbctl unlock`", cur, err)
	}
	return cur, info, nil
}

// remoteLock lists the remote's refs and returns the lock's commit (zero when unlocked).
func remoteLock(ctx context.Context, repo *gitrepo.Repo) (plumbing.Hash, error) {
	remote, err := repo.Git().Remote(gitrepo.RemoteName)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("reading the ORB lock: %w", err)
	}
	refs, err := remote.ListContext(ctx, &git.ListOptions{Auth: repo.Options().Auth})
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("reading the ORB lock from %s: %w", repo.Options().URL, gitrepo.Explain(err))
	}
	for _, ref := range refs {
		if ref.Name() == Ref {
			return ref.Hash(), nil
		}
	}
	return plumbing.ZeroHash, nil
}
