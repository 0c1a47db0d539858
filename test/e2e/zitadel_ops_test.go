package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/orbos/orbos/automation/dbbackup"
	"github.com/orbos/orbos/internal/gittest"
	"github.com/orbos/orbos/test/testenv"
)

// deploymentEvents records the replicas of one Deployment at each watch event, with the
// resourceVersion (the API server's revision) that orders it against the stand-in's events.
type deploymentEvents struct {
	mu     sync.Mutex
	events []rvEvent
	stop   context.CancelFunc
	done   chan struct{}
}

type rvEvent struct {
	rv       int64
	replicas int64
}

func watchDeployment(t *testing.T, dyn dynamic.Interface, ns, name string) *deploymentEvents {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w, err := dyn.Resource(schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}).Namespace(ns).
		Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + name})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	d := &deploymentEvents{stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(d.done)
		for ev := range w.ResultChan() {
			u, ok := ev.Object.(*unstructured.Unstructured)
			if !ok || ev.Type == watch.Deleted {
				continue
			}
			n, _, _ := unstructured.NestedInt64(u.Object, "spec", "replicas")
			d.mu.Lock()
			d.events = append(d.events, rvEvent{rv: rv(t, u.GetResourceVersion()), replicas: n})
			d.mu.Unlock()
		}
	}()
	t.Cleanup(func() { cancel(); <-d.done })
	return d
}

func (d *deploymentEvents) list() []rvEvent {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]rvEvent(nil), d.events...)
}

// zeroThenBack is the revision at which the Deployment was first scaled to zero, and the first
// after it at which it had replicas again (0 for what never happened).
func (d *deploymentEvents) zeroThenBack(replicas int64) (zeroAt, backAt int64) {
	for _, e := range d.list() {
		if e.replicas == 0 && zeroAt == 0 {
			zeroAt = e.rv
		}
		if e.replicas == replicas && zeroAt != 0 && backAt == 0 {
			backAt = e.rv
		}
	}
	return zeroAt, backAt
}

func rv(t *testing.T, s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Errorf("resourceVersion %q: %v", s, err)
	}
	return n
}

// gatedHooks plays the Job controller for Helm's hook Jobs in ns, completing each only once open
// says so: Zitadel's setup hook connects to the database, so on a restore it cannot finish before
// the restored cluster is Ready.
func gatedHooks(t *testing.T, ns string, open func() bool) func() {
	quit, done := make(chan struct{}), make(chan struct{})
	completed := map[string]bool{}
	go func() {
		defer close(done)
		for {
			select {
			case <-quit:
				return
			case <-time.After(100 * time.Millisecond):
			}
			if !open() {
				continue
			}
			code, list, err := apiserver.Get(context.Background(), "/apis/batch/v1/namespaces/"+ns+"/jobs")
			if err != nil || code != http.StatusOK {
				continue
			}
			var jobs struct {
				Items []map[string]any `json:"items"`
			}
			if json.Unmarshal(list, &jobs) != nil {
				continue
			}
			for _, j := range jobs.Items {
				uid := fmt.Sprint(field(j, "metadata", "uid"))
				if field(j, "metadata", "annotations", "helm.sh/hook") == nil || completed[uid] {
					continue
				}
				now := time.Now().UTC().Format(time.RFC3339)
				patch := fmt.Sprintf(`{"status":{"startTime":%q,"completionTime":%q,"succeeded":1,"conditions":[`+
					`{"type":"SuccessCriteriaMet","status":"True","lastProbeTime":%[1]q,"lastTransitionTime":%[1]q},`+
					`{"type":"Complete","status":"True","lastProbeTime":%[1]q,"lastTransitionTime":%[1]q}]}}`, now, now)
				code, _, err := apiserver.Patch(context.Background(), "/apis/batch/v1/namespaces/"+ns+"/jobs/"+fmt.Sprint(field(j, "metadata", "name"))+"/status", []byte(patch))
				if err == nil && code == http.StatusOK {
					completed[uid] = true
				}
			}
		}
	}()
	var once sync.Once
	stop := func() { once.Do(func() { close(quit); <-done }) }
	t.Cleanup(stop)
	return stop
}

// orbctl zitadel backup, backups and restore on the real engine and kube-apiserver, with the
// stand-in charts and a stand-in CloudNativePG operator (test/testenv/cnpg.go) that completes
// Backups and readies Clusters: a backup creates its Backup and a commit with its trailers; the
// list is newest first; a restore scales Zitadel to zero before the restored Cluster exists,
// brings it back to its replicas after that Cluster is Ready (the setup hook waits for the
// database), keeps the old Cluster, and leaves its commits, which orbctl history shows.
func TestZitadelBackupAndRestore(t *testing.T) {
	o := newORB(t, "zops")
	const ns = "zops-id"
	t.Cleanup(func() {
		for _, crd := range zitadelCRDs {
			_, _, _ = apiserver.Delete(context.Background(), "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"+crd)
		}
	})
	var output strings.Builder
	run := func(args ...string) result {
		t.Helper()
		r := o.mustRun(args...)
		output.WriteString(r.stdout + r.stderr)
		return r
	}
	stack := map[string]string{
		"smtp-password": "smtp-" + strings.Repeat("4e1f", 6),
		"s3-id":         "AKIA" + strings.Repeat("ZOPS", 4),
		"s3-key":        "s3key-" + strings.Repeat("a8c3", 8),
	}
	for name, v := range stack {
		o.setStackSecret(name, v)
	}
	for _, chart := range []string{"gateway-api", "cert-manager-crds", "cloudnative-pg", "plugin-barman-cloud"} {
		o.pushChart(chart, "charts: "+chart, func(s string) string { return s })
	}
	o.pushChart("zitadel", "zitadel: on PostgreSQL with backups", func(s string) string {
		s = strings.Replace(s, "    tools:\n      gateway:\n        enabled: false\n      certificates:\n        enabled: false\n", zitadelEdge, 1)
		return s + strings.Replace(zitadelSection, "    enabled: true\n", "    enabled: true\n    namespace: "+ns+"\n", 1)
	})
	stopHooks := gatedHooks(t, ns, func() bool { return true })
	run("up")
	stopHooks()

	cfg, err := clientcmd.BuildConfigFromFlags("", apiserver.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cnpg, err := testenv.StartCNPG(ctx, dyn, ns)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Second)
	cnpg.Clock = func() time.Time { clock = clock.Add(time.Minute); return clock }
	defer func() {
		if err := cnpg.Stop(); err != nil {
			t.Error(err)
		}
	}()

	// A scheduled backup, as the ScheduledBackup's controller would make it, then one on demand.
	sched := dbbackup.BackupObject(ns, "zitadel-db-daily-20261201023000", "zitadel-db")
	sched.SetLabels(map[string]string{dbbackup.ScheduledLabel: "zitadel-db-daily"})
	if _, err := dyn.Resource(dbbackup.BackupResource).Namespace(ns).Create(ctx, sched, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	head := o.remoteHead()
	r := run("zitadel", "backup", "-o", "json")
	var took struct {
		Backup dbbackup.Backup `json:"backup"`
		Commit string          `json:"commit"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &took); err != nil {
		t.Fatalf("backup output: %v\n%s", err, r)
	}
	if took.Backup.Phase != dbbackup.PhaseCompleted || !strings.HasPrefix(took.Backup.Name, "zitadel-db-") || took.Backup.BackupID == "" || took.Commit != o.remoteHead() {
		t.Errorf("backup %+v commit %s (remote %s, before %s)", took.Backup, took.Commit, o.remoteHead(), head)
	}
	code, obj := kube(t, "/apis/postgresql.cnpg.io/v1/namespaces/"+ns+"/backups/"+took.Backup.Name)
	if code != http.StatusOK || field(obj, "spec", "cluster", "name") != "zitadel-db" || field(obj, "spec", "method") != "plugin" ||
		field(obj, "spec", "pluginConfiguration", "name") != dbbackup.BarmanPlugin {
		t.Errorf("the Backup: HTTP %d %v", code, obj["spec"])
	}
	msg := gitLog(t, o, took.Commit)
	for _, want := range []string{"Orbos-Operation: zitadel backup", "Orbos-Outcome: succeeded", "Orbos-Zitadel-Backup: " + took.Backup.Name} {
		if !strings.Contains(msg, want) {
			t.Errorf("the backup's commit lacks %q:\n%s", want, msg)
		}
	}
	if f := o.remoteFile("status/zops.zitadel-backups.yaml"); !strings.Contains(f, took.Backup.Name) {
		t.Errorf("the backup is not noted:\n%s", f)
	}

	head = o.remoteHead()
	r = run("zitadel", "backups", "-o", "json")
	var listed []dbbackup.Backup
	if err := json.Unmarshal([]byte(r.stdout), &listed); err != nil {
		t.Fatalf("backups output: %v\n%s", err, r)
	}
	if len(listed) != 2 || listed[0].Name != took.Backup.Name || listed[0].Method != dbbackup.OnDemand ||
		listed[1].Name != "zitadel-db-daily-20261201023000" || listed[1].Method != dbbackup.Scheduled {
		t.Errorf("listed %+v", listed)
	}
	if o.remoteHead() != head {
		t.Error("listing the backups committed")
	}
	if r := run("zitadel", "backups"); !strings.Contains(r.stdout, "NAME") || !strings.Contains(r.stdout, took.Backup.Name) {
		t.Errorf("the table:\n%s", r)
	}

	// The restore: Zitadel to zero before the new Cluster exists; its hooks (and so its way back
	// to two replicas) only once that Cluster is Ready.
	deployment := watchDeployment(t, dyn, ns, "zitadel")
	ready := func() bool {
		for _, e := range cnpg.Events() {
			if e.Kind == "Cluster" && e.Name == "zitadel-db-r1" && e.Ready {
				return true
			}
		}
		return false
	}
	stopHooks = gatedHooks(t, ns, ready)
	r = run("zitadel", "restore", "--from", took.Backup.Name, "--yes")
	stopHooks()
	if !strings.Contains(r.stdout, "Zitadel runs on zitadel-db-r1") {
		t.Errorf("the restore's output:\n%s", r)
	}
	var created, readyAt int64
	for _, e := range cnpg.Events() {
		if e.Kind == "Cluster" && e.Name == "zitadel-db-r1" {
			if e.Type == string(watch.Added) && created == 0 {
				created = rv(t, e.ResourceVersion)
			}
			if e.Ready && readyAt == 0 {
				readyAt = rv(t, e.ResourceVersion)
			}
		}
	}
	if created == 0 || readyAt == 0 {
		t.Fatalf("the stand-in saw no restored Cluster made and Ready: %+v", cnpg.Events())
	}
	zeroAt, backAt := deployment.zeroThenBack(2)
	if zeroAt == 0 || zeroAt > created {
		t.Errorf("Zitadel at zero at revision %d, the restored Cluster made at %d", zeroAt, created)
	}
	if backAt == 0 || backAt < readyAt {
		t.Errorf("Zitadel back to 2 replicas at revision %d, the restored Cluster Ready at %d: %+v", backAt, readyAt, deployment.list())
	}
	code, cl := kube(t, "/apis/postgresql.cnpg.io/v1/namespaces/"+ns+"/clusters/zitadel-db-r1")
	if code != http.StatusOK || field(cl, "spec", "bootstrap", "recovery", "source") != "origin" ||
		field(cl, "spec", "bootstrap", "recovery", "recoveryTarget", "backupID") != took.Backup.BackupID ||
		field(cl, "spec", "externalClusters", 0, "plugin", "parameters", "serverName") != "zitadel-db" ||
		field(cl, "spec", "plugins", 0, "parameters", "serverName") != "zitadel-db-r1" {
		t.Errorf("the restored Cluster: HTTP %d %v", code, cl["spec"])
	}
	if code, _ := kube(t, "/apis/postgresql.cnpg.io/v1/namespaces/"+ns+"/clusters/zitadel-db"); code != http.StatusOK {
		t.Errorf("the replaced Cluster is gone: HTTP %d", code)
	}
	if _, sb := kube(t, "/apis/postgresql.cnpg.io/v1/namespaces/"+ns+"/scheduledbackups/zitadel-db-daily"); field(sb, "spec", "cluster", "name") != "zitadel-db-r1" {
		t.Errorf("the ScheduledBackup follows %v", field(sb, "spec", "cluster", "name"))
	}
	_, cm := kube(t, "/api/v1/namespaces/"+ns+"/configmaps/zitadel-config-yaml")
	if c := fmt.Sprint(field(cm, "data", "zitadel-config-yaml")); !strings.Contains(c, "Host: zitadel-db-r1-rw."+ns+".svc") {
		t.Errorf("Zitadel does not connect to the restored cluster:\n%s", c)
	}
	if d := o.remoteFile("Pulumi.zops.yaml"); !strings.Contains(d, "backup: "+took.Backup.Name) || !strings.Contains(d, "generation: 1") {
		t.Errorf("the desired state lacks the restore:\n%s", d)
	}
	msg = gitLog(t, o, "main")
	for _, want := range []string{"Orbos-Operation: up", "Orbos-Zitadel-Backup: " + took.Backup.Name, "Orbos-Zitadel-Restore: 1"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the restore's state commit lacks %q:\n%s", want, msg)
		}
	}
	msg = gitLog(t, o, "main~1")
	for _, want := range []string{"Orbos-Operation: zitadel restore", "Orbos-Zitadel-Backup: " + took.Backup.Name, "into zitadel-db-r1"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the restore's commit lacks %q:\n%s", want, msg)
		}
	}
	h := run("history", "-n", "5").stdout
	for _, want := range []string{"zitadel restore", "zitadel backup", took.Backup.Name} {
		if !strings.Contains(h, want) {
			t.Errorf("orbctl history lacks %q:\n%s", want, h)
		}
	}

	// No secret of the component in these commands' commits, notes or output.
	values := map[string]string{}
	for name, v := range stack {
		values["stack secret "+name] = v
	}
	o.assertNoPlaintext(values)
	for name, v := range values {
		if strings.Contains(output.String(), v) {
			t.Errorf("the %s is in orbctl's output", name)
		}
	}

	if os.Getenv("ORBOS_E2E_KEEP") == "" {
		run("destroy", "--yes")
		// Retained clusters stay after destroy too: removed by hand, as README says.
		for _, c := range []string{"zitadel-db", "zitadel-db-r1"} {
			_, _, _ = apiserver.Delete(context.Background(), "/apis/postgresql.cnpg.io/v1/namespaces/"+ns+"/clusters/"+c)
		}
	}
}

// gitLog is the full message of a commit of the remote.
func gitLog(t *testing.T, o *orb, rev string) string {
	t.Helper()
	return gittest.Git(t, o.remote, "log", "-1", "--format=%B", rev)
}
