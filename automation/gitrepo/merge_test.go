package gitrepo_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbos/orbos/automation/gitrepo"
	"github.com/orbos/orbos/internal/gittest"
)

func isState(p string) bool {
	return strings.HasPrefix(p, ".pulumi/") || strings.HasPrefix(p, "status/")
}

func open(t *testing.T, remote string) *gitrepo.Repo {
	t.Helper()
	r, err := gitrepo.Open(context.Background(), gitrepo.Options{Dir: filepath.Join(t.TempDir(), "co"), URL: remote})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func commit(t *testing.T, r *gitrepo.Repo, path, content string) {
	t.Helper()
	full := filepath.Join(r.Dir(), path)
	_ = os.MkdirAll(filepath.Dir(full), 0o755)
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CommitAll("write " + path); err != nil {
		t.Fatal(err)
	}
}

// Histories that diverged merge when no path and no state changed on both sides; state changed on
// both sides is refused even in different files, and so is one path changed on both sides.
func TestSyncMergesOnlyWhatDoesNotOverlap(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name                 string
		mine, theirs         string // paths each side changes
		wantState, wantError bool
	}{
		{name: "state here, desired there", mine: ".pulumi/stacks/x.json", theirs: "Pulumi.x.yaml"},
		{name: "state on both sides", mine: ".pulumi/stacks/x.json", theirs: "status/x.yaml", wantState: true, wantError: true},
		{name: "the same desired file", mine: "Pulumi.x.yaml", theirs: "Pulumi.x.yaml", wantError: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			remote := gittest.BareRemote(t, map[string]string{"Pulumi.x.yaml": "0", ".pulumi/stacks/x.json": "{}", "status/x.yaml": "0"})
			mine, theirs := open(t, remote), open(t, remote)
			commit(t, theirs, c.theirs, "theirs")
			if err := theirs.Push(ctx); err != nil {
				t.Fatal(err)
			}
			commit(t, mine, c.mine, "mine")
			if err := mine.Fetch(ctx); err != nil {
				t.Fatal(err)
			}
			res, err := mine.Sync(isState)
			var conflict *gitrepo.ConflictError
			if c.wantError {
				if !errors.As(err, &conflict) || conflict.State != c.wantState {
					t.Fatalf("got %v, %v", res, err)
				}
				if raw, _ := os.ReadFile(filepath.Join(mine.Dir(), c.mine)); string(raw) != "mine" {
					t.Fatal("the refused merge changed the checkout")
				}
				return
			}
			if err != nil || res != gitrepo.Merged {
				t.Fatalf("got %v, %v", res, err)
			}
			for _, p := range []string{c.mine, c.theirs} {
				want := "mine"
				if p == c.theirs {
					want = "theirs"
				}
				if raw, _ := os.ReadFile(filepath.Join(mine.Dir(), p)); string(raw) != want {
					t.Fatalf("%s holds %q after the merge", p, raw)
				}
			}
		})
	}
}
