package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/orbos/orbos/automation"
	"github.com/orbos/orbos/automation/orbconfig"
	"github.com/orbos/orbos/automation/reconciler"
	"github.com/orbos/orbos/internal/gittest"
	"github.com/orbos/orbos/stacks/program"
)

// pushSpec changes the desired state on the remote from a user's clone.
func (o *orb) pushSpec(msg string, edit func(string) string) {
	o.t.Helper()
	user := filepath.Join(o.t.TempDir(), "user")
	gittest.Git(o.t, filepath.Dir(user), "clone", "-q", o.remote, user)
	f := filepath.Join(user, "Pulumi."+o.name+".yaml")
	raw, err := os.ReadFile(f)
	if err != nil {
		o.t.Fatal(err)
	}
	changed := edit(string(raw))
	if changed == string(raw) {
		o.t.Fatalf("%s: the edit changed nothing", msg)
	}
	if err := os.WriteFile(f, []byte(changed), 0o644); err != nil {
		o.t.Fatal(err)
	}
	gittest.Git(o.t, user, "commit", "-qam", msg)
	gittest.Git(o.t, user, "push", "-q", "origin", "main")
}

func (o *orb) configMapVersion() string {
	o.t.Helper()
	_, cm := kube(o.t, "/api/v1/namespaces/"+o.namespace()+"/configmaps/orb")
	data, _ := cm["data"].(map[string]any)
	v, _ := data["kubernetesVersion"].(string)
	return v
}

func newReconciler(t *testing.T, o *orb, drift time.Duration) *reconciler.Reconciler {
	t.Helper()
	return newReconcilerTB(t, o, drift, time.Hour)
}

// newReconcilerTB opens a reconciler of o in a checkout of its own.
func newReconcilerTB(t testing.TB, o *orb, drift, resync time.Duration) *reconciler.Reconciler {
	t.Helper()
	cfg, err := orbconfig.Load(o.orbconfig)
	if err != nil {
		t.Fatal(err)
	}
	orb, err := automation.Open(context.Background(), automation.Options{
		Config: cfg, Checkout: filepath.Join(t.TempDir(), "reconciler"), PulumiHome: pulumiHome, LockTTL: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { orb.Close() })
	return reconciler.New(orb, reconciler.Options{Interval: time.Second, Resync: resync, DriftInterval: drift, MaxFailures: 3, BackoffBase: time.Millisecond})
}

func cycle(t *testing.T, r *reconciler.Reconciler, want reconciler.Action) {
	t.Helper()
	got, err := r.Cycle(context.Background())
	if got != want {
		t.Fatalf("cycle: %s (%v), want %s", got, err, want)
	}
}

// The reconciler applies desired commits, stays idle without them, refuses an invalid one while the
// last good state stays, and reports drift — correcting it only when the spec asks.
func TestReconcilerConvergesAndReportsDrift(t *testing.T) {
	o := newORB(t, "reconciled")
	r := newReconciler(t, o, time.Nanosecond)

	cycle(t, r, reconciler.Applied)
	if o.configMapVersion() != "v1.31.4" {
		t.Fatal("first cycle did not converge")
	}
	head := o.remoteHead()
	cycle(t, r, reconciler.NoDrift)
	cycle(t, r, reconciler.NoDrift)
	if o.remoteHead() != head {
		t.Fatal("idle cycles committed")
	}

	// A commit to the trigger file asks for a run without a desired change.
	user := filepath.Join(t.TempDir(), "user")
	gittest.Git(t, filepath.Dir(user), "clone", "-q", o.remote, user)
	_ = os.MkdirAll(filepath.Join(user, "trigger"), 0o755)
	_ = os.WriteFile(filepath.Join(user, "trigger", "reconciled"), []byte("please\n"), 0o644)
	gittest.Git(t, user, "add", "-A")
	gittest.Git(t, user, "commit", "-qm", "trigger")
	gittest.Git(t, user, "push", "-q", "origin", "main")
	cycle(t, r, reconciler.Applied)
	cycle(t, r, reconciler.NoDrift)

	o.pushSpec("bump", func(s string) string { return strings.Replace(s, "version: v1.31.4", "version: v1.31.5", 1) })
	cycle(t, r, reconciler.Applied)
	if o.configMapVersion() != "v1.31.5" {
		t.Fatal("a pushed desired change was not converged")
	}
	if !strings.Contains(gittest.Git(t, o.remote, "log", "-1", "--format=%s", "main"), "orbos up reconciled: succeeded, 1 updated") {
		t.Fatal("the converged state was not written back")
	}

	o.pushSpec("break", func(s string) string { return strings.Replace(s, "version: v1.31.5", "version: latest", 1) })
	cycle(t, r, reconciler.GaveUp)
	status := o.remoteFile("status/reconciled.yaml")
	if !strings.Contains(status, "is invalid and was not applied") || !strings.Contains(status, "config.orbos:orbiter.kubernetes.version") {
		t.Fatalf("status does not say why:\n%s", status)
	}
	head = o.remoteHead()
	cycle(t, r, reconciler.GaveUp)
	if o.remoteHead() != head || o.configMapVersion() != "v1.31.5" {
		t.Fatal("an invalid commit was retried or applied")
	}

	o.pushSpec("fix", func(s string) string {
		return strings.Replace(s, "version: latest", "version: v1.31.5", 1) + "  orbos:reconciler:\n    apiVersion: orbos.io/v1alpha1\n"
	})
	cycle(t, r, reconciler.Applied)
	if strings.Contains(o.remoteFile("status/reconciled.yaml"), "invalid") {
		t.Fatal("a good run did not clear the reconciler's note")
	}

	// Drift behind its back: reported, not corrected.
	code, _, err := apiserver.Patch(context.Background(), "/api/v1/namespaces/"+o.namespace()+"/configmaps/orb", []byte(`{"data":{"kubernetesVersion":"hacked"}}`))
	if err != nil || code != http.StatusOK {
		t.Fatalf("patch: %d %v", code, err)
	}
	cycle(t, r, reconciler.DriftFound)
	status = o.remoteFile("status/reconciled.yaml")
	if !strings.Contains(status, "drift:") || !strings.Contains(status, "kubernetes:core/v1:ConfigMap") {
		t.Fatalf("drift not reported:\n%s", status)
	}
	if o.configMapVersion() != "hacked" {
		t.Fatal("drift corrected although the spec does not ask")
	}
	head = o.remoteHead()
	cycle(t, r, reconciler.DriftFound)
	if o.remoteHead() != head {
		t.Fatal("the same drift was committed twice")
	}

	// The spec asks for correction: the next drift check undoes it.
	o.pushSpec("correct drift", func(s string) string {
		return strings.Replace(s, "  orbos:reconciler:\n    apiVersion: orbos.io/v1alpha1\n", "  orbos:reconciler:\n    apiVersion: orbos.io/v1alpha1\n    correctDrift: true\n", 1)
	})
	cycle(t, r, reconciler.Applied)
	cycle(t, r, reconciler.DriftFound)
	if o.configMapVersion() != "v1.31.5" {
		t.Fatalf("drift not corrected: %s", o.configMapVersion())
	}
	if strings.Contains(o.remoteFile("status/reconciled.yaml"), "drift:") {
		t.Fatal("the corrected drift is still reported")
	}

	o.pushSpec("suspend", func(s string) string {
		return strings.Replace(s, "version: v1.31.5", "version: v1.31.6", 1) + "    suspend: true\n"
	})
	cycle(t, r, reconciler.Suspended)
	if o.configMapVersion() != "v1.31.5" || !strings.Contains(o.remoteFile("status/reconciled.yaml"), "suspended") {
		t.Fatal("a suspended reconciler applied a change, or did not say it is suspended")
	}
	o.mustRun("destroy", "--yes")
}

// Runs that keep failing back off, then stop until a new commit; the status says so.
func TestReconcilerGivesUpOnAFailingCommit(t *testing.T) {
	o := newORB(t, "rec-failing")
	r := newReconcilerTB(t, o, 0, time.Hour)
	kc, _ := os.ReadFile(apiserver.Kubeconfig)
	cmd := o.command(nil, "config", "set", "--secret", "orbos:kubeconfig")
	cmd.Stdin = strings.NewReader(strings.Replace(string(kc), apiserver.Token, "rejected-token-0123456789", 1))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	cycle(t, r, reconciler.Failed)
	time.Sleep(5 * time.Millisecond) // past the (test-sized) backoff
	cycle(t, r, reconciler.Failed)
	time.Sleep(20 * time.Millisecond)
	cycle(t, r, reconciler.GaveUp)
	status := o.remoteFile("status/rec-failing.yaml")
	if !strings.Contains(status, "gave up on the desired state after 3 failed runs") || strings.Contains(status, "rejected-token") {
		t.Fatalf("status:\n%s", status)
	}
	head := o.remoteHead()
	cycle(t, r, reconciler.GaveUp)
	if o.remoteHead() != head {
		t.Fatal("a given-up commit was retried")
	}
	// A new commit (the right credentials) resumes.
	cmd = o.command(nil, "config", "set", "--secret", "orbos:kubeconfig", "--from-file", apiserver.Kubeconfig)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	cycle(t, r, reconciler.Applied)
	if strings.Contains(o.remoteFile("status/rec-failing.yaml"), "gave up") {
		t.Fatal("the note stayed after a good run")
	}
	o.mustRun("destroy", "--yes")
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func get(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// `orbctl reconcile` killed in the middle of a run recovers when it starts again, and serves its
// health and metrics.
func TestReconcilerKilledMidRunRecovers(t *testing.T) {
	o := newORB(t, "rec-killed")
	port := freePort(t)
	args := []string{"reconcile", "--interval", "500ms", "--drift-interval", "0", "--listen", fmt.Sprintf("127.0.0.1:%d", port)}
	first := o.startUntil([]string{program.SlowProgramEnv + "=30s"}, "created   kubernetes:core/v1:Namespace", args...)
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.wait()

	second := o.startUntil(nil, `"action":"applied"`, args...)
	if got := o.stateResources(); !slices.Equal(got, wantResources(o)) {
		t.Fatalf("state after recovery %v\n%s", got, second.stderr())
	}
	if !strings.Contains(second.stderr(), "took over the ORB lock") {
		t.Errorf("the restarted reconciler did not take the dead one's lock over:\n%s", second.stderr())
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	if code, _ := get(base + "/healthz"); code != 200 {
		t.Errorf("/healthz: %d", code)
	}
	if code, _ := get(base + "/readyz"); code != 200 {
		t.Errorf("/readyz: %d", code)
	}
	code, metrics := get(base + "/metrics")
	if code != 200 || !strings.Contains(metrics, `orbos_reconciler_runs_total{operation="up",outcome="succeeded"} 1`) ||
		!strings.Contains(metrics, "orbos_reconciler_last_success_timestamp_seconds") {
		t.Errorf("/metrics (%d):\n%s", code, metrics)
	}
	if strings.Contains(second.stderr(), apiserver.Token) {
		t.Error("the log holds the API token")
	}
	_ = second.cmd.Process.Signal(syscall.SIGTERM)
	if err := second.wait(); err != nil {
		t.Errorf("reconcile after SIGTERM: %v", err)
	}
	o.mustRun("destroy", "--yes")
}
