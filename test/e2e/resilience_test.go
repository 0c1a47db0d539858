package e2e

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/orbos/orbos/internal/gittest"
	"github.com/orbos/orbos/stacks/program"
)

// background is an orbctl started by startUntil.
type background struct {
	cmd  *exec.Cmd
	done chan error
	mu   sync.Mutex
	seen strings.Builder
}

// wait returns orbctl's exit error.
func (b *background) wait() error { return <-b.done }

func (b *background) stderr() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.seen.String()
}

// startUntil starts orbctl and returns once a line of its stderr contains marker.
func (o *orb) startUntil(env []string, marker string, args ...string) *background {
	o.t.Helper()
	cmd := o.command(env, args...)
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	b := &background{cmd: cmd, done: make(chan error, 1)}
	if err := cmd.Start(); err != nil {
		o.t.Fatal(err)
	}
	found := make(chan struct{})
	var once sync.Once
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			b.mu.Lock()
			b.seen.WriteString(sc.Text() + "\n")
			b.mu.Unlock()
			if strings.Contains(sc.Text(), marker) {
				once.Do(func() { close(found) })
			}
		}
	}()
	go func() { err := cmd.Wait(); pw.Close(); b.done <- err }()
	select {
	case <-found:
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		o.t.Fatalf("orbctl %v never printed %q:\n%s", args, marker, b.stderr())
	}
	return b
}

// A kill -9 in the middle of up: the next run takes the lock over, recovers what the engine did and
// finishes, without a duplicate or orphaned resource.
func TestKilledUpIsRecoveredByTheNextRun(t *testing.T) {
	o := newORB(t, "killed")
	before := o.remoteHead()
	slow := []string{program.SlowProgramEnv + "=30s"}
	run := o.startUntil(slow, "created   kubernetes:core/v1:Namespace", "up")
	if err := run.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = run.wait()
	t.Logf("killed orbctl after:\n%s", run.stderr())
	if o.remoteHead() != before {
		t.Fatal("the killed run pushed; the kill came too late to test recovery")
	}
	if code, _ := kube(t, "/api/v1/namespaces/"+o.namespace()); code != 200 {
		t.Fatalf("the namespace the killed run created is missing (HTTP %d)", code)
	}

	r := o.run("up")
	if r.code != 0 {
		t.Fatalf("the run after the kill failed:\n%s", r)
	}
	if !strings.Contains(r.stderr, "took over the ORB lock") {
		t.Errorf("the next run did not take the dead run's lock over:\n%s", r)
	}
	if got := o.stateResources(); !slices.Equal(got, wantResources(o)) {
		t.Fatalf("pushed state after recovery holds %v", got)
	}
	// Exactly the two objects, each once, managed by orbos.
	_, list := kube(t, "/api/v1/namespaces/"+o.namespace()+"/configmaps?labelSelector=orbos.io/orb=killed")
	if items := list["items"].([]any); len(items) != 1 {
		t.Fatalf("%d ConfigMaps of the ORB, want 1", len(items))
	}
	// Nothing the engine did is missing: a clone elsewhere sees no changes.
	fresh := o.withCheckout(filepath.Join(t.TempDir(), "elsewhere"))
	if r := fresh.run("preview", "--expect-no-changes"); r.code != 0 {
		t.Fatalf("after recovery a fresh clone sees changes:\n%s", r)
	}
	fresh.mustRun("destroy", "--yes")
}

// Two ups at once: one runs; the other fails naming the holder, or waits for it.
func TestConcurrentUpsAreExcludedByTheLock(t *testing.T) {
	o := newORB(t, "racing")
	other := o.withCheckout(filepath.Join(t.TempDir(), "other"))
	slow := []string{program.SlowProgramEnv + "=3s"}

	first := o.startUntil(slow, "creating", "up")
	r := other.run("up", "--lock-wait", "0")
	if r.code != 3 || !strings.Contains(r.stderr, "the ORB is locked by") || !strings.Contains(r.stderr, "(up, since") {
		t.Fatalf("the second up did not fail naming the holder:\n%s", r)
	}
	if err := first.wait(); err != nil {
		t.Fatalf("the first up: %v", err)
	}

	// Both at once again, the second waiting: both succeed, one after the other, and every state
	// commit reaches the remote.
	o.mustRun("config", "set", "orbos:orbiter.kubernetes.version", "v1.31.6")
	first = o.startUntil(slow, "updating", "up")
	r = other.run("refresh", "--lock-wait", "2m")
	if r.code != 0 || !strings.Contains(r.stderr, "waiting for the ORB lock held by") {
		t.Fatalf("the waiting run:\n%s", r)
	}
	if err := first.wait(); err != nil {
		t.Fatalf("the first up: %v", err)
	}
	log := gittest.Git(t, o.remote, "log", "--format=%s", "main")
	if !strings.Contains(log, "orbos up racing: succeeded, 1 updated") {
		t.Fatalf("the update's state commit is missing from the remote:\n%s", log)
	}
	if strings.Count(log, "orbos up racing: succeeded") != 2 {
		t.Fatalf("want two up commits on the remote:\n%s", log)
	}
	o.mustRun("destroy", "--yes")
}

// A desired-state commit pushed while a run works is merged with the run's state, not lost.
func TestDesiredStatePushedDuringARunIsMerged(t *testing.T) {
	o := newORB(t, "merging")
	run := o.startUntil([]string{program.SlowProgramEnv + "=3s"}, "creating", "up")
	// A user pushes a change of the desired state from their own clone meanwhile.
	user := filepath.Join(t.TempDir(), "user")
	gittest.Git(t, filepath.Dir(user), "clone", "-q", o.remote, user)
	f := filepath.Join(user, "Pulumi.merging.yaml")
	raw, _ := os.ReadFile(f)
	_ = os.WriteFile(f, []byte(strings.Replace(string(raw), "v1.31.4", "v1.31.7", 1)), 0o644)
	gittest.Git(t, user, "commit", "-qam", "bump kubernetes")
	gittest.Git(t, user, "push", "-q", "origin", "main")
	if err := run.wait(); err != nil {
		t.Fatalf("up: %v\n%s", err, run.stderr())
	}
	log := gittest.Git(t, o.remote, "log", "--format=%s", "main")
	if !strings.Contains(log, "bump kubernetes") || !strings.Contains(log, "orbos up merging: succeeded") {
		t.Fatalf("a commit is missing:\n%s", log)
	}
	if got := o.stateResources(); !slices.Equal(got, wantResources(o)) {
		t.Fatalf("state %v", got)
	}
	if !strings.Contains(o.remoteFile("Pulumi.merging.yaml"), "v1.31.7") {
		t.Fatal("the user's change was lost in the merge")
	}
	// The next run applies the user's change.
	if r := o.run("preview", "--expect-no-changes"); r.code != 5 {
		t.Fatalf("preview after the merge:\n%s", r)
	}
	o.mustRun("destroy", "--yes")
}

// A remote that rejects the push: a clear error, the state kept locally and pushed by the next run.
func TestRejectedPushKeepsStateForTheNextRun(t *testing.T) {
	o := newORB(t, "rejected")
	flag := filepath.Join(o.dir, "reject-pushes")
	hook := "#!/bin/sh\nwhile read old new ref; do\n  if [ \"$ref\" = refs/heads/main ] && [ -e " + flag + " ]; then\n" +
		"    echo 'main is frozen by the test' >&2; exit 1\n  fi\ndone\n"
	if err := os.WriteFile(filepath.Join(o.remote, "hooks", "pre-receive"), []byte(hook), 0o755); err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(flag, nil, 0o644)
	before := o.remoteHead()
	r := o.run("up")
	if r.code != 4 || !strings.Contains(r.stderr, "committed locally") || !strings.Contains(r.stdout, "NOT pushed") {
		t.Fatalf("up against a rejecting remote:\n%s", r)
	}
	if o.remoteHead() != before {
		t.Fatal("the remote moved although it rejects pushes")
	}
	os.Remove(flag)
	r = o.mustRun("up")
	if !strings.Contains(r.stderr, "pushing state an earlier run could not push") {
		t.Fatalf("the next run did not push the kept state:\n%s", r)
	}
	if got := o.stateResources(); !slices.Equal(got, wantResources(o)) {
		t.Fatalf("state on the remote %v", got)
	}

	// An unreachable remote: a clear error before anything runs.
	moved := o.remote + ".away"
	if err := os.Rename(o.remote, moved); err != nil {
		t.Fatal(err)
	}
	r = o.run("up")
	if r.code != 1 || !strings.Contains(r.stderr, o.remote) {
		t.Fatalf("up against an unreachable remote:\n%s", r)
	}
	if err := os.Rename(moved, o.remote); err != nil {
		t.Fatal(err)
	}
	o.mustRun("destroy", "--yes")
}

// A run longer than its lease keeps the lock by renewing it: nobody takes it over meanwhile.
func TestALongRunRenewsItsLease(t *testing.T) {
	o := newORB(t, "renewing")
	other := o.withCheckout(filepath.Join(t.TempDir(), "other"))
	long := o.startUntil([]string{program.SlowProgramEnv + "=6s", "ORBOS_LOCK_TTL=2s"}, "created   kubernetes:core/v1:Namespace", "up")
	time.Sleep(4 * time.Second) // two leases later
	r := other.run("up", "--lock-wait", "0")
	if r.code != 3 || !strings.Contains(r.stderr, "the ORB is locked by") {
		t.Fatalf("the lock of a live, renewing run was taken:\n%s", r)
	}
	if err := long.wait(); err != nil {
		t.Fatalf("the long run: %v\n%s", err, long.stderr())
	}
	if got := o.stateResources(); !slices.Equal(got, wantResources(o)) {
		t.Fatalf("state %v", got)
	}
	o.mustRun("destroy", "--yes")
}

// A run killed while the engine waited for a create leaves a pending operation in its checkpoint:
// the next run clears it and adopts what the create made, so the pushed state is clean and nothing
// exists twice.
func TestPendingCreateOfAnInterruptedRunIsResolved(t *testing.T) {
	o := newORB(t, "pending")
	o.mustRun("up")
	// Rewrite the checkout's checkpoint as a run killed mid-create of the namespace leaves it: the
	// namespace among the pending operations, the ConfigMap not yet recorded (though both exist in the
	// cluster), not committed.
	path := filepath.Join(o.checkout, ".pulumi", "stacks", "orbos", "pending.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cp map[string]any
	if err := json.Unmarshal(raw, &cp); err != nil {
		t.Fatal(err)
	}
	latest := cp["checkpoint"].(map[string]any)["latest"].(map[string]any)
	var kept, pending []any
	for _, r := range latest["resources"].([]any) {
		switch r.(map[string]any)["type"] {
		case "kubernetes:core/v1:Namespace":
			pending = append(pending, map[string]any{"resource": r, "type": "creating"})
			continue
		case "kubernetes:core/v1:ConfigMap":
			continue
		}
		kept = append(kept, r)
	}
	if len(pending) != 1 {
		t.Fatalf("no namespace in %s", raw)
	}
	latest["resources"], latest["pending_operations"] = kept, pending
	raw, _ = json.Marshal(cp)
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}

	r := o.mustRun("up")
	if !strings.Contains(r.stderr, "clearing 1 unfinished operations") {
		t.Fatalf("the pending create was not cleared:\n%s", r)
	}
	if got := o.stateResources(); !slices.Equal(got, wantResources(o)) { // also fails on pending operations
		t.Fatalf("state %v", got)
	}
	fresh := o.withCheckout(filepath.Join(t.TempDir(), "fresh"))
	if r := fresh.run("preview", "--expect-no-changes"); r.code != 0 {
		t.Fatalf("after resolving:\n%s", r)
	}
	o.mustRun("destroy", "--yes")
}
