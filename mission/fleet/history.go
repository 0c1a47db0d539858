package fleet

import (
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/orbos/orbos/automation/record"
	"github.com/orbos/orbos/mission/textdiff"
	"github.com/orbos/orbos/stacks"
)

// Change is what one commit changed: the desired-state file and the status file as diffs.
type Change struct {
	Entry   record.Entry
	Desired []textdiff.Line
	Status  []textdiff.Line
	// Updates are the Pulumi updates the commit recorded; Resources what its checkpoint changed.
	Updates   []Update
	Resources []ResourceChange
}

// Change reads what commit changed in the ORB's desired state and status, against its first parent.
// Only commits of the branch's history as last read are answered.
func (r *Repo) Change(commit string) (*Change, error) {
	snap := r.Snapshot()
	var entry *record.Entry
	for i := range snap.History {
		if snap.History[i].Commit == commit {
			entry = &snap.History[i]
		}
	}
	if entry == nil {
		return nil, fmt.Errorf("commit %q is not in the ORB's recent history", commit)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.repo.Git().CommitObject(plumbing.NewHash(commit))
	if err != nil {
		return nil, fmt.Errorf("reading commit %s: %w", commit, err)
	}
	var parent *object.Commit
	if c.NumParents() > 0 {
		if parent, err = c.Parent(0); err != nil {
			return nil, fmt.Errorf("reading the parent of %s: %w", commit, err)
		}
	}
	out := &Change{Entry: *entry}
	for _, f := range []struct {
		path string
		dst  *[]textdiff.Line
	}{{stacks.StackFileName(snap.Name), &out.Desired}, {record.StatusPath(snap.Name), &out.Status}} {
		now, err := fileAt(c, f.path)
		if err != nil {
			return nil, err
		}
		before, err := fileAt(parent, f.path)
		if err != nil {
			return nil, err
		}
		*f.dst = textdiff.Context(textdiff.Lines(before, now), 3)
	}
	if out.Updates, err = updatesAdded(c, parent, snap.Name); err != nil {
		return nil, err
	}
	if out.Resources, err = resourcesChanged(c, parent, snap.Name); err != nil {
		return nil, err
	}
	return out, nil
}

// fileAt is a file's content at a commit; "" when the commit or the file does not exist.
func fileAt(c *object.Commit, path string) (string, error) {
	if c == nil {
		return "", nil
	}
	f, err := c.File(path)
	if errors.Is(err, object.ErrFileNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading %s at %s: %w", path, c.Hash, err)
	}
	return f.Contents()
}
