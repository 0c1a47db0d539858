package commit

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbos/orbos/automation/gitrepo"
	"github.com/orbos/orbos/automation/record"
	"github.com/orbos/orbos/internal/gittest"
	"github.com/orbos/orbos/mission/missiontest"
	"github.com/orbos/orbos/stacks"
)

func open(t *testing.T, bare string) *gitrepo.Repo {
	t.Helper()
	r, err := gitrepo.Open(context.Background(), gitrepo.Options{Dir: filepath.Join(t.TempDir(), "co"), URL: bare, Branch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func desired(t *testing.T, r *gitrepo.Repo) []byte {
	raw, err := os.ReadFile(filepath.Join(r.Dir(), stacks.StackFileName("o")))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// An edit changes only the values it names: comments and the secret's ciphertext stay as they were,
// and the result passes the spec's validation.
func TestApplyKeepsTheRest(t *testing.T) {
	raw := []byte(missiontest.Spec(missiontest.Older, 2, false))
	three := 3
	res, err := Apply("o", raw, Edit{KubernetesVersion: missiontest.OlderPatch, PoolCounts: map[string]int{"workers": 5, "control": 3}, ControlPlaneNodes: &three,
		Tools: map[string]bool{"metrics": true}}, []string{missiontest.Older, missiontest.OlderPatch})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Fatalf("errors %v", res.Errors)
	}
	for _, want := range []string{"# Scaled by hand when needed.", "secure: v1:c2VjcmV0LWNpcGhlcnRleHQ=", "count: 5", "version: v1.36.4", "enabled: true", "nodes: 3"} {
		if !strings.Contains(res.After, want) {
			t.Errorf("%q missing from\n%s", want, res.After)
		}
	}
	if len(res.Fields) != 5 || res.Fields[0].String() != "orbos:orbiter.kubernetes.version: v1.36.1 -> v1.36.4" {
		t.Fatalf("fields %v", res.Fields)
	}
}

// What the spec refuses is reported by path, and a version the form did not offer is refused.
func TestApplyReportsErrorsByPath(t *testing.T) {
	raw := []byte(missiontest.Spec(missiontest.Older, 2, false))
	two := 2
	res, err := Apply("o", raw, Edit{ControlPlaneNodes: &two, PoolCounts: map[string]int{"workers": -1}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	paths := map[string]bool{}
	for _, e := range res.Errors {
		paths[e.Path] = true
	}
	if !paths["config.orbos:orbiter.kubernetes.controlPlane.nodes"] || !paths["config.orbos:orbiter.providers.gce.pools.workers.count"] {
		t.Fatalf("errors %v", res.Errors)
	}
	res, err = Apply("o", raw, Edit{KubernetesVersion: "v1.36.0"}, []string{missiontest.Older, missiontest.OlderPatch, missiontest.Newest})
	if err != nil || len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "not offered") {
		t.Fatalf("%v %v", res, err)
	}
	res, err = Apply("o", raw, Edit{Tools: map[string]bool{"no-such-tool": true}}, nil)
	if err != nil || len(res.Errors) == 0 || !strings.HasPrefix(res.Errors[0].Path, "config.orbos:boom.tools.no-such-tool") {
		t.Fatalf("an unknown tool: %v %v", res.Errors, err)
	}
}

// The commit lands on the branch with the user as author, MISSION as committer and the trailers.
func TestWriteCommitsWithAuthorAndTrailers(t *testing.T) {
	bare := missiontest.Repo(t, "o", missiontest.Healthy)
	r := open(t, bare)
	head, _ := r.Head()
	res, err := Apply("o", desired(t, r), Edit{PoolCounts: map[string]int{"workers": 4}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := Write(context.Background(), r, Request{Orb: "o", Base: head.String(), Result: res, User: User{"Alice Doe", "alice@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	got := gittest.Git(t, bare, "log", "-1", "--format=%H%n%an <%ae>%n%cn%n%B", "main")
	lines := strings.SplitN(got, "\n", 4)
	if lines[0] != w.Commit || lines[1] != "Alice Doe <alice@example.com>" || lines[2] != "MISSION" {
		t.Fatalf("commit %q", got)
	}
	tr := record.ParseTrailers(lines[3])
	if tr[record.KeyOperation] != OperationEdit || tr[KeyEditedBy] != "Alice Doe <alice@example.com>" || tr[KeyEdit] != "orbos:orbiter.providers.gce.pools.workers.count: 3 -> 4" {
		t.Fatalf("trailers %v", tr)
	}
	if !strings.Contains(gittest.Git(t, bare, "show", "main:"+stacks.StackFileName("o")), "count: 4") {
		t.Fatal("the bare repository lacks the change")
	}
	if now, _ := r.Head(); now.String() != w.Commit {
		t.Fatalf("the checkout is not at the pushed commit")
	}
}

// When someone pushed since the form was shown, nothing is written, even when the checkout did not
// know yet (the remote's compare-and-swap refuses).
func TestWriteRefusedOnMovedBranch(t *testing.T) {
	bare := missiontest.Repo(t, "o", missiontest.Healthy)
	r := open(t, bare)
	head, _ := r.Head()
	res, err := Apply("o", desired(t, r), Edit{PoolCounts: map[string]int{"workers": 4}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	missiontest.Push(t, bare, map[string]string{"README.md": "someone else\n"}, "meanwhile")
	moved := strings.TrimSpace(gittest.Git(t, bare, "rev-parse", "main"))
	_, err = Write(context.Background(), r, Request{Orb: "o", Base: head.String(), Result: res, User: User{"Alice", "alice@example.com"}})
	if !errors.Is(err, ErrMoved) {
		t.Fatalf("got %v", err)
	}
	if now := strings.TrimSpace(gittest.Git(t, bare, "rev-parse", "main")); now != moved {
		t.Fatal("the branch was overwritten")
	}
	if h, _ := r.Head(); h != head {
		t.Fatal("the refused commit stayed in the checkout")
	}
	// A base other than the checkout's head is refused before anything is committed.
	if _, err := Write(context.Background(), r, Request{Orb: "o", Base: moved, Result: res, User: User{"Alice", "alice@example.com"}}); !errors.Is(err, ErrMoved) {
		t.Fatalf("got %v", err)
	}
}

// An ORB that asks for review gets a proposal branch; its branch stays where it was.
func TestWriteProposalBranch(t *testing.T) {
	bare := missiontest.Repo(t, "o", missiontest.Healthy)
	r := open(t, bare)
	head, _ := r.Head()
	res, err := Apply("o", desired(t, r), Edit{Tools: map[string]bool{"metrics": true}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := Write(context.Background(), r, Request{Orb: "o", Base: head.String(), Result: res, User: User{"Bob", "bob@example.com"}, Proposal: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(w.Branch, "mission/o/") {
		t.Fatalf("branch %s", w.Branch)
	}
	if got := strings.TrimSpace(gittest.Git(t, bare, "rev-parse", "main")); got != head.String() {
		t.Fatal("the ORB's branch moved")
	}
	if got := strings.TrimSpace(gittest.Git(t, bare, "rev-parse", w.Branch)); got != w.Commit {
		t.Fatalf("proposal branch at %s, want %s", got, w.Commit)
	}
	if h, _ := r.Head(); h != head {
		t.Fatal("the checkout kept the proposal")
	}
}

func TestWriteRefusesInvalidEditsAndUsers(t *testing.T) {
	bare := missiontest.Repo(t, "o", missiontest.Healthy)
	r := open(t, bare)
	head, _ := r.Head()
	bad, _ := Apply("o", desired(t, r), Edit{PoolCounts: map[string]int{"workers": -1}}, nil)
	if _, err := Write(context.Background(), r, Request{Orb: "o", Base: head.String(), Result: bad, User: User{"A", "a@b"}}); err == nil {
		t.Fatal("an invalid edit was written")
	}
	good, _ := Apply("o", desired(t, r), Edit{PoolCounts: map[string]int{"workers": 4}}, nil)
	if _, err := Write(context.Background(), r, Request{Orb: "o", Base: head.String(), Result: good, User: User{"A\nOrbos-Operation: up", "a@b"}}); err == nil {
		t.Fatal("a user name with a newline authored a commit")
	}
}

// A chart version is pinned where the spec says; a range is refused by the spec's validation, by path.
func TestApplyChartVersion(t *testing.T) {
	raw := []byte(missiontest.Spec(missiontest.Newest, 2, true))
	res, err := Apply("o", raw, Edit{ChartVersions: map[string]string{"metrics": "88.6.0"}}, nil)
	if err != nil || len(res.Errors) > 0 || !strings.Contains(res.After, "version: 88.6.0") {
		t.Fatalf("%v %v\n%s", res.Errors, err, res.After)
	}
	res, err = Apply("o", raw, Edit{ChartVersions: map[string]string{"metrics": "^88"}}, nil)
	if err != nil || len(res.Errors) != 1 || res.Errors[0].Path != "config.orbos:boom.tools.metrics.chart.version" {
		t.Fatalf("a range: %v %v", res.Errors, err)
	}
}

// Values set scalars by config key, typed as YAML types them, comments kept; the spec's validation
// judges the result by path; the Kubernetes version is not one of them (its steps are checked apart).
func TestApplyValues(t *testing.T) {
	raw := []byte(missiontest.Spec(missiontest.Newest, 2, true))
	res, err := Apply("o", raw, Edit{Values: map[string]string{"orbos:boom.tools.metrics.namespace": "monitoring",
		"orbos:orbiter.providers.gce.pools.workers.spot": "true"}}, nil)
	if err != nil || len(res.Errors) > 0 || !strings.Contains(res.After, "        namespace: monitoring\n") ||
		!strings.Contains(res.After, "            spot: true\n") || !strings.Contains(res.After, "# Scaled by hand when needed.") || len(res.Fields) != 2 {
		t.Fatalf("%v %v\n%s", res.Errors, err, res.After)
	}
	res, err = Apply("o", raw, Edit{Values: map[string]string{"orbos:orbiter.providers.gce.pools.workers.diskType": "floppy"}}, nil)
	if err != nil || len(res.Errors) != 1 || !strings.HasSuffix(res.Errors[0].Path, "pools.workers.diskType") {
		t.Fatalf("an invalid value: %v %v", res.Errors, err)
	}
	res, err = Apply("o", raw, Edit{Lists: map[string][]string{"orbos:orbiter.providers.gce.zones": {"europe-west1-b", "europe-west1-c"},
		"orbos:orbiter.firewall.ssh": {"192.0.2.0/24"}}}, nil)
	if err != nil || len(res.Errors) > 0 || !strings.Contains(res.After, "zones: [europe-west1-b, europe-west1-c]\n") ||
		len(res.Fields) != 2 || res.Fields[1] != (Field{Path: "orbos:orbiter.providers.gce.zones", Old: "[europe-west1-b]", New: "[europe-west1-b, europe-west1-c]"}) {
		t.Fatalf("lists: %v %v %+v\n%s", res.Errors, err, res.Fields, res.After)
	}
	res, err = Apply("o", raw, Edit{Lists: map[string][]string{"orbos:orbiter.firewall.ssh": {"not-a-cidr"}}}, nil)
	if err != nil || len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Path, "firewall.ssh") {
		t.Fatalf("an invalid list: %v %v", res.Errors, err)
	}
	res, err = Apply("o", raw, Edit{Values: map[string]string{"orbos:orbiter.kubernetes.version": "v9.9.9"}}, nil)
	if err != nil || len(res.Errors) != 1 || strings.Contains(res.After, "v9.9.9") {
		t.Fatalf("the version through Values: %v %v", res.Errors, err)
	}
}
