package e2e

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbos/orbos/internal/sshkey"
)

// takeoff deploys the reconciler with least privilege, puts the orbconfig into a Secret that never
// passes through Git or the state, and leaves the workstation with nothing to do.
func TestTakeoffHandsOverToTheReconciler(t *testing.T) {
	o := newORB(t, "takeoff")
	// The workstation reaches the repository by path, which the cluster cannot: refused, nothing changed.
	head := o.remoteHead()
	r := o.run("takeoff", "--image", "registry.example/orbos:v0.1.0", "--wait-ready", "0")
	if r.code == 0 || !strings.Contains(r.stderr, "cannot reach the repository") || !strings.Contains(r.stderr, "--repository") || o.remoteHead() != head {
		t.Fatalf("takeoff with a repository only this machine reaches:\n%s", r)
	}
	key, _, err := sshkey.Generate("reconciler")
	if err != nil {
		t.Fatal(err)
	}
	keyFile, knownHosts := filepath.Join(t.TempDir(), "deploy_key"), filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(keyFile, []byte(key), 0o600); err != nil {
		t.Fatal(err)
	}
	_, hostKey, err := sshkey.Generate("git")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(knownHosts, []byte("git.example.invalid "+hostKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const inClusterRepo = "ssh://git@git.example.invalid/orbs/takeoff.git"
	r = o.run("takeoff", "--image", "registry.example/orbos:v0.1.0", "--wait-ready", "0",
		"--repository", inClusterRepo, "--deploy-key", keyFile, "--known-hosts", knownHosts)
	if r.code != 0 || !strings.Contains(r.stdout, "the reconciler has taken over") {
		t.Fatalf("takeoff:\n%s", r)
	}
	ns := "/apis/apps/v1/namespaces/" + o.namespace()
	_, d := kube(t, ns+"/deployments/orbos-reconciler")
	spec := d["spec"].(map[string]any)
	pod := spec["template"].(map[string]any)["spec"].(map[string]any)
	c := pod["containers"].([]any)[0].(map[string]any)
	if c["image"] != "registry.example/orbos:v0.1.0" || spec["strategy"].(map[string]any)["type"] != "Recreate" {
		t.Fatalf("deployment %v", spec)
	}
	sc := c["securityContext"].(map[string]any)
	if sc["readOnlyRootFilesystem"] != true || sc["allowPrivilegeEscalation"] != false || pod["securityContext"].(map[string]any)["runAsNonRoot"] != true {
		t.Errorf("reconciler security context %v / %v", sc, pod["securityContext"])
	}
	if c["livenessProbe"].(map[string]any)["httpGet"].(map[string]any)["path"] != "/healthz" ||
		c["readinessProbe"].(map[string]any)["httpGet"].(map[string]any)["path"] != "/readyz" {
		t.Errorf("probes %v %v", c["livenessProbe"], c["readinessProbe"])
	}
	if !strings.Contains(strings.Join(toStrings(c["args"]), " "), "reconcile --orbconfig /etc/orbos/orbconfig") {
		t.Errorf("args %v", c["args"])
	}
	_, role := kube(t, "/apis/rbac.authorization.k8s.io/v1/namespaces/"+o.namespace()+"/roles/orbos-reconciler")
	rules := role["rules"].([]any)
	rule := rules[0].(map[string]any)
	if len(rules) != 1 || strings.Join(toStrings(rule["verbs"]), ",") != "get" || strings.Join(toStrings(rule["resourceNames"]), ",") != "orbconfig" {
		t.Errorf("the reconciler may do more than read its orbconfig: %v", rules)
	}
	code, secret := kube(t, "/api/v1/namespaces/"+o.namespace()+"/secrets/orbconfig")
	if code != 200 {
		t.Fatalf("orbconfig Secret: HTTP %d", code)
	}
	got, _ := base64.StdEncoding.DecodeString(secret["data"].(map[string]any)["orbconfig"].(string))
	want, _ := os.ReadFile(o.orbconfig)
	passphrase := ""
	for _, line := range strings.Split(string(want), "\n") {
		if v, ok := strings.CutPrefix(line, "passphrase: "); ok {
			passphrase = v
		}
	}
	if passphrase == "" || !strings.Contains(string(got), passphrase) || !strings.Contains(string(got), "repository: "+inClusterRepo) ||
		!strings.Contains(string(got), "PRIVATE KEY") {
		t.Fatal("the Secret does not hold the orbconfig with the repository as the cluster reaches it")
	}
	for _, f := range []string{".pulumi/stacks/orbos/takeoff.json", "status/takeoff.yaml", "Pulumi.takeoff.yaml"} {
		if strings.Contains(o.remoteFile(f), passphrase) {
			t.Fatalf("the passphrase is in %s", f)
		}
	}
	// The workstation has nothing left to do.
	if r := o.run("preview", "--expect-no-changes"); r.code != 0 {
		t.Fatalf("after takeoff:\n%s", r)
	}

	// A passphrase rotation after takeoff rewrites the in-cluster Secret too.
	r = o.mustRun("secrets", "rotate")
	rotated := passphraseOf(t, o.orbconfig)
	if rotated == passphrase || !strings.Contains(r.stdout, "the in-cluster orbconfig Secret holds it too") {
		t.Fatalf("secrets rotate after takeoff:\n%s", r)
	}
	_, secret = kube(t, "/api/v1/namespaces/"+o.namespace()+"/secrets/orbconfig")
	got, _ = base64.StdEncoding.DecodeString(secret["data"].(map[string]any)["orbconfig"].(string))
	if !strings.Contains(string(got), rotated) || strings.Contains(string(got), passphrase) || !strings.Contains(string(got), "repository: "+inClusterRepo) {
		t.Fatal("the in-cluster Secret does not hold the rotated passphrase with its own repository")
	}
	o.mustRun("preview", "--expect-no-changes")

	// With BOOM's metrics on, the reconciler is scraped through a ServiceMonitor, applied after the
	// metrics tool's CRDs (here a local chart of the ServiceMonitor CRD only).
	o.pushChart("monitoring-crds", "boom: metrics from a local chart", func(s string) string {
		return strings.Replace(s, "      metrics:\n        enabled: false\n        chart: {version: 88.5.3}\n",
			"      metrics:\n        enabled: true\n        chart: {repository: charts/monitoring-crds, name: monitoring-crds, version: 0.1.0}\n", 1)
	})
	o.mustRun("up")
	code, sm := kube(t, "/apis/monitoring.coreos.com/v1/namespaces/"+o.namespace()+"/servicemonitors/orbos-reconciler")
	if code != 200 || !strings.Contains(fmt.Sprint(sm["spec"]), "metrics") {
		t.Fatalf("ServiceMonitor: HTTP %d %v", code, sm)
	}
	o.mustRun("destroy", "--yes")
}

func toStrings(v any) []string {
	var out []string
	for _, e := range v.([]any) {
		out = append(out, e.(string))
	}
	return out
}
