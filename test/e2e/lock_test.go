package e2e

import (
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/orbos/orbos/stacks/program"
)

// lockView is orbctl lock -o json.
type lockView struct {
	Locked bool `json:"locked"`
	Lock   *struct {
		Holder       string  `json:"holder"`
		Purpose      string  `json:"purpose"`
		RunID        string  `json:"runID"`
		LeaseSeconds float64 `json:"leaseSeconds"`
		PID          int     `json:"pid"`
	} `json:"lock"`
}

func (o *orb) lock() lockView {
	o.t.Helper()
	r := o.mustRun("lock", "-o", "json")
	var v lockView
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		o.t.Fatalf("lock -o json: %v\n%s", err, r)
	}
	return v
}

func (o *orb) remoteLockRef() string {
	o.t.Helper()
	return strings.TrimSpace(gittestGit(o.t, o.remote, "for-each-ref", "--format=%(objectname)", "refs/orbos/lock"))
}

// orbctl lock shows the holder of a running up, its lease and run. lock break refuses while that
// holder renews its lease; the lock of a killed holder, and of one that hangs without renewing, is
// broken, each break recorded in a commit on the ORB's branch that names who broke whose lock.
func TestLockBreakRefusesALiveHolderAndRecordsBreakingADeadOne(t *testing.T) {
	o := newORB(t, "lockbreak")
	other := o.withCheckout(filepath.Join(t.TempDir(), "other"))
	slow := func(pause string) []string {
		return []string{program.SlowProgramEnv + "=" + pause, "ORBOS_LOCK_TTL=3s"}
	}
	const created = "created   kubernetes:core/v1:Namespace"

	// A live holder: an up paused in its program, renewing its 3 s lease every second.
	live := o.startUntil(slow("20s"), created, "up")
	v := other.lock()
	if !v.Locked || v.Lock == nil || v.Lock.PID != live.cmd.Process.Pid || v.Lock.Purpose != "up" || v.Lock.LeaseSeconds != 3 || v.Lock.RunID == "" {
		t.Fatalf("lock while up runs: %+v", v.Lock)
	}
	text := other.mustRun("lock").stdout
	for _, want := range []string{"Holder:    " + v.Lock.Holder, "Run:       " + v.Lock.RunID, "Lease:     3s", "Process:   pid " + strconv.Itoa(v.Lock.PID)} {
		if !strings.Contains(text, want) {
			t.Errorf("lock does not show %q:\n%s", want, text)
		}
	}
	before := o.remoteHead()
	r := other.runInput("lockbreak\n", "lock", "break")
	if r.code != 3 || !strings.Contains(r.stderr, "still renews its lease") || !strings.Contains(r.stderr, "watching the lock for its lease (3s)") {
		t.Fatalf("lock break of a live holder:\n%s", r)
	}
	if err := live.wait(); err != nil {
		t.Fatalf("the live holder's up: %v\n%s", err, live.stderr())
	}
	if o.remoteHead() == before {
		t.Fatal("the live holder's up published nothing")
	}

	// A dead holder: killed in the middle of its up, on this machine.
	dead := o.startHolding(slow("20s"), other)
	held := other.lock()
	if err := dead.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = dead.wait()
	if r := other.runInput("no\n", "lock", "break"); r.code != 1 || !strings.Contains(r.stderr, "not confirmed") || other.remoteLockRef() == "" {
		t.Fatalf("lock break answered no:\n%s", r)
	}
	r = other.runInput("lockbreak\n", "lock", "break")
	if r.code != 0 || strings.Contains(r.stderr, "watching") {
		t.Fatalf("lock break of a killed holder (its process is gone: no watching):\n%s", r)
	}
	other.assertBreakRecorded(r, held)
	if r := other.run("up"); r.code != 0 || strings.Contains(r.stderr, "took over") {
		t.Fatalf("up after the break:\n%s", r)
	}

	// A holder that hangs (stopped: its process exists, its lease is not renewed) is watched for its
	// lease, as from another machine, then broken.
	third := o.withCheckout(filepath.Join(t.TempDir(), "third"))
	hung := third.startHolding(slow("20s"), other)
	held = other.lock()
	if err := hung.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	r = other.runInput("lockbreak\n", "lock", "break", "-o", "json")
	if err := hung.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if r.code != 0 || !strings.Contains(r.stderr, "watching the lock for its lease (3s)") {
		t.Fatalf("lock break of a hung holder:\n%s", r)
	}
	var broke struct {
		Broken bool   `json:"broken"`
		Holder string `json:"holder"`
		Commit string `json:"commit"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &broke); err != nil || !broke.Broken || broke.Holder != held.Lock.Holder {
		t.Fatalf("lock break -o json: %+v %v\n%s", broke, err, r)
	}
	other.assertBreakRecorded(result{stdout: "recorded in commit " + broke.Commit[:12]}, held)
	// Woken up, the hung run finds its lock gone: it publishes nothing.
	head := o.remoteHead()
	if err := hung.wait(); err == nil {
		t.Fatalf("the hung run succeeded after its lock was broken:\n%s", hung.stderr())
	}
	if o.remoteHead() != head {
		t.Fatal("the hung run published after its lock was broken")
	}
}

// startHolding starts orbctl up and returns once observer sees it hold the ORB lock.
func (o *orb) startHolding(env []string, observer *orb) *background {
	o.t.Helper()
	cmd := o.command(env, "up")
	b := &background{cmd: cmd, done: make(chan error, 1)}
	cmd.Stderr = &lockedWriter{b: b}
	if err := cmd.Start(); err != nil {
		o.t.Fatal(err)
	}
	go func() { b.done <- cmd.Wait() }()
	for range 200 {
		if v := observer.lock(); v.Locked && v.Lock.PID == cmd.Process.Pid {
			return b
		}
		select {
		case err := <-b.done:
			o.t.Fatalf("orbctl up ended before it was seen holding the lock: %v\n%s", err, b.stderr())
		case <-time.After(200 * time.Millisecond):
		}
	}
	_ = cmd.Process.Kill()
	o.t.Fatalf("orbctl up was never seen holding the lock:\n%s", b.stderr())
	return nil
}

// lockedWriter collects a background orbctl's stderr.
type lockedWriter struct{ b *background }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.b.mu.Lock()
	defer w.b.mu.Unlock()
	return w.b.seen.Write(p)
}

// assertBreakRecorded checks that the remote's main is the record of the break r printed, naming the
// broken lock's holder and run, and changing no file; and that the lock is gone.
func (o *orb) assertBreakRecorded(r result, held lockView) {
	o.t.Helper()
	record := regexp.MustCompile(`recorded in commit ([0-9a-f]{12})`).FindStringSubmatch(r.stdout)
	if record == nil {
		o.t.Fatalf("lock break names no record:\n%s", r)
	}
	if ref := o.remoteLockRef(); ref != "" {
		o.t.Fatalf("the lock is still on the remote: %s", ref)
	}
	if head := o.remoteHead(); !strings.HasPrefix(head, record[1]) {
		o.t.Fatalf("the remote's main is %s, the record %s", head, record[1])
	}
	msg := gittestGit(o.t, o.remote, "log", "-1", "--format=%B", "main")
	for _, want := range []string{"orbos lock break " + o.name + ": removed the lock of " + held.Lock.Holder,
		"Orbos-Operation: lock break", "Orbos-Lock-Holder: " + held.Lock.Holder, "Orbos-Run: " + held.Lock.RunID, "Orbos-Holder: "} {
		if !strings.Contains(msg, want) {
			o.t.Errorf("the record lacks %q:\n%s", want, msg)
		}
	}
	if diff := gittestGit(o.t, o.remote, "diff", "--stat", "main^", "main"); diff != "" {
		o.t.Errorf("the record changed files:\n%s", diff)
	}
	var hist []struct {
		Operation string `json:"operation"`
		Holder    string `json:"holder"`
	}
	if err := json.Unmarshal([]byte(o.mustRun("history", "-n", "1", "-o", "json").stdout), &hist); err != nil ||
		len(hist) != 1 || hist[0].Operation != "lock break" || hist[0].Holder == "" || hist[0].Holder == held.Lock.Holder {
		o.t.Fatalf("history of the break: %+v %v", hist, err)
	}
}

func gittestGit(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		t.Fatalf("git %v: %v\n%s", args, err, ee.Stderr)
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
