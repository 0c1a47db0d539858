package recovery_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orbos/orbos/automation/gitrepo"
	"github.com/orbos/orbos/automation/recovery"
	"github.com/orbos/orbos/internal/gittest"
)

const checkpoint = ".pulumi/stacks/orbos/x.json"

func isState(p string) bool {
	return strings.HasPrefix(p, ".pulumi/") || strings.HasPrefix(p, "status/")
}

func checkoutWithState(t *testing.T) *gitrepo.Repo {
	t.Helper()
	remote := gittest.BareRemote(t, map[string]string{checkpoint: `{"version":3,"step":"committed"}`, ".gitignore": "*.tmp\n*.attrs\n/.pulumi/locks/\n"})
	repo, err := gitrepo.Open(context.Background(), gitrepo.Options{Dir: filepath.Join(t.TempDir(), "co"), URL: remote})
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

func write(t *testing.T, r *gitrepo.Repo, path, content string) {
	t.Helper()
	full := filepath.Join(r.Dir(), path)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func onDisk(t *testing.T, r *gitrepo.Repo, path string) string {
	t.Helper()
	raw, _ := os.ReadFile(filepath.Join(r.Dir(), path))
	return string(raw)
}

func leftovers(t *testing.T, r *gitrepo.Repo) []string {
	t.Helper()
	changed, err := recovery.Leftovers(context.Background(), r, recovery.Options{IsState: isState})
	if err != nil {
		t.Fatal(err)
	}
	return changed
}

// Killed between writing the checkpoint's temporary file and renaming it: the newest state is used.
func TestRecoveryUsesAWholeTemporaryCheckpoint(t *testing.T) {
	r := checkoutWithState(t)
	write(t, r, checkpoint, `{"version":3,"st`)
	write(t, r, checkpoint+".18eb65ce79ee5b2a.tmp", `{"version":3,"step":"newest"}`)
	if got := leftovers(t, r); !slices.Equal(got, []string{checkpoint}) {
		t.Fatalf("changed %v", got)
	}
	if got := onDisk(t, r, checkpoint); !strings.Contains(got, "newest") {
		t.Fatalf("checkpoint %s", got)
	}
	if _, err := os.Stat(filepath.Join(r.Dir(), checkpoint+".18eb65ce79ee5b2a.tmp")); !os.IsNotExist(err) {
		t.Fatal("the temporary file is still there")
	}
}

// Killed while writing the checkpoint itself: the cut-off file is never kept.
func TestRecoveryNeverKeepsACutOffCheckpoint(t *testing.T) {
	r := checkoutWithState(t)
	write(t, r, checkpoint, `{"version":3,"st`)
	write(t, r, checkpoint+".0a0a.tmp", `{"version":3,"st`)
	if got := leftovers(t, r); len(got) != 0 {
		t.Fatalf("changed %v, want nothing to commit", got)
	}
	if got := onDisk(t, r, checkpoint); !strings.Contains(got, "committed") {
		t.Fatalf("checkpoint on disk %s", got)
	}
}

// The backup's temporary file holds an older checkpoint: it is never taken for the newest.
func TestRecoveryIgnoresTheBackupsTemporaryFile(t *testing.T) {
	r := checkoutWithState(t)
	write(t, r, checkpoint, `{"version":3,"step":"newest"}`)
	write(t, r, checkpoint+".bak.18eb665ce61d9d4d.tmp", `{"version":3,"step":"older"}`)
	leftovers(t, r)
	if got := onDisk(t, r, checkpoint); !strings.Contains(got, "newest") {
		t.Fatalf("checkpoint %s", got)
	}
}

// Killed while the blob store wrote a checkpoint's metadata sidecar: the cut-off sidecar, which would
// make every later load fail with EOF, is removed even when no tracked file changed; whole ones stay.
func TestRecoveryRemovesACutOffSidecar(t *testing.T) {
	r := checkoutWithState(t)
	write(t, r, checkpoint+".attrs", "")
	write(t, r, ".pulumi/meta.yaml.attrs", `{"user.cache_control":"","md5":"AAAA"}`)
	if got := leftovers(t, r); len(got) != 0 {
		t.Fatalf("changed %v, want nothing to commit", got)
	}
	if _, err := os.Stat(filepath.Join(r.Dir(), checkpoint+".attrs")); !os.IsNotExist(err) {
		t.Fatal("the cut-off sidecar is still there")
	}
	if _, err := os.Stat(filepath.Join(r.Dir(), ".pulumi/meta.yaml.attrs")); err != nil {
		t.Fatalf("a whole sidecar was removed: %v", err)
	}
}

// A change orbctl did not make is never swept into a state commit.
func TestRecoveryRefusesForeignChanges(t *testing.T) {
	r := checkoutWithState(t)
	write(t, r, checkpoint, `{"version":3,"step":"newest"}`)
	write(t, r, "Pulumi.x.yaml", "edited by hand")
	_, err := recovery.Leftovers(context.Background(), r, recovery.Options{IsState: isState})
	if err == nil || !strings.Contains(err.Error(), "Pulumi.x.yaml") {
		t.Fatalf("got %v", err)
	}
}

// The file backend's lock of an engine of this machine that still runs is left alone until that
// engine ends; then it is removed.
func TestRecoveryWaitsForALiveEngine(t *testing.T) {
	r := checkoutWithState(t)
	engine := exec.Command("sleep", "300")
	if err := engine.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = engine.Process.Kill(); _ = engine.Wait() })
	host, _ := os.Hostname()
	lock := ".pulumi/locks/organization/orbos/x/0a0a.json"
	write(t, r, lock, fmt.Sprintf(`{"pid":%d,"username":"u","hostname":%q,"timestamp":"2026-01-01T00:00:00Z"}`, engine.Process.Pid, host))
	_, err := recovery.Leftovers(context.Background(), r, recovery.Options{IsState: isState, EngineWait: 500 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "still holds") {
		t.Fatalf("a live engine's lock: %v", err)
	}
	if onDisk(t, r, lock) == "" {
		t.Fatal("the live engine's lock was removed")
	}
	_ = engine.Process.Kill()
	_ = engine.Wait()
	leftovers(t, r)
	if _, err := os.Stat(filepath.Join(r.Dir(), lock)); !os.IsNotExist(err) {
		t.Fatal("the dead engine's lock is still there")
	}
}
