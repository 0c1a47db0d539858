package fleet

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/automation/record"
)

// RunPoint is what one run commit of the history says: how long the run took, how many resources it
// changed, and the drift and node count of the status it wrote.
type RunPoint struct {
	When      time.Time
	Commit    string
	Operation string
	// Seconds is the run's duration from the status it wrote; 0 when that status is another run's.
	Seconds float64
	Changes int
	// Drift and Nodes are from the status at the commit; -1 when the commit has no status.
	Drift, Nodes int
}

// runOperations are the operations whose commits carry a run's outcome and status.
var runOperations = map[string]bool{"up": true, "destroy": true, "refresh": true, "recover": true, "drift": true}

// SeriesOf extracts one point per run commit of history (newest first, as read), with statusAt
// reading status/<orb>.yaml at a commit (nil when absent). Other commits are left out.
func SeriesOf(history []record.Entry, statusAt func(commit string) (*record.Status, error)) ([]RunPoint, error) {
	var out []RunPoint
	for _, e := range history {
		if !runOperations[e.Operation] {
			continue
		}
		p := RunPoint{When: e.When, Commit: e.Commit, Operation: e.Operation, Changes: countChanges(e.Changes), Drift: -1, Nodes: -1}
		st, err := statusAt(e.Commit)
		if err != nil {
			return nil, err
		}
		if st != nil {
			p.Drift, p.Nodes = 0, len(st.Nodes)
			if st.Drift != nil {
				p.Drift = len(st.Drift.Resources)
			}
			// Only the status this run wrote times it (a drift commit keeps the last up's record).
			if r := st.LastRun; (e.Run == "" || r.RunID == e.Run) && r.Finished.After(r.Started) && !r.Started.IsZero() {
				p.Seconds = r.Finished.Sub(r.Started).Seconds()
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// countChanges sums an Orbos-Changes trailer ("create=2,update=1"; "none" is 0).
func countChanges(trailer string) int {
	n := 0
	for _, part := range strings.Split(trailer, ",") {
		if _, v, ok := strings.Cut(part, "="); ok {
			if c, err := strconv.Atoi(v); err == nil {
				n += c
			}
		}
	}
	return n
}

// Series reads the run series of the ORB's last reading; it is kept until the branch moves.
func (r *Repo) Series() ([]RunPoint, error) {
	snap := r.Snapshot()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seriesHead == snap.Head && r.seriesHead != "" {
		return r.series, nil
	}
	if r.repo == nil {
		return nil, nil
	}
	path := record.StatusPath(snap.Name)
	pts, err := SeriesOf(snap.History, func(commit string) (*record.Status, error) {
		c, err := r.repo.Git().CommitObject(plumbing.NewHash(commit))
		if err != nil {
			return nil, fmt.Errorf("reading commit %s: %w", commit, err)
		}
		raw, err := fileAt(c, path)
		if err != nil || raw == "" {
			return nil, err
		}
		var st record.Status
		if err := yaml.Unmarshal([]byte(raw), &st); err != nil {
			return nil, fmt.Errorf("reading %s at %.12s: %w", path, commit, err)
		}
		return &st, nil
	})
	if err != nil {
		return nil, err
	}
	r.series, r.seriesHead = pts, snap.Head
	return pts, nil
}
