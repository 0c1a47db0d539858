package fleet

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/orbos/orbos/internal/gittest"
	"github.com/orbos/orbos/mission/catalog"
	"github.com/orbos/orbos/mission/config"
	"github.com/orbos/orbos/mission/missiontest"
	"github.com/orbos/orbos/stacks"
)

var now = missiontest.Clock

func newFleet(t *testing.T, orbs map[string]string) *Fleet {
	t.Helper()
	cfg := &config.Config{DataDir: t.TempDir()}
	for name, url := range orbs {
		cfg.Orbs = append(cfg.Orbs, config.Orb{Name: name, URL: url, Branch: "main"})
	}
	return New(cfg, catalog.Embedded(), func() time.Time { return now })
}

// The fleet reads each fixture with orbctl's parsers and lists problems first: the failed run, then
// the drift, then the update available, then the healthy ORB.
func TestPollSortsProblemsFirst(t *testing.T) {
	f := newFleet(t, map[string]string{
		"healthy":  missiontest.Repo(t, "healthy", missiontest.Healthy),
		"outdated": missiontest.Repo(t, "outdated", missiontest.Outdated),
		"drifted":  missiontest.Repo(t, "drifted", missiontest.Drifted),
		"failing":  missiontest.Repo(t, "failing", missiontest.Failing),
	})
	f.Poll(context.Background())
	snap := f.Snapshot()
	var names []string
	for _, o := range snap {
		if o.Error != "" {
			t.Fatalf("%s: %s", o.Name, o.Error)
		}
		names = append(names, o.Name)
	}
	if got := strings.Join(names, ","); got != "failing,drifted,outdated,healthy" {
		t.Fatalf("order %s", got)
	}
	if !snap[0].Has("failed") || !snap[1].Has("drift") || !snap[2].Has("update") || len(snap[3].Problems) != 0 {
		t.Fatalf("problems: %+v / %+v / %+v / %+v", snap[0].Problems, snap[1].Problems, snap[2].Problems, snap[3].Problems)
	}
	h := snap[0].History
	if len(h) != 4 || h[0].Operation != "up" || h[0].Outcome != "failed" || h[1].Operation != "change" || h[1].Author != "bob" {
		t.Fatalf("history %+v", h)
	}
	if snap[2].Advice.Patch != "v1.34.3" || snap[2].Advice.Minor != missiontest.Newest || snap[0].Spec.Kubernetes().Version != missiontest.Newest {
		t.Fatalf("advice %+v", snap[2].Advice)
	}
	// The change of the worker count reads as a diff of the desired state.
	r, _ := f.Repo("failing")
	c, err := r.Change(h[1].Commit)
	if err != nil {
		t.Fatal(err)
	}
	var diff []string
	for _, l := range c.Desired {
		if l.Op != ' ' {
			diff = append(diff, string(l.Op)+strings.TrimSpace(l.Text))
		}
	}
	if strings.Join(diff, "|") != "-count: 2|+count: 3" || len(c.Status) != 0 {
		t.Fatalf("diff %v, status %v", diff, c.Status)
	}
	if _, err := r.Change("0123456789012345678901234567890123456789"); err == nil {
		t.Fatal("a commit outside the history was answered")
	}
}

// A branch that moved is fetched on the next poll; an invalid desired state is a problem by path.
func TestPollFollowsTheBranch(t *testing.T) {
	bare := missiontest.Repo(t, "o", missiontest.Healthy)
	f := newFleet(t, map[string]string{"o": bare})
	f.Poll(context.Background())
	first := f.Snapshot()[0]
	f.Poll(context.Background())
	if again := f.Snapshot()[0]; again.Head != first.Head || len(again.History) != 4 {
		t.Fatalf("unchanged branch read differently")
	}
	missiontest.Push(t, bare, map[string]string{stacks.StackFileName("o"): "config:\n  orbos:orbiter:\n    apiVersion: orbos.io/v1alpha1\n    kubernetes: {version: 1.31}\n"}, "broken by hand")
	f.Poll(context.Background())
	o := f.Snapshot()[0]
	if o.Head == first.Head || !o.Has("invalid") || o.Spec != nil {
		t.Fatalf("the pushed change was not read: %+v", o.Problems)
	}
	found := false
	for _, e := range o.SpecErrors {
		found = found || e.Path == "config.orbos:orbiter.kubernetes.version"
	}
	if !found {
		t.Fatalf("errors %v", o.SpecErrors)
	}
}

// A repository that cannot be read is a critical problem, not a crash.
func TestPollUnreadable(t *testing.T) {
	f := newFleet(t, map[string]string{"gone": t.TempDir() + "/missing.git"})
	f.Poll(context.Background())
	if o := f.Snapshot()[0]; !o.Has("unreadable") || o.Severity() != Critical {
		t.Fatalf("%+v", o)
	}
}

// The lock's lease is measured on MISSION's own clock from when it first saw the lock commit: a
// lock unchanged for longer than its lease is stale; a renewed lock starts over.
func TestStaleLock(t *testing.T) {
	bare := missiontest.Repo(t, "o", missiontest.Healthy)
	clock := now
	cfg := &config.Config{DataDir: t.TempDir(), Orbs: []config.Orb{{Name: "o", URL: bare, Branch: "main"}}}
	f := New(cfg, catalog.Embedded(), func() time.Time { return clock })
	lock := func(renewed string) {
		work := t.TempDir()
		gittest.Git(t, work, "init", "-q")
		tree := strings.TrimSpace(gittest.Git(t, work, "write-tree"))
		info := `{"holder":"ci@runner","purpose":"up","runID":"r-1","leaseSeconds":120,"renewed":"` + renewed + `"}`
		c := strings.TrimSpace(gittest.Git(t, work, "commit-tree", tree, "-m", info))
		gittest.Git(t, work, "push", "-q", "-f", bare, c+":refs/orbos/lock")
	}
	lock("2026-05-01T00:00:00Z")
	f.Poll(context.Background())
	o := f.Snapshot()[0]
	if o.Lock == nil || o.Lock.Holder != "ci@runner" || o.Lock.Stale || o.Has("stale-lock") {
		t.Fatalf("fresh lock %+v", o.Lock)
	}
	clock = clock.Add(3 * time.Minute)
	f.Poll(context.Background())
	if o := f.Snapshot()[0]; !o.Has("stale-lock") {
		t.Fatalf("a lock unchanged past its lease: %+v", o.Problems)
	}
	lock("2026-05-01T00:03:00Z") // renewed
	f.Poll(context.Background())
	if o := f.Snapshot()[0]; o.Has("stale-lock") || o.Lock == nil {
		t.Fatalf("a renewed lock: %+v", o.Problems)
	}
	gittest.Git(t, bare, "update-ref", "-d", "refs/orbos/lock")
	f.Poll(context.Background())
	if o := f.Snapshot()[0]; o.Lock != nil {
		t.Fatal("a released lock is still shown")
	}
}

// A desired state committed after the commit the last run applied is pending until a run applies it.
func TestPending(t *testing.T) {
	bare := missiontest.Repo(t, "o", missiontest.Healthy)
	first := strings.TrimSpace(gittest.Git(t, bare, "rev-parse", "main~3"))
	status := func(desired string) string {
		return strings.Replace(missiontest.Status("o", missiontest.Newest, missiontest.Healthy, now), "orb: o\n", "orb: o\ndesiredCommit: "+desired+"\n", 1)
	}
	missiontest.Push(t, bare, map[string]string{"status/o.yaml": status(first)}, "a run of the first desired state")
	f := newFleet(t, map[string]string{"o": bare})
	f.Poll(context.Background())
	if o := f.Snapshot()[0]; !o.Pending || !o.Has("pending") {
		t.Fatalf("not pending: %+v", o.Problems)
	}
	head := strings.TrimSpace(gittest.Git(t, bare, "rev-parse", "main"))
	missiontest.Push(t, bare, map[string]string{"status/o.yaml": status(head)}, "a run of the newest desired state")
	f.Poll(context.Background())
	if o := f.Snapshot()[0]; o.Pending || o.Error != "" {
		t.Fatalf("still pending: %+v %s", o.Problems, o.Error)
	}
}

func TestFigures(t *testing.T) {
	f := newFleet(t, map[string]string{"o": missiontest.Repo(t, "o", missiontest.Failing)})
	f.Poll(context.Background())
	fig := f.Snapshot()[0].Figures()
	if fig.Runs != 2 || fig.Failed != 1 || fig.Changes != 2 || fig.LastSuccess.IsZero() {
		t.Fatalf("%+v", fig)
	}
	if len(fig.Resources) != 1 || fig.Resources[0] != (OpCount{"create", 8}) {
		t.Fatalf("resources %+v", fig.Resources)
	}
	if len(fig.Authors) != 2 {
		t.Fatalf("authors %+v", fig.Authors)
	}
}
