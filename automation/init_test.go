package automation

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbos/orbos/automation/gitrepo"
	"github.com/orbos/orbos/internal/gittest"
)

// init never deletes a checkout whose commits or leftovers exist nowhere else: it refuses, says
// what to do, and leaves the checkout as it was.
func TestInitRefusesToDeleteAnUnsavedCheckout(t *testing.T) {
	ctx := context.Background()
	for name, spoil := range map[string]func(t *testing.T, r *gitrepo.Repo){
		"unpushed commit": func(t *testing.T, r *gitrepo.Repo) {
			os.WriteFile(filepath.Join(r.Dir(), "status.yaml"), []byte("x"), 0o644)
			if _, err := r.CommitAll("a run's state"); err != nil {
				t.Fatal(err)
			}
		},
		"interrupted run": func(t *testing.T, r *gitrepo.Repo) {
			os.MkdirAll(filepath.Join(r.Dir(), ".pulumi", "stacks"), 0o755)
			os.WriteFile(filepath.Join(r.Dir(), ".pulumi", "stacks", "x.json"), []byte("{}"), 0o644)
		},
	} {
		t.Run(name, func(t *testing.T) {
			old := gittest.BareRemote(t, map[string]string{"README": "x"})
			dir := filepath.Join(t.TempDir(), "checkout")
			r, err := gitrepo.Open(ctx, gitrepo.Options{Dir: dir, URL: old})
			if err != nil {
				t.Fatal(err)
			}
			spoil(t, r)
			_, err = Init(ctx, InitOptions{Orb: "x", Repository: gittest.BareRemote(t, nil), Checkout: dir,
				OrbconfigPath: filepath.Join(t.TempDir(), "orbconfig")})
			if err == nil || !strings.Contains(err.Error(), "refusing to delete") || !strings.Contains(err.Error(), dir) {
				t.Fatalf("init: %v", err)
			}
			if _, err := os.Stat(filepath.Join(dir, "README")); err != nil {
				t.Fatal("the checkout was touched")
			}
		})
	}
	// A checkout whose every commit was pushed is a cache: init replaces it (and fails later here,
	// without Pulumi, which is beside the point).
	old := gittest.BareRemote(t, map[string]string{"README": "x"})
	dir := filepath.Join(t.TempDir(), "checkout")
	if _, err := gitrepo.Open(ctx, gitrepo.Options{Dir: dir, URL: old}); err != nil {
		t.Fatal(err)
	}
	if err := disposable(dir, "main"); err != nil {
		t.Fatalf("a clean checkout: %v", err)
	}
}
