package kubeconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/orbos/orbos/internal/golden"
)

// admin is a kubeadm admin kubeconfig, as the ORB's state holds it.
const admin = `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: Q0EK
    server: https://10.0.0.10:6443
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: kubernetes-admin
  name: kubernetes-admin@kubernetes
current-context: kubernetes-admin@kubernetes
users:
- name: kubernetes-admin
  user:
    client-certificate-data: Q0VSVAo=
    client-key-data: S0VZCg==
`

// theirs is a user's kubeconfig with another cluster, which a merge must keep.
const theirs = `apiVersion: v1
kind: Config
clusters:
- cluster:
    server: https://kind.local:6443
  name: kind-dev
contexts:
- context:
    cluster: kind-dev
    user: kind-dev
    namespace: apps
  name: kind-dev
current-context: kind-dev
users:
- name: kind-dev
  user:
    token: dev-token
`

func named(t *testing.T) []byte {
	t.Helper()
	cfg, err := Named([]byte(admin), "prod")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := Bytes(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestNamedAfterTheORB(t *testing.T) {
	golden.Assert(t, "named", string(named(t)))
	if _, err := Named([]byte("apiVersion: v1\nkind: Config\n"), "prod"); err == nil || !strings.Contains(err.Error(), "no current context") {
		t.Errorf("a kubeconfig without contexts: %v", err)
	}
}

func TestMergeKeepsOtherEntriesAndIsPrivate(t *testing.T) {
	file := filepath.Join(t.TempDir(), ".kube", "config")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	// A kubeconfig others can read becomes one they cannot.
	if err := os.WriteFile(file, []byte(theirs), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Named([]byte(admin), "prod")
	if err != nil {
		t.Fatal(err)
	}
	if err := Merge(file, cfg); err != nil {
		t.Fatal(err)
	}
	// Merging again replaces the ORB's entries instead of adding more.
	if err := Merge(file, cfg); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "merged", string(raw))
	assertPrivate(t, file)
	if _, err := os.Stat(file + ".lock"); !os.IsNotExist(err) {
		t.Errorf("the lock file stayed: %v", err)
	}
	// kubectl's own loader resolves both contexts.
	for ctx, want := range map[string]string{"prod": "https://10.0.0.10:6443", "kind-dev": "https://kind.local:6443"} {
		rest, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
			&clientcmd.ClientConfigLoadingRules{ExplicitPath: file}, &clientcmd.ConfigOverrides{CurrentContext: ctx}).ClientConfig()
		if err != nil {
			t.Fatalf("context %s: %v", ctx, err)
		}
		if rest.Host != want {
			t.Errorf("context %s: server %s, want %s", ctx, rest.Host, want)
		}
	}
}

func TestMergeCreatesAPrivateFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "new", "config")
	cfg, err := Named([]byte(admin), "prod")
	if err != nil {
		t.Fatal(err)
	}
	if err := Merge(file, cfg); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != string(named(t)) {
		t.Errorf("a new file holds more than the ORB's entries:\n%s", raw)
	}
	assertPrivate(t, file)
	if fi, err := os.Stat(filepath.Dir(file)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("the directory made for it: %v %v", fi.Mode(), err)
	}
}

func TestMergeRefusedWhileKubectlsLockIsHeld(t *testing.T) {
	file := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(file, []byte(theirs), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file+".lock", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _ := Named([]byte(admin), "prod")
	err := Merge(file, cfg)
	if err == nil || !strings.Contains(err.Error(), "config.lock exists") {
		t.Fatalf("merged while kubectl's lock was held: %v", err)
	}
	if raw, _ := os.ReadFile(file); string(raw) != theirs {
		t.Errorf("the file changed:\n%s", raw)
	}
}

func TestMergeThroughALink(t *testing.T) {
	dir := t.TempDir()
	target, link := filepath.Join(dir, "dotfiles-config"), filepath.Join(dir, "config")
	if err := os.WriteFile(target, []byte(theirs), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	cfg, _ := Named([]byte(admin), "prod")
	if err := Merge(link, cfg); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", fi.Mode(), err)
	}
	if raw, _ := os.ReadFile(target); !strings.Contains(string(raw), "name: prod") {
		t.Errorf("the link's target lacks the ORB:\n%s", raw)
	}
}

func assertPrivate(t *testing.T, file string) {
	t.Helper()
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", file, fi.Mode().Perm())
	}
}
