package fleet

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/sig"

	"github.com/orbos/orbos/automation/record"
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
	if snap[2].Advice.Patch != missiontest.OlderPatch || snap[2].Advice.Minor != missiontest.Newest || snap[0].Spec.Kubernetes().Version != missiontest.Newest {
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

// The series has one point per run commit, timed by the status that run wrote, with the drift and
// node count of that status; desired-state changes are left out.
func TestSeries(t *testing.T) {
	f := newFleet(t, map[string]string{"o": missiontest.Repo(t, "o", missiontest.Drifted)})
	f.Poll(context.Background())
	r, _ := f.Repo("o")
	pts, err := r.Series()
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 {
		t.Fatalf("points %+v", pts)
	}
	newest, oldest := pts[0], pts[1]
	if newest.Seconds != 120 || newest.Changes != 1 || newest.Drift != 1 || newest.Nodes != 2 {
		t.Errorf("newest run %+v", newest)
	}
	if oldest.Seconds != 120 || oldest.Changes != 7 || oldest.Drift != 0 || oldest.Nodes != 2 {
		t.Errorf("oldest run %+v", oldest)
	}
}

// A run commit whose status another run wrote is not timed; one without a status has no counts.
func TestSeriesOf(t *testing.T) {
	h := []record.Entry{
		{Commit: "c3", Operation: "drift", Run: "r3", Changes: "update=2"},
		{Commit: "c2", Operation: "change"},
		{Commit: "c1", Operation: "up", Run: "r1", Changes: "none"},
	}
	t0 := now
	statuses := map[string]*record.Status{
		"c3": {LastRun: record.RunRecord{RunID: "r1", Started: t0, Finished: t0.Add(time.Minute)}, Drift: &record.DriftReport{Resources: make([]record.Step, 2)}},
	}
	pts, err := SeriesOf(h, func(c string) (*record.Status, error) { return statuses[c], nil })
	if err != nil {
		t.Fatal(err)
	}
	want := []RunPoint{{Commit: "c3", Operation: "drift", Changes: 2, Drift: 2, Nodes: 0}, {Commit: "c1", Operation: "up", Drift: -1, Nodes: -1}}
	if len(pts) != 2 || pts[0] != want[0] || pts[1] != want[1] {
		t.Fatalf("got %+v, want %+v", pts, want)
	}
}

// A run's entry carries the Pulumi update it recorded and the resources its checkpoint changed.
func TestChangeResources(t *testing.T) {
	f := newFleet(t, map[string]string{"o": missiontest.Repo(t, "o", missiontest.Failing)})
	f.Poll(context.Background())
	r, _ := f.Repo("o")
	h := r.Snapshot().History
	c, err := r.Change(h[0].Commit)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Updates) != 1 || c.Updates[0].Kind != "update" || c.Updates[0].Result != "failed" || c.Updates[0].End.Sub(c.Updates[0].Start) != 2*time.Minute {
		t.Fatalf("updates %+v", c.Updates)
	}
	if got := c.Updates[0].Changes; len(got) != 2 || got[0] != (OpCount{"same", 2}) || got[1] != (OpCount{"create", 1}) {
		t.Fatalf("update operations %+v", got)
	}
	want := ResourceChange{Op: "create", Type: missiontest.MachineType, Name: "w-1"}
	if len(c.Resources) != 1 || c.Resources[0] != want {
		t.Fatalf("resources %+v", c.Resources)
	}
	// The first run created both machines; a desired-state change has no resources.
	all, err := r.RunResources()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || len(all[h[2].Commit]) != 2 || len(all[h[0].Commit]) != 1 || all[h[1].Commit] != nil {
		t.Fatalf("run resources %+v", all)
	}
}

func TestDiffResources(t *testing.T) {
	res := func(name string, out string) apitype.ResourceV3 {
		return apitype.ResourceV3{URN: resource.URN("urn:pulumi:o::orbos::orbos:host:File::" + name), Type: "orbos:host:File",
			Outputs: map[string]any{"content": out}}
	}
	secret := func(name, ciphertext string) apitype.ResourceV3 {
		r := res(name, "1")
		r.Outputs["key"] = map[string]any{sig.Key: sig.Secret, "ciphertext": ciphertext}
		return r
	}
	// e's secret was encrypted afresh: not a change MISSION can see.
	before := map[string]apitype.ResourceV3{"a": res("a", "1"), "b": res("b", "1"), "c": res("c", "1"), "e": secret("e", "v1:AAAA")}
	now := map[string]apitype.ResourceV3{"a": res("a", "1"), "b": res("b", "2"), "d": res("d", "1"), "e": secret("e", "v1:BBBB")}
	got := DiffResources(before, now)
	want := []ResourceChange{{"update", "orbos:host:File", "b"}, {"delete", "orbos:host:File", "c"}, {"create", "orbos:host:File", "d"}}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %+v, want %+v", got, want)
		}
	}
}
