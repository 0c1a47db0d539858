package e2e

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/internal/redact"
)

// leakCheck collects everything orbctl printed in a test, with the files its engine and provider
// wrote to their temporary directory (logs), to search them for secrets at the end.
type leakCheck struct {
	t      *testing.T
	o      *orb
	tmp    string
	output strings.Builder
}

func (l *leakCheck) run(args ...string) result {
	l.t.Helper()
	r := l.o.runEnv([]string{"TMPDIR=" + l.tmp}, args...)
	fmt.Fprintf(&l.output, "$ orbctl %s\n%s\n%s\n", strings.Join(args, " "), r.stdout, r.stderr)
	return r
}

func (l *leakCheck) mustRun(args ...string) result {
	l.t.Helper()
	r := l.run(args...)
	if r.code != 0 {
		l.t.Fatalf("orbctl %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// gitObjects is every object of a repository's store (every blob of every commit, the commits'
// messages, the lock ref's, unreachable ones too), decompressed.
func gitObjects(t *testing.T, dir string) string {
	t.Helper()
	cmd := exec.Command("git", "cat-file", "--batch-all-objects", "--batch", "--unordered")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("reading the objects of %s: %v", dir, err)
	}
	return string(out)
}

// tmpFiles is the content of every file under dir.
func tmpFiles(t *testing.T, dir string) string {
	var b strings.Builder
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if raw, err := os.ReadFile(path); err == nil {
				b.Write(raw)
			}
		}
		return nil
	})
	return b.String()
}

// kubeconfigSecrets are a kubeconfig and the credentials in it, decoded ones too.
func kubeconfigSecrets(t *testing.T, kc string) []string {
	t.Helper()
	var f struct {
		Users []struct {
			User struct {
				Token   string `yaml:"token"`
				KeyData string `yaml:"client-key-data"`
			} `yaml:"user"`
		} `yaml:"users"`
	}
	if err := yaml.Unmarshal([]byte(kc), &f); err != nil || len(f.Users) == 0 {
		t.Fatalf("not a kubeconfig (%v):\n%s", err, kc)
	}
	out := []string{kc}
	for _, u := range f.Users {
		out = append(out, u.User.Token, u.User.KeyData)
		if key, err := base64.StdEncoding.DecodeString(u.User.KeyData); err == nil && len(key) > 0 {
			out = append(out, string(key))
		}
	}
	return out
}

func passphraseOf(t *testing.T, orbconfig string) string {
	t.Helper()
	raw, err := os.ReadFile(orbconfig)
	if err != nil {
		t.Fatal(err)
	}
	var c struct{ Passphrase string }
	if err := yaml.Unmarshal(raw, &c); err != nil || c.Passphrase == "" {
		t.Fatalf("orbconfig: %v", err)
	}
	return c.Passphrase
}

// An ORB with every kind of secret — the passphrase (old and rotated), the ORB's SSH key, the
// kubeconfig of an existing cluster and the admin kubeconfig orbos made (their tokens and keys), the
// VRRP password, join tokens and certificate keys, the state's secret file contents — goes through
// up, a failure that quotes secrets, refresh, status, history, node exec and a passphrase rotation.
// Not one of them, raw, JSON-escaped, base64 or a line of it, is in anything orbctl printed, in a
// file its engine or provider wrote, in the status, or in any object of the repository's history.
func TestSecretsNeverLeak(t *testing.T) {
	k := newKubeadmORB(t, "secrets", 1)
	l := &leakCheck{t: t, o: k.orb, tmp: t.TempDir()}
	apiserverKubeconfig, err := os.ReadFile(apiserver.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	oldPassphrase := passphraseOf(t, k.orbconfig)

	l.mustRun("up")
	l.mustRun("preview", "--expect-no-changes")
	// A failing command whose stderr quotes the ORB's SSH key and the VRRP password: the error names
	// the machine and the failure, never the secrets.
	vrrp := regexp.MustCompile(`auth_pass (\S+)`).FindStringSubmatch(k.hosts["lb-1"].File("/etc/keepalived/keepalived.conf"))
	if len(vrrp) != 2 {
		t.Fatalf("no VRRP password in keepalived.conf:\n%s", k.hosts["lb-1"].File("/etc/keepalived/keepalived.conf"))
	}
	keyLine := strings.Split(k.key, "\n")[1]
	k.exec("w-1", fmt.Sprintf("printf 'E: locked by %s\\nkey %s\\n' > /etc/orbos-test/fail-apt-get", vrrp[1], keyLine))
	k.exec("w-1", "echo v1.31.3 > /var/lib/orbos-recorder/kubelet")
	l.mustRun("refresh")
	if r := l.run("up"); r.code == 0 || !strings.Contains(r.stderr, "machine w-1") || !strings.Contains(r.stderr, "E: locked by") {
		t.Fatalf("the failing up:\n%s", r)
	}
	k.exec("w-1", "rm /etc/orbos-test/fail-apt-get")
	l.mustRun("up")
	l.mustRun("status")
	l.mustRun("status", "-o", "json")
	l.mustRun("history")
	l.mustRun("secrets", "list")
	l.mustRun("config", "get", "orbos:sshKey")
	l.mustRun("node", "exec", "w-1", "--", "true")
	kubeconfigFile := filepath.Join(t.TempDir(), "admin.conf")
	l.mustRun("kubeconfig", "--file", kubeconfigFile)
	admin, err := os.ReadFile(kubeconfigFile)
	if err != nil {
		t.Fatal(err)
	}

	// Rotate the passphrase: every secret re-encrypted, the orbconfig rewritten (0600), and the ORB
	// works with the new one only.
	r := l.mustRun("secrets", "rotate")
	newPassphrase := passphraseOf(t, k.orbconfig)
	if newPassphrase == oldPassphrase || !strings.Contains(r.stdout, "re-encrypted") {
		t.Fatalf("rotate:\n%s", r)
	}
	if fi, err := os.Stat(k.orbconfig); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the rotated orbconfig: %v %v", fi, err)
	}
	// (Asked to show it, orbctl prints the key: that output is not searched.)
	if got := strings.TrimSpace(k.mustRun("config", "get", "orbos:sshKey", "--show-secrets").stdout); got != strings.TrimSpace(k.key) {
		t.Fatal("the SSH key does not decrypt to itself under the new passphrase")
	}
	l.mustRun("preview", "--expect-no-changes")
	l.mustRun("up")
	// A checkout holding the old passphrase opens nothing any more.
	stale := k.withCheckout(filepath.Join(t.TempDir(), "stale"))
	staleConfig := filepath.Join(t.TempDir(), "orbconfig")
	old, _ := os.ReadFile(k.orbconfig)
	if err := os.WriteFile(staleConfig, bytes.Replace(old, []byte(newPassphrase), []byte(oldPassphrase), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := stale.runEnv([]string{"ORBOS_CONFIG=" + staleConfig, "TMPDIR=" + l.tmp}, "config", "get", "orbos:sshKey", "--show-secrets"); r.code == 0 {
		t.Fatalf("the old passphrase still opens the ORB:\n%s", r)
	} else {
		fmt.Fprintf(&l.output, "%s\n%s\n", r.stdout, r.stderr)
	}

	secrets := map[string][]string{
		"the old passphrase":                {oldPassphrase},
		"the new passphrase":                {newPassphrase},
		"the ORB's SSH key":                 {k.key},
		"the VRRP password":                 {vrrp[1]},
		"the existing cluster's kubeconfig": kubeconfigSecrets(t, string(apiserverKubeconfig)),
		"the admin kubeconfig":              kubeconfigSecrets(t, string(admin)),
	}
	// The first control plane hands out a token per join and a certificate key per control plane.
	issued := strings.Fields(k.hosts["cp-1"].File("/var/lib/orbos-recorder/issued"))
	if len(issued) < 5 {
		t.Fatalf("the first control plane issued %d join secrets: %q", len(issued), issued)
	}
	secrets["join tokens and certificate keys"] = issued
	places := map[string]string{
		"orbctl's output": l.output.String(),
		"the engine's and provider's temporary files": tmpFiles(t, l.tmp),
		"the remote's objects":                        gitObjects(t, k.remote),
		"the checkout's objects":                      gitObjects(t, filepath.Join(k.checkout, ".git")),
		"the status file":                             k.remoteFile("status/secrets.yaml"),
	}
	if !strings.Contains(places["the remote's objects"], "orbos secrets secrets: rotate the passphrase") {
		t.Fatal("the search does not see the commits")
	}
	for what, values := range secrets {
		for _, v := range values {
			for _, form := range redact.Forms(v) {
				for where, text := range places {
					if strings.Contains(text, form) {
						t.Errorf("%s (%.12q...) is in %s", what, form, where)
					}
				}
			}
		}
	}
}
