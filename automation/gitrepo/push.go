package gitrepo

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
)

// Push pushes the local branch; the remote only accepts it as a fast-forward. It is for a repository
// nobody else writes to yet (a new ORB): runs publish through the ORB lock instead.
func (r *Repo) Push(ctx context.Context) error {
	err := r.repo.PushContext(ctx, &git.PushOptions{
		RemoteName: RemoteName,
		RefSpecs:   []config.RefSpec{r.BranchRefSpec()},
		Auth:       r.opts.Auth,
	})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return fmt.Errorf("pushing %s to %s: %w", r.opts.Branch, r.opts.URL, Explain(err))
	}
	return r.MarkPushed()
}

// BranchRefSpec pushes the local branch to the remote's, as a fast-forward only.
func (r *Repo) BranchRefSpec() config.RefSpec {
	return config.RefSpec(fmt.Sprintf("%s:%s", r.opts.branchRef(), r.opts.branchRef()))
}

// MarkPushed records that the remote's branch is now where the local branch is.
func (r *Repo) MarkPushed() error {
	head, err := r.Head()
	if err != nil {
		return err
	}
	if err := r.repo.Storer.SetReference(plumbing.NewHashReference(r.opts.remoteRef(), head)); err != nil {
		return fmt.Errorf("recording the pushed %s: %w", r.opts.Branch, err)
	}
	return nil
}

// SupportsAtomicPush asks the remote whether it updates several refs of one push all or none.
func (r *Repo) SupportsAtomicPush(ctx context.Context) (bool, error) {
	ep, err := transport.NewEndpoint(r.opts.URL)
	if err != nil {
		return false, fmt.Errorf("parsing %s: %w", r.opts.URL, err)
	}
	cl, err := client.NewClient(ep)
	if err != nil {
		return false, fmt.Errorf("connecting to %s: %w", r.opts.URL, err)
	}
	sess, err := cl.NewReceivePackSession(ep, r.opts.Auth)
	if err != nil {
		return false, fmt.Errorf("connecting to %s: %w", r.opts.URL, Explain(err))
	}
	defer sess.Close()
	ar, err := sess.AdvertisedReferencesContext(ctx)
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return true, nil // nothing to update atomically yet
	}
	if err != nil {
		return false, fmt.Errorf("asking %s what it supports: %w", r.opts.URL, Explain(err))
	}
	return ar.Capabilities.Supports(capability.Atomic), nil
}

// Contains reports whether commit is the local branch's head or one of its ancestors.
func (r *Repo) Contains(commit string) (bool, error) {
	h := plumbing.NewHash(commit)
	if h.IsZero() {
		return false, nil
	}
	head, err := r.Head()
	if err != nil || head.IsZero() {
		return false, err
	}
	if head == h {
		return true, nil
	}
	if _, err := r.repo.CommitObject(h); errors.Is(err, plumbing.ErrObjectNotFound) {
		return false, nil
	}
	return r.isAncestor(h, head)
}

// Ahead reports whether the local branch has commits the remote lacks.
func (r *Repo) Ahead() (bool, error) {
	local, err := r.Head()
	if err != nil {
		return false, err
	}
	remote, err := r.RemoteHead()
	if err != nil {
		return false, err
	}
	if local == remote || local.IsZero() {
		return false, nil
	}
	if remote.IsZero() {
		return true, nil
	}
	isAnc, err := r.isAncestor(local, remote)
	if err != nil {
		return false, err
	}
	return !isAnc, nil
}

func (r *Repo) isAncestor(a, b plumbing.Hash) (bool, error) {
	ca, err := r.repo.CommitObject(a)
	if err != nil {
		return false, fmt.Errorf("reading commit %s: %w", a, err)
	}
	cb, err := r.repo.CommitObject(b)
	if err != nil {
		return false, fmt.Errorf("reading commit %s: %w", b, err)
	}
	return ca.IsAncestor(cb)
}
