// Package fleet keeps MISSION's picture of every ORB: it polls each repository's refs (one ls-remote
// per ORB and cycle, as the reconciler does), fetches only a branch that moved, and reads the ORB's
// desired state, status and history with the parsers orbctl writes them with (stacks,
// automation/record, automation/orblock).
package fleet

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/orbos/orbos/automation/gitrepo"
	"github.com/orbos/orbos/automation/orblock"
	"github.com/orbos/orbos/mission/catalog"
	"github.com/orbos/orbos/mission/config"
)

// Fleet is every configured ORB, each with its checkout and its last reading.
type Fleet struct {
	cfg     *config.Config
	catalog atomic.Pointer[catalog.Catalog]
	now     func() time.Time
	orbs    map[string]*Repo
	order   []string
}

// Repo is one ORB's checkout; its mutex serialises polling and writing.
type Repo struct {
	mu   sync.Mutex
	conf config.Orb
	repo *gitrepo.Repo
	// lockSeen is when this process first saw the current lock commit: a lease is measured on
	// MISSION's own clock, never by comparing it with the holder's.
	lockCommit string
	lockSeen   time.Time
	lockInfo   *orblock.Info
	// lockActivity is when the lock last changed after the first poll (the reconciler's heartbeat).
	lockActivity time.Time
	polled       bool

	snapMu sync.RWMutex
	snap   *ORB

	// series is the run series read at seriesHead (see Series).
	series     []RunPoint
	seriesHead string
	// resources caches what each run commit's checkpoint changed (see RunResources), by commit.
	resources map[string][]ResourceChange
}

// New prepares a fleet over cfg's ORBs; nothing is contacted before Poll.
func New(cfg *config.Config, cat *catalog.Catalog, now func() time.Time) *Fleet {
	if now == nil {
		now = time.Now
	}
	f := &Fleet{cfg: cfg, now: now, orbs: map[string]*Repo{}}
	f.catalog.Store(cat)
	for _, o := range cfg.Orbs {
		f.orbs[o.Name] = &Repo{conf: o, snap: &ORB{Name: o.Name, Error: "not read yet"}}
		f.order = append(f.order, o.Name)
	}
	return f
}

// Catalog is the release catalog the fleet compares with.
func (f *Fleet) Catalog() *catalog.Catalog { return f.catalog.Load() }

// SetCatalog replaces the catalog (a refreshed one); the next poll compares with it.
func (f *Fleet) SetCatalog(c *catalog.Catalog) { f.catalog.Store(c) }

// Repo returns an ORB's checkout.
func (f *Fleet) Repo(name string) (*Repo, bool) {
	r, ok := f.orbs[name]
	return r, ok
}

// Run polls every ORB now and then every interval until ctx ends; after, when set, runs after each poll.
func (f *Fleet) Run(ctx context.Context, interval time.Duration, after func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		f.Poll(ctx)
		if after != nil {
			after()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Poll reads every ORB's refs once, four at a time (a poll waits on the network), and re-reads those
// that moved. An ORB that cannot be read keeps its last reading with the error.
func (f *Fleet) Poll(ctx context.Context) {
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for _, name := range f.order {
		r := f.orbs[name]
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			r.poll(ctx, f)
		}()
	}
	wg.Wait()
}

// Snapshot lists every ORB's last reading, problems first, then by name.
func (f *Fleet) Snapshot() []*ORB {
	out := make([]*ORB, 0, len(f.order))
	for _, name := range f.order {
		out = append(out, f.orbs[name].Snapshot())
	}
	sort.SliceStable(out, func(i, j int) bool {
		if a, b := out[i].Severity(), out[j].Severity(); a != b {
			return a > b
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Snapshot is the ORB's last reading.
func (r *Repo) Snapshot() *ORB {
	r.snapMu.RLock()
	defer r.snapMu.RUnlock()
	return r.snap
}

func (r *Repo) setSnapshot(o *ORB) {
	r.snapMu.Lock()
	r.snap = o
	r.snapMu.Unlock()
}

// Config is the ORB's entry of mission.yaml.
func (r *Repo) Config() config.Orb { return r.conf }

// Lock runs fn with the checkout to itself (the commit writer uses it).
func (r *Repo) Lock(ctx context.Context, fn func(*gitrepo.Repo) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.repo == nil {
		return errors.New("the ORB's repository has not been read yet")
	}
	return fn(r.repo)
}

func (r *Repo) open(ctx context.Context, dataDir string) error {
	if r.repo != nil {
		return nil
	}
	oc, err := r.conf.Auth()
	if err != nil {
		return err
	}
	auth, err := oc.Auth()
	if err != nil {
		return err
	}
	repo, err := gitrepo.Open(ctx, gitrepo.Options{Dir: filepath.Join(dataDir, r.conf.Name), URL: r.conf.URL, Branch: r.conf.Branch, Auth: auth})
	if err != nil {
		return err
	}
	r.repo = repo
	return nil
}

func (r *Repo) poll(ctx context.Context, f *Fleet) {
	r.mu.Lock()
	defer r.mu.Unlock()
	prev := r.Snapshot()
	fail := func(err error) {
		o := *prev
		o.Error = err.Error()
		o.Checked = f.now()
		o.problems(f.Catalog(), f.now())
		r.setSnapshot(&o)
	}
	if err := r.open(ctx, f.cfg.DataDir); err != nil {
		fail(err)
		return
	}
	branch, lock, err := r.refs(ctx)
	if err != nil {
		fail(err)
		return
	}
	lockChanged := lock != r.lockCommit
	if lockChanged && r.polled {
		r.lockActivity = f.now()
	}
	r.polled = true
	if lockChanged {
		r.lockCommit, r.lockSeen, r.lockInfo = lock, f.now(), nil
		if lock != "" {
			info, err := orblock.Read(ctx, r.repo)
			if err != nil {
				fail(err)
				return
			}
			r.lockInfo = info
		}
	}
	head, err := r.repo.Head()
	if err != nil {
		fail(err)
		return
	}
	if branch != head.String() {
		if err := r.repo.Fetch(ctx); err != nil {
			fail(err)
			return
		}
		rh, err := r.repo.RemoteHead()
		if err != nil {
			fail(err)
			return
		}
		if err := r.repo.Reset(rh); err != nil {
			fail(err)
			return
		}
	} else if prev.Error == "" && prev.Head == branch && !lockChanged {
		// Nothing moved: only the lease's age and the clock-based advice change.
		o := *prev
		o.Checked = f.now()
		o.Lock = r.lockState(f.now())
		o.LockActivity, o.StallAfter = r.lockActivity, r.conf.ReconcilerStall.Duration
		o.problems(f.Catalog(), f.now())
		r.setSnapshot(&o)
		return
	}
	o, err := read(r.repo, r.conf.Name)
	if err != nil {
		fail(err)
		return
	}
	o.Checked = f.now()
	o.Lock = r.lockState(f.now())
	o.LockActivity, o.StallAfter = r.lockActivity, r.conf.ReconcilerStall.Duration
	o.problems(f.Catalog(), f.now())
	r.setSnapshot(o)
}

// refs lists the remote's refs once: the branch's commit and the lock's ("" when absent).
func (r *Repo) refs(ctx context.Context) (branch, lock string, err error) {
	remote, err := r.repo.Git().Remote(gitrepo.RemoteName)
	if err != nil {
		return "", "", fmt.Errorf("reading remote: %w", err)
	}
	refs, err := remote.ListContext(ctx, &git.ListOptions{Auth: r.repo.Options().Auth})
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return "", "", gitrepo.ErrEmptyRemote
	}
	if err != nil {
		return "", "", fmt.Errorf("listing %s: %w", r.conf.URL, gitrepo.Explain(err))
	}
	want := plumbing.NewBranchReferenceName(r.conf.Branch)
	for _, ref := range refs {
		switch ref.Name() {
		case want:
			branch = ref.Hash().String()
		case orblock.Ref:
			lock = ref.Hash().String()
		}
	}
	if branch == "" {
		return "", "", fmt.Errorf("%s has no branch %s", r.conf.URL, r.conf.Branch)
	}
	return branch, lock, nil
}

func (r *Repo) lockState(now time.Time) *LockState {
	if r.lockCommit == "" {
		return nil
	}
	l := &LockState{Commit: r.lockCommit, Unchanged: now.Sub(r.lockSeen)}
	if r.lockInfo != nil {
		l.Holder, l.Purpose, l.Lease = r.lockInfo.Holder, r.lockInfo.Purpose, r.lockInfo.Lease()
		l.Unpushed = r.lockInfo.Unpushed != nil
	}
	l.Stale = l.Lease > 0 && l.Unchanged > l.Lease
	return l
}

// PollOne re-reads one ORB now (after MISSION wrote to it).
func (f *Fleet) PollOne(ctx context.Context, name string) {
	if r, ok := f.orbs[name]; ok {
		r.poll(ctx, f)
	}
}

// Now is the fleet's clock.
func (f *Fleet) Now() time.Time { return f.now() }
