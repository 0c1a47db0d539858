package dismissals

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Dismissals survive a new Open of the directory (a restart); a newer commit of the same problem is
// a new notice; the file is private and replaced whole.
func TestDismissalsSurviveReopening(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	failed := Notice{Orb: "prod", Kind: "failed", Commit: "c1"}
	if s.Dismissed("olga", failed) {
		t.Fatal("dismissed before anything was")
	}
	if err := s.Dismiss("olga", failed); err != nil {
		t.Fatal(err)
	}
	if err := s.Dismiss("olga", Notice{Orb: "prod", Kind: "drift", Commit: "c1"}); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Dismissed("olga", failed) || s.Dismissed("vic", failed) {
		t.Fatal("the dismissal is not olga's alone after reopening")
	}
	if s.Dismissed("olga", Notice{Orb: "prod", Kind: "failed", Commit: "c2"}) {
		t.Fatal("a newer commit's notice is hidden")
	}
	// Dismissing the newer one replaces the older: one entry per ORB and kind.
	if err := s.Dismiss("olga", Notice{Orb: "prod", Kind: "failed", Commit: "c2"}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), `"prod|failed": "c1"`) || strings.Count(string(raw), "prod|failed") != 1 || !strings.Contains(string(raw), `"prod|failed": "c2"`) {
		t.Fatalf("file:\n%s", raw)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, FileName): 0o600} {
		st, err := os.Stat(path)
		if err != nil || st.Mode().Perm() != want {
			t.Fatalf("%s: %v %v, want %v", path, st.Mode().Perm(), err, want)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("left beside the file: %v", entries)
	}
}

func TestOpenRefusesABrokenFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "move it away") {
		t.Fatalf("got %v", err)
	}
}

// A write that fails keeps nothing: what the user sees matches the file.
func TestAFailedWriteKeepsNothing(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, FileName), 0o700); err != nil { // the rename cannot replace a directory
		t.Fatal(err)
	}
	n := Notice{Orb: "prod", Kind: "failed", Commit: "c1"}
	if err := s.Dismiss("olga", n); err == nil {
		t.Fatal("the write did not fail")
	}
	if s.Dismissed("olga", n) {
		t.Fatal("a dismissal that was not written is kept")
	}
}

func TestInMemory(t *testing.T) {
	s, err := Open("")
	if err != nil {
		t.Fatal(err)
	}
	n := Notice{Orb: "prod", Kind: "failed", Commit: "c1"}
	if err := s.Dismiss("olga", n); err != nil || !s.Dismissed("olga", n) {
		t.Fatal(err)
	}
}
