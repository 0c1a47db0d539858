package automation

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbos/orbos/automation/orbconfig"
	"github.com/orbos/orbos/automation/stackconfig"
	"github.com/orbos/orbos/components/networking"
	"github.com/orbos/orbos/internal/gittest"
	"github.com/orbos/orbos/stacks"
)

// An ORB whose spec asks for the origin certificate gets its key once: RSA 2048, encrypted in the
// desired state, in a commit of its own whose message does not hold it, known to the redactor; a
// second run keeps it.
func TestOriginKeyIsGeneratedOnce(t *testing.T) {
	ctx := context.Background()
	const pass = "origin-key-test-passphrase"
	salt, err := stackconfig.NewEncryptionSalt(pass)
	if err != nil {
		t.Fatal(err)
	}
	c, err := stackconfig.NewCrypter(pass, salt)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(v string) string {
		s, err := c.EncryptValue(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	file := `encryptionsalt: ` + salt + `
config:
  orbos:orbiter:
    apiVersion: orbos.io/v1alpha1
    kubernetes: {version: v1.31.4}
  orbos:boom:
    apiVersion: orbos.io/v1alpha1
    tools:
      gateway: {enabled: true}
  orbos:networking:
    apiVersion: orbos.io/v1alpha1
    zoneId: 023e105f4ecef8ad9ca31a8372d0c353
    domain: example.com
    apiTokenSecret: cloudflare-token
    ingressAddress: 203.0.113.10
    originCertificate: {enabled: true}
  orbos:secrets:
    cloudflare-token: {secure: ` + enc("cf-token-for-the-key-test") + `}
  orbos:kubeconfig: {secure: ` + enc("apiVersion: v1\nkind: Config\n") + `}
`
	remote := gittest.BareRemote(t, map[string]string{stacks.StackFileName("cf"): file})
	o, err := Open(ctx, Options{Config: &orbconfig.Config{Orb: "cf", Repository: remote, Passphrase: pass}, Checkout: filepath.Join(t.TempDir(), "checkout")})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	spec, err := o.loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	spec, err = o.ensureOriginKey(spec)
	if err != nil {
		t.Fatal(err)
	}
	if !spec.File.Config.OriginKey.IsSet() || spec.File.Config.OriginKey.Plaintext {
		t.Fatalf("the key is not in the desired state: %+v", spec.File.Config.OriginKey)
	}
	f, raw, err := o.StackFile()
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.Get(stacks.KeyOriginKey, c)
	if err != nil {
		t.Fatal(err)
	}
	k, err := networking.ParseKey(v.Value)
	if err != nil || k.N.BitLen() != 2048 {
		t.Fatalf("the stored key: %v", err)
	}
	keyLine := strings.Split(v.Value, "\n")[1]
	if strings.Contains(string(raw), "PRIVATE KEY") || strings.Contains(string(raw), keyLine) {
		t.Error("the key is in plaintext in the desired state")
	}
	log, err := o.Repo().Log(2)
	if err != nil || len(log) < 2 {
		t.Fatalf("log: %v %v", log, err)
	}
	if msg := log[0].Message; !strings.Contains(msg, "generate the origin certificate's key") || !strings.Contains(msg, stacks.KeyOriginKey) || strings.Contains(msg, keyLine) {
		t.Errorf("the commit: %q", msg)
	}
	if got := o.Redact("leaked " + keyLine); strings.Contains(got, keyLine) {
		t.Error("the redactor does not know the key")
	}
	head, _ := o.Repo().Head()
	if _, err := o.ensureOriginKey(spec); err != nil {
		t.Fatal(err)
	}
	if again, _ := o.Repo().Head(); again != head {
		t.Error("a second run made another key")
	}
	if after, _ := os.ReadFile(o.stackFilePath()); string(after) != string(raw) {
		t.Error("a second run changed the desired state")
	}
}
