package fleet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/orbos/orbos/automation/gitrepo"
	"github.com/orbos/orbos/automation/record"
	"github.com/orbos/orbos/mission/catalog"
	"github.com/orbos/orbos/stacks"
)

// HistoryDepth is how many commits of each ORB's branch MISSION reads for its timeline.
const HistoryDepth = 50

// ORB is one reading of an ORB repository at a commit. It is never changed after it is published.
type ORB struct {
	Name    string
	Head    string
	Checked time.Time
	// Error is why the repository could not be read on the last poll ("" when it could).
	Error string
	// Pending is set when the desired state changed since the commit the last run applied.
	Pending bool
	// Desired is the raw desired-state file; Spec its parsed form, nil when SpecErrors are set.
	Desired    string
	Spec       *stacks.Spec
	SpecErrors []stacks.FieldError
	Status     *record.Status
	History    []record.Entry
	Lock       *LockState
	Advice     catalog.Advice
	Problems   []Problem
	// LockActivity is when this MISSION last saw the lock taken, renewed or released (zero: never).
	LockActivity time.Time
	// StallAfter is the ORB's reconcilerStall; Reconciler its heartbeat as of the last poll.
	StallAfter time.Duration
	Reconciler Heartbeat
}

// LockState is the ORB lock as this MISSION sees it.
type LockState struct {
	Commit, Holder, Purpose string
	Lease, Unchanged        time.Duration
	Stale, Unpushed         bool
}

// Level orders problems: the fleet page lists the worst first.
type Level int

// Levels of a problem.
const (
	OK Level = iota
	Notice
	Warning
	Critical
)

func (l Level) String() string {
	return [...]string{"ok", "notice", "warning", "critical"}[l]
}

// Problem is one thing about an ORB someone should look at.
type Problem struct {
	Level Level
	Kind  string // failed, unreadable, invalid, drift, stale-lock, unpushed, reconciler, stalled, certificate, end-of-life, update, chart-update, orbos-update
	Text  string
}

// Severity is the ORB's worst problem level.
func (o *ORB) Severity() Level {
	worst := OK
	for _, p := range o.Problems {
		worst = max(worst, p.Level)
	}
	return worst
}

// Has reports whether the ORB has a problem of kind.
func (o *ORB) Has(kind string) bool {
	for _, p := range o.Problems {
		if p.Kind == kind {
			return true
		}
	}
	return false
}

// read reads the checkout at its branch head with orbctl's own parsers.
func read(repo *gitrepo.Repo, name string) (*ORB, error) {
	head, err := repo.Head()
	if err != nil {
		return nil, err
	}
	o := &ORB{Name: name, Head: head.String()}
	raw, err := os.ReadFile(filepath.Join(repo.Dir(), stacks.StackFileName(name)))
	switch {
	case errors.Is(err, os.ErrNotExist):
		o.SpecErrors = []stacks.FieldError{{Path: "(file)", Message: stacks.StackFileName(name) + " is missing"}}
	case err != nil:
		return nil, fmt.Errorf("reading the desired state: %w", err)
	default:
		o.Desired = string(raw)
		spec, err := stacks.Parse(name, raw)
		var ve *stacks.ValidationError
		switch {
		case errors.As(err, &ve):
			o.SpecErrors = ve.Errors
		case err != nil:
			return nil, err
		default:
			o.Spec = spec
		}
	}
	if o.Status, err = record.ReadStatus(repo.Dir(), name); err != nil {
		return nil, err
	}
	if o.Status != nil && o.Status.DesiredCommit != "" {
		o.Pending = desiredChanged(repo, name, o.Status.DesiredCommit, head)
	}
	log, err := repo.Log(HistoryDepth)
	if err != nil {
		return nil, err
	}
	for _, c := range log {
		o.History = append(o.History, record.EntryOf(c.Hash, c.When, c.Author, c.Message))
	}
	return o, nil
}

// Outcomes of runs as automation records them.
const (
	outcomeFailed      = "failed"
	outcomeInterrupted = "interrupted"
)

// CertWarning is how long before a certificate's expiry MISSION warns.
const CertWarning = 30 * 24 * time.Hour

// problems derives the ORB's problems from its reading at time now.
func (o *ORB) problems(cat *catalog.Catalog, now time.Time) {
	var ps []Problem
	add := func(l Level, kind, format string, args ...any) {
		ps = append(ps, Problem{Level: l, Kind: kind, Text: fmt.Sprintf(format, args...)})
	}
	if o.Error != "" {
		add(Critical, "unreadable", "repository not read: %s", o.Error)
	}
	if len(o.SpecErrors) > 0 {
		add(Critical, "invalid", "desired state invalid: %d errors", len(o.SpecErrors))
	}
	if s := o.Status; s != nil {
		switch s.LastRun.Outcome {
		case outcomeFailed, outcomeInterrupted:
			add(Critical, "failed", "last %s %s", s.LastRun.Operation, s.LastRun.Outcome)
		}
		if s.Drift != nil && len(s.Drift.Resources) > 0 {
			n := len(s.Drift.Resources)
			add(Warning, "drift", "%d %s drifted", n, map[bool]string{true: "resource", false: "resources"}[n == 1])
		}
		if s.Reconciler != "" {
			add(Warning, "reconciler", "reconciler: %s", s.Reconciler)
		}
		if exp := earliestCert(s); !exp.IsZero() && exp.Sub(now) < CertWarning {
			add(Warning, "certificate", "certificate expires %s", exp.Format(time.DateOnly))
		}
	}
	if o.Reconciler = o.heartbeat(now, o.StallAfter); o.Reconciler.Stalled {
		if o.Reconciler.Last.IsZero() {
			add(Warning, "stalled", "reconciler: no sign of it in the repository")
		} else {
			add(Warning, "stalled", "reconciler silent for %s (last: %s)", o.Reconciler.Age.Round(time.Minute), o.Reconciler.Source)
		}
	}
	if o.Pending && o.Status != nil {
		add(Notice, "pending", "desired state changed since the last run applied %.10s", o.Status.DesiredCommit)
	}
	if l := o.Lock; l != nil {
		if l.Unpushed {
			add(Critical, "unpushed", "state exists only in %s's checkout", l.Holder)
		}
		if l.Stale {
			add(Warning, "stale-lock", "lock of %s unchanged for %s (lease %s)", l.Holder, l.Unchanged.Round(time.Second), l.Lease)
		}
	}
	if o.Spec != nil && cat != nil {
		o.Advice = cat.AdviseSpec(o.Spec, now)
		if o.Advice.EndOfLife != "" {
			add(Warning, "end-of-life", "Kubernetes %s is past its end of life (%s)", o.Spec.Kubernetes().Version, o.Advice.EndOfLife)
		}
		if v := o.Advice.Patch + o.Advice.Minor; v != "" {
			add(Notice, "update", "update available: %s", strings.TrimSpace(o.Advice.Patch+" "+o.Advice.Minor))
		}
		if len(o.Advice.Charts) > 0 {
			var cs []string
			for _, c := range o.Advice.Charts {
				cs = append(cs, c.String())
			}
			add(Notice, "chart-update", "newer charts: %s", strings.Join(cs, ", "))
		}
		if o.Advice.Orbos != "" {
			add(Notice, "orbos-update", "orbos %s is out (the reconciler runs %s)", o.Advice.Orbos, o.Spec.File.Config.Reconciler.Image)
		}
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Level > ps[j].Level })
	o.Problems = ps
}

// earliestCert is the earliest certificate expiry the status records (zero when none).
func earliestCert(s *record.Status) time.Time {
	var out time.Time
	consider := func(v string) {
		t, err := time.Parse(time.RFC3339, v)
		if err == nil && (out.IsZero() || t.Before(out)) {
			out = t
		}
	}
	consider(s.Kubernetes.CertExpiry)
	for _, n := range s.Nodes {
		consider(n.CertExpiry)
	}
	return out
}

// desiredChanged reports whether the desired-state file at head differs from the one at applied (the
// commit the last run applied); false when applied is not in the checkout.
func desiredChanged(repo *gitrepo.Repo, orb, applied string, head plumbing.Hash) bool {
	blob := func(h plumbing.Hash) (plumbing.Hash, bool) {
		c, err := repo.Git().CommitObject(h)
		if err != nil {
			return plumbing.ZeroHash, false
		}
		f, err := c.File(stacks.StackFileName(orb))
		if err != nil {
			return plumbing.ZeroHash, false
		}
		return f.Hash, true
	}
	then, ok1 := blob(plumbing.NewHash(applied))
	now, ok2 := blob(head)
	return ok1 && ok2 && then != now
}
