package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbos/orbos/internal/gittest"
)

// A spec with wrong fields: every one named by its path, a non-zero exit, nothing applied.
func TestInvalidSpecIsRefusedWithEveryPath(t *testing.T) {
	o := newORB(t, "invalid")
	user := filepath.Join(t.TempDir(), "user")
	gittest.Git(t, filepath.Dir(user), "clone", "-q", o.remote, user)
	f := filepath.Join(user, "Pulumi.invalid.yaml")
	raw, _ := os.ReadFile(f)
	s := strings.Replace(string(raw), "version: v1.31.4", "version: 1.31\n      replicas: 3", 1)
	s = strings.Replace(s, "chart: {version: 88.5.3}", "chart: {version: latest}", 1)
	s = strings.Replace(s, "apiVersion: orbos.io/v1alpha1", "apiVersion: orbos.io/v9", 1)
	if err := os.WriteFile(f, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, user, "commit", "-qam", "break the spec")
	gittest.Git(t, user, "push", "-q", "origin", "main")
	head := o.remoteHead()

	for _, op := range [][]string{{"preview"}, {"up"}} {
		r := o.run(op...)
		if r.code != 2 {
			t.Fatalf("%v of an invalid spec:\n%s", op, r)
		}
		for _, want := range []string{
			"config.orbos:orbiter.apiVersion", "config.orbos:orbiter.kubernetes.version",
			"config.orbos:orbiter.kubernetes.replicas", "unknown field", "config.orbos:boom.tools.metrics.chart.version",
		} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%v: the error does not name %s:\n%s", op, want, r.stderr)
			}
		}
	}
	if code, _ := kube(t, "/api/v1/namespaces/"+o.namespace()); code != 404 {
		t.Fatalf("an invalid spec was applied: namespace answers HTTP %d", code)
	}
	if o.remoteHead() != head {
		t.Fatal("a refused run committed")
	}
	if st := o.mustRun("status"); !lockFree.MatchString(st.stdout) {
		t.Fatalf("the lock was not released:\n%s", st)
	}
}

// After a full run, no file of any commit of the ORB repository holds a secret in plaintext.
func TestNoSecretInAnyCommit(t *testing.T) {
	o := newORB(t, "secrets")
	const planted = "planted-secret-9f8e7d6c5b4a"
	cmd := o.command(nil, "config", "set", "--secret", "orbos:boom.tools.ingress.enabled")
	cmd.Stdin = strings.NewReader(planted)
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("a secret where the spec wants a boolean was accepted:\n%s", out)
	}
	kc, err := os.ReadFile(apiserver.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	plantedKC := filepath.Join(o.dir, "kubeconfig")
	if err := os.WriteFile(plantedKC, append(kc, "# "+planted+"\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd = o.command(nil, "config", "set", "--secret", "orbos:kubeconfig", "--from-file", plantedKC)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("config set --secret: %v\n%s", err, out)
	}
	o.mustRun("up")
	o.mustRun("refresh")
	o.mustRun("destroy", "--yes")

	cfg, _ := os.ReadFile(o.orbconfig)
	var passphrase string
	for _, line := range strings.Split(string(cfg), "\n") {
		if v, ok := strings.CutPrefix(line, "passphrase: "); ok {
			passphrase = strings.TrimSpace(v)
		}
	}
	if passphrase == "" {
		t.Fatal("no passphrase in the orbconfig")
	}
	secrets := map[string]string{"passphrase": passphrase, "API token": apiserver.Token, "planted": planted}
	objects := gittest.Git(t, o.remote, "rev-list", "--all", "--objects")
	blobs := 0
	for _, line := range strings.Split(strings.TrimSpace(objects), "\n") {
		id, path, _ := strings.Cut(line, " ")
		typ := strings.TrimSpace(gittest.Git(t, o.remote, "cat-file", "-t", id))
		if typ != "blob" && typ != "commit" {
			continue
		}
		blobs++
		out, err := exec.Command("git", "-C", o.remote, "cat-file", typ, id).Output()
		if err != nil {
			t.Fatal(err)
		}
		for name, s := range secrets {
			if strings.Contains(string(out), s) {
				t.Errorf("the %s is in plaintext in %s %s (%s)", name, typ, id, path)
			}
		}
	}
	if blobs < 10 {
		t.Fatalf("scanned only %d objects", blobs)
	}
	t.Logf("scanned %d blobs and commits", blobs)
}
