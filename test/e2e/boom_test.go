package e2e

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/orbos/orbos/internal/gittest"
)

// pushChart commits testdata/charts/<name> into the ORB repository under charts/<name>, and the
// spec edit with it, as a user would.
func (o *orb) pushChart(name, msg string, edit func(string) string) {
	o.t.Helper()
	o.pushChartAt(name, "", msg, edit)
}

// pushChartAt is pushChart with the chart's Chart.yaml saying version (unless empty): a stand-in
// chart standing in for another line of the real chart.
func (o *orb) pushChartAt(name, version, msg string, edit func(string) string) {
	o.t.Helper()
	user := filepath.Join(o.t.TempDir(), "user")
	gittest.Git(o.t, filepath.Dir(user), "clone", "-q", o.remote, user)
	if err := os.MkdirAll(filepath.Join(user, "charts"), 0o755); err != nil {
		o.t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-R", filepath.Join("testdata", "charts", name), filepath.Join(user, "charts", name)).CombinedOutput(); err != nil {
		o.t.Fatalf("copying the chart: %v\n%s", err, out)
	}
	if version != "" {
		meta := filepath.Join(user, "charts", name, "Chart.yaml")
		raw, err := os.ReadFile(meta)
		if err != nil {
			o.t.Fatal(err)
		}
		re := regexp.MustCompile(`(?m)^version: .*$`)
		if !re.Match(raw) {
			o.t.Fatalf("%s has no version", meta)
		}
		if err := os.WriteFile(meta, re.ReplaceAll(raw, []byte("version: "+version)), 0o644); err != nil {
			o.t.Fatal(err)
		}
	}
	f := filepath.Join(user, "Pulumi."+o.name+".yaml")
	raw, err := os.ReadFile(f)
	if err != nil {
		o.t.Fatal(err)
	}
	if err := os.WriteFile(f, []byte(edit(string(raw))), 0o644); err != nil {
		o.t.Fatal(err)
	}
	gittest.Git(o.t, user, "add", "-A")
	gittest.Git(o.t, user, "commit", "-qm", msg)
	gittest.Git(o.t, user, "push", "-q", "origin", "main")
}

const demoCRD = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.boom.e2e.orbos.io"

// A tool from a local chart on the real engine and kube-apiserver: its CRD applied before the custom
// resource that needs it, in the same first run; the spec's values and placement in the objects; a
// value changed in place; drift seen by refresh and undone by up; the tool turned off removed, its
// CRD kept. The API server has no nodes, so the engine does not wait for the Deployment.
func TestBoomToolFromALocalChart(t *testing.T) {
	o := newORB(t, "boom")
	t.Cleanup(func() { _, _, _ = apiserver.Delete(context.Background(), demoCRD) })
	const ns = "boom-demo"
	o.pushChart("demo", "boom: the demo tool", func(s string) string {
		return strings.Replace(s, "    tools:\n", `    tools:
      demo:
        enabled: true
        chart: {repository: charts/demo, name: demo, version: 0.1.0}
        namespace: `+ns+`
        values: {greeting: hello}
        nodeSelector: {orbos.io/pool: infra}
        resources: {requests: {memory: 64Mi}}
`, 1)
	})

	up := o.mustRun("up")
	if !strings.Contains(up.stderr, "no nodes") {
		t.Errorf("up does not say it skips waiting on a cluster without nodes:\n%s", up.stderr)
	}
	code, crd := kube(t, demoCRD)
	if code != http.StatusOK {
		t.Fatalf("the chart's CRD: HTTP %d", code)
	}
	if ann := crd["metadata"].(map[string]any)["annotations"].(map[string]any); ann["helm.sh/resource-policy"] != "keep" {
		t.Errorf("the CRD is not marked to be kept: %v", ann)
	}
	if code, _ := kube(t, "/apis/boom.e2e.orbos.io/v1/namespaces/"+ns+"/widgets/demo-widget"); code != http.StatusOK {
		t.Fatalf("the custom resource: HTTP %d", code)
	}
	cmPath := "/api/v1/namespaces/" + ns + "/configmaps/demo-greeting"
	code, cm := kube(t, cmPath)
	if code != http.StatusOK || cm["data"].(map[string]any)["greeting"] != "hello" {
		t.Fatalf("the ConfigMap: HTTP %d %v", code, cm["data"])
	}
	uid := cm["metadata"].(map[string]any)["uid"]
	_, d := kube(t, "/apis/apps/v1/namespaces/"+ns+"/deployments/demo")
	pod := d["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	requests, _ := pod["containers"].([]any)[0].(map[string]any)["resources"].(map[string]any)["requests"].(map[string]any)
	if pod["nodeSelector"].(map[string]any)["orbos.io/pool"] != "infra" || requests["memory"] != "64Mi" {
		t.Errorf("the spec's placement did not reach the Deployment: %v", pod)
	}
	if code, _ := kube(t, "/api/v1/namespaces/"+ns+"/configmaps/demo-hook"); code != http.StatusNotFound {
		t.Errorf("a Helm hook was applied by Chart v4: HTTP %d", code)
	}
	if r := o.run("preview", "--expect-no-changes"); r.code != 0 {
		t.Fatalf("a second preview sees changes:\n%s", r)
	}
	// The status reads the tool back from the cluster: its Deployment never rolls out without nodes.
	st := o.remoteFile("status/boom.yaml")
	for _, want := range []string{"name: demo", "chart: demo", "version: 0.1.0", "namespace: " + ns, "workloads: 1", "ready: 0", "status: progressing", "Deployment " + ns + "/demo"} {
		if !strings.Contains(st, want) {
			t.Errorf("status/boom.yaml lacks %q:\n%s", want, st)
		}
	}
	if r := o.mustRun("status"); !strings.Contains(r.stdout, "BOOM tools:") || !strings.Contains(r.stdout, "0/1") {
		t.Errorf("orbctl status does not show the tool:\n%s", r.stdout)
	}

	// A value changed: previewed as an update of the one object, applied in place.
	o.pushSpec("boom: greet in French", func(s string) string { return strings.Replace(s, "{greeting: hello}", "{greeting: bonjour}", 1) })
	diff := o.run("preview", "--expect-no-changes")
	if diff.code != 5 || !strings.Contains(diff.stderr, "demo-greeting") || !strings.Contains(diff.stderr, "bonjour") {
		t.Fatalf("preview of a value change:\n%s", diff)
	}
	o.mustRun("up")
	_, cm = kube(t, cmPath)
	if cm["data"].(map[string]any)["greeting"] != "bonjour" || cm["metadata"].(map[string]any)["uid"] != uid {
		t.Fatalf("the ConfigMap was not updated in place: %v", cm)
	}

	// Drift: changed behind orbos's back, seen by refresh, undone by up.
	if code, body, err := apiserver.Patch(context.Background(), cmPath, []byte(`{"data":{"greeting":"tampered"}}`)); err != nil || code != http.StatusOK {
		t.Fatalf("tampering: HTTP %d %v %s", code, err, body)
	}
	o.mustRun("refresh")
	if r := o.run("preview", "--expect-no-changes"); r.code != 5 || !strings.Contains(r.stderr, "demo-greeting") {
		t.Fatalf("after a refresh, preview does not plan to undo the drift:\n%s", r)
	}
	o.mustRun("up")
	if _, cm = kube(t, cmPath); cm["data"].(map[string]any)["greeting"] != "bonjour" {
		t.Fatalf("up did not undo the drift: %v", cm["data"])
	}

	// Turned off: the tool's objects go, its CRD stays.
	o.pushSpec("boom: demo off", func(s string) string {
		return strings.Replace(s, "      demo:\n        enabled: true", "      demo:\n        enabled: false", 1)
	})
	o.mustRun("up")
	waitGone(t, cmPath)
	waitGone(t, "/apis/apps/v1/namespaces/"+ns+"/deployments/demo")
	if code, _ := kube(t, demoCRD); code != http.StatusOK {
		t.Fatalf("the CRD went with the tool: HTTP %d", code)
	}
	for _, r := range o.stateResources() {
		if strings.Contains(r, "demo") || strings.Contains(r, "widgets") {
			t.Errorf("the state still holds %s", r)
		}
	}
	o.mustRun("destroy", "--yes")
}
