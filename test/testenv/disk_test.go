package testenv

import (
	"strings"
	"testing"
)

func TestCheckDiskFree(t *testing.T) {
	dir := t.TempDir()
	if err := CheckDiskFree(dir, 1); err != nil {
		t.Fatalf("one byte free refused: %v", err)
	}
	err := CheckDiskFree(dir, 1<<62)
	if err == nil {
		t.Fatal("4 EiB free accepted")
	}
	for _, want := range []string{dir, "GiB free of", "disk-pressure", "go clean -cache"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if err := CheckDiskFree(dir+"/missing", 1); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("a missing directory: %v", err)
	}
}
