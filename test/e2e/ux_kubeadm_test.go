package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
)

// The admin kubeconfig of a cluster orbos made comes out named after the ORB: printed, merged into
// a kubeconfig beside another cluster's entries, and into kubectl's default file; files are 0600.
// node reboot --apply requests and carries out a reboot in one go; --wait returns once another run
// (as the reconciler's would) has carried it out.
func TestKubeconfigAndNodeRequestsCarriedOut(t *testing.T) {
	k := newKubeadmORB(t, "carry", 1)
	k.mustRun("up")

	printed := k.mustRun("kubeconfig").stdout
	cfg, err := clientcmd.Load([]byte(printed))
	if err != nil {
		t.Fatalf("kubeconfig printed no kubeconfig: %v\n%s", err, printed)
	}
	ctx := cfg.Contexts["carry"]
	if cfg.CurrentContext != "carry" || ctx == nil || ctx.Cluster != "carry" || ctx.AuthInfo != "carry-admin" ||
		cfg.Clusters["carry"] == nil || cfg.Clusters["carry"].Server != "https://127.0.1.100:6443" ||
		cfg.AuthInfos["carry-admin"] == nil || len(cfg.AuthInfos["carry-admin"].ClientKeyData) == 0 {
		t.Fatalf("the printed kubeconfig is not named after the ORB:\n%s", printed)
	}
	if y := k.mustRun("kubeconfig", "-o", "yaml").stdout; y != printed {
		t.Errorf("kubeconfig -o yaml differs from the text:\n%s", y)
	}
	var asJSON map[string]any
	if err := json.Unmarshal([]byte(k.mustRun("kubeconfig", "-o", "json").stdout), &asJSON); err != nil || asJSON["current-context"] != "carry" {
		t.Errorf("kubeconfig -o json: %v %v", asJSON["current-context"], err)
	}

	dir := t.TempDir()
	theirs := filepath.Join(dir, "config")
	if err := os.WriteFile(theirs, []byte("apiVersion: v1\nkind: Config\nclusters:\n- name: dev\n  cluster: {server: https://dev.local:6443}\n"+
		"users:\n- name: dev\n  user: {token: dev}\ncontexts:\n- name: dev\n  context: {cluster: dev, user: dev}\ncurrent-context: dev\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := k.mustRun("kubeconfig", "--merge", theirs); !strings.Contains(r.stdout, "as the context carry") {
		t.Fatalf("kubeconfig --merge:\n%s", r)
	}
	merged, err := clientcmd.LoadFromFile(theirs)
	if err != nil || merged.CurrentContext != "carry" || merged.Contexts["dev"] == nil || merged.Contexts["carry"] == nil {
		t.Fatalf("merged kubeconfig: %v %+v", err, merged)
	}
	kubectls := filepath.Join(dir, "kube", "config")
	if r := k.runEnv([]string{"KUBECONFIG=" + kubectls}, "kubeconfig", "--merge", "-o", "json"); r.code != 0 || !strings.Contains(r.stdout, kubectls) {
		t.Fatalf("kubeconfig --merge into $KUBECONFIG:\n%s", r)
	}
	for _, f := range []string{theirs, kubectls} {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want mode 0600", f, fi, err)
		}
	}
	if r := k.run("kubeconfig", "--merge", theirs, "--file", theirs); r.code != 2 {
		t.Errorf("--merge with --file:\n%s", r)
	}

	// node reboot --apply: requested and carried out by one command.
	bootID := k.exec("w-1", "cat /proc/sys/kernel/random/boot_id")
	before := len(k.calls("", ""))
	r := k.mustRun("node", "reboot", "w-1", "--apply")
	if !strings.Contains(r.stdout, "requested reboot of w-1") || !strings.Contains(r.stdout, "up of carry succeeded") {
		t.Fatalf("node reboot --apply:\n%s", r)
	}
	k.assertRebooted("w-1", bootID, before)

	// node reboot --wait: another checkout's up carries it out, as the reconciler's would.
	bootID = k.exec("w-1", "cat /proc/sys/kernel/random/boot_id")
	before = len(k.calls("", ""))
	var stdout bytes.Buffer
	waiter := k.startUntilWith(&stdout, "waiting (up to", "node", "reboot", "w-1", "--wait", "-o", "json")
	k.withCheckout(filepath.Join(t.TempDir(), "reconciler")).mustRun("up")
	if err := waiter.wait(); err != nil {
		t.Fatalf("node reboot --wait: %v\n%s", err, waiter.stderr())
	}
	var res struct {
		Commit string `json:"commit"`
		Ran    *struct {
			Operation string `json:"operation"`
			Outcome   string `json:"outcome"`
		} `json:"ran"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil || res.Ran == nil || res.Ran.Operation != "up" || res.Ran.Outcome != "succeeded" {
		t.Fatalf("node reboot --wait -o json: %v\n%s", err, stdout.String())
	}
	k.assertRebooted("w-1", bootID, before)
}

func (k *kubeadmORB) assertRebooted(host, bootID string, since int) {
	k.t.Helper()
	log := k.calls("", "")[since:]
	drain, rb, unc := first(log, "cp-1", "kubectl", "drain "+host), first(log, host, "systemctl", "reboot"), first(log, "cp-1", "kubectl", "uncordon "+host)
	if drain < 0 || rb < drain || unc < rb {
		k.t.Fatalf("reboot of %s: drain %d, reboot %d, uncordon %d\n%v", host, drain, rb, unc, log)
	}
	if k.exec(host, "cat /proc/sys/kernel/random/boot_id") == bootID {
		k.t.Fatalf("%s did not reboot", host)
	}
}

// startUntilWith is startUntil with orbctl's stdout written to stdout.
func (o *orb) startUntilWith(stdout *bytes.Buffer, marker string, args ...string) *background {
	o.t.Helper()
	cmd := o.command(nil, args...)
	cmd.Stdout = stdout
	b := &background{cmd: cmd, done: make(chan error, 1)}
	found := make(chan struct{})
	cmd.Stderr = &markerWriter{b: b, marker: marker, found: found}
	if err := cmd.Start(); err != nil {
		o.t.Fatal(err)
	}
	go func() { b.done <- cmd.Wait() }()
	select {
	case <-found:
	case err := <-b.done:
		o.t.Fatalf("orbctl %v ended (%v) before it printed %q:\n%s", args, err, marker, b.stderr())
	}
	return b
}

// markerWriter collects a background orbctl's stderr and closes found once marker appears.
type markerWriter struct {
	b      *background
	marker string
	found  chan struct{}
}

func (w *markerWriter) Write(p []byte) (int, error) {
	w.b.mu.Lock()
	defer w.b.mu.Unlock()
	w.b.seen.Write(p)
	if w.found != nil && strings.Contains(w.b.seen.String(), w.marker) {
		close(w.found)
		w.found = nil
	}
	return len(p), nil
}
