package zitadel

import (
	"strings"
	"testing"

	"github.com/orbos/orbos/stacks"
)

// After a CockroachDB restore Zitadel works in the restored database (zitadel_r<N>, beside the one
// it replaces), and its release comes after the restore Job: the engine upgrades Zitadel back to
// its replicas only once the Job completed. Before any restore it works in zitadel.
func TestZitadelAfterCockroachRestore(t *testing.T) {
	z := spec()
	z.Version, z.Chart, z.Database.Engine = "v2.71.0", stacks.ZitadelV2Chart, stacks.EngineCockroachDB
	r := install(t, "demo", strings.Repeat("k", 32), z).Get(t, releaseT, "zitadel")
	if db := r.Str("values", "zitadel", "configmapConfig", "Database", "Cockroach", "Database"); db != "zitadel" {
		t.Errorf("database before any restore: %q", db)
	}
	if r.DependsOn("kubernetes:batch/v1:Job", "zitadel-db-restore-r1") {
		t.Error("a restore Job without a restore")
	}
	z.Database.Restore = &stacks.Restore{Generation: 3, Backup: "2026/12/01-030000.00"}
	m := install(t, "demo", strings.Repeat("k", 32), z)
	r = m.Get(t, releaseT, "zitadel")
	if db := r.Str("values", "zitadel", "configmapConfig", "Database", "Cockroach", "Database"); db != "zitadel_r3" {
		t.Errorf("database after the third restore: %q", db)
	}
	if !m.Has("kubernetes:batch/v1:Job", "zitadel-db-restore-r3") || !r.DependsOn("kubernetes:batch/v1:Job", "zitadel-db-restore-r3") {
		t.Errorf("Zitadel's release does not come after the restore Job: %v", r.Deps)
	}
}
