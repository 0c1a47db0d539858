package e2e

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// releaseStatuses lists the status of every revision of a Helm release, oldest first.
func releaseStatuses(t *testing.T, namespace, name string) []string {
	t.Helper()
	_, list := kube(t, "/api/v1/namespaces/"+namespace+"/secrets?labelSelector=owner%3Dhelm%2Cname%3D"+name)
	items, _ := list["items"].([]any)
	out := make([]string, len(items))
	for _, it := range items {
		labels := it.(map[string]any)["metadata"].(map[string]any)["labels"].(map[string]any)
		rev, _ := strconv.Atoi(labels["version"].(string))
		if rev >= 1 && rev <= len(out) {
			out[rev-1] = labels["status"].(string)
		}
	}
	return out
}

// A hook chart installed as a Helm release (the gateway tool), its up killed with SIGKILL, engine
// and provider with it, while Helm waits for the pre-install hook Job (which never completes on an
// API server without nodes): the release is left pending-install, which Helm refuses to touch. The
// next up drops the pending revision before running the engine and installs the release.
func TestPendingReleaseOfAKilledUpIsRecovered(t *testing.T) {
	o := newORB(t, "pending")
	const ns = "pending-gw"
	o.pushChart("hooked", "boom: a hook chart as the gateway", func(s string) string {
		return strings.Replace(s, "      gateway:\n        enabled: false\n", `      gateway:
        enabled: true
        chart: {repository: charts/hooked, name: hooked, version: 0.1.0}
        namespace: `+ns+`
        values: {slowHook: true}
`, 1)
	})

	// The whole process group is killed, as when the machine running the up dies: no engine or
	// provider survives to finish (or roll back) the install.
	cmd := o.command(nil, "up")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if s := releaseStatuses(t, ns, "gateway"); len(s) == 1 && s[0] == "pending-install" {
			break
		}
		if time.Now().After(deadline) {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			_ = cmd.Wait()
			t.Fatalf("the release never became pending-install:\n%s", stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Helm records the pending release before it creates the hook; the kill must come while it
	// waits for the hook Job.
	for {
		code, _ := kube(t, "/apis/batch/v1/namespaces/"+ns+"/jobs/gateway-init")
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			_ = cmd.Wait()
			t.Fatalf("Helm never created the hook Job it would wait for: HTTP %d\n%s", code, stderr.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	t.Logf("killed orbctl and its children:\n%s", stderr.String())
	if s := releaseStatuses(t, ns, "gateway"); len(s) != 1 || s[0] != "pending-install" {
		t.Fatalf("after the kill the release is %v", s)
	}

	// The user turns the hook off (it can never complete here); the release is still pending.
	o.pushSpec("boom: no slow hook", func(s string) string { return strings.Replace(s, "{slowHook: true}", "{slowHook: false}", 1) })
	r := o.run("up")
	if r.code != 0 {
		t.Fatalf("the up after the kill failed:\n%s", r)
	}
	if !strings.Contains(r.stderr, "was left pending-install (revision 1) by an interrupted run") {
		t.Errorf("the up does not say it recovered the release:\n%s", r.stderr)
	}
	if s := releaseStatuses(t, ns, "gateway"); len(s) != 1 || s[0] != "deployed" {
		t.Fatalf("the release after recovery: %v", s)
	}
	if code, _ := kube(t, "/api/v1/namespaces/"+ns+"/configmaps/gateway-installed"); code != http.StatusOK {
		t.Fatalf("the release's ConfigMap: HTTP %d", code)
	}
	st := o.remoteFile("status/pending.yaml")
	if !strings.Contains(st, "name: gateway") || !strings.Contains(st, "release: deployed") || !strings.Contains(st, "chart: hooked") {
		t.Errorf("status/pending.yaml does not report the release:\n%s", st)
	}
	o.mustRun("destroy", "--yes")
}
