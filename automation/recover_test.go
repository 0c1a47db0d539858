package automation

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbos/orbos/automation/gitrepo"
	"github.com/orbos/orbos/automation/orbconfig"
	"github.com/orbos/orbos/internal/gittest"
)

const checkpoint = ".pulumi/stacks/orbos/x.json"

func recoveringOrb(t *testing.T) *Orb {
	t.Helper()
	remote := gittest.BareRemote(t, map[string]string{checkpoint: `{"version":3,"step":"committed"}`, ".gitignore": "*.tmp\n*.attrs\n"})
	repo, err := gitrepo.Open(context.Background(), gitrepo.Options{Dir: filepath.Join(t.TempDir(), "co"), URL: remote})
	if err != nil {
		t.Fatal(err)
	}
	return &Orb{repo: repo, opts: Options{Config: &orbconfig.Config{Orb: "x"}}, redactor: &Redactor{}}
}

func write(t *testing.T, o *Orb, path, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(o.Checkout(), path), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func committed(t *testing.T, o *Orb) string {
	t.Helper()
	return gittest.Git(t, o.Checkout(), "show", "HEAD:"+checkpoint)
}

// Killed between writing the checkpoint's temporary file and renaming it: the newest state is used.
func TestRecoveryUsesAWholeTemporaryCheckpoint(t *testing.T) {
	o := recoveringOrb(t)
	write(t, o, checkpoint, `{"version":3,"st`)
	write(t, o, checkpoint+".18eb65ce79ee5b2a.tmp", `{"version":3,"step":"newest"}`)
	h, err := o.recoverLeftovers(context.Background())
	if err != nil || h == "" {
		t.Fatalf("recover: %q %v", h, err)
	}
	if got := committed(t, o); !strings.Contains(got, "newest") {
		t.Fatalf("committed %s", got)
	}
	if _, err := os.Stat(filepath.Join(o.Checkout(), checkpoint+".18eb65ce79ee5b2a.tmp")); !os.IsNotExist(err) {
		t.Fatal("the temporary file is still there")
	}
}

// Killed while writing the checkpoint itself: the cut-off file is never committed.
func TestRecoveryNeverCommitsACutOffCheckpoint(t *testing.T) {
	o := recoveringOrb(t)
	write(t, o, checkpoint, `{"version":3,"st`)
	write(t, o, checkpoint+".0a0a.tmp", `{"version":3,"st`)
	h, err := o.recoverLeftovers(context.Background())
	if err != nil || h != "" {
		t.Fatalf("recover: %q %v", h, err)
	}
	if got, _ := os.ReadFile(filepath.Join(o.Checkout(), checkpoint)); !strings.Contains(string(got), "committed") {
		t.Fatalf("checkpoint on disk %s", got)
	}
}

// The backup's temporary file holds an older checkpoint: it is never taken for the newest.
func TestRecoveryIgnoresTheBackupsTemporaryFile(t *testing.T) {
	o := recoveringOrb(t)
	write(t, o, checkpoint, `{"version":3,"step":"newest"}`)
	write(t, o, checkpoint+".bak.18eb665ce61d9d4d.tmp", `{"version":3,"step":"older"}`)
	if _, err := o.recoverLeftovers(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := committed(t, o); !strings.Contains(got, "newest") {
		t.Fatalf("committed %s", got)
	}
}

// Killed while the blob store wrote a checkpoint's metadata sidecar: the cut-off sidecar, which would
// make every later load fail with EOF, is removed even when no tracked file changed; whole ones stay.
func TestRecoveryRemovesACutOffSidecar(t *testing.T) {
	o := recoveringOrb(t)
	write(t, o, checkpoint+".attrs", "")
	write(t, o, ".pulumi/meta.yaml.attrs", `{"user.cache_control":"","md5":"AAAA"}`)
	if h, err := o.recoverLeftovers(context.Background()); err != nil || h != "" {
		t.Fatalf("recover: %q %v (nothing to commit)", h, err)
	}
	if _, err := os.Stat(filepath.Join(o.Checkout(), checkpoint+".attrs")); !os.IsNotExist(err) {
		t.Fatal("the cut-off sidecar is still there")
	}
	if _, err := os.Stat(filepath.Join(o.Checkout(), ".pulumi/meta.yaml.attrs")); err != nil {
		t.Fatalf("a whole sidecar was removed: %v", err)
	}
}
