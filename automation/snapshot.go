package automation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/orbos/orbos/automation/gitrepo"
	"github.com/orbos/orbos/automation/orblock"
	"github.com/orbos/orbos/automation/record"
	"github.com/orbos/orbos/automation/stackconfig"
)

// Snapshot is a read-only view of an ORB: its remote branch as fetched when it was opened, checked
// out in a directory of its own beside the ORB's checkout (CHECKOUT.snapshot) that only readers use.
// Opening one never waits for a run that holds the ORB's checkout and never takes the ORB lock, so
// that status, history and the like answer while an up runs.
type Snapshot struct {
	orb *Orb
	// checkout is the ORB's own checkout, which runs use.
	checkout string
}

// SnapshotDir is where the snapshot of the ORB whose checkout is checkout lives.
func SnapshotDir(checkout string) string { return checkout + ".snapshot" }

// OpenSnapshot fetches the ORB's branch into its snapshot and checks it out. Readers of the same
// snapshot take turns (briefly: a fetch); they never wait for the ORB's checkout.
func OpenSnapshot(ctx context.Context, opts Options) (*Snapshot, error) {
	if opts.Config == nil {
		return nil, errors.New("automation: no orbconfig")
	}
	if opts.Checkout == "" {
		opts.Checkout = DefaultCheckout(opts.Config)
	}
	s := &Snapshot{checkout: opts.Checkout}
	opts.Checkout = SnapshotDir(opts.Checkout)
	o, err := Open(ctx, opts)
	if err != nil {
		return nil, err
	}
	o.readOnly = true
	s.orb = o
	if err := s.refresh(ctx); err != nil {
		o.Close()
		return nil, err
	}
	return s, nil
}

// refresh brings the snapshot to the remote's branch, dropping whatever else it held.
func (s *Snapshot) refresh(ctx context.Context) error {
	repo := s.orb.repo
	if err := repo.Fetch(ctx); err != nil {
		return err
	}
	remote, err := repo.RemoteHead()
	if err != nil || remote.IsZero() {
		return err
	}
	return repo.Reset(remote)
}

// Close releases the snapshot for other readers.
func (s *Snapshot) Close() error { return s.orb.Close() }

// Name is the ORB's name.
func (s *Snapshot) Name() string { return s.orb.Name() }

// Dir is the snapshot's checkout, to read files of the ORB's repository from.
func (s *Snapshot) Dir() string { return s.orb.Checkout() }

// Repo is the snapshot's repository (its remote is the ORB's).
func (s *Snapshot) Repo() *gitrepo.Repo { return s.orb.repo }

// Status reads status/<orb>.yaml; nil when no run has written it yet.
func (s *Snapshot) Status() (*Status, error) { return ReadStatus(s.Dir(), s.Name()) }

// Inventory lists the machines recorded in the ORB's state.
func (s *Snapshot) Inventory() ([]map[string]any, error) { return Inventory(s.Dir(), s.Name()) }

// History lists up to max entries of the ORB's Git log, newest first.
func (s *Snapshot) History(ctx context.Context, max int) ([]Entry, error) {
	return s.orb.History(ctx, max)
}

// GetConfig returns the desired-state value at key; secrets only when reveal is set.
func (s *Snapshot) GetConfig(ctx context.Context, key string, reveal bool) (stackconfig.Value, error) {
	return s.orb.GetConfig(ctx, key, reveal)
}

// Secrets lists the keys of the desired state that hold secrets.
func (s *Snapshot) Secrets(ctx context.Context) ([]string, error) { return s.orb.Secrets(ctx) }

// StackFile reads and parses the desired-state file.
func (s *Snapshot) StackFile() (*stackconfig.File, []byte, error) { return s.orb.StackFile() }

// Kubeconfig returns the admin kubeconfig of the cluster orbos made (see Orb.Kubeconfig).
func (s *Snapshot) Kubeconfig(ctx context.Context) (string, error) { return s.orb.Kubeconfig(ctx) }

// Lock returns the ORB lock as the remote holds it: its commit and what it says (nil when unlocked).
func (s *Snapshot) Lock(ctx context.Context) (string, *orblock.Info, error) { return s.orb.Lock(ctx) }

// BreakLock removes the ORB lock that was shown once its holder no longer renews it (see Orb.BreakLock).
func (s *Snapshot) BreakLock(ctx context.Context, commit string, info orblock.Info, onWatch func(time.Duration)) (string, error) {
	return s.orb.breakLock(ctx, commit, info, s.checkout, onWatch)
}

// RunRecord says what a run did, as the status records it (see record.RunRecord).
type RunRecord = record.RunRecord

// RunOf returns the last run the status records when that run ran the desired state of commit or a
// later one (its desired commit is commit or descends from it); nil when no such run finished yet.
func (s *Snapshot) RunOf(commit string) (*RunRecord, error) {
	st, err := s.Status()
	if err != nil || st == nil || st.DesiredCommit == "" {
		return nil, err
	}
	if st.DesiredCommit == commit {
		return &st.LastRun, nil
	}
	r := s.orb.repo.Git()
	ran, err := r.CommitObject(plumbing.NewHash(st.DesiredCommit))
	if err != nil {
		return nil, nil // a desired commit this snapshot does not hold is not a descendant of one it does
	}
	asked, err := r.CommitObject(plumbing.NewHash(commit))
	if err != nil {
		return nil, fmt.Errorf("reading commit %.12s: %w", commit, err)
	}
	if ok, err := asked.IsAncestor(ran); err != nil || !ok {
		return nil, err
	}
	return &st.LastRun, nil
}
