package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/orbos/orbos/stacks"
)

// restoreJob plays the Job controller for one Job the program makes (not a Helm hook): it notes
// the revision at which the Job was created and marks it complete, noting that revision too.
type restoreJob struct {
	mu                 sync.Mutex
	created, completed int64
	err                error
}

func (r *restoreJob) revisions() (int64, int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.created, r.completed, r.err
}

func completeJob(t *testing.T, dyn dynamic.Interface, ns, name string) *restoreJob {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w, err := dyn.Resource(schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}).Namespace(ns).
		Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + name})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	r, done := &restoreJob{}, make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.ResultChan() {
			u, ok := ev.Object.(*unstructured.Unstructured)
			if !ok || ev.Type != watch.Added {
				continue
			}
			patch := `{"status":{"startTime":"2026-12-01T10:00:00Z","completionTime":"2026-12-01T10:01:00Z","succeeded":1,"conditions":[` +
				`{"type":"SuccessCriteriaMet","status":"True","lastTransitionTime":"2026-12-01T10:01:00Z"},` +
				`{"type":"Complete","status":"True","lastTransitionTime":"2026-12-01T10:01:00Z"}]}}`
			code, body, err := apiserver.Patch(context.Background(), "/apis/batch/v1/namespaces/"+ns+"/jobs/"+name+"/status", []byte(patch))
			var after struct {
				Metadata struct {
					ResourceVersion string `json:"resourceVersion"`
				} `json:"metadata"`
			}
			r.mu.Lock()
			r.created = rv(t, u.GetResourceVersion())
			switch {
			case err != nil || code != http.StatusOK:
				r.err = fmt.Errorf("completing the Job %s: HTTP %d %v %s", name, code, err, body)
			case json.Unmarshal(body, &after) != nil:
				r.err = fmt.Errorf("completing the Job %s: %s", name, body)
			default:
				r.completed = rv(t, after.Metadata.ResourceVersion)
			}
			r.mu.Unlock()
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return r
}

// orbctl zitadel restore on CockroachDB, on the real engine and kube-apiserver with the stand-in
// charts: Zitadel is at zero before the restore Job exists, the Job restores the named backup into
// zitadel_r1 with the URI and passphrase only by Secret reference, Zitadel's hooks (and so its way
// back to its replica) come after the Job completed, Zitadel is configured for zitadel_r1, and the
// restore leaves its commits; no stack secret is in the Job, the commits or the output. No pod runs
// here, so the RESTORE itself does not (its SQL is unit-tested with a stand-in cockroach).
func TestZitadelCockroachRestore(t *testing.T) {
	t.Cleanup(func() {
		for _, crd := range zitadelCRDs {
			_, _, _ = apiserver.Delete(context.Background(), "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"+crd)
		}
	})
	const ns, job, backup = "zcr-id", "zitadel-db-restore-r1", "2026/12/01-030000.00"
	stack := map[string]string{
		"backup-passphrase": "pass-" + strings.Repeat("7d2e", 6),
		"s3-id":             "AKIA" + strings.Repeat("ZCRR", 4),
		"s3-key":            "s3key-" + strings.Repeat("b9e4", 8),
	}
	o := newORB(t, "zcr")
	for k, v := range stack {
		o.setStackSecret(k, v)
	}
	var output strings.Builder
	run := func(args ...string) result {
		t.Helper()
		r := o.mustRun(args...)
		output.WriteString(r.stdout + r.stderr)
		return r
	}
	o.pushChart("gateway-api", "charts: gateway-api", func(s string) string { return s })
	o.pushChartAt("zitadel", stacks.ZitadelV2Chart.Version, "charts: zitadel", func(s string) string { return s })
	o.pushChart("cockroachdb", "zitadel: v2 on CockroachDB", func(s string) string {
		s = strings.Replace(s, "      gateway:\n        enabled: false\n", `      gateway:
        enabled: true
        chart: {repository: charts/gateway-api, name: gateway-api, version: 0.1.0}
        namespace: zcr-gateway
        gateway: {hostnames: [id.e2e.orbos.io]}
`, 1)
		return s + strings.Replace(zitadelCockroach, "    enabled: true\n", "    enabled: true\n    namespace: "+ns+"\n", 1)
	})
	hooks := completeHookJobs(t, ns, "/apis/apps/v1/namespaces/"+ns+"/deployments/zitadel")
	run("up")
	hooks.stop()

	cfg, err := clientcmd.BuildConfigFromFlags("", apiserver.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	deployment := watchDeployment(t, dyn, ns, "zitadel")
	restore := completeJob(t, dyn, ns, job)
	stopHooks := gatedHooks(t, ns, func() bool { _, done, _ := restore.revisions(); return done != 0 })
	r := run("zitadel", "restore", "--from", "/"+backup, "--yes")
	stopHooks()
	if !strings.Contains(r.stdout, "Zitadel runs on zitadel_r1, restored from "+backup) {
		t.Errorf("the restore's output:\n%s", r)
	}
	created, completed, err := restore.revisions()
	if err != nil || created == 0 || completed == 0 {
		t.Fatalf("the restore Job: created at %d, completed at %d: %v", created, completed, err)
	}
	zeroAt, backAt := deployment.zeroThenBack(1)
	if zeroAt == 0 || zeroAt > created {
		t.Errorf("Zitadel at zero at revision %d, the restore Job made at %d", zeroAt, created)
	}
	if backAt == 0 || backAt < completed {
		t.Errorf("Zitadel back to 1 replica at revision %d, the restore Job completed at %d: %+v", backAt, completed, deployment.list())
	}

	code, j := kube(t, "/apis/batch/v1/namespaces/"+ns+"/jobs/"+job)
	script := fmt.Sprint(field(j, "spec", "template", "spec", "containers", 0, "command", 2))
	if code != http.StatusOK || !strings.Contains(script, "RESTORE DATABASE zitadel FROM '"+backup+"' IN $(q \"$BACKUP_URI\") WITH new_db_name = 'zitadel_r1'") ||
		field(j, "spec", "template", "spec", "containers", 0, "env", 0, "valueFrom", "secretKeyRef", "name") != "zitadel-db-backup-target" ||
		field(j, "spec", "template", "spec", "volumes", 0, "secret", "secretName") != "zitadel-db-root" {
		t.Errorf("the restore Job: HTTP %d %v", code, j["spec"])
	}
	raw, _ := json.Marshal(j)
	_, cm := kube(t, "/api/v1/namespaces/"+ns+"/configmaps/zitadel-config-yaml")
	if c := fmt.Sprint(field(cm, "data", "zitadel-config-yaml")); !strings.Contains(c, "Database: zitadel_r1") {
		t.Errorf("Zitadel does not work in the restored database:\n%s", c)
	}
	if d := o.remoteFile("Pulumi.zcr.yaml"); !strings.Contains(d, "backup: "+backup) || !strings.Contains(d, "generation: 1") {
		t.Errorf("the desired state lacks the restore:\n%s", d)
	}
	msg := gitLog(t, o, "main")
	for _, want := range []string{"Orbos-Operation: up", "Orbos-Zitadel-Backup: " + backup, "Orbos-Zitadel-Restore: 1"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the restore's state commit lacks %q:\n%s", want, msg)
		}
	}
	msg = gitLog(t, o, "main~1")
	for _, want := range []string{"Orbos-Operation: zitadel restore", "Orbos-Zitadel-Backup: " + backup, "into zitadel_r1", "The database zitadel stays."} {
		if !strings.Contains(msg, want) {
			t.Errorf("the restore's commit lacks %q:\n%s", want, msg)
		}
	}

	values := map[string]string{}
	for k, v := range stack {
		values["stack secret "+k] = v
		if strings.Contains(string(raw), v) {
			t.Errorf("the %s is in the restore Job", k)
		}
		if strings.Contains(output.String(), v) {
			t.Errorf("the %s is in orbctl's output", k)
		}
	}
	o.assertNoPlaintext(values)
	run("destroy", "--yes")
	waitGone(t, "/api/v1/namespaces/"+ns+"/secrets/zitadel-db-node")
}
