package fleet

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/orbos/orbos/automation/record"
	"github.com/orbos/orbos/internal/gittest"
	"github.com/orbos/orbos/mission/catalog"
	"github.com/orbos/orbos/mission/config"
	"github.com/orbos/orbos/mission/missiontest"
	"github.com/orbos/orbos/stacks"
)

// withReconciler is a fixture spec that deploys a reconciler (suspended or not).
func withReconciler(suspend bool) string {
	return strings.Replace(missiontest.Spec(missiontest.Newest, 2, false), "  orbos:sshKey:", "  orbos:reconciler:\n    apiVersion: orbos.io/v1alpha1\n"+
		"    image: registry.example.com/orbos/orbctl:v0.1.0\n    suspend: "+map[bool]string{true: "true", false: "false"}[suspend]+"\n  orbos:sshKey:", 1)
}

// The heartbeat is the newest run, drift or note commit, or lock change seen; only an ORB whose spec
// deploys a reconciler that is not suspended can stall.
func TestHeartbeat(t *testing.T) {
	t0 := missiontest.Clock
	spec := func(suspend bool) *stacks.Spec {
		sp, err := stacks.Parse("o", []byte(withReconciler(suspend)))
		if err != nil {
			t.Fatal(err)
		}
		return sp
	}
	o := &ORB{Spec: spec(false), History: []record.Entry{
		{Operation: "change", When: t0.Add(2 * time.Hour)}, // a person's commit is no sign of the reconciler
		{Operation: "reconciler", When: t0.Add(time.Hour)},
		{Operation: "up", When: t0},
	}}
	h := o.heartbeat(t0.Add(4*time.Hour), 2*time.Hour)
	if !h.Expected || !h.Stalled || h.Source != "reconciler commit" || h.Age != 3*time.Hour {
		t.Fatalf("silent for 3h: %+v", h)
	}
	o.LockActivity = t0.Add(3 * time.Hour)
	if h := o.heartbeat(t0.Add(4*time.Hour), 2*time.Hour); h.Stalled || h.Source != "lock" || h.Age != time.Hour {
		t.Fatalf("a lock seen 1h ago: %+v", h)
	}
	if h := (&ORB{Spec: spec(true)}).heartbeat(t0, 0); h.Expected || h.Stalled {
		t.Fatalf("suspended: %+v", h)
	}
	if h := (&ORB{Spec: spec(false)}).heartbeat(t0, 0); !h.Stalled || !h.Last.IsZero() {
		t.Fatalf("never seen: %+v", h)
	}
	if h := (&ORB{}).heartbeat(t0, 0); h.Expected || h.Stalled {
		t.Fatalf("no spec: %+v", h)
	}
}

// Polled: an ORB with a reconciler and no sign of it for longer than reconcilerStall is a stalled
// problem; the lock taken by a run is a sign of life again.
func TestStalledReconciler(t *testing.T) {
	bare := missiontest.Repo(t, "o", missiontest.Healthy)
	missiontest.Push(t, bare, map[string]string{stacks.StackFileName("o"): withReconciler(false)}, "deploy the reconciler")
	clock := time.Now() // after every commit of the fixture
	cfg := &config.Config{DataDir: t.TempDir(), Orbs: []config.Orb{{Name: "o", URL: bare, Branch: "main", ReconcilerStall: config.Duration{Duration: time.Hour}}}}
	f := New(cfg, catalog.Embedded(), func() time.Time { return clock })
	f.Poll(context.Background())
	if o := f.Snapshot()[0]; o.Has("stalled") || o.Reconciler.Source != "up commit" || !o.Reconciler.Expected {
		t.Fatalf("fresh: %+v %+v", o.Problems, o.Reconciler)
	}
	clock = clock.Add(2 * time.Hour)
	f.Poll(context.Background())
	if o := f.Snapshot()[0]; !o.Has("stalled") || o.Severity() != Warning {
		t.Fatalf("silent for 2h: %+v", o.Problems)
	}
	work := t.TempDir()
	gittest.Git(t, work, "init", "-q")
	tree := strings.TrimSpace(gittest.Git(t, work, "write-tree"))
	c := strings.TrimSpace(gittest.Git(t, work, "commit-tree", tree, "-m", `{"holder":"reconciler","purpose":"up","runID":"r-9","leaseSeconds":120}`))
	gittest.Git(t, work, "push", "-q", "-f", bare, c+":refs/orbos/lock")
	f.Poll(context.Background())
	if o := f.Snapshot()[0]; o.Has("stalled") || o.Reconciler.Source != "lock" {
		t.Fatalf("after a lock: %+v %+v", o.Problems, o.Reconciler)
	}
}
