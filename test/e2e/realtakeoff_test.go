package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orbos/orbos/internal/gittest"
	"github.com/orbos/orbos/internal/sshkey"
	"github.com/orbos/orbos/stacks"
	"github.com/orbos/orbos/test/testenv"
)

// Takeoff for real, the seed's core loop: the reconciler image (built here without a container
// engine) runs on the cluster orbos made, clones the ORB's repository over SSH from a machine on
// the cluster's network, and applies a desired-state change pushed there (a worker label) on the
// nodes and commits the state back, with no orbctl running outside.
func TestRealClusterTakeoff(t *testing.T) {
	env := startRealEnv(t)
	k := newRealORB(t, env, "realto", 1, 1, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	image, err := env.registry.PushReconcilerImage(ctx, filepath.Dir(orbctlBin), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	k.mustRun("up")
	k.waitNodes(map[string]string{"cp-1": "Ready v1.31.4", "w-1": "Ready v1.31.4"})

	// The ORB's repository as the cluster reaches it: the same bare repository, served over SSH by a
	// machine on the network, to a deploy key of the reconciler's own.
	git := env.net.StartMachine(t, "git", testenv.MachineOptions{})
	deployKey, deployPub, err := sshkey.Generate("orbos-reconciler")
	if err != nil {
		t.Fatal(err)
	}
	if err := git.Authorize(deployPub); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyFile, knownHosts := filepath.Join(dir, "deploy_key"), filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(keyFile, []byte(deployKey), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(knownHosts, []byte(git.KnownHosts()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	repository := "ssh://root@" + git.Address + k.remote

	k.mustRun("config", "set", "orbos:reconciler.apiVersion", stacks.APIVersion)
	k.mustRun("config", "set", "orbos:reconciler.interval", "5s")
	r := k.run("takeoff", "--image", image, "--repository", repository, "--deploy-key", keyFile, "--known-hosts", knownHosts, "--wait-ready", "5m")
	if r.code != 0 {
		t.Fatalf("takeoff:\n%s\n%s", r, k.reconcilerDiagnostics())
	}
	ns := k.namespace()
	if phase := k.mustKubectl("-n", ns, "get", "pods", "-l", "app.kubernetes.io/name=orbos-reconciler", "-o", "jsonpath={.items[*].status.phase}"); phase != "Running" {
		t.Fatalf("the reconciler's pod: %q\n%s", phase, k.reconcilerDiagnostics())
	}

	// From here on only the reconciler acts: a label for the workers, pushed to the repository.
	k.pushSpec("label the workers", func(s string) string {
		return strings.Replace(s, "      workers: [{pool: workers}]\n", "      workers: [{pool: workers, labels: {orbos.io/handed-over: \"yes\"}}]\n", 1)
	})
	pushed := k.remoteHead()
	k.waitLabel("yes")
	// ... and committed its run's state back, as itself.
	var log string
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(2 * time.Second) {
		log = gittest.Git(t, k.remote, "log", "--format=%B", pushed+"..main")
		if strings.Contains(log, "Orbos-Outcome: succeeded") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no successful run was committed after %s:\n%s\n%s", pushed, log, k.reconcilerDiagnostics())
		}
	}
	if !strings.Contains(log, "Orbos-Operation: up") || !strings.Contains(log, "@orbos-reconciler-") {
		t.Fatalf("the run after the push is not the reconciler's up:\n%s", log)
	}
	if status := k.remoteFile("status/realto.yaml"); !strings.Contains(status, pushed) {
		t.Fatalf("the status does not name the applied commit %s:\n%s", pushed, status)
	}

	// A passphrase rotation from the workstation rewrites the reconciler's Secret (its own
	// repository URL and deploy key kept) and restarts it; it goes on applying what is pushed.
	// The reconciler may hold the ORB's lock (a run, a drift note): the rotation waits for it.
	r = k.mustRun("secrets", "rotate", "--lock-wait", "5m")
	if !strings.Contains(r.stdout, "the in-cluster orbconfig Secret holds it too") {
		t.Fatalf("secrets rotate after takeoff:\n%s", r)
	}
	k.pushSpec("relabel the workers", func(s string) string {
		return strings.Replace(s, `orbos.io/handed-over: "yes"`, `orbos.io/handed-over: "rotated"`, 1)
	})
	k.waitLabel("rotated")
}

// waitLabel waits for the reconciler to put the pushed value of the label orbos.io/handed-over on w-1.
func (k *realORB) waitLabel(want string) {
	k.t.Helper()
	start := time.Now()
	for {
		label, err := k.kubectl("get", "node", "w-1", "-o", `jsonpath={.metadata.labels.orbos\.io/handed-over}`)
		if err == nil && label == want {
			break
		}
		if time.Since(start) > 6*time.Minute {
			k.t.Fatalf("the reconciler did not label w-1 %q within 6 minutes (last: %q, %v)\n%s", want, label, err, k.reconcilerDiagnostics())
		}
		time.Sleep(3 * time.Second)
	}
	k.t.Logf("the reconciler applied the pushed label %q after %.1f s", want, time.Since(start).Seconds())
}

// reconcilerDiagnostics is what a failing takeoff test shows of the reconciler's pod.
func (k *realORB) reconcilerDiagnostics() string {
	ns := k.namespace()
	describe, _ := k.kubectl("-n", ns, "describe", "pods", "-l", "app.kubernetes.io/name=orbos-reconciler")
	logs, _ := k.kubectl("-n", ns, "logs", "--tail", "60", "deployment/orbos-reconciler")
	return "--- reconciler pods\n" + describe + "\n--- reconciler logs\n" + logs
}
