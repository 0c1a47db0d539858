package dbbackup

import (
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/orbos/orbos/internal/golden"
)

// The list Job as rendered: SHOW BACKUPS IN the URI by Secret reference, no passphrase.
func TestCockroachListJobGolden(t *testing.T) {
	j := CockroachJob{Namespace: "zitadel", Name: "zitadel-db-backups-20261201030000", Release: "zitadel-db", Image: "cockroachdb/cockroach:v26.2.1"}.ListJob()
	raw, err := yaml.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "BACKUP_PASSPHRASE") {
		t.Error("the list Job reads the passphrase, which SHOW BACKUPS does not need")
	}
	golden.Assert(t, "cockroach-list-job.yaml", string(raw))
}

// SHOW BACKUPS' CSV becomes the backups newest first, named as a restore names them.
func TestParseShowBackups(t *testing.T) {
	raw := "path\n/2026/11/30-030000.00\n/2026/12/01-030000.00\n/2026/11/29-141516.27\n"
	got, err := ParseShowBackups([]byte(raw), "zitadel-db")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range got {
		names = append(names, b.Name)
		if b.Cluster != "zitadel-db" || b.Phase != PhaseCompleted || b.Size != -1 || b.Started == nil {
			t.Errorf("backup %+v", b)
		}
	}
	if strings.Join(names, " ") != "2026/12/01-030000.00 2026/11/30-030000.00 2026/11/29-141516.27" {
		t.Errorf("order %v", names)
	}
	if want := time.Date(2026, 11, 29, 14, 15, 16, 270000000, time.UTC); !got[2].Started.Equal(want) {
		t.Errorf("started %v, want %v", got[2].Started, want)
	}
	if got, err := ParseShowBackups([]byte("path\n"), "zitadel-db"); err != nil || len(got) != 0 {
		t.Errorf("no backups: %v, %v", got, err)
	}
	for _, bad := range []string{"", "ERROR: connection refused\n", "path\n/2026/12/01-030000.00' --\n"} {
		if _, err := ParseShowBackups([]byte(bad), "zitadel-db"); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
