package e2e

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var wantResources = func(o *orb) []string {
	return []string{"kubernetes:core/v1:ConfigMap orb", "kubernetes:core/v1:Namespace " + o.namespace()}
}

// up commits and pushes state; a fresh clone with only the orbconfig sees no changes and can destroy.
func TestUpPushesStateAndAFreshCloneTakesOver(t *testing.T) {
	o := newORB(t, "lifecycle")

	preview := o.mustRun("preview")
	if !strings.Contains(preview.stdout, "2 to create") || !strings.Contains(preview.stderr, "+  kubernetes:core/v1:Namespace "+o.namespace()) {
		t.Fatalf("preview does not show the plan:\n%s", preview)
	}
	before := o.remoteHead()
	up := o.mustRun("up", "-o", "json")
	var res struct {
		Outcome string         `json:"outcome"`
		Commit  string         `json:"commit"`
		Pushed  bool           `json:"pushed"`
		Changes map[string]int `json:"changes"`
	}
	if err := json.Unmarshal([]byte(up.stdout), &res); err != nil {
		t.Fatalf("up -o json: %v\n%s", err, up)
	}
	if res.Outcome != "succeeded" || !res.Pushed || res.Changes["create"] != 2 {
		t.Fatalf("up result %+v", res)
	}
	if head := o.remoteHead(); head != res.Commit || head == before {
		t.Fatalf("remote head %s, run commit %s (before %s)", head, res.Commit, before)
	}
	if got := o.stateResources(); !slices.Equal(got, wantResources(o)) {
		t.Fatalf("pushed state holds %v", got)
	}
	if !strings.Contains(o.remoteFile("status/lifecycle.yaml"), "outcome: succeeded") {
		t.Fatalf("status not pushed:\n%s", o.remoteFile("status/lifecycle.yaml"))
	}
	code, cm := kube(t, "/api/v1/namespaces/"+o.namespace()+"/configmaps/orb")
	if code != http.StatusOK {
		t.Fatalf("ConfigMap: HTTP %d", code)
	}
	data := cm["data"].(map[string]any)
	if data["orb"] != "lifecycle" || data["kubernetesVersion"] != "v1.31.4" {
		t.Fatalf("ConfigMap data %v", data)
	}

	// A run with nothing to do makes no commit.
	head := o.remoteHead()
	noop := o.mustRun("up")
	if !strings.Contains(noop.stdout, "no commit") || o.remoteHead() != head {
		t.Fatalf("no-op up committed:\n%s", noop)
	}

	// Disaster recovery: another directory with only the orbconfig.
	fresh := o.withCheckout(filepath.Join(t.TempDir(), "elsewhere"))
	if r := fresh.run("preview", "--expect-no-changes"); r.code != 0 {
		t.Fatalf("fresh clone sees changes:\n%s", r)
	}
	st := fresh.mustRun("status")
	if !strings.Contains(st.stdout, "up succeeded") || !lockFree.MatchString(st.stdout) {
		t.Fatalf("status from a fresh clone:\n%s", st)
	}

	// A desired change made through the CLI is shown as a diff and applied.
	fresh.mustRun("config", "set", "orbos:orbiter.kubernetes.version", "v1.31.5")
	diff := o.run("preview", "--expect-no-changes")
	if diff.code != 5 || !strings.Contains(diff.stderr, `~ data.kubernetesVersion: "v1.31.4" => "v1.31.5"`) {
		t.Fatalf("preview of a version change:\n%s", diff)
	}
	o.mustRun("up")
	if _, cm := kube(t, "/api/v1/namespaces/"+o.namespace()+"/configmaps/orb"); cm["data"].(map[string]any)["kubernetesVersion"] != "v1.31.5" {
		t.Fatalf("ConfigMap not updated: %v", cm["data"])
	}

	// Destroy from the fresh clone removes everything, and says so in the pushed state.
	if r := fresh.run("destroy"); r.code == 0 {
		t.Fatalf("destroy ran without confirmation:\n%s", r)
	}
	fresh.mustRun("destroy", "--yes")
	waitGone(t, "/api/v1/namespaces/"+o.namespace())
	if got := o.stateResources(); len(got) != 0 {
		t.Fatalf("state after destroy holds %v", got)
	}
	hist := o.mustRun("history", "-n", "0", "-o", "json")
	var entries []struct {
		Operation, Outcome string
	}
	if err := json.Unmarshal([]byte(hist.stdout), &entries); err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, e := range entries {
		ops = append(ops, e.Operation+":"+e.Outcome)
	}
	want := []string{"destroy:succeeded", "up:succeeded", "config:", "up:succeeded", "config:", "init:"}
	if !slices.Equal(ops, want) {
		t.Fatalf("history %v, want %v", ops, want)
	}
}
