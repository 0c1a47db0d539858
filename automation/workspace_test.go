package automation

import (
	"os"
	"strings"
	"testing"
)

// The passphrase reaches Pulumi as a file only this user can read, never as an environment variable
// that every plugin inherits, and the file is gone once the workspace is closed.
func TestPassphraseReachesPulumiThroughAFile(t *testing.T) {
	const passphrase = "correct horse battery staple"
	ws, err := newWorkspace(t.TempDir(), passphrase, "")
	if err != nil {
		t.Fatal(err)
	}
	env := ws.env()
	for k, v := range env {
		if strings.Contains(v, passphrase) || k == "PULUMI_CONFIG_PASSPHRASE" {
			t.Fatalf("the passphrase is in the environment: %s", k)
		}
	}
	file := env["PULUMI_CONFIG_PASSPHRASE_FILE"]
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	if raw, _ := os.ReadFile(file); string(raw) != passphrase {
		t.Fatal("the file does not hold the passphrase")
	}
	ws.close()
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatal("the passphrase file outlives the workspace")
	}
}
