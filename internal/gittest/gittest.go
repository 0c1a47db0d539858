// Package gittest makes real Git repositories for tests: a bare remote with one commit.
package gittest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Git runs the git CLI in dir and fails the test on error.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=test", "GIT_AUTHOR_EMAIL=test@localhost",
		"GIT_COMMITTER_NAME=test", "GIT_COMMITTER_EMAIL=test@localhost", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v in %s: %v\n%s", args, dir, err, out)
	}
	return string(out)
}

// BareRemote creates a bare repository whose main branch holds files (path -> content), and
// returns its path.
func BareRemote(t testing.TB, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	bare := filepath.Join(root, "remote.git")
	Git(t, root, "init", "-q", "--bare", "-b", "main", bare)
	if len(files) == 0 {
		return bare
	}
	work := filepath.Join(root, "seed")
	Git(t, root, "clone", "-q", bare, work)
	for p, c := range files {
		full := filepath.Join(work, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	Git(t, work, "add", "-A")
	Git(t, work, "commit", "-q", "-m", "seed")
	Git(t, work, "push", "-q", "origin", "HEAD:main")
	return bare
}
