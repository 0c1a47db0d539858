package stacks

import (
	"errors"
	"strings"
	"testing"
)

// orbos:secrets holds only encrypted values under names that can become config paths and Secret
// keys; a plaintext value is refused without being quoted.
func TestStackSecretsAreEncryptedAndNamed(t *testing.T) {
	const plaintext = "plaintext-token-0123456789"
	raw := strings.Replace(validFile, "  orbos:kubeconfig:", `  orbos:secrets:
    dns-token: {secure: v1:abc}
    Bad_Name: {secure: v1:def}
    remote-write: `+plaintext+`
  orbos:kubeconfig:`, 1)
	_, err := Parse("demo", []byte(raw))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want a ValidationError, got %v", err)
	}
	got := map[string]bool{}
	for _, fe := range ve.Errors {
		got[fe.Path] = true
	}
	for _, p := range []string{"config.orbos:secrets.Bad_Name", "config.orbos:secrets.remote-write"} {
		if !got[p] {
			t.Errorf("no error at %s: %v", p, ve.Errors)
		}
	}
	if len(ve.Errors) != 2 || got["config.orbos:secrets.dns-token"] {
		t.Errorf("errors %v, want the two bad entries only", ve.Errors)
	}
	if strings.Contains(err.Error(), plaintext) {
		t.Errorf("the error quotes the plaintext secret: %v", err)
	}
}

// A reference to a stack secret names the secrets the file holds and how to set the missing one.
func TestSecretReferencesMustExist(t *testing.T) {
	c := &Config{Secrets: map[string]Secret{"dns-token": {Ciphertext: "v1:abc", set: true}}}
	var e errs
	c.checkSecretRef("x.apiTokenSecret", "dns-token", &e)
	c.checkSecretRef("x.empty", "", &e)
	if len(e.list) != 0 {
		t.Fatalf("a held secret or an empty reference refused: %v", e)
	}
	c.checkSecretRef("x.missing", "other", &e)
	c.checkSecretRef("x.bad", "Not A Name", &e)
	if len(e.list) != 2 || e.list[0].Path != "x.missing" || e.list[1].Path != "x.bad" {
		t.Fatalf("errors %v", e.list)
	}
	for _, want := range []string{"dns-token", "orbctl config set --secret orbos:secrets.other"} {
		if !strings.Contains(e.list[0].Message, want) {
			t.Errorf("%q lacks %q", e.list[0].Message, want)
		}
	}
}
