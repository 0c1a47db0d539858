package automation

import (
	"os"
	"strings"
	"testing"

	"github.com/orbos/orbos/automation/stackconfig"
	"github.com/orbos/orbos/stacks"
)

// A restore is written into the desired state as the spec reads it; a later restore without a time
// or backup ID removes those of the one before (the spec refuses empty values).
func TestWriteRestore(t *testing.T) {
	raw, err := os.ReadFile("../examples/zitadel/Pulumi.zitadel-demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := stackconfig.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	read := func() *stacks.Restore {
		t.Helper()
		out, err := f.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		s, err := stacks.Parse("zitadel-demo", out)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return s.ZitadelOn().Database.Restore
	}
	first := stacks.Restore{Generation: 1, Backup: "zitadel-db-20261201030000", BackupID: "20261201T030000", ToTime: "2026-12-01T10:00:00Z"}
	if err := WriteRestore(f, first); err != nil {
		t.Fatal(err)
	}
	if got := read(); got == nil || *got != first {
		t.Fatalf("restore %+v, want %+v", got, first)
	}
	second := stacks.Restore{Generation: 2, Backup: "latest"}
	if err := WriteRestore(f, second); err != nil {
		t.Fatal(err)
	}
	if got := read(); got == nil || *got != second {
		t.Fatalf("restore %+v, want %+v", got, second)
	}
	if out, _ := f.Bytes(); strings.Contains(string(out), "toTime") || strings.Contains(string(out), "backupID") {
		t.Errorf("the earlier restore's fields stay:\n%s", out)
	}
}
