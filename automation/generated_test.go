package automation

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/orbos/orbos/automation/orbconfig"
	"github.com/orbos/orbos/automation/stackconfig"
	"github.com/orbos/orbos/internal/gittest"
	"github.com/orbos/orbos/stacks"
)

// remoteWith is a remote whose desired state is spec (its encryption salt filled in for a new
// passphrase).
func remoteWith(t *testing.T, orb, spec string) *orbconfig.Config {
	t.Helper()
	pass, err := orbconfig.GeneratePassphrase()
	if err != nil {
		t.Fatal(err)
	}
	salt, err := stackconfig.NewEncryptionSalt(pass)
	if err != nil {
		t.Fatal(err)
	}
	c, err := stackconfig.NewCrypter(pass, salt)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig, err := c.EncryptValue(context.Background(), "apiVersion: v1\nkind: Config\n")
	if err != nil {
		t.Fatal(err)
	}
	spec = strings.NewReplacer("SALT", salt, "KUBECONFIG", kubeconfig).Replace(spec)
	remote := gittest.BareRemote(t, map[string]string{stacks.StackFileName(orb): spec})
	return &orbconfig.Config{Orb: orb, Repository: remote, Branch: "main", Passphrase: pass}
}

// zitadelSpec is a starter spec with BOOM's gateway and Zitadel on.
func zitadelSpec(orb string) string {
	s := string(stacks.Starter(stacks.StarterOptions{Orb: orb, EncryptionSalt: "SALT", KubeconfigCiphertext: "KUBECONFIG"}))
	s = strings.Replace(s, "      gateway:\n        enabled: false\n", "      gateway:\n        enabled: true\n", 1)
	return strings.Replace(s, "  # Kubeconfig of the cluster", "  orbos:zitadel:\n    apiVersion: orbos.io/v1alpha1\n    enabled: true\n"+
		"    externalDomain: id.example.com\n  # Kubeconfig of the cluster", 1)
}

// generated is what an ensure step leaves: the desired state's raw file, the decrypted value,
// the log's newest commit and the number of commits.
type generated struct {
	file, value, message string
	commits              int
}

func generatedState(t *testing.T, o *Orb, key string) generated {
	t.Helper()
	f, raw, err := o.StackFile()
	if err != nil {
		t.Fatal(err)
	}
	c, err := o.crypter(f)
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.Get(key, c)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Secret {
		t.Errorf("%s is not stored encrypted", key)
	}
	log, err := o.Repo().Log(0)
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := o.Repo().Changed(); err != nil || len(changed) > 0 {
		t.Errorf("left uncommitted: %v %v", changed, err)
	}
	return generated{file: string(raw), value: v.Value, message: log[0].Message, commits: len(log)}
}

// The masterkey of an ORB with Zitadel: 32 characters of crypto/rand (letters and digits),
// generated once, committed on its own and encrypted (the file, the commit message and its
// trailers never hold it), never regenerated, and different for another ORB.
func TestZitadelMasterkeyIsGeneratedOnce(t *testing.T) {
	keys := map[string]string{}
	for _, orb := range []string{"one", "two"} {
		o := openORB(t, remoteWith(t, orb, zitadelSpec(orb)))
		spec, err := o.loadSpec()
		if err != nil {
			t.Fatal(err)
		}
		if spec, err = o.ensureZitadelMasterkey(spec); err != nil {
			t.Fatal(err)
		}
		if !spec.File.Config.ZitadelMasterkey.IsSet() {
			t.Fatalf("%s: the reloaded spec has no masterkey", orb)
		}
		g := generatedState(t, o, stacks.KeyZitadelMasterkey)
		if !regexp.MustCompile(`^[A-Za-z0-9]{32}$`).MatchString(g.value) {
			t.Errorf("%s: masterkey of %d characters, not 32 letters and digits", orb, len(g.value))
		}
		if strings.Contains(g.file, g.value) || strings.Contains(g.message, g.value) {
			t.Errorf("%s: the masterkey is in plaintext in the file or the commit message", orb)
		}
		if !strings.Contains(g.message, "generate Zitadel's masterkey") || !strings.Contains(g.message, stacks.KeyZitadelMasterkey) {
			t.Errorf("%s: commit message %q", orb, g.message)
		}
		if other, ok := keys[g.value]; ok {
			t.Errorf("%s has the masterkey of %s", orb, other)
		}
		keys[g.value] = orb
		// Never regenerated: a second run keeps the key and commits nothing.
		if _, err := o.ensureZitadelMasterkey(spec); err != nil {
			t.Fatal(err)
		}
		if again := generatedState(t, o, stacks.KeyZitadelMasterkey); again.value != g.value || again.commits != g.commits {
			t.Errorf("%s: the masterkey changed or a commit was added (%d -> %d)", orb, g.commits, again.commits)
		}
	}
	// Without Zitadel no masterkey is made.
	o := openORB(t, starterRemote(t))
	spec, err := o.loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	before, _ := o.Repo().Log(0)
	if spec, err = o.ensureZitadelMasterkey(spec); err != nil || spec.File.Config.ZitadelMasterkey.IsSet() {
		t.Fatalf("without Zitadel: %v", err)
	}
	if after, _ := o.Repo().Log(0); len(after) != len(before) {
		t.Error("a commit without Zitadel")
	}
}

// The SSH key of an ORB that logs in to machines (here GCE): a private key generated once,
// committed encrypted on its own, never regenerated, different for another ORB.
func TestSSHKeyIsGeneratedOnce(t *testing.T) {
	raw, err := os.ReadFile("../examples/gce/Pulumi.gce-demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	gce := regexp.MustCompile(`(?m)^encryptionsalt: .*$`).ReplaceAllString(string(raw), "encryptionsalt: SALT")
	keys := map[string]string{}
	for _, orb := range []string{"one", "two"} {
		o := openORB(t, remoteWith(t, orb, gce))
		spec, err := o.loadSpec()
		if err != nil {
			t.Fatal(err)
		}
		if spec, err = o.ensureSSHKey(spec); err != nil {
			t.Fatal(err)
		}
		if !spec.File.Config.SSHKey.IsSet() {
			t.Fatalf("%s: the reloaded spec has no SSH key", orb)
		}
		g := generatedState(t, o, stacks.KeySSHKey)
		if !strings.Contains(g.value, "PRIVATE KEY") {
			t.Errorf("%s: not a private key", orb)
		}
		if strings.Contains(g.file, "PRIVATE KEY") || strings.Contains(g.message, "PRIVATE KEY") {
			t.Errorf("%s: the SSH key is in plaintext in the file or the commit message", orb)
		}
		if !strings.Contains(g.message, "generate the ORB's SSH key") {
			t.Errorf("%s: commit message %q", orb, g.message)
		}
		if other, ok := keys[g.value]; ok {
			t.Errorf("%s has the SSH key of %s", orb, other)
		}
		keys[g.value] = orb
		if _, err := o.ensureSSHKey(spec); err != nil {
			t.Fatal(err)
		}
		if again := generatedState(t, o, stacks.KeySSHKey); again.value != g.value || again.commits != g.commits {
			t.Errorf("%s: the SSH key changed or a commit was added", orb)
		}
	}
}
