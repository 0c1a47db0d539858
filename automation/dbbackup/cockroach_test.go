package dbbackup

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/orbos/orbos/internal/golden"
)

func backupJob() CockroachJob {
	return CockroachJob{Namespace: "zitadel", Name: "zitadel-db-20261201030000", Release: "zitadel-db", Image: "cockroachdb/cockroach:v26.2.1"}
}

// The on-demand CockroachDB backup Job as rendered: the destination and passphrase only as Secret
// references.
func TestCockroachBackupJobGolden(t *testing.T) {
	raw, err := yaml.Marshal(backupJob().BackupJob())
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "cockroach-backup-job.yaml", string(raw))
}

// The script quotes the URI and passphrase as SQL strings, whatever they hold: run with sh, a
// stand-in cockroach prints the statement it got.
func TestCockroachScriptQuotes(t *testing.T) {
	dir := t.TempDir()
	stub := filepath.Join(dir, "cockroach")
	if err := os.WriteFile(stub, []byte("#!/bin/sh\nfor a; do case \"$a\" in --execute=*) printf '%s' \"${a#--execute=}\";; esac; done\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	script := backupJob().BackupJob().Spec.Template.Spec.Containers[0].Command[2]
	// The certificate copies need files; the stand-in's directory has none, so skip them.
	script = script[strings.Index(script, "q() {"):]
	for _, c := range []struct{ uri, pass, want string }{
		{"s3://b/p?AWS_ACCESS_KEY_ID=a%27b", "", "BACKUP INTO 's3://b/p?AWS_ACCESS_KEY_ID=a%27b'"},
		{"s3://b/p", "it's $(x) `y`", "BACKUP INTO 's3://b/p' WITH encryption_passphrase = 'it''s $(x) `y`'"},
	} {
		cmd := exec.Command("sh", "-c", script)
		cmd.Env = []string{"PATH=" + dir + ":/usr/bin:/bin", "BACKUP_URI=" + c.uri, "BACKUP_PASSPHRASE=" + c.pass}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if string(out) != c.want {
			t.Errorf("statement %q, want %q", out, c.want)
		}
	}
}
