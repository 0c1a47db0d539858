package automation

import (
	"testing"

	"github.com/orbos/orbos/stacks"
)

// A CockroachDB restore names a subdirectory of the collection (SHOW BACKUPS' leading slash
// dropped) or latest, and goes from the live database to the next generation's.
func TestResolveCockroachRestore(t *testing.T) {
	z := &stacks.Zitadel{Database: stacks.Database{Engine: stacks.EngineCockroachDB, Restore: &stacks.Restore{Generation: 1, Backup: "latest"}}}
	for _, c := range []struct{ from, backup string }{
		{"/2026/12/01-030000.00", "2026/12/01-030000.00"},
		{"2026/12/01-030000.00", "2026/12/01-030000.00"},
		{"latest", "latest"},
	} {
		r := stacks.Restore{Generation: 2, Backup: c.from}
		out := &ZitadelRestoreResult{}
		if err := resolveCockroachRestore(z, &r, out); err != nil {
			t.Fatalf("%s: %v", c.from, err)
		}
		if r.Backup != c.backup || out.Backup != c.backup || out.From != "zitadel_r1" || out.To != "zitadel_r2" {
			t.Errorf("%s: restore %+v, result %+v", c.from, r, out)
		}
	}
	for _, bad := range []string{"zitadel-db-20261201030000", "2026/12/01-030000.00' --", "LATEST"} {
		r := stacks.Restore{Generation: 2, Backup: bad}
		if err := resolveCockroachRestore(z, &r, &ZitadelRestoreResult{}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
