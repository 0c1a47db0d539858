//go:build upgrade

// The real minor upgrade needs the cluster set of two versions; the second (hack/tools.sh
// kubernetes-next) is a cold build of its own that CI's time cannot afford, so `go test ./...`
// does not build this file: `make test-upgrade` runs it.

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orbos/orbos/internal/tools"
	"github.com/orbos/orbos/test/testenv"
)

// upgradeWorkload runs two replicas on the workers, one per worker, and a budget that keeps one
// of them available: every drain has to wait for the other worker's pod to be ready.
const upgradeWorkload = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      nodeSelector: {orbos.io/pool: workers}
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - {labelSelector: {matchLabels: {app: web}}, topologyKey: kubernetes.io/hostname}
      containers:
      - name: web
        image: IMAGE
        args: [serve, ":8080"]
        ports: [{containerPort: 8080}]
        readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: default}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: web}}
`

// nodeSeen is a node as one poll of the API saw it.
type nodeSeen struct {
	cordoned, ready bool
	kubelet         string
}

// sample is one poll of the cluster during the upgrade: every node, and the workload's available
// replicas (-1: the poll of the Deployment failed).
type sample struct {
	at        time.Time
	nodes     map[string]nodeSeen
	available int
}

// watcher polls the cluster through the VIP about once a second while the upgrade runs, counting
// the API's errors (a control plane restarting) instead of failing on them.
type watcher struct {
	kubectl, kubeconfig string
	stop                chan struct{}
	done                chan struct{}

	mu      sync.Mutex
	samples []sample
	errors  []string
}

func (k *realORB) watch() *watcher {
	k.t.Helper()
	k.mustKubectl("version") // writes the kubeconfig
	bin, err := tools.Find("kubectl")
	if err != nil {
		k.t.Fatal(err)
	}
	w := &watcher{kubectl: bin, kubeconfig: filepath.Join(k.dir, "admin.conf"), stop: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w
}

func (w *watcher) run() {
	defer close(w.done)
	for {
		w.poll()
		select {
		case <-w.stop:
			return
		case <-time.After(time.Second):
		}
	}
}

func (w *watcher) get(args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.kubectl, append([]string{"--kubeconfig", w.kubeconfig, "--request-timeout=5s"}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("kubectl %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

func (w *watcher) poll() {
	at := time.Now()
	var list struct {
		Items []struct {
			Metadata struct{ Name string }
			Spec     struct{ Unschedulable bool }
			Status   struct {
				Conditions []struct{ Type, Status string }
				NodeInfo   struct{ KubeletVersion string }
			}
		}
	}
	out, err := w.get("get", "nodes", "-o", "json")
	if err == nil {
		err = json.Unmarshal(out, &list)
	}
	if err != nil {
		w.mu.Lock()
		w.errors = append(w.errors, err.Error())
		w.mu.Unlock()
		return
	}
	s := sample{at: at, nodes: map[string]nodeSeen{}, available: -1}
	for _, n := range list.Items {
		seen := nodeSeen{cordoned: n.Spec.Unschedulable, kubelet: n.Status.NodeInfo.KubeletVersion}
		for _, c := range n.Status.Conditions {
			if c.Type == "Ready" && c.Status == "True" {
				seen.ready = true
			}
		}
		s.nodes[n.Metadata.Name] = seen
	}
	var deploy struct {
		Status struct{ AvailableReplicas int }
	}
	out, err = w.get("-n", "default", "get", "deployment/web", "-o", "json")
	if err == nil {
		err = json.Unmarshal(out, &deploy)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.errors = append(w.errors, err.Error())
	} else {
		s.available = deploy.Status.AvailableReplicas
	}
	w.samples = append(w.samples, s)
}

// end stops polling and returns what was seen.
func (w *watcher) end() ([]sample, []string) {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.samples, w.errors
}

// timeline lists the changes between samples: cordons, uncordons, kubelet versions, readiness and
// the workload's available replicas, at their time since start.
func timeline(start time.Time, samples []sample) []string {
	var out []string
	prev := sample{nodes: map[string]nodeSeen{}, available: -2}
	for _, s := range samples {
		t := fmt.Sprintf("t=%5.1fs", s.at.Sub(start).Seconds())
		names := make([]string, 0, len(s.nodes))
		for n := range s.nodes {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			now, was := s.nodes[n], prev.nodes[n]
			if now.cordoned != was.cordoned {
				out = append(out, fmt.Sprintf("%s %s %s", t, map[bool]string{true: "cordon", false: "uncordon"}[now.cordoned], n))
			}
			if now.kubelet != was.kubelet {
				out = append(out, fmt.Sprintf("%s %s kubelet %s", t, n, now.kubelet))
			}
			if now.ready != was.ready {
				out = append(out, fmt.Sprintf("%s %s %s", t, n, map[bool]string{true: "Ready", false: "NotReady"}[now.ready]))
			}
		}
		if s.available >= 0 && s.available != prev.available {
			out = append(out, fmt.Sprintf("%s web available %d", t, s.available))
		}
		if s.available >= 0 {
			prev.available = s.available
		}
		prev.nodes = s.nodes
	}
	return out
}

// A real minor upgrade, v1.31.4 to v1.32.9, of 3 control planes behind the VIP and 2 workers, with
// each minor version's packages from its own repository (packageRepository.url with {minor}) and
// both versions' images in the ORB's registry. Watched on the cluster while orbctl upgrades it:
// the etcd snapshot is taken before any node is cordoned, one control plane at a time, all of them
// on the new kubelet before the first worker is cordoned, at most maxUnavailable (1) worker at a
// time, and the workload (2 replicas on the workers, a budget of minAvailable 1) never below one
// available replica. At the end every node runs the new version and a second up changes nothing.
func TestRealClusterUpgrade(t *testing.T) {
	from, to := testenv.KubernetesVersion, testenv.KubernetesNextVersion
	env := startRealEnv(t, from, to)
	if !strings.Contains(env.apt.URL, "{minor}") {
		t.Fatalf("the package repository URL %q has no {minor}", env.apt.URL)
	}
	k := newRealORB(t, env, "realup", 3, 2, 0)
	// One worker at a time; and the load balancer checks the API servers' readiness (the kubeapi
	// default) every second, so that one whose etcd restarts is out within seconds.
	k.pushSpec("one worker at a time, API servers checked for readiness", func(s string) string {
		s = strings.Replace(s, "      controlPlane: {pool: control, nodes: 3}\n", "      controlPlane: {pool: control, nodes: 3}\n      maxUnavailable: 1\n", 1)
		return strings.Replace(s, "backendPools: [control]}", "backendPools: [control], healthCheck: {protocol: https, path: /readyz, intervalSeconds: 1}}", 1)
	})
	controlPlanes, workers := []string{"cp-1", "cp-2", "cp-3"}, []string{"w-1", "w-2"}
	nodes := append(append([]string{}, controlPlanes...), workers...)
	want := func(v string) map[string]string {
		m := map[string]string{}
		for _, n := range nodes {
			m[n] = "Ready " + v
		}
		return m
	}
	k.mustRun("up")
	k.waitNodes(want(from))
	for _, n := range nodes {
		if list := k.machines[n].File("/etc/apt/sources.list.d/kubernetes.list"); !strings.Contains(list, env.apt.MinorURL("v1.31")+" ") {
			t.Fatalf("%s: package source %q, want the v1.31 repository", n, list)
		}
	}

	manifest := filepath.Join(k.dir, "web.yaml")
	if err := os.WriteFile(manifest, []byte(strings.ReplaceAll(upgradeWorkload, "IMAGE", env.smokeImage)), 0o644); err != nil {
		t.Fatal(err)
	}
	k.mustKubectl("apply", "-f", manifest)
	if out, err := k.kubectl("-n", "default", "rollout", "status", "deployment/web", "--timeout=180s"); err != nil {
		pods, _ := k.kubectl("get", "pods", "-A", "-o", "wide")
		t.Fatalf("workload: %v\n%s\n%s", err, out, pods)
	}
	if on := k.mustKubectl("-n", "default", "get", "pods", "-l", "app=web", "-o", "jsonpath={range .items[*]}{.spec.nodeName} {end}"); on != "w-1 w-2 " && on != "w-2 w-1 " {
		t.Fatalf("the workload's pods are on %q, want one on each worker", on)
	}

	// The upgrade, watched.
	w := k.watch()
	k.pushSpec("upgrade to "+to, func(s string) string {
		return strings.Replace(s, "version: "+from, "version: "+to, 1)
	})
	start := time.Now()
	r := k.run("up")
	took := time.Since(start)
	samples, apiErrors := w.end()
	t.Logf("the upgrade took %.0fs (orbctl up); %d polls of the cluster, %d API errors while control planes restarted", took.Seconds(), len(samples), len(apiErrors))
	for i, e := range apiErrors {
		if i == 5 {
			t.Logf("  ... %d more", len(apiErrors)-5)
			break
		}
		t.Logf("  API error: %s", e)
	}
	t.Logf("timeline:\n%s", strings.Join(timeline(start, samples), "\n"))
	// For the record: who led the controllers and etcd while the control planes restarted, and
	// what the node lifecycle controller decided.
	for _, cp := range controlPlanes {
		out, _ := k.machines[cp].Run(`cd /var/log/pods 2>/dev/null || exit 0
grep -h -E 'leaderelection|successfully acquired|node_lifecycle_controller.*(Ready|disruption|Unknown)' kube-system_kube-controller-manager-*/*/*.log | tail -n 6
grep -h -E 'elected leader|lost leader|became leader|took too long' kube-system_etcd-*/*/*.log | tail -n 6`)
		if out = strings.TrimSpace(out); out != "" {
			t.Logf("%s: controller-manager and etcd:\n%s", cp, out)
		}
	}
	if r.code != 0 {
		t.Fatalf("orbctl up to %s: %s", to, r)
	}

	// What the watch saw.
	firstCordon := map[string]time.Time{}
	var firstAnyCordon, firstWorkerCordon time.Time
	for _, s := range samples {
		var cps, ws []string
		for n, seen := range s.nodes {
			if !seen.cordoned {
				continue
			}
			if _, ok := firstCordon[n]; !ok {
				firstCordon[n] = s.at
			}
			if strings.HasPrefix(n, "cp-") {
				cps = append(cps, n)
			} else {
				ws = append(ws, n)
			}
		}
		if firstAnyCordon.IsZero() && len(cps)+len(ws) > 0 {
			firstAnyCordon = s.at
		}
		if len(cps) > 1 {
			t.Errorf("t=%.1fs: control planes %v cordoned at once", s.at.Sub(start).Seconds(), cps)
		}
		if len(ws) > 1 {
			t.Errorf("t=%.1fs: workers %v cordoned at once (maxUnavailable 1)", s.at.Sub(start).Seconds(), ws)
		}
		if len(ws) > 0 && firstWorkerCordon.IsZero() {
			firstWorkerCordon = s.at
			for _, cp := range controlPlanes {
				if v := s.nodes[cp].kubelet; v != to {
					t.Errorf("t=%.1fs: worker %v cordoned while %s's kubelet is %s", s.at.Sub(start).Seconds(), ws, cp, v)
				}
			}
		}
		if s.available >= 0 && s.available < 1 {
			t.Errorf("t=%.1fs: the workload had %d available replicas", s.at.Sub(start).Seconds(), s.available)
		}
	}
	// A node is uncordoned only once its new kubelet reports: never seen uncordoned, after its
	// cordon, with the old version.
	for _, n := range nodes {
		cordoned := false
		for _, s := range samples {
			seen, ok := s.nodes[n]
			switch {
			case !ok:
			case seen.cordoned:
				cordoned = true
			case cordoned && seen.kubelet != to:
				t.Errorf("t=%.1fs: %s uncordoned while its kubelet is %s", s.at.Sub(start).Seconds(), n, seen.kubelet)
				cordoned = false
			}
		}
	}
	for _, n := range nodes {
		if _, ok := firstCordon[n]; !ok {
			t.Errorf("%s was never seen cordoned: not drained for its upgrade, or the watch missed it", n)
		}
	}
	if firstAnyCordon.IsZero() {
		t.Fatal("no node was seen cordoned during the upgrade")
	}

	// The etcd snapshot: on the first control plane, named for the upgrade, a snapshot etcd reads,
	// written before the first node was cordoned.
	cp1 := k.machines["cp-1"]
	snaps := strings.Fields(cp1.MustRun(t, "ls -1 /var/lib/orbos/etcd-snapshots/*.db 2>/dev/null || true"))
	if len(snaps) != 1 || !strings.Contains(snaps[0], from+"-to-"+to) {
		t.Fatalf("etcd snapshots on cp-1: %v, want one of the upgrade %s to %s", snaps, from, to)
	}
	mtime, err := strconv.ParseFloat(strings.TrimSpace(cp1.MustRun(t, "stat -c %.9Y "+snaps[0])), 64)
	if err != nil {
		t.Fatal(err)
	}
	taken := time.Unix(0, int64(mtime*1e9))
	if !taken.Before(firstAnyCordon) {
		t.Errorf("the etcd snapshot was written at t=%.1fs, not before the first cordon at t=%.1fs", taken.Sub(start).Seconds(), firstAnyCordon.Sub(start).Seconds())
	}
	status := cp1.MustRun(t, "ETCDCTL_API=3 etcdctl snapshot status -w json "+snaps[0])
	var snap struct{ Revision, TotalKey int }
	if err := json.Unmarshal([]byte(status), &snap); err != nil || snap.Revision == 0 || snap.TotalKey == 0 {
		t.Errorf("the etcd snapshot is not one etcd reads: %v\n%s", err, status)
	}
	t.Logf("t=%5.1fs etcd snapshot %s (revision %d, %d keys); first cordon at t=%.1fs, first worker cordon at t=%.1fs",
		taken.Sub(start).Seconds(), filepath.Base(snaps[0]), snap.Revision, snap.TotalKey, firstAnyCordon.Sub(start).Seconds(), firstWorkerCordon.Sub(start).Seconds())

	// The end: every node Ready on the new version, from the new minor's repository.
	k.waitNodes(want(to))
	pkg := strings.TrimPrefix(to, "v") + "-1.1"
	for _, n := range nodes {
		m := k.machines[n]
		if out := m.MustRun(t, "dpkg-query -W -f '${Version}' kubelet"); out != pkg {
			t.Errorf("%s: kubelet package %q, want %s", n, out, pkg)
		}
		if list := m.File("/etc/apt/sources.list.d/kubernetes.list"); !strings.Contains(list, env.apt.MinorURL("v1.32")+" ") {
			t.Errorf("%s: package source %q, want the v1.32 repository", n, list)
		}
	}
	etcdImage := strings.TrimSpace(k.mustKubectl("-n", "kube-system", "get", "pod", "etcd-cp-1", "-o", "jsonpath={.spec.containers[0].image}"))
	for _, cp := range controlPlanes {
		m := k.machines[cp]
		if out := strings.TrimSpace(m.MustRun(t, "kubeadm version -o short")); out != to {
			t.Errorf("%s: kubeadm version %q", cp, out)
		}
		for _, c := range []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler"} {
			if img := m.File("/etc/kubernetes/manifests/" + c + ".yaml"); !strings.Contains(img, "/"+c+":"+to+"\n") {
				t.Errorf("%s: %s's static pod does not run %s:\n%s", cp, c, to, img)
			}
		}
		if img := m.File("/etc/kubernetes/manifests/etcd.yaml"); !strings.Contains(img, "/etcd:3.5.16-0\n") {
			t.Errorf("%s: etcd's static pod is not kubeadm %s's etcd 3.5.16-0:\n%s", cp, to, img)
		}
	}
	if !strings.HasSuffix(etcdImage, "/etcd:3.5.16-0") {
		t.Errorf("etcd on cp-1 runs %q", etcdImage)
	}
	if proxy := k.mustKubectl("-n", "kube-system", "get", "daemonset", "kube-proxy", "-o", "jsonpath={.spec.template.spec.containers[0].image}"); !strings.HasSuffix(proxy, "/kube-proxy:"+to) {
		t.Errorf("kube-proxy runs %q", proxy)
	}
	if out, err := k.kubectl("-n", "default", "rollout", "status", "deployment/web", "--timeout=180s"); err != nil {
		t.Errorf("the workload after the upgrade: %v\n%s", err, out)
	}

	// A second up changes nothing.
	head := k.remoteHead()
	r = k.mustRun("up")
	if k.remoteHead() != head {
		t.Fatalf("an up after the upgrade made a commit:\n%s", r)
	}
}
