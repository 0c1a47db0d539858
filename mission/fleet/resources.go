package fleet

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/orbos/orbos/automation/record"
	"github.com/orbos/orbos/provider"
	"github.com/orbos/orbos/stacks"
)

// Update is one entry of Pulumi's update history that a commit added (the file backend writes one
// .history.json per update under .pulumi/history/).
type Update struct {
	Kind, Result string
	Start, End   time.Time
	// Changes counts the update's resource operations by operation (create, update, delete, same...).
	Changes []OpCount
}

// ResourceChange is one resource the commit's checkpoint added, changed or removed.
type ResourceChange struct {
	Op         string // create, update or delete
	Type, Name string
}

// historyEntry is the part of a .history.json (the diy backend's backend.UpdateInfo) MISSION reads:
// the config, whose values may be ciphertexts and whose format is the engine's own, is left unread.
type historyEntry struct {
	Kind            string         `json:"kind"`
	StartTime       int64          `json:"startTime"`
	EndTime         int64          `json:"endTime"`
	Result          string         `json:"result"`
	ResourceChanges map[string]int `json:"resourceChanges"`
}

// HistoryDir is where Pulumi's file backend keeps an ORB's update history in its repository.
func HistoryDir(orb string) string {
	return path.Join(".pulumi", "history", stacks.Project, orb)
}

// updatesAdded reads the update history files commit c added against parent (nil for the first commit).
func updatesAdded(c, parent *object.Commit, orb string) ([]Update, error) {
	now, err := historyFiles(c, orb)
	if err != nil {
		return nil, err
	}
	before, err := historyFiles(parent, orb)
	if err != nil {
		return nil, err
	}
	var out []Update
	for name, f := range now {
		if _, ok := before[name]; ok {
			continue
		}
		raw, err := f.Contents()
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		var u historyEntry
		if err := json.Unmarshal([]byte(raw), &u); err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		out = append(out, Update{Kind: u.Kind, Result: u.Result, Start: time.Unix(u.StartTime, 0).UTC(),
			End: time.Unix(u.EndTime, 0).UTC(), Changes: sorted(u.ResourceChanges)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, nil
}

// historyFiles lists the .history.json files of the ORB's history directory at c, by name.
func historyFiles(c *object.Commit, orb string) (map[string]*object.File, error) {
	out := map[string]*object.File{}
	if c == nil {
		return out, nil
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("reading the tree of %s: %w", c.Hash, err)
	}
	dir, err := tree.Tree(HistoryDir(orb))
	if errors.Is(err, object.ErrDirectoryNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s at %s: %w", HistoryDir(orb), c.Hash, err)
	}
	err = dir.Files().ForEach(func(f *object.File) error {
		if strings.HasSuffix(f.Name, ".history.json") && !strings.Contains(f.Name, "/") {
			out[f.Name] = f
		}
		return nil
	})
	return out, err
}

// resourcesChanged compares the ORB's checkpoint at c with its parent's: the resources added,
// changed (inputs or outputs differ) and removed, Pulumi's own left out. Only types and names are
// shown: values may be secrets.
func resourcesChanged(c, parent *object.Commit, orb string) ([]ResourceChange, error) {
	read := func(c *object.Commit) (map[string]apitype.ResourceV3, error) {
		raw, err := fileAt(c, record.StatePath(orb))
		if err != nil || raw == "" {
			return nil, err
		}
		cp, err := record.ParseCheckpoint([]byte(raw), record.StatePath(orb))
		if err != nil || cp.DeploymentV3 == nil {
			return nil, err
		}
		out := map[string]apitype.ResourceV3{}
		for _, r := range cp.DeploymentV3.Resources {
			if !strings.HasPrefix(string(r.Type), "pulumi:") {
				out[string(r.URN)] = r
			}
		}
		return out, nil
	}
	now, err := read(c)
	if err != nil {
		return nil, err
	}
	before, err := read(parent)
	if err != nil {
		return nil, err
	}
	return DiffResources(before, now), nil
}

// opaque replaces every secret of v by one marker: a secret is encrypted afresh by some saves, and
// MISSION cannot (and must not) tell whether the value behind it changed.
func opaque(v any) any {
	switch t := v.(type) {
	case map[string]any:
		if provider.IsSecret(t) {
			return "[secret]"
		}
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = opaque(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = opaque(e)
		}
		return out
	}
	return v
}

// DiffResources lists what changed from before to now (both by URN), sorted by type and name.
func DiffResources(before, now map[string]apitype.ResourceV3) []ResourceChange {
	var out []ResourceChange
	add := func(op string, r apitype.ResourceV3) {
		out = append(out, ResourceChange{Op: op, Type: string(r.Type), Name: r.URN.Name()})
	}
	for urn, r := range now {
		old, ok := before[urn]
		switch {
		case !ok:
			add("create", r)
		case !reflect.DeepEqual(opaque(old.Inputs), opaque(r.Inputs)) || !reflect.DeepEqual(opaque(old.Outputs), opaque(r.Outputs)):
			add("update", r)
		}
	}
	for urn, r := range before {
		if _, ok := now[urn]; !ok {
			add("delete", r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Type != out[j].Type {
			return out[i].Type < out[j].Type
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// RunResources lists, for each run commit of the ORB's last reading, the resources its checkpoint
// changed (only commits that changed some are keys). Commits never change, so each is read once.
func (r *Repo) RunResources() (map[string][]ResourceChange, error) {
	snap := r.Snapshot()
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string][]ResourceChange{}
	if r.repo == nil {
		return out, nil
	}
	if r.resources == nil {
		r.resources = map[string][]ResourceChange{}
	}
	for _, e := range snap.History {
		if !runOperations[e.Operation] {
			continue
		}
		rs, ok := r.resources[e.Commit]
		if !ok {
			c, err := r.repo.Git().CommitObject(plumbing.NewHash(e.Commit))
			if err != nil {
				return nil, fmt.Errorf("reading commit %s: %w", e.Commit, err)
			}
			var parent *object.Commit
			if c.NumParents() > 0 {
				if parent, err = c.Parent(0); err != nil {
					return nil, fmt.Errorf("reading the parent of %s: %w", e.Commit, err)
				}
			}
			if rs, err = resourcesChanged(c, parent, snap.Name); err != nil {
				return nil, err
			}
			r.resources[e.Commit] = rs
		}
		if len(rs) > 0 {
			out[e.Commit] = rs
		}
	}
	// Forget commits that left the history, so that the cache stays as small as the history.
	inHistory := map[string]bool{}
	for _, e := range snap.History {
		inHistory[e.Commit] = true
	}
	for c := range r.resources {
		if !inHistory[c] {
			delete(r.resources, c)
		}
	}
	return out, nil
}
