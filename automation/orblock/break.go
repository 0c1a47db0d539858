package orblock

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/orbos/orbos/automation/gitrepo"
)

// breakRef keeps the commit that records a break until it is pushed.
const breakRef plumbing.ReferenceName = "refs/orbos/lock-break"

// RenewedError means the lock changed while it was watched: its holder still renews it (or released
// it, or another run took it). It was not broken.
type RenewedError struct {
	Info Info
	// Now is what the lock says now; nil when it is gone.
	Now *Info
}

func (e *RenewedError) Error() string {
	switch {
	case e.Now == nil:
		return fmt.Sprintf("the ORB lock of %s was released meanwhile: nothing to break", e.Info.Holder)
	case e.Now.RunID != e.Info.RunID || e.Now.Holder != e.Info.Holder:
		return fmt.Sprintf("the ORB lock changed hands meanwhile (now %s): nothing was broken; look again", e.Now)
	}
	return fmt.Sprintf("%s still renews its lease of the ORB lock: it is alive, so the lock is not broken. "+
		"Wait for its run to end, or stop that process (a lock whose holder is gone is taken over by the next run)", e.Info.Holder)
}

// WatchOptions of Unrenewed.
type WatchOptions struct {
	// Clock measures how long the lock was seen unchanged (time.Now, monotonic, when nil).
	Clock func() time.Time
	// OnWatch is told how long the watch lasts at most, before it starts.
	OnWatch func(lease time.Duration)
}

// Unrenewed returns nil once the lock commit that was shown (Inspect) is certainly no longer kept by
// its holder: it has been seen unchanged for its lease (the rule by which a waiter takes a lock over),
// its holder's process on this machine is gone, or it is marked with unpushed state (its holder
// stopped renewing it then). It returns a *RenewedError as soon as the lock changes.
func Unrenewed(ctx context.Context, repo *gitrepo.Repo, commit string, info Info, opts WatchOptions) error {
	if info.Unpushed != nil || info.process.gone(thisProcess()) {
		return nil
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.OnWatch != nil {
		opts.OnWatch(info.Lease())
	}
	start := opts.Clock()
	wait := &backoff.ExponentialBackOff{InitialInterval: 200 * time.Millisecond, RandomizationFactor: 0.2, Multiplier: 2, MaxInterval: 2 * time.Second}
	wait.Reset()
	for {
		cur, now, err := readLock(ctx, repo)
		if err != nil {
			return err
		}
		if cur.String() != commit {
			e := &RenewedError{Info: info}
			if !cur.IsZero() {
				e.Now = &now
			}
			return e
		}
		if opts.Clock().Sub(start) >= info.Lease() {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("watching the ORB lock of %s: %w", info.Holder, ctx.Err())
		case <-time.After(wait.NextBackOff()):
		}
	}
}

// BreakRecorded removes the lock, provided it is still the commit that was shown, in ONE atomic push
// together with a commit on the ORB's branch whose message is message (who broke it, whose lock it
// was): the lock goes only if the record lands, and the record lands only if the lock goes. The
// record changes no file. It returns the record's commit.
func BreakRecorded(ctx context.Context, repo *gitrepo.Repo, commit, message string, author object.Signature) (string, error) {
	old := plumbing.NewHash(commit)
	branch := plumbing.NewBranchReferenceName(repo.Options().Branch)
	for range 3 {
		if err := repo.Fetch(ctx); err != nil {
			return "", err
		}
		parent, err := repo.RemoteHead()
		if err != nil {
			return "", err
		}
		record, err := recordCommit(repo, parent, message, author)
		if err != nil {
			return "", err
		}
		ok, err := casPush(ctx, repo, old, nil, []config.RefSpec{config.RefSpec(string(breakRef) + ":" + string(branch))})
		if err == nil && !ok {
			return "", errors.New("the ORB lock changed meanwhile: nothing was removed; look again")
		}
		if err == nil {
			// casPush also answers true when the lock went for another reason while this push failed:
			// the record tells.
			if landed, ferr := branchHolds(ctx, repo, record); ferr != nil || !landed {
				return "", errors.Join(errors.New("the ORB lock was removed meanwhile by somebody else: nothing was recorded"), ferr)
			}
			return record.String(), nil
		}
		// The branch moved between the fetch and the push (a desired-state commit): record again on top.
		if moved, ferr := branchMoved(ctx, repo, parent); ferr != nil || !moved {
			return "", errors.Join(err, ferr)
		}
	}
	return "", errors.New("the ORB's branch kept moving: gave up recording the break; nothing was removed")
}

// recordCommit stores a commit on parent with parent's tree and points breakRef at it.
func recordCommit(repo *gitrepo.Repo, parent plumbing.Hash, message string, author object.Signature) (plumbing.Hash, error) {
	r := repo.Git()
	c := &object.Commit{Author: author, Committer: author, Message: message}
	if parent.IsZero() {
		tree, err := emptyTree(r)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		c.TreeHash = tree
	} else {
		p, err := r.CommitObject(parent)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("reading the branch's head %s: %w", parent, err)
		}
		c.TreeHash, c.ParentHashes = p.TreeHash, []plumbing.Hash{parent}
	}
	obj := r.Storer.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encoding the record of the break: %w", err)
	}
	h, err := r.Storer.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("storing the record of the break: %w", err)
	}
	if err := r.Storer.SetReference(plumbing.NewHashReference(breakRef, h)); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("storing the record of the break: %w", err)
	}
	return h, nil
}

// branchHolds reports whether the remote's branch is commit or has it as an ancestor.
func branchHolds(ctx context.Context, repo *gitrepo.Repo, commit plumbing.Hash) (bool, error) {
	if err := repo.Fetch(ctx); err != nil {
		return false, err
	}
	head, err := repo.RemoteHead()
	if err != nil || head == commit {
		return head == commit, err
	}
	hc, err := repo.Git().CommitObject(head)
	if err != nil {
		return false, fmt.Errorf("reading the branch's head %s: %w", head, err)
	}
	rc, err := repo.Git().CommitObject(commit)
	if err != nil {
		return false, fmt.Errorf("reading the record %s: %w", commit, err)
	}
	return rc.IsAncestor(hc)
}

func branchMoved(ctx context.Context, repo *gitrepo.Repo, from plumbing.Hash) (bool, error) {
	head, err := repo.RemoteBranchHead(ctx)
	if err != nil {
		return false, err
	}
	if head == "" {
		return !from.IsZero(), nil
	}
	return head != from.String(), nil
}
