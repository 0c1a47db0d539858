package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbos/orbos/internal/gittest"
	"github.com/orbos/orbos/policy"
)

// proposeSpec pushes an edit of the desired state to branch, as a pull request's author would.
func (o *orb) proposeSpec(branch string, edit func(string) string) {
	o.t.Helper()
	user := filepath.Join(o.t.TempDir(), "author")
	gittest.Git(o.t, filepath.Dir(user), "clone", "-q", o.remote, user)
	f := filepath.Join(user, "Pulumi."+o.name+".yaml")
	raw, err := os.ReadFile(f)
	if err != nil {
		o.t.Fatal(err)
	}
	if err := os.WriteFile(f, []byte(edit(string(raw))), 0o644); err != nil {
		o.t.Fatal(err)
	}
	gittest.Git(o.t, user, "commit", "-qam", "propose "+branch)
	gittest.Git(o.t, user, "push", "-q", "origin", "HEAD:refs/heads/"+branch)
}

// A proposal branch is previewed with the policy pack against the ORB's current state, without the
// lock and without touching main: a violation fails with exit 2 and shows in the markdown summary;
// a compliant proposal passes and lists its changes.
func TestPreviewOfAProposalBranch(t *testing.T) {
	o := newORB(t, "proposal")
	o.mustRun("up")
	o.proposeSpec("skip-a-minor", func(s string) string { return strings.Replace(s, "version: v1.31.4", "version: v1.33.0", 1) })
	o.proposeSpec("patch", func(s string) string { return strings.Replace(s, "version: v1.31.4", "version: v1.31.5", 1) })
	refs := gittestGit(t, o.remote, "for-each-ref")

	r := o.run("preview", "--ref", "skip-a-minor", "-o", "markdown")
	if r.code != 2 || !strings.Contains(r.stdout, "**Policy: 1 violation(s)**") || !strings.Contains(r.stdout, "| "+policy.VersionStep+" |") ||
		!strings.Contains(r.stdout, "skip-a-minor") {
		t.Fatalf("preview of a violating proposal:\n%s", r)
	}

	r = o.run("preview", "--ref", "refs/heads/patch", "-o", "markdown")
	if r.code != 0 || !strings.Contains(r.stdout, "**Policy: passed**") || !strings.Contains(r.stdout, "**Changes: 1 to update**") ||
		!strings.Contains(r.stdout, `data.kubernetesVersion: "v1.31.4" =\> "v1.31.5"`) {
		t.Fatalf("preview of a compliant proposal:\n%s", r)
	}
	if r := o.run("preview", "--ref", "patch", "--expect-no-changes"); r.code != 5 {
		t.Fatalf("--expect-no-changes on a proposal with changes:\n%s", r)
	}
	if r := o.run("preview", "--ref", "no-such-branch", "-o", "markdown"); r.code != 1 || !strings.Contains(r.stderr, "has no refs/heads/no-such-branch") {
		t.Fatalf("preview of a missing branch:\n%s", r)
	}
	if r := o.run("preview", "--ref", "main:evil"); r.code != 2 {
		t.Fatalf("a refspec as --ref:\n%s", r)
	}

	// Nothing moved: no commit, no lock, the cluster as it was, the ORB's own preview clean.
	if now := gittestGit(t, o.remote, "for-each-ref"); now != refs {
		t.Fatalf("the remote's refs changed:\n%s\nwas\n%s", now, refs)
	}
	if v := o.configMapVersion(); v != "v1.31.4" {
		t.Fatalf("a preview changed the cluster: %s", v)
	}
	o.mustRun("preview", "--expect-no-changes")
}
