package automation

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/orbos/orbos/automation/gitrepo"
	"github.com/orbos/orbos/stacks"
)

// proposalRef keeps the fetched proposal in a proposal's scratch checkout.
const proposalRef plumbing.ReferenceName = "refs/orbos/proposal"

// Proposal is a desired state proposed on another branch (or a pull request's head), laid over the
// ORB's branch as the remote holds it: the state is the one the ORB runs now, the desired state the
// proposal's. It lives in a scratch checkout of its own (CHECKOUT.proposal) and takes no lock: a
// preview of it changes nothing anywhere.
type Proposal struct {
	snap *Snapshot
	// Ref is the proposal's ref on the remote; Commit the commit it pointed at.
	Ref, Commit string
}

// ProposalRef is the full ref name of a branch name or ref ("feature" is refs/heads/feature;
// refs/pull/7/head stays as it is).
func ProposalRef(ref string) (plumbing.ReferenceName, error) {
	name := plumbing.ReferenceName(ref)
	if !strings.HasPrefix(ref, "refs/") {
		name = plumbing.NewBranchReferenceName(ref)
	}
	if strings.ContainsAny(ref, ":*^~?[\\ ") || name.Validate() != nil {
		return "", fmt.Errorf("%q is not a branch or ref name", ref)
	}
	return name, nil
}

// OpenProposal fetches the ORB's branch and the proposal's ref into the proposal's scratch checkout
// and lays the proposal's desired state over the branch.
func OpenProposal(ctx context.Context, opts Options, ref string) (*Proposal, error) {
	name, err := ProposalRef(ref)
	if err != nil {
		return nil, err
	}
	if opts.Config == nil {
		return nil, errors.New("automation: no orbconfig")
	}
	if opts.Checkout == "" {
		opts.Checkout = DefaultCheckout(opts.Config)
	}
	opts.Checkout += ".proposal"
	snap, err := OpenSnapshot(ctx, opts)
	if err != nil {
		return nil, err
	}
	p := &Proposal{snap: snap, Ref: string(name)}
	if err := p.layOver(ctx, name); err != nil {
		snap.Close()
		return nil, err
	}
	return p, nil
}

// layOver fetches the proposal and writes its desired-state file into the checkout.
func (p *Proposal) layOver(ctx context.Context, name plumbing.ReferenceName) error {
	repo := p.snap.orb.repo
	r := repo.Git()
	err := r.FetchContext(ctx, &git.FetchOptions{
		RemoteName: gitrepo.RemoteName,
		RefSpecs:   []config.RefSpec{config.RefSpec("+" + string(name) + ":" + string(proposalRef))},
		Auth:       repo.Options().Auth,
		Tags:       git.NoTags,
		Force:      true,
	})
	if errors.Is(err, git.NoMatchingRefSpecError{}) {
		return fmt.Errorf("the ORB repository has no %s", name)
	}
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return fmt.Errorf("fetching %s: %w", name, gitrepo.Explain(err))
	}
	ref, err := r.Reference(proposalRef, true)
	if err != nil {
		return fmt.Errorf("reading the fetched %s: %w", name, err)
	}
	c, err := r.CommitObject(ref.Hash())
	if err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	p.Commit = c.Hash.String()
	file := stacks.StackFileName(p.snap.Name())
	f, err := c.File(file)
	if err != nil {
		return fmt.Errorf("%s of %s: %w", file, name, err)
	}
	content, err := f.Contents()
	if err != nil {
		return fmt.Errorf("%s of %s: %w", file, name, err)
	}
	return os.WriteFile(filepath.Join(p.snap.Dir(), file), []byte(content), 0o644)
}

// Close releases the proposal's checkout.
func (p *Proposal) Close() error { return p.snap.Close() }

// Preview validates the proposed desired state and previews it with the engine against the ORB's
// current state, the policy pack judging it unless ro.NoPolicy. Nothing is committed or pushed.
func (p *Proposal) Preview(ctx context.Context, ro RunOptions) (*Result, error) {
	o := p.snap.orb
	now := time.Now()
	res := &Result{Orb: o.name(), Operation: Preview, RunID: newRunID(now), Started: now, Changes: map[string]int{},
		NoPolicy: ro.NoPolicy, DesiredCommit: p.Commit}
	err := func() error {
		spec, err := o.loadSpec()
		if err != nil {
			return err
		}
		if err := o.engine(ctx, Preview, spec, res, ro); err != nil {
			return err
		}
		if ro.ExpectNoChanges && res.ChangeCount() > 0 {
			return fmt.Errorf("%w: %s", ErrChangesPending, DescribeChanges(res.Changes))
		}
		return nil
	}()
	res.Seconds = time.Since(now).Round(time.Millisecond).Seconds()
	res.Outcome = Succeeded
	if err != nil {
		res.Outcome, res.Error = Failed, o.Redact(err.Error())
		if errors.Is(err, ErrChangesPending) {
			res.Outcome = Succeeded
		}
	}
	return res, err
}
