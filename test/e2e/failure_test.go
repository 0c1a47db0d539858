package e2e

import (
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/orbos/orbos/stacks/program"
)

// Ctrl-C in the middle of up: the engine stops, and what it did is committed and pushed before exit.
func TestInterruptedUpSavesItsState(t *testing.T) {
	o := newORB(t, "interrupted")
	run := o.startUntil([]string{program.SlowProgramEnv + "=8s"}, "created   kubernetes:core/v1:Namespace", "up")
	if err := run.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := run.wait()
	if run.cmd.ProcessState.ExitCode() != 130 {
		t.Fatalf("exit %v after SIGINT:\n%s", err, run.stderr())
	}
	log := o.remoteFile("status/interrupted.yaml")
	if !strings.Contains(log, "outcome: interrupted") {
		t.Fatalf("status of the interrupted run:\n%s\nstderr:\n%s", log, run.stderr())
	}
	if got := o.stateResources(); !slices.Contains(got, "kubernetes:core/v1:Namespace "+o.namespace()) {
		t.Fatalf("the namespace the interrupted run created is not in the pushed state: %v", got)
	}
	if info := o.mustRun("status"); !lockFree.MatchString(info.stdout) {
		t.Fatalf("the interrupted run kept the lock:\n%s", info)
	}
	o.mustRun("up")
	if got := o.stateResources(); !slices.Equal(got, wantResources(o)) {
		t.Fatalf("state after the next up %v", got)
	}
	o.mustRun("destroy", "--yes")
}

// A run the engine fails: the outcome and the error are committed and pushed, without secrets.
func TestFailedUpIsRecordedWithoutSecrets(t *testing.T) {
	o := newORB(t, "failing")
	kc, err := os.ReadFile(apiserver.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	const badToken = "not-the-token-0123456789abcdef"
	cmd := o.command(nil, "config", "set", "--secret", "orbos:kubeconfig")
	cmd.Stdin = strings.NewReader(strings.Replace(string(kc), apiserver.Token, badToken, 1))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	before := o.remoteHead()
	r := o.run("up")
	if r.code != 1 {
		t.Fatalf("up with a rejected token:\n%s", r)
	}
	if o.remoteHead() == before {
		t.Fatal("the failed run pushed nothing")
	}
	status := o.remoteFile("status/failing.yaml")
	if !strings.Contains(status, "outcome: failed") || !strings.Contains(status, "error:") {
		t.Fatalf("status of the failed run:\n%s", status)
	}
	for _, out := range []string{r.stdout, r.stderr, status, o.remoteFile(".pulumi/stacks/orbos/failing.json")} {
		if strings.Contains(out, badToken) || strings.Contains(out, apiserver.Token) {
			t.Fatalf("a token leaked:\n%s", out)
		}
	}
	hist := o.mustRun("history", "-n", "1")
	if !strings.Contains(hist.stdout, "failed") {
		t.Fatalf("history:\n%s", hist)
	}
}

// An up that fails without changing anything, then one that succeeds without changing anything:
// the second is recorded, so that the status stops reporting the failure (as after a reconciler's
// run cut short by its own restart); from then on a no-op up makes no commit again.
func TestUpAfterAFailedOneRecordsTheRecovery(t *testing.T) {
	o := newORB(t, "recovery")
	o.mustRun("up")
	before := o.remoteHead()
	if r := o.runEnv([]string{program.FailProgramEnv + "=an injected failure"}, "up"); r.code != 1 || !strings.Contains(r.stderr, "an injected failure") {
		t.Fatalf("up with a failing program:\n%s", r)
	}
	failed := o.remoteHead()
	if failed == before || !strings.Contains(o.remoteFile("status/recovery.yaml"), "outcome: failed") {
		t.Fatalf("the failed up is not recorded:\n%s", o.remoteFile("status/recovery.yaml"))
	}
	o.mustRun("up")
	if o.remoteHead() == failed {
		t.Fatal("the up after the failed one left no record: the status still says failed")
	}
	if status := o.remoteFile("status/recovery.yaml"); !strings.Contains(status, "outcome: succeeded") {
		t.Fatalf("status after the recovering up:\n%s", status)
	}
	recovered := o.remoteHead()
	o.mustRun("up")
	if o.remoteHead() != recovered {
		t.Fatal("a no-op up after the recovery made a commit")
	}
	o.mustRun("destroy", "--yes")
}
