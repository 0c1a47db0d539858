package gitrepo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// SyncResult says what Sync did.
type SyncResult string

const (
	UpToDate    SyncResult = "up-to-date"
	FastForward SyncResult = "fast-forward"
	Merged      SyncResult = "merged"
	LocalAhead  SyncResult = "local-ahead"
)

// ConflictError is a merge orbos refuses to make.
type ConflictError struct {
	Dir           string
	Local, Remote string // the commits that would have been merged
	// Paths are the paths both sides changed.
	Paths []string
	// State is set when both sides changed the ORB's state: one would overwrite the other.
	State bool
}

func (e *ConflictError) Error() string {
	if e.State {
		return fmt.Sprintf("refusing to merge: both this checkout (commit %.12s) and the remote (commit %.12s) changed the ORB's state (%s), "+
			"and merging would overwrite one with the other. The remote's state is what every other run builds on; this "+
			"checkout holds a run's state that was never pushed. Move the checkout %s aside (keep it: its log says what that run "+
			"changed) and run again; then `orbctl refresh` reads back what that run changed",
			e.Local, e.Remote, listSome(e.Paths, 3), e.Dir)
	}
	return fmt.Sprintf("the remote changed %s, which this checkout changed too: resolve by hand in %s", strings.Join(e.Paths, ", "), e.Dir)
}

// listSome lists up to n paths and says how many more there are.
func listSome(paths []string, n int) string {
	if len(paths) <= n {
		return strings.Join(paths, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(paths[:n], ", "), len(paths)-n)
}

// Sync brings the local branch up to the fetched remote branch: a fast-forward when the local
// branch has nothing new, else a merge commit that takes each side's changes. A merge is refused
// (a *ConflictError) when both sides changed the same path, or when both changed state (paths
// isState accepts), even different files of it: state is never resolved by taking one side. The
// worktree must be clean (commit first).
func (r *Repo) Sync(isState func(path string) bool) (SyncResult, error) {
	local, err := r.Head()
	if err != nil {
		return "", err
	}
	remote, err := r.RemoteHead()
	if err != nil {
		return "", err
	}
	switch {
	case remote.IsZero() || local == remote:
		if !local.IsZero() && local != remote {
			return LocalAhead, nil
		}
		return UpToDate, nil
	case local.IsZero():
		return FastForward, r.resetTo(remote)
	}
	if anc, err := r.isAncestor(local, remote); err != nil {
		return "", err
	} else if anc {
		return FastForward, r.resetTo(remote)
	}
	if anc, err := r.isAncestor(remote, local); err != nil {
		return "", err
	} else if anc {
		return LocalAhead, nil
	}
	return Merged, r.merge(local, remote, isState)
}

func (r *Repo) resetTo(h plumbing.Hash) error {
	if err := r.repo.Storer.SetReference(plumbing.NewHashReference(r.opts.branchRef(), h)); err != nil {
		return fmt.Errorf("moving %s: %w", r.opts.Branch, err)
	}
	head := plumbing.NewSymbolicReference(plumbing.HEAD, r.opts.branchRef())
	if err := r.repo.Storer.SetReference(head); err != nil {
		return fmt.Errorf("pointing HEAD at %s: %w", r.opts.Branch, err)
	}
	wt, err := r.repo.Worktree()
	if err != nil {
		return fmt.Errorf("opening worktree: %w", err)
	}
	if err := wt.Reset(&git.ResetOptions{Commit: h, Mode: git.HardReset}); err != nil {
		return fmt.Errorf("checking out %s: %w", h, err)
	}
	return nil
}

func (r *Repo) merge(local, remote plumbing.Hash, isState func(string) bool) error {
	lc, err := r.repo.CommitObject(local)
	if err != nil {
		return fmt.Errorf("reading commit: %w", err)
	}
	rc, err := r.repo.CommitObject(remote)
	if err != nil {
		return fmt.Errorf("reading commit: %w", err)
	}
	bases, err := lc.MergeBase(rc)
	if err != nil || len(bases) == 0 {
		return fmt.Errorf("local and remote %s share no history: %w", r.opts.Branch, err)
	}
	theirs, err := changedPaths(bases[0], rc)
	if err != nil {
		return err
	}
	mine, err := changedPaths(bases[0], lc)
	if err != nil {
		return err
	}
	conflict := &ConflictError{Dir: r.opts.Dir, Local: local.String(), Remote: remote.String()}
	var theirState, myState []string
	for p := range theirs {
		if isState(p) {
			theirState = append(theirState, p)
		}
		if _, both := mine[p]; both {
			conflict.Paths = append(conflict.Paths, p)
		}
	}
	for p := range mine {
		if isState(p) {
			myState = append(myState, p)
		}
	}
	if len(theirState) > 0 && len(myState) > 0 {
		conflict.State = true
		conflict.Paths = append(theirState, myState...)
		conflict.Paths = slices.Compact(slices.Sorted(slices.Values(conflict.Paths)))
		return conflict
	}
	if len(conflict.Paths) > 0 {
		sortStrings(conflict.Paths)
		return conflict
	}
	wt, err := r.repo.Worktree()
	if err != nil {
		return fmt.Errorf("opening worktree: %w", err)
	}
	rtree, err := rc.Tree()
	if err != nil {
		return fmt.Errorf("reading tree: %w", err)
	}
	for p := range theirs {
		full := filepath.Join(r.opts.Dir, p)
		f, err := rtree.File(p)
		if errors.Is(err, object.ErrFileNotFound) {
			if _, err := wt.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("merging removal of %s: %w", p, err)
			}
			_ = os.Remove(full)
			continue
		}
		if err != nil {
			return fmt.Errorf("reading %s from the remote: %w", p, err)
		}
		if err := writeTreeFile(full, f); err != nil {
			return fmt.Errorf("merging %s from the remote: %w", p, err)
		}
		if _, err := wt.Add(p); err != nil {
			return fmt.Errorf("merging %s: %w", p, err)
		}
	}
	msg := fmt.Sprintf("Merge remote %s into orbos state\n\nOnly one side changed the ORB's state; no path changed on both.", r.opts.Branch)
	if _, err := wt.Commit(msg, &git.CommitOptions{
		Author:            r.signature(),
		Parents:           []plumbing.Hash{local, remote},
		AllowEmptyCommits: true,
	}); err != nil {
		return fmt.Errorf("committing merge: %w", err)
	}
	return nil
}

func changedPaths(from, to *object.Commit) (map[string]struct{}, error) {
	ft, err := from.Tree()
	if err != nil {
		return nil, fmt.Errorf("reading tree: %w", err)
	}
	tt, err := to.Tree()
	if err != nil {
		return nil, fmt.Errorf("reading tree: %w", err)
	}
	changes, err := object.DiffTree(ft, tt)
	if err != nil {
		return nil, fmt.Errorf("diffing trees: %w", err)
	}
	out := map[string]struct{}{}
	for _, c := range changes {
		if c.From.Name != "" {
			out[c.From.Name] = struct{}{}
		}
		if c.To.Name != "" {
			out[c.To.Name] = struct{}{}
		}
	}
	return out, nil
}
