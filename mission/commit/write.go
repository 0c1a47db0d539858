package commit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/orbos/orbos/automation/gitrepo"
	"github.com/orbos/orbos/automation/record"
	"github.com/orbos/orbos/internal/valid"
	"github.com/orbos/orbos/stacks"
)

// Committer is who commits every change MISSION writes; the author is the signed-in user.
var Committer = object.Signature{Name: "MISSION", Email: "mission@orbos.localhost"}

// Trailers MISSION adds to its commits (besides record.KeyOperation).
const (
	KeyEditedBy = "Orbos-Edited-By"
	KeyEdit     = "Orbos-Edit"
	// OperationEdit is record.KeyOperation's value for a MISSION edit.
	OperationEdit = "edit"
)

// ErrMoved means the branch is no longer at the commit the form was built on: nothing was written.
var ErrMoved = errors.New("the ORB's branch moved since the form was shown: nothing was written; look at the new state and edit again")

// User is the signed-in person a commit is authored by.
type User struct{ Name, Email string }

// Request is one write of an ORB's desired state.
type Request struct {
	Orb string
	// Base is the commit the edit was made on; the branch must still point at it.
	Base   string
	Result *Result
	User   User
	// Proposal writes to a new branch mission/<orb>/<stamp> instead of the ORB's branch.
	Proposal bool
}

// Written says where the commit went.
type Written struct {
	Commit string
	// Branch is the ORB's branch, or the proposal branch.
	Branch string
}

// Write commits req onto the checkout repo and pushes it with compare-and-swap on the remote
// branch (or to a new proposal branch). The checkout is back at the remote's branch head afterwards
// whatever happened. The caller holds the checkout for itself.
func Write(ctx context.Context, repo *gitrepo.Repo, req Request) (*Written, error) {
	if req.Result == nil || len(req.Result.Errors) > 0 {
		return nil, errors.New("the edit has validation errors: nothing was written")
	}
	if len(req.Result.Fields) == 0 {
		return nil, errors.New("the edit changes nothing")
	}
	if err := checkUser(req.User); err != nil {
		return nil, err
	}
	base := plumbing.NewHash(req.Base)
	head, err := repo.Head()
	if err != nil {
		return nil, err
	}
	if head != base {
		return nil, ErrMoved
	}
	// The edit was computed on the file at base; a different file means a different base.
	path := filepath.Join(repo.Dir(), stacks.StackFileName(req.Orb))
	cur, err := os.ReadFile(path)
	if err != nil || string(cur) != req.Result.Before {
		return nil, ErrMoved
	}
	defer func() { _ = repo.Reset(base) }() // the checkout follows the remote, never MISSION's own commit
	if err := os.WriteFile(path, []byte(req.Result.After), 0o644); err != nil {
		return nil, fmt.Errorf("writing the desired state: %w", err)
	}
	wt, err := repo.Git().Worktree()
	if err != nil {
		return nil, fmt.Errorf("opening worktree: %w", err)
	}
	if _, err := wt.Add(stacks.StackFileName(req.Orb)); err != nil {
		return nil, fmt.Errorf("staging the desired state: %w", err)
	}
	now := time.Now()
	author := object.Signature{Name: req.User.Name, Email: req.User.Email, When: now}
	committer := Committer
	committer.When = now
	h, err := wt.Commit(message(req), &git.CommitOptions{Author: &author, Committer: &committer})
	if err != nil {
		return nil, fmt.Errorf("committing: %w", err)
	}
	branch := repo.Options().Branch
	target := plumbing.NewBranchReferenceName(branch)
	opts := &git.PushOptions{RemoteName: gitrepo.RemoteName, Auth: repo.Options().Auth}
	if req.Proposal {
		branch = proposalBranch(req.Orb, now)
		target = plumbing.NewBranchReferenceName(branch)
	} else {
		// Compare-and-swap: the remote updates the branch only from base (git's receive-pack checks
		// the old value the push names).
		opts.RequireRemoteRefs = []config.RefSpec{config.RefSpec(req.Base + ":" + string(target))}
	}
	opts.RefSpecs = []config.RefSpec{config.RefSpec(h.String() + ":" + string(target))}
	if err := repo.Git().PushContext(ctx, opts); err != nil {
		if !req.Proposal {
			if now, lerr := repo.RemoteBranchHead(ctx); lerr == nil && now != req.Base {
				return nil, ErrMoved
			}
		}
		return nil, fmt.Errorf("pushing to %s: %w", branch, gitrepo.Explain(err))
	}
	if !req.Proposal {
		if err := repo.Git().Storer.SetReference(plumbing.NewHashReference(
			plumbing.NewRemoteReferenceName(gitrepo.RemoteName, branch), h)); err != nil {
			return nil, fmt.Errorf("recording the push: %w", err)
		}
		base = h
	}
	return &Written{Commit: h.String(), Branch: branch}, nil
}

// message is the commit message: what changed in the subject and trailers, who asked for it.
func message(req Request) string {
	var parts []string
	for _, f := range req.Result.Fields {
		parts = append(parts, f.String())
	}
	t := record.Trailers{
		record.KeyOperation: OperationEdit,
		KeyEditedBy:         fmt.Sprintf("%s <%s>", req.User.Name, req.User.Email),
		KeyEdit:             strings.Join(parts, "; "),
	}
	return record.Message("mission: edit "+req.Orb+": "+strings.Join(parts, ", "),
		"Edited in MISSION by "+req.User.Name+".", t)
}

// checkUser refuses names that would break a commit header or a trailer line.
func checkUser(u User) error {
	if u.Name == "" || len(valid.Printable(u.Name, false)) > 0 || strings.ContainsAny(u.Name, "<>") {
		return fmt.Errorf("the user name %q cannot author a commit", u.Name)
	}
	if len(valid.Printable(u.Email, true)) > 0 || strings.ContainsAny(u.Email, "<>") {
		return fmt.Errorf("the e-mail %q cannot author a commit", u.Email)
	}
	return nil
}

// proposalBranch names a new proposal branch, unique by time and a random suffix.
func proposalBranch(orb string, now time.Time) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return fmt.Sprintf("mission/%s/%s-%s", orb, now.UTC().Format("20060102-150405"), hex.EncodeToString(b))
}
