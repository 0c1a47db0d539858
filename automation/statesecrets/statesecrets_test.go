package statesecrets

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"

	"github.com/orbos/orbos/automation/stackconfig"
)

func crypters(t *testing.T, passphrase string) Crypters {
	return func(salt string) (config.Crypter, error) { return stackconfig.NewCrypter(passphrase, salt) }
}

// A checkpoint's secrets come out as plaintext strings, and re-encrypted under another passphrase
// they open with it (and only with it), every other byte as it was.
func TestPlaintextsAndReencrypt(t *testing.T) {
	ctx := context.Background()
	salt, err := stackconfig.NewEncryptionSalt("old passphrase")
	if err != nil {
		t.Fatal(err)
	}
	c, err := stackconfig.NewCrypter("old passphrase", salt)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := c.EncryptValue(ctx, `"-----BEGIN KEY-----\nabc\n"`)
	obj, _ := c.EncryptValue(ctx, `{"content":"vrrp pass 12345678","mode":416}`)
	raw := `{"version": 3, "checkpoint": {"latest": {
    "secrets_providers": {"type": "passphrase", "state": {"salt": "` + salt + `"}},
    "resources": [{"urn": "u", "outputs": {"connection": {"privateKey": {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "` + key + `"}},
      "file": {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "` + obj + `"}, "path": "/etc/x"}}]}}}`
	d, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.Plaintexts(ctx, crypters(t, "old passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	joined := strings.Join(got, "|")
	if !strings.Contains(joined, "-----BEGIN KEY-----\nabc\n") || !strings.Contains(joined, "vrrp pass 12345678") || strings.Contains(joined, "/etc/x") {
		t.Fatalf("plaintexts %q", got)
	}
	if _, err := d.Plaintexts(ctx, crypters(t, "wrong")); err == nil {
		t.Fatal("a wrong passphrase opened the state")
	}

	newSalt, _ := stackconfig.NewEncryptionSalt("new passphrase")
	to, _ := stackconfig.NewCrypter("new passphrase", newSalt)
	out, err := d.Reencrypt(ctx, crypters(t, "old passphrase"), to, newSalt)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), key) || strings.Contains(string(out), salt) || !strings.Contains(string(out), `"path": "/etc/x"}}]}}}`) {
		t.Fatalf("re-encrypted:\n%s", out)
	}
	d2, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d2.Plaintexts(ctx, crypters(t, "old passphrase")); err == nil {
		t.Fatal("the old passphrase still opens the re-encrypted state")
	}
	again, err := d2.Plaintexts(ctx, crypters(t, "new passphrase"))
	sort.Strings(again)
	if err != nil || strings.Join(again, "|") != joined {
		t.Fatalf("re-encrypted plaintexts %q, %v", again, err)
	}
}

// A helm.sh/v3:Release keeps a copy of its inputs under __inputs, secret as a whole: its names are
// no secrets, but what the program marked secret in its inputs is; rotation re-encrypts the copy.
func TestAReleasesCopyOfItsInputsIsNoSecretOfItsOwn(t *testing.T) {
	ctx := context.Background()
	salt, _ := stackconfig.NewEncryptionSalt("old passphrase")
	c, err := stackconfig.NewCrypter("old passphrase", salt)
	if err != nil {
		t.Fatal(err)
	}
	token, _ := c.EncryptValue(ctx, `"s3cr3t-token"`)
	copied, _ := c.EncryptValue(ctx, `{"name":"gateway","namespace":"envoy-gateway-system","values":{"token":"s3cr3t-token"}}`)
	secret := func(ct string) string {
		return `{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "` + ct + `"}`
	}
	raw := `{"version": 3, "checkpoint": {"latest": {
    "secrets_providers": {"type": "passphrase", "state": {"salt": "` + salt + `"}},
    "resources": [{"urn": "u", "type": "kubernetes:helm.sh/v3:Release",
      "inputs": {"name": "gateway", "namespace": "envoy-gateway-system", "values": {"token": ` + secret(token) + `}},
      "outputs": {"__inputs": ` + secret(copied) + `, "name": "gateway", "values": {"token": ` + secret(token) + `}}}]}}}`
	d, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.Plaintexts(ctx, crypters(t, "old passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range got {
		if p != "s3cr3t-token" {
			t.Errorf("plaintext %q: only the token is secret", p)
		}
	}
	if len(got) == 0 {
		t.Error("the token marked secret in the inputs is not a plaintext")
	}
	newSalt, _ := stackconfig.NewEncryptionSalt("new passphrase")
	to, _ := stackconfig.NewCrypter("new passphrase", newSalt)
	out, err := d.Reencrypt(ctx, crypters(t, "old passphrase"), to, newSalt)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), copied) || strings.Contains(string(out), token) {
		t.Fatalf("rotation left a ciphertext of the old passphrase:\n%s", out)
	}
}
