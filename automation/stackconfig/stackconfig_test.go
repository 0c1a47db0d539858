package stackconfig

import (
	"errors"
	"strings"
	"testing"
)

const file = `# head comment stays
encryptionsalt: SALT
config:
  orbos:orbiter:
    kubernetes:
      # the version comment stays
      version: v1.31.4
`

func newFile(t *testing.T, passphrase string) *File {
	t.Helper()
	salt, err := NewEncryptionSalt(passphrase)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse([]byte(strings.Replace(file, "SALT", salt, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestSetKeepsCommentsAndEncryptsSecrets(t *testing.T) {
	f := newFile(t, "correct horse")
	c, err := NewCrypter("correct horse", f.EncryptionSalt())
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Set("orbos:orbiter.kubernetes.version", "v1.31.5", false, c); err != nil {
		t.Fatal(err)
	}
	if err := f.Set("orbos:kubeconfig", "top secret\nsecond line", true, c); err != nil {
		t.Fatal(err)
	}
	if err := f.Set("orbos:boom.tools.ingress.enabled", "true", false, c); err != nil {
		t.Fatal(err)
	}
	raw, err := f.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	out := string(raw)
	for _, want := range []string{"# head comment stays", "# the version comment stays", "version: v1.31.5", "enabled: true", "secure: v1:"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "top secret") {
		t.Fatalf("secret in plaintext:\n%s", out)
	}
	again, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	v, err := again.Get("orbos:kubeconfig", c)
	if err != nil || v.Value != "top secret\nsecond line" || !v.Secret {
		t.Fatalf("decrypted %+v, %v", v, err)
	}
	if v, _ := again.Get("orbos:kubeconfig", nil); v.Value != "[secret]" {
		t.Fatalf("without a crypter the value is %q", v.Value)
	}
	if got := again.Secrets(); len(got) != 1 || got[0] != "orbos:kubeconfig" {
		t.Fatalf("secrets %v", got)
	}
	all, err := again.DecryptAll(c)
	if err != nil || len(all) != 1 || all[0] != "top secret\nsecond line" {
		t.Fatalf("DecryptAll %v %v", all, err)
	}
}

func TestWrongPassphraseIsRecognised(t *testing.T) {
	f := newFile(t, "right")
	if _, err := NewCrypter("wrong", f.EncryptionSalt()); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("got %v", err)
	}
}

func TestBadKeys(t *testing.T) {
	f := newFile(t, "p")
	for _, key := range []string{"nonamespace", "orbos:orbiter..x", "orbos:orbiter.kubernetes.version.deeper"} {
		if err := f.Set(key, "v", false, nil); err == nil {
			t.Errorf("Set(%q) succeeded", key)
		}
	}
	if _, err := f.Get("orbos:missing", nil); err == nil {
		t.Error("Get of a missing key succeeded")
	}
}

// A list of scalars replaces the one there in its style, its comment kept; a new one is a flow list.
func TestSetList(t *testing.T) {
	f, err := Parse([]byte("config:\n  orbos:orbiter:\n    firewall:\n      # who may SSH\n      ssh:\n        - 10.0.0.0/8\n    zones: [a]\n"))
	if err != nil {
		t.Fatal(err)
	}
	for key, items := range map[string][]string{"orbos:orbiter.firewall.ssh": {"10.0.0.0/8", "192.0.2.0/24"}, "orbos:orbiter.zones": {"a", "b"},
		"orbos:orbiter.ports": {"80", "443"}, "orbos:orbiter.empty": nil} {
		if err := f.SetList(key, items); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := f.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	want := "config:\n  orbos:orbiter:\n    firewall:\n      # who may SSH\n      ssh:\n        - 10.0.0.0/8\n        - 192.0.2.0/24\n    zones: [a, b]\n    ports: [80, 443]\n    empty: []\n"
	// The map's order of calls does not matter for existing keys; the new ones are appended in call order.
	if !strings.HasPrefix(string(raw), "config:\n  orbos:orbiter:\n    firewall:\n      # who may SSH\n      ssh:\n        - 10.0.0.0/8\n        - 192.0.2.0/24\n    zones: [a, b]\n") ||
		!strings.Contains(string(raw), "    ports: [80, 443]\n") || !strings.Contains(string(raw), "    empty: []\n") {
		t.Fatalf("got\n%s\nwant (in some order)\n%s", raw, want)
	}
	if err := f.SetList("orbos:orbiter.zones", []string{"a\nb"}); err == nil {
		t.Fatal("a multi-line item was set")
	}
}
