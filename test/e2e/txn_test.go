package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/orbos/orbos/stacks/program"
)

// freezeMain makes the ORB's remote refuse every push to main until the returned function runs.
func freezeMain(t *testing.T, o *orb) (thaw func()) {
	t.Helper()
	hook := filepath.Join(o.remote, "hooks", "pre-receive")
	script := "#!/bin/sh\nwhile read old new ref; do\n  if [ \"$ref\" = refs/heads/main ]; then echo 'main is frozen by the test' >&2; exit 1; fi\ndone\n"
	if err := os.WriteFile(hook, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return func() { os.Remove(hook) }
}

// runInput runs orbctl with input on its stdin.
func (o *orb) runInput(input string, args ...string) result {
	o.t.Helper()
	cmd := o.command(nil, args...)
	cmd.Stdin = strings.NewReader(input)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errOut.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	} else if err != nil {
		o.t.Fatalf("orbctl %v: %v", args, err)
	}
	o.t.Logf("orbctl %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
	return r
}

func (o *orb) lockFree() bool {
	o.t.Helper()
	return lockFree.MatchString(o.mustRun("status").stdout)
}

// A holder that stops renewing its lease (a machine that hangs) loses the lock to a run from another
// checkout. When it wakes up, its engine is stopped, it publishes nothing and says why; its checkout
// then refuses to merge its state over the newer one.
func TestLeaseTakenOverMidRunStopsTheOldRun(t *testing.T) {
	o := newORB(t, "takeover")
	other := o.withCheckout(filepath.Join(t.TempDir(), "other"))
	first := o.startUntil([]string{program.SlowProgramEnv + "=20s", "ORBOS_LOCK_TTL=3s"}, "created   kubernetes:core/v1:Namespace", "up")
	if err := first.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := true
	defer func() {
		if stopped {
			_ = first.cmd.Process.Signal(syscall.SIGCONT)
		}
	}()
	r := other.run("up", "--lock-wait", "2m")
	if r.code != 0 || !strings.Contains(r.stderr, "took over the ORB lock") {
		t.Fatalf("the run from the other checkout did not take the lock over:\n%s", r)
	}
	published := o.remoteHead()

	if err := first.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	stopped = false
	err := first.wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 4 {
		t.Fatalf("the run that lost its lock: %v, want exit 4\n%s", err, first.stderr())
	}
	says := first.stderr()
	t.Logf("the run that lost its lock said:\n%s", says)
	if !strings.Contains(says, "stopping the run") || !strings.Contains(says, "NOT published") ||
		!(strings.Contains(says, "taken over") || strings.Contains(says, "gave up the ORB lock")) {
		t.Fatalf("the run that lost its lock does not say why:\n%s", says)
	}
	if o.remoteHead() != published {
		t.Fatal("the run that lost its lock published")
	}
	if got := o.stateResources(); !slices.Equal(got, wantResources(o)) {
		t.Fatalf("state on the remote %v", got)
	}
	if !other.lockFree() {
		t.Fatal("the lock is held after both runs ended")
	}
	// Its checkout holds state the remote never saw, and the remote's state moved on: refused.
	r = o.run("up")
	if r.code != 1 || !strings.Contains(r.stderr, "refusing to merge") || !strings.Contains(r.stderr, o.checkout) {
		t.Fatalf("a run from the checkout whose state is stale:\n%s", r)
	}
	if o.remoteHead() != published || !other.lockFree() {
		t.Fatal("the refused run changed the remote")
	}
	other.mustRun("destroy", "--yes")
}

// A run whose push fails keeps the ORB marked: a run from another checkout is refused, naming where
// the state is, until the checkout that holds it pushes it.
func TestFailedPushStopsOtherCheckoutsUntilPushed(t *testing.T) {
	o := newORB(t, "unpushed")
	other := o.withCheckout(filepath.Join(t.TempDir(), "other"))
	thaw := freezeMain(t, o)
	r := o.run("up")
	if r.code != 4 || !strings.Contains(r.stdout, "NOT pushed") || !strings.Contains(r.stderr, "the ORB stays locked") {
		t.Fatalf("up against a refusing remote:\n%s", r)
	}
	thaw() // the remote would accept pushes again; the other checkout must still not run
	r = other.run("up", "--lock-wait", "0")
	if r.code != 3 || !strings.Contains(r.stderr, "never pushed") || !strings.Contains(r.stderr, o.checkout) {
		t.Fatalf("a run from another checkout:\n%s", r)
	}
	if r := other.mustRun("status"); !strings.Contains(r.stdout, "with unpushed state") {
		t.Fatalf("status does not show the mark:\n%s", r)
	}
	r = o.mustRun("up")
	if !strings.Contains(r.stderr, "this checkout holds the state run") {
		t.Fatalf("the checkout holding the state did not push it:\n%s", r)
	}
	if got := o.stateResources(); !slices.Equal(got, wantResources(o)) {
		t.Fatalf("state on the remote %v", got)
	}
	if r := other.mustRun("preview", "--expect-no-changes"); r.code != 0 {
		t.Fatalf("after the push:\n%s", r)
	}
	other.mustRun("destroy", "--yes")
}

// An operator can give unpushed state up (unlock asks first); the checkout that held it can then
// never merge it over the newer state: both changed state, and the merge is refused.
func TestOverriddenUnpushedStateIsNeverMergedOverNewerState(t *testing.T) {
	o := newORB(t, "override")
	other := o.withCheckout(filepath.Join(t.TempDir(), "other"))
	thaw := freezeMain(t, o)
	if r := o.run("up"); r.code != 4 {
		t.Fatalf("up against a refusing remote:\n%s", r)
	}
	thaw()
	if r := other.runInput("something else\n", "unlock"); r.code != 1 || !strings.Contains(r.stderr, "not confirmed") {
		t.Fatalf("unlock without confirmation:\n%s", r)
	}
	if other.lockFree() {
		t.Fatal("unlock removed the lock without confirmation")
	}
	r := other.runInput("override\n", "unlock")
	if r.code != 0 || !strings.Contains(r.stderr, "exists only in") || !strings.Contains(r.stdout, "removed the lock") {
		t.Fatalf("unlock:\n%s", r)
	}
	other.mustRun("up")
	published := o.remoteHead()
	r = o.run("up")
	if r.code != 1 || !strings.Contains(r.stderr, "refusing to merge") || !strings.Contains(r.stderr, "changed the ORB's state") {
		t.Fatalf("merging the given-up state:\n%s", r)
	}
	if o.remoteHead() != published {
		t.Fatal("the given-up state reached the remote")
	}
	if !other.lockFree() {
		t.Fatal("the refused run left the ORB locked")
	}
	other.mustRun("destroy", "--yes")
}
