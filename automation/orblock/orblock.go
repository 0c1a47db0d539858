// Package orblock implements the ORB lock: a Git ref on the ORB's remote, changed only by
// compare-and-swap pushes, that names its holder and carries a lease the holder keeps renewing.
// A lease that ran out (its holder died) can be taken over.
package orblock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/orbos/orbos/automation/gitrepo"
)

// Ref is the lock's ref on the remote; fetchedRef is where the holder's view of it is kept locally.
const (
	Ref        plumbing.ReferenceName = "refs/orbos/lock"
	fetchedRef plumbing.ReferenceName = "refs/orbos/remote-lock"
)

// Info is what the lock says about its holder.
type Info struct {
	Holder   string    `json:"holder"`
	Purpose  string    `json:"purpose"`
	RunID    string    `json:"runID"`
	Acquired time.Time `json:"acquired"`
	Expires  time.Time `json:"expires"`
	// Host and PID identify the holder's process, so that a holder on the same machine that died
	// is recognised at once instead of after its lease.
	Host string `json:"host,omitempty"`
	PID  int    `json:"pid,omitempty"`
}

func (i Info) String() string {
	return fmt.Sprintf("%s (%s, since %s, lease until %s)", i.Holder, i.Purpose,
		i.Acquired.UTC().Format(time.RFC3339), i.Expires.UTC().Format(time.RFC3339))
}

// HeldError is returned when another holder keeps the lock past the wait.
type HeldError struct{ Info Info }

func (e *HeldError) Error() string {
	return fmt.Sprintf("the ORB is locked by %s; wait for it, or retry with a longer --lock-wait", e.Info)
}

// Options of Acquire.
type Options struct {
	Holder  string        // who takes the lock; DefaultHolder() when empty
	Purpose string        // what for, e.g. "up"
	RunID   string        // unique per run
	TTL     time.Duration // lease length; renewed every TTL/3
	Wait    time.Duration // how long to wait for another holder; 0 fails at once
	// OnWait is called once per change of holder seen while waiting.
	OnWait func(Info)
	// Now is the clock (tests).
	Now func() time.Time
}

// DefaultHolder names this process: user@host pid N.
func DefaultHolder() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s@%s pid %d", name, host, os.Getpid())
}

// Lock is a held ORB lock.
type Lock struct {
	repo *gitrepo.Repo
	opts Options

	mu      sync.Mutex
	head    plumbing.Hash // the lock commit we last pushed
	info    Info
	lost    error
	lostCh  chan struct{}
	stop    chan struct{}
	stopped chan struct{}

	// TookOver is the expired lock this one replaced, if any.
	TookOver *Info
}

// Acquire takes the lock, waiting up to opts.Wait for another holder, and starts renewing its lease.
func Acquire(ctx context.Context, repo *gitrepo.Repo, opts Options) (*Lock, error) {
	if opts.TTL <= 0 {
		opts.TTL = 2 * time.Minute
	}
	if opts.Holder == "" {
		opts.Holder = DefaultHolder()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	l := &Lock{repo: repo, opts: opts, lostCh: make(chan struct{}), stop: make(chan struct{}), stopped: make(chan struct{})}
	deadline := opts.Now().Add(opts.Wait)
	var lastSeen *Info
	delay := 200 * time.Millisecond
	for {
		cur, info, err := l.read(ctx)
		if err != nil {
			return nil, err
		}
		now := opts.Now()
		switch {
		case cur.IsZero():
			if ok, err := l.swap(ctx, plumbing.ZeroHash, l.newInfo(now)); err != nil {
				return nil, err
			} else if ok {
				l.startRenewing()
				return l, nil
			}
			continue // someone was faster: read again
		case now.After(info.Expires) || holderDead(info):
			if ok, err := l.swap(ctx, cur, l.newInfo(now)); err != nil {
				return nil, err
			} else if ok {
				expired := info
				l.TookOver = &expired
				l.startRenewing()
				return l, nil
			}
			continue
		}
		if now.After(deadline) {
			return nil, &HeldError{Info: info}
		}
		if opts.OnWait != nil && (lastSeen == nil || info.RunID != lastSeen.RunID || !info.Acquired.Equal(lastSeen.Acquired)) {
			seen := info
			lastSeen = &seen
			opts.OnWait(info)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the ORB lock held by %s: %w", info, ctx.Err())
		case <-time.After(delay):
		}
		if delay < 2*time.Second {
			delay *= 2
		}
	}
}

func (l *Lock) newInfo(now time.Time) Info {
	host, _ := os.Hostname()
	return Info{Holder: l.opts.Holder, Purpose: l.opts.Purpose, RunID: l.opts.RunID, Acquired: now, Expires: now.Add(l.opts.TTL),
		Host: host, PID: os.Getpid()}
}

// holderDead reports whether the holder was a process of this machine that no longer runs.
func holderDead(i Info) bool {
	host, err := os.Hostname()
	if err != nil || i.Host != host || i.PID <= 0 || i.PID == os.Getpid() {
		return false
	}
	err = syscall.Kill(i.PID, 0)
	return errors.Is(err, syscall.ESRCH)
}

// Info returns what the lock currently says.
func (l *Lock) Info() Info {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.info
}

// Lost is closed when renewing found the lock taken by somebody else (our lease had run out).
func (l *Lock) Lost() <-chan struct{} { return l.lostCh }

// Err says why the lock was lost, or nil.
func (l *Lock) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lost
}

// Read returns the remote lock's holder, if any, without taking it.
func Read(ctx context.Context, repo *gitrepo.Repo) (*Info, error) {
	l := &Lock{repo: repo}
	cur, info, err := l.read(ctx)
	if err != nil || cur.IsZero() {
		return nil, err
	}
	return &info, nil
}

// read returns the remote lock commit and its info (zero hash when unlocked).
func (l *Lock) read(ctx context.Context) (plumbing.Hash, Info, error) {
	r := l.repo.Git()
	remote, err := r.Remote(gitrepo.RemoteName)
	if err != nil {
		return plumbing.ZeroHash, Info{}, fmt.Errorf("reading the ORB lock: %w", err)
	}
	refs, err := remote.ListContext(ctx, &git.ListOptions{Auth: l.repo.Options().Auth})
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return plumbing.ZeroHash, Info{}, nil
	}
	if err != nil {
		return plumbing.ZeroHash, Info{}, fmt.Errorf("reading the ORB lock from %s: %w", l.repo.Options().URL, gitrepo.Explain(err))
	}
	var cur plumbing.Hash
	for _, ref := range refs {
		if ref.Name() == Ref {
			cur = ref.Hash()
		}
	}
	if cur.IsZero() {
		return cur, Info{}, nil
	}
	if _, err := r.CommitObject(cur); err != nil {
		err := r.FetchContext(ctx, &git.FetchOptions{
			RemoteName: gitrepo.RemoteName,
			RefSpecs:   []config.RefSpec{config.RefSpec("+" + Ref + ":" + fetchedRef)},
			Auth:       l.repo.Options().Auth,
			Tags:       git.NoTags,
		})
		if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
			if strings.Contains(err.Error(), "couldn't find remote ref") {
				return plumbing.ZeroHash, Info{}, nil // released meanwhile
			}
			return plumbing.ZeroHash, Info{}, fmt.Errorf("fetching the ORB lock: %w", err)
		}
	}
	c, err := r.CommitObject(cur)
	if err != nil {
		// Changed again between listing and fetching: report it as held briefly; the caller re-reads.
		return cur, Info{Holder: "unknown", Expires: time.Now().Add(time.Second)}, nil
	}
	var info Info
	if err := json.Unmarshal([]byte(c.Message), &info); err != nil {
		return cur, Info{}, fmt.Errorf("the ORB lock %s holds no lock info (%v): remove the ref %s by hand", cur, err, Ref)
	}
	return cur, info, nil
}

// swap replaces the remote lock commit old (zero: no lock) by a new commit carrying info, as one
// compare-and-swap. It reports false when somebody else changed the lock first.
func (l *Lock) swap(ctx context.Context, old plumbing.Hash, info Info) (bool, error) {
	r := l.repo.Git()
	msg, err := json.Marshal(info)
	if err != nil {
		return false, fmt.Errorf("encoding lock info: %w", err)
	}
	tree, err := emptyTree(r)
	if err != nil {
		return false, err
	}
	c := &object.Commit{
		Author:    object.Signature{Name: "orbos", Email: "orbos@localhost", When: info.Acquired},
		Committer: object.Signature{Name: "orbos", Email: "orbos@localhost", When: time.Now()},
		Message:   string(msg),
		TreeHash:  tree,
	}
	if !old.IsZero() {
		c.ParentHashes = []plumbing.Hash{old} // a fast-forward of the lock we saw
	}
	obj := r.Storer.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return false, fmt.Errorf("encoding lock commit: %w", err)
	}
	h, err := r.Storer.SetEncodedObject(obj)
	if err != nil {
		return false, fmt.Errorf("storing lock commit: %w", err)
	}
	local := plumbing.ReferenceName("refs/orbos/held-lock")
	if err := r.Storer.SetReference(plumbing.NewHashReference(local, h)); err != nil {
		return false, fmt.Errorf("storing lock ref: %w", err)
	}
	if err := l.push(ctx, config.RefSpec(string(local)+":"+string(Ref)), old); errors.Is(err, errRejected) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	l.mu.Lock()
	l.head, l.info = h, info
	l.mu.Unlock()
	return true, nil
}

var errRejected = errors.New("rejected")

// push pushes spec, requiring the remote lock to be at old (zero: absent). A rejection because the
// remote moved returns errRejected: the caller re-reads.
func (l *Lock) push(ctx context.Context, spec config.RefSpec, old plumbing.Hash) error {
	opts := &git.PushOptions{
		RemoteName: gitrepo.RemoteName,
		RefSpecs:   []config.RefSpec{spec},
		Auth:       l.repo.Options().Auth,
	}
	if !old.IsZero() {
		opts.RequireRemoteRefs = []config.RefSpec{config.RefSpec(old.String() + ":" + string(Ref))}
	}
	err := l.repo.Git().PushContext(ctx, opts)
	switch {
	case err == nil || errors.Is(err, git.NoErrAlreadyUpToDate):
		return nil
	case isRejection(err):
		return errRejected
	default:
		return fmt.Errorf("updating the ORB lock on %s: %w", l.repo.Options().URL, gitrepo.Explain(err))
	}
}

func isRejection(err error) bool {
	msg := err.Error()
	for _, s := range []string{"non-fast-forward", "remote ref", "failed to update ref", "failed to lock",
		"cannot lock ref", "stale info", "reference already exists", "object not found", "rejected"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
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

func (l *Lock) startRenewing() {
	go func() {
		defer close(l.stopped)
		t := time.NewTicker(l.opts.TTL / 3)
		defer t.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-t.C:
				if err := l.Renew(context.Background()); err != nil {
					var lost *lostError
					if errors.As(err, &lost) {
						return
					}
					// A transient error: the lease still has two thirds left; try again next tick.
				}
			}
		}
	}()
}

type lostError struct{ by Info }

func (e *lostError) Error() string {
	return fmt.Sprintf("the ORB lock was taken over by %s after this run's lease ran out", e.by)
}

// Renew extends the lease by TTL from now.
func (l *Lock) Renew(ctx context.Context) error {
	l.mu.Lock()
	head, info := l.head, l.info
	l.mu.Unlock()
	info.Expires = l.opts.Now().Add(l.opts.TTL)
	ok, err := l.swap(ctx, head, info)
	if err != nil {
		return err
	}
	if !ok {
		_, by, _ := l.read(ctx)
		lerr := &lostError{by: by}
		l.mu.Lock()
		if l.lost == nil {
			l.lost = lerr
			close(l.lostCh)
		}
		l.mu.Unlock()
		return lerr
	}
	return nil
}

// Release stops renewing and deletes the lock, unless somebody else took it meanwhile.
func (l *Lock) Release(ctx context.Context) error {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	<-l.stopped
	l.mu.Lock()
	head := l.head
	lost := l.lost
	l.mu.Unlock()
	if lost != nil {
		return lost
	}
	if err := l.push(ctx, config.RefSpec(":"+string(Ref)), head); err != nil {
		if errors.Is(err, errRejected) {
			return fmt.Errorf("releasing the ORB lock: it changed hands meanwhile")
		}
		return fmt.Errorf("releasing the ORB lock: %w", err)
	}
	return nil
}
