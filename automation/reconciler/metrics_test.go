package reconciler

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/orbos/orbos/automation"
	"github.com/orbos/orbos/automation/orblock"
	"github.com/orbos/orbos/components/boom/alerts"
)

// lockHeldGauge reads orbos_reconciler_lock_held_seconds as Prometheus scrapes it.
func lockHeldGauge(t *testing.T, m *Metrics) string {
	t.Helper()
	const name = "orbos_reconciler_lock_held_seconds"
	head := "# HELP " + name + " How long the reconciler has seen the ORB lock held by one run of another holder (its own clock; 0 once it found the lock free).\n# TYPE " + name + " gauge\n"
	for _, v := range []string{"0", "60", "120", "1200", "1320"} {
		if testutil.GatherAndCompare(m.Registry, strings.NewReader(head+name+" "+v+"\n"), name) == nil {
			return v
		}
	}
	n, err := testutil.GatherAndCount(m.Registry, name)
	t.Fatalf("%s: none of the expected values (%d series, %v)", name, n, err)
	return ""
}

// The age of a lock another holder keeps runs on the reconciler's clock from the first time it saw
// that run holding it, grows between tries (it is read at every scrape), starts anew for another
// run, and drops to 0 once a run of the reconciler's own got the lock.
func TestLockHeldSecondsFollowsTheHoldingRun(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	r := New(nil, Options{Now: func() time.Time { return now }})
	m := r.Metrics
	if got := lockHeldGauge(t, m); got != "0" {
		t.Fatalf("before any run: %s", got)
	}
	held := func(run string) error {
		// The holder's own clock says the lock is days old: never compared with this one.
		return &orblock.HeldError{Info: orblock.Info{Holder: "ci@runner", RunID: run, Acquired: now.Add(-72 * time.Hour)}}
	}
	m.run(nil, fmt.Errorf("up: %w", held("run-1")))
	now = now.Add(time.Minute)
	if got := lockHeldGauge(t, m); got != "60" {
		t.Errorf("a minute after seeing run-1 hold the lock: %s, want 60", got)
	}
	now = now.Add(time.Minute)
	m.run(nil, held("run-1"))
	if got := lockHeldGauge(t, m); got != "120" {
		t.Errorf("run-1 seen again: %s, want 120 (from the first sight)", got)
	}
	now = now.Add(18 * time.Minute)
	if got := lockHeldGauge(t, m); got != "1200" {
		t.Errorf("20 minutes on without a try: %s, want 1200", got)
	}
	m.run(nil, held("run-2"))
	now = now.Add(time.Minute)
	if got := lockHeldGauge(t, m); got != "60" {
		t.Errorf("another run holds the lock: %s, want 60 (from its first sight)", got)
	}
	if got := testutil.ToFloat64(m.LockWaits); got != 3 {
		t.Errorf("lock waits %v, want 3", got)
	}
	// The reconciler's own run took the lock, though the run failed.
	m.run(&automation.Result{Operation: automation.Up, Outcome: automation.Failed}, fmt.Errorf("boom"))
	if got := lockHeldGauge(t, m); got != "0" {
		t.Errorf("after a run of its own: %s, want 0", got)
	}
	if got := testutil.ToFloat64(m.Runs.WithLabelValues(string(automation.Up), automation.Failed)); got != 1 {
		t.Errorf("failed runs %v", got)
	}
}

// Every reconciler metric orbos's alerting rules read is one the reconciler exports (a renamed
// metric would leave an alert that never fires).
func TestAlertsReadMetricsTheReconcilerExports(t *testing.T) {
	m := NewMetrics()
	ch := make(chan *prometheus.Desc, 64)
	for _, c := range []prometheus.Collector{m.Cycles, m.Runs, m.RunSeconds, m.LockWaits, m.Drift, m.LastSuccess} {
		c.Describe(ch)
	}
	close(ch)
	exported := map[string]bool{}
	fqName := regexp.MustCompile(`fqName: "([^"]+)"`)
	for d := range ch {
		if s := fqName.FindStringSubmatch(d.String()); s != nil {
			exported[s[1]] = true
		}
	}
	if n, err := testutil.GatherAndCount(m.Registry, "orbos_reconciler_lock_held_seconds"); err != nil || n != 1 {
		t.Fatalf("the lock gauge: %d series, %v", n, err)
	}
	exported["orbos_reconciler_lock_held_seconds"] = true
	used := 0
	for _, g := range alerts.Groups(alerts.Options{}) {
		for _, r := range g.Rules {
			for _, name := range regexp.MustCompile(`orbos_reconciler_[a-z_]+`).FindAllString(r.Expr, -1) {
				used++
				if !exported[name] {
					t.Errorf("%s reads %s, which the reconciler does not export", r.Alert, name)
				}
			}
		}
	}
	if used < 4 {
		t.Errorf("the rules read %d reconciler metrics", used)
	}
}

// The runs' counters are exported at 0 before any run, so that the first failure after a restart
// is an increase OrbosReconcilerFailing sees.
func TestRunCountersStartAtZero(t *testing.T) {
	m := NewMetrics()
	const name = "orbos_reconciler_runs_total"
	want := "# HELP " + name + " Engine runs by operation and outcome.\n# TYPE " + name + " counter\n" +
		name + `{operation="drift",outcome="failed"} 0` + "\n" +
		name + `{operation="drift",outcome="succeeded"} 0` + "\n" +
		name + `{operation="up",outcome="failed"} 0` + "\n" +
		name + `{operation="up",outcome="succeeded"} 0` + "\n"
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(want), name); err != nil {
		t.Fatal(err)
	}
	m.run(&automation.Result{Operation: automation.Up, Outcome: automation.Failed}, nil)
	if got := testutil.ToFloat64(m.Runs.WithLabelValues("up", "failed")); got != 1 {
		t.Errorf("after one failed up: %v", got)
	}
}
