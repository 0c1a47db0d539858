package stackconfig

import (
	"strings"
	"testing"
)

// Rekey re-encrypts every secret under the new passphrase and records its salt; plain values and
// comments stay, and the old passphrase opens nothing any more.
func TestRekey(t *testing.T) {
	oldSalt, _ := NewEncryptionSalt("old passphrase")
	from, err := NewCrypter("old passphrase", oldSalt)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse([]byte("encryptionsalt: " + oldSalt + "\nconfig:\n  # the key\n  orbos:sshKey: x\n  orbos:orbiter:\n    apiVersion: v1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Set("orbos:sshKey", "PRIVATE KEY", true, from); err != nil {
		t.Fatal(err)
	}
	if err := f.Set("orbos:orbiter.token", "tok", true, from); err != nil {
		t.Fatal(err)
	}
	newSalt, _ := NewEncryptionSalt("new passphrase")
	to, _ := NewCrypter("new passphrase", newSalt)
	n, err := f.Rekey(from, to, newSalt)
	if err != nil || n != 2 {
		t.Fatalf("rekeyed %d: %v", n, err)
	}
	raw, _ := f.Bytes()
	g, _ := Parse(raw)
	if g.EncryptionSalt() != newSalt || !strings.Contains(string(raw), "# the key") || !strings.Contains(string(raw), "apiVersion: v1") {
		t.Fatalf("rekeyed file:\n%s", raw)
	}
	if _, err := NewCrypter("old passphrase", g.EncryptionSalt()); err == nil {
		t.Fatal("the old passphrase opens the rekeyed file")
	}
	c, err := NewCrypter("new passphrase", g.EncryptionSalt())
	if err != nil {
		t.Fatal(err)
	}
	if v, err := g.Get("orbos:orbiter.token", c); err != nil || v.Value != "tok" {
		t.Fatalf("token %+v %v", v, err)
	}
	if v, err := g.Get("orbos:sshKey", c); err != nil || v.Value != "PRIVATE KEY" {
		t.Fatalf("ssh key %+v %v", v, err)
	}
}
