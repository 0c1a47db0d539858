package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/orbos/orbos/internal/tools"
	"github.com/orbos/orbos/stacks"
	"github.com/orbos/orbos/test/testenv"
)

// realEnv is what a real cluster needs around its machines, all on the machines' network and
// nothing outside it: Debian's docker-registry with the control-plane images (and the smoke test's)
// built here, and a signed apt repository with the kubeadm, kubelet and kubectl packages built here.
type realEnv struct {
	net             *testenv.Network
	registry        *testenv.Registry
	apt             *testenv.AptRepo
	imageRepository string
	smokeImage      string
}

// startRealEnv serves the cluster set of each version (testenv.KubernetesVersion when none is
// named): all images in the one registry, and with more than one version the packages of each
// minor version under /vX.Y/ of the one apt server, whose URL then holds {minor}.
func startRealEnv(t *testing.T, versions ...string) *realEnv {
	t.Helper()
	if len(versions) == 0 {
		versions = []string{testenv.KubernetesVersion}
	}
	if err := testenv.CheckDiskFree(os.TempDir(), testenv.RealClusterDiskFree); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	e := &realEnv{net: testenv.StartNetwork(t)}
	gw := e.net.Gateway.String()
	var err error
	if e.registry, err = testenv.StartRegistry(ctx, t.TempDir(), gw); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.registry.Stop() })
	debs := map[string]string{}
	for _, v := range versions {
		images, err := testenv.ArtifactDir("images-" + v)
		if err != nil {
			t.Fatal(err)
		}
		if debs[stacks.MinorOf(v)], err = testenv.ArtifactDir("debs-" + v); err != nil {
			t.Fatal(err)
		}
		if e.imageRepository, _, err = e.registry.PushKubernetesImages(ctx, images); err != nil {
			t.Fatal(err)
		}
	}
	if e.smokeImage, err = e.registry.PushSmokeImage(ctx, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if len(versions) == 1 {
		e.apt, err = testenv.ServeAptRepo(debs[stacks.MinorOf(versions[0])], gw)
	} else {
		e.apt, err = testenv.ServeAptRepos(debs, gw)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.apt.Stop() })
	return e
}

// realORB is a static ORB whose machines are test machines that orbctl makes a real cluster of.
type realORB struct {
	*orb
	env      *realEnv
	machines map[string]*testenv.Machine
	key      string
	vip      string
}

// newRealORB starts machines cp-1..cp-N and w-1..w-M (the workers' spare w-M+1 too, for scaling
// out) and pushes a spec that makes them a cluster with the hostgw CNI, everything pulled from env.
// With more than one control plane, a load-balancer machine lb-1 serves the API on a VIP.
func newRealORB(t *testing.T, env *realEnv, name string, controlPlanes, workers, spare int) *realORB {
	o := newORB(t, name)
	k := &realORB{orb: o, env: env, machines: map[string]*testenv.Machine{}}
	var opts testenv.MachineOptions
	start := func(name string) {
		m := env.net.StartMachine(t, name, opts)
		opts.ClientKey = m.ClientKey
		k.machines[name] = m
	}
	for i := 1; i <= controlPlanes; i++ {
		start(fmt.Sprintf("cp-%d", i))
	}
	for i := 1; i <= workers+spare; i++ {
		start(fmt.Sprintf("w-%d", i))
	}
	k.key = opts.ClientKey
	keyFile := filepath.Join(t.TempDir(), "orb_key")
	if err := os.WriteFile(keyFile, []byte(k.key), 0o600); err != nil {
		t.Fatal(err)
	}
	o.mustRun("config", "set", "--secret", "orbos:sshKey", "--from-file", keyFile)
	var control, work strings.Builder
	for i := 1; i <= controlPlanes; i++ {
		control.WriteString(k.poolEntry(fmt.Sprintf("cp-%d", i)))
	}
	for i := 1; i <= workers; i++ {
		work.WriteString(k.poolEntry(fmt.Sprintf("w-%d", i)))
	}
	section := "    providers:\n      static:\n        pools:\n          control:\n" + control.String() +
		"          workers:\n" + work.String()
	if controlPlanes > 1 {
		start("lb-1")
		k.vip = env.net.Address().String()
		section += "          lb:\n" + strings.Replace(k.poolEntry("lb-1"), "}\n", ", interfaces: [eth0]}\n", 1) +
			"    loadBalancing:\n      pool: lb\n      vips:\n        - name: default\n          ip: " + k.vip +
			"\n          transports:\n            - {name: kubeapi, frontendPort: 6443, backendPort: 6443, backendPools: [control]}\n"
	}
	var key strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(string(env.apt.ArmoredPublicKey)), "\n") {
		key.WriteString("            " + l + "\n")
	}
	registry := strings.SplitN(env.imageRepository, "/", 2)[0]
	kube := fmt.Sprintf(`      controlPlane: {pool: control, nodes: %d}
      workers: [{pool: workers}]
      networking: {cni: hostgw}
      cgroupDriver: cgroupfs
      sharedKernel: true
      ignorePreflightErrors: [HTTPProxyCIDR]
      kubelet: {evictionHard: {memory.available: 100Mi, nodefs.available: "1%%", imagefs.available: "1%%"}}
      sources:
        imageRepository: %s
        registries: [{host: "%s", mirrors: ["http://%s"]}]
        packageRepository:
          url: %s
          key: |
%s`, controlPlanes, env.imageRepository, registry, registry, env.apt.URL, key.String())
	kubeconfig := regexp.MustCompile(`(?m)^  orbos:kubeconfig:\n    secure: .*\n`)
	o.pushSpec("make a real cluster of test machines", func(s string) string {
		s = kubeconfig.ReplaceAllString(s, "")
		s = strings.Replace(s, "    kubernetes:\n", section+"    kubernetes:\n", 1)
		return strings.Replace(s, "      namespace: "+o.namespace()+"\n", "      namespace: "+o.namespace()+"\n"+kube, 1)
	})
	return k
}

func (k *realORB) poolEntry(name string) string {
	m := k.machines[name]
	return fmt.Sprintf("            - {id: %s, address: %s, sshPort: %d, hostKey: %q}\n", name, m.Address, m.Port, m.HostKey)
}

// kubectl runs the kubectl built by make tools against the cluster, with the admin kubeconfig
// that `orbctl kubeconfig` writes.
func (k *realORB) kubectl(args ...string) (string, error) {
	k.t.Helper()
	kc := filepath.Join(k.dir, "admin.conf")
	if _, err := os.Stat(kc); err != nil {
		k.mustRun("kubeconfig", "--file", kc)
	}
	bin, err := tools.Find("kubectl")
	if err != nil {
		k.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--kubeconfig", kc}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr // kubectl's warnings (exec's websocket notes) are not the answer
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("kubectl %s: %v: %s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out), nil
}

func (k *realORB) mustKubectl(args ...string) string {
	k.t.Helper()
	out, err := k.kubectl(args...)
	if err != nil {
		k.t.Fatal(err)
	}
	return out
}

// nodes returns each node's name with its Ready condition and kubelet version.
func (k *realORB) nodes() (map[string]string, error) {
	k.t.Helper()
	var list struct {
		Items []struct {
			Metadata struct{ Name string }
			Status   struct {
				Conditions []struct{ Type, Status string }
				NodeInfo   struct{ KubeletVersion string }
			}
		}
	}
	out, err := k.kubectl("get", "nodes", "-o", "json")
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		return nil, err
	}
	nodes := map[string]string{}
	for _, n := range list.Items {
		ready := "NotReady"
		for _, c := range n.Status.Conditions {
			if c.Type == "Ready" && c.Status == "True" {
				ready = "Ready"
			}
		}
		nodes[n.Metadata.Name] = ready + " " + n.Status.NodeInfo.KubeletVersion
	}
	return nodes, nil
}

// waitNodes waits until the cluster's nodes are exactly want (name => "Ready v1.31.4").
func (k *realORB) waitNodes(want map[string]string) {
	k.t.Helper()
	var got map[string]string
	var err error
	// An API server that just got a control plane back may answer "etcdserver: leader changed":
	// that is an answer to wait past, not a failure.
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(2 * time.Second) {
		if got, err = k.nodes(); err == nil && fmt.Sprint(got) == fmt.Sprint(want) {
			return
		}
	}
	k.t.Fatalf("nodes: %v (%v), want %v", got, err, want)
}

// smoke runs a Deployment with one pod on each of n nodes and checks that every pod reaches every
// other pod across nodes and the Service by its DNS name.
func (k *realORB) smoke(n int) {
	k.t.Helper()
	// The demo's workload (hack/smoke.yaml), with the image and a pod for each node.
	tmpl, err := os.ReadFile("../../hack/smoke.yaml")
	if err != nil {
		k.t.Fatal(err)
	}
	m := strings.NewReplacer("IMAGE", k.env.smokeImage, "REPLICAS", fmt.Sprint(n)).Replace(string(tmpl))
	manifest := filepath.Join(k.dir, "smoke.yaml")
	if err := os.WriteFile(manifest, []byte(m), 0o644); err != nil {
		k.t.Fatal(err)
	}
	k.mustKubectl("apply", "-f", manifest)
	if out, err := k.kubectl("-n", "default", "rollout", "status", "deployment/smoke", "--timeout=180s"); err != nil {
		pods, _ := k.kubectl("get", "pods", "-A", "-o", "wide")
		events, _ := k.kubectl("get", "events", "-A")
		k.t.Fatalf("smoke deployment: %v\n%s\n%s\n%s", err, out, pods, events)
	}
	var pods struct {
		Items []struct {
			Metadata struct{ Name string }
			Spec     struct{ NodeName string }
			Status   struct{ PodIP string }
		}
	}
	if err := json.Unmarshal([]byte(k.mustKubectl("-n", "default", "get", "pods", "-l", "app=smoke", "-o", "json")), &pods); err != nil {
		k.t.Fatal(err)
	}
	nodes := map[string]bool{}
	for _, p := range pods.Items {
		nodes[p.Spec.NodeName] = true
	}
	if len(pods.Items) != n || len(nodes) != n {
		k.t.Fatalf("smoke pods: %d on nodes %v, want %d on as many nodes", len(pods.Items), nodes, n)
	}
	for _, from := range pods.Items {
		targets := []string{"http://smoke.default.svc.cluster.local/"}
		for _, to := range pods.Items {
			if to.Metadata.Name != from.Metadata.Name {
				targets = append(targets, "http://"+to.Status.PodIP+":8080/")
			}
		}
		for _, url := range targets {
			// A node's kube-proxy may still be syncing right after it joined: retry, don't sleep.
			var out string
			var err error
			for i := 0; i < 30; i++ {
				if out, err = k.kubectl("-n", "default", "exec", from.Metadata.Name, "--", "/smoke", "get", url); err == nil {
					break
				}
				time.Sleep(time.Second)
			}
			if err != nil {
				k.t.Fatalf("pod %s on %s cannot reach %s: %v", from.Metadata.Name, from.Spec.NodeName, url, err)
			}
			if !strings.HasPrefix(out, "smoke-") {
				k.t.Fatalf("pod %s: %s answered %q", from.Metadata.Name, url, out)
			}
		}
	}
}

// A real cluster, made and operated by orbctl on machines that are machines: 1 control plane and 1
// worker from the ORB's own package repository and registry, a workload across both nodes, BOOM's
// gateway tool from a local chart with an image built here (boomGateway), a second up that changes
// nothing, a kubelet stopped behind orbos's back seen by refresh and
// repaired by up, a worker scaled out and in, a node replaced, and destroy leaving machines clean.
func TestRealCluster(t *testing.T) {
	env := startRealEnv(t)
	k := newRealORB(t, env, "real", 1, 1, 1)

	r := k.mustRun("up")
	if !strings.Contains(r.stderr, "created   orbos:host:KubeadmNode w-1") {
		t.Fatalf("no progress per node:\n%s", r)
	}
	k.waitNodes(map[string]string{"cp-1": "Ready v1.31.4", "w-1": "Ready v1.31.4"})
	// Every node got its packages from the ORB's repository and its images from its registry.
	for name, m := range k.machines {
		if name == "w-2" {
			continue
		}
		if list := m.File("/etc/apt/sources.list.d/kubernetes.list"); !strings.Contains(list, env.apt.URL) {
			t.Errorf("%s: package source %q", name, list)
		}
		if out := m.MustRun(t, "dpkg-query -W -f '${Version}' kubelet"); out != "1.31.4-1.1" {
			t.Errorf("%s: kubelet package %q", name, out)
		}
		if out := m.MustRun(t, "ctr -n k8s.io images ls -q | grep -c "+strings.SplitN(env.imageRepository, "/", 2)[0]+" || true"); strings.TrimSpace(out) == "0" {
			t.Errorf("%s: no image pulled from the ORB's registry", name)
		}
	}
	// The kubelets evict by the spec's thresholds, the joined one's from the cluster's configuration.
	for _, node := range []string{"cp-1", "w-1"} {
		if cfg := k.mustKubectl("get", "--raw", "/api/v1/nodes/"+node+"/proxy/configz"); !strings.Contains(cfg, `"imagefs.available":"1%"`) {
			t.Errorf("%s's kubelet does not evict by the spec's thresholds: %s", node, cfg)
		}
	}
	k.smoke(2)
	k.boomGateway()

	// A second up changes nothing.
	head := k.remoteHead()
	r = k.mustRun("up")
	if k.remoteHead() != head {
		t.Fatalf("a no-op up made a commit:\n%s", r)
	}

	// The kubelet stopped behind orbos's back: refresh sees it, up starts it again.
	k.machines["w-1"].MustRun(t, "systemctl stop kubelet")
	r = k.mustRun("refresh")
	if !strings.Contains(r.stdout+r.stderr, "w-1") {
		t.Fatalf("refresh did not report w-1:\n%s", r)
	}
	if p := k.run("preview", "--expect-no-changes"); p.code != 5 || !strings.Contains(p.stdout+p.stderr, "w-1") {
		t.Fatalf("the stopped kubelet is not in the plan (preview exits %d, not 5):\n%s", p.code, p)
	}
	k.mustRun("up")
	if out := k.machines["w-1"].MustRun(t, "systemctl is-active kubelet || true"); strings.TrimSpace(out) != "active" {
		t.Fatalf("kubelet on w-1 after up: %q", out)
	}
	k.waitNodes(map[string]string{"cp-1": "Ready v1.31.4", "w-1": "Ready v1.31.4"})

	// Scale out: w-2 joins, gets routes, runs a smoke pod; scale in: drained, reset, node deleted.
	k.pushSpec("scale out", func(s string) string {
		return strings.Replace(s, k.poolEntry("w-1"), k.poolEntry("w-1")+k.poolEntry("w-2"), 1)
	})
	k.mustRun("up")
	k.waitNodes(map[string]string{"cp-1": "Ready v1.31.4", "w-1": "Ready v1.31.4", "w-2": "Ready v1.31.4"})
	k.smoke(3)
	if routes := k.machines["w-1"].MustRun(t, "ip -4 route show proto 77"); strings.Count(routes, " via ") != 2 {
		t.Fatalf("w-1's routes to the other nodes' pods:\n%s", routes)
	}
	k.mustKubectl("-n", "default", "scale", "deployment/smoke", "--replicas=2")
	k.pushSpec("scale in", func(s string) string {
		return strings.Replace(s, k.poolEntry("w-2"), "", 1)
	})
	k.mustRun("up")
	k.waitNodes(map[string]string{"cp-1": "Ready v1.31.4", "w-1": "Ready v1.31.4"})
	if out := k.machines["w-2"].MustRun(t, "find /etc/kubernetes /etc/cni/net.d -type f 2>/dev/null; systemctl is-active kubelet || true"); strings.TrimSpace(out) != "inactive" {
		t.Fatalf("w-2 was not reset: %q", out)
	}
	if routes := k.machines["w-1"].MustRun(t, "ip -4 route show proto 77"); strings.Count(routes, " via ") != 1 {
		t.Fatalf("w-1 keeps a route to the removed node:\n%s", routes)
	}

	// node replace: the node is removed and joins anew.
	uid := k.mustKubectl("get", "node", "w-1", "-o", "jsonpath={.metadata.uid}")
	k.mustRun("node", "replace", "w-1")
	k.mustRun("up")
	k.waitNodes(map[string]string{"cp-1": "Ready v1.31.4", "w-1": "Ready v1.31.4"})
	if now := k.mustKubectl("get", "node", "w-1", "-o", "jsonpath={.metadata.uid}"); now == uid {
		t.Fatal("node replace kept the node object")
	}
	k.smoke(2)

	// destroy: workers first, every machine reset.
	k.mustRun("destroy", "--yes")
	for _, name := range []string{"cp-1", "w-1"} {
		out := k.machines[name].MustRun(t, "find /etc/kubernetes /etc/cni/net.d -type f 2>/dev/null; systemctl is-active kubelet || true; ip -4 route show proto 77; ip link show cni0 2>/dev/null || true")
		if strings.TrimSpace(out) != "inactive" {
			t.Errorf("%s is not clean after destroy:\n%s", name, out)
		}
	}
}

// Three control planes behind the static load balancer (keepalived announces the VIP, haproxy
// forwards it) and a worker: the API keeps answering through the VIP while the first control plane
// is cut off the network.
func TestRealClusterHA(t *testing.T) {
	env := startRealEnv(t)
	k := newRealORB(t, env, "realha", 3, 1, 0)
	k.mustRun("up")
	all := map[string]string{"cp-1": "Ready v1.31.4", "cp-2": "Ready v1.31.4", "cp-3": "Ready v1.31.4", "w-1": "Ready v1.31.4"}
	k.waitNodes(all)
	if server := k.mustKubectl("config", "view", "-o", "jsonpath={.clusters[0].cluster.server}"); server != "https://"+k.vip+":6443" {
		t.Fatalf("the kubeconfig does not go through the VIP: %s", server)
	}
	if out := k.machines["lb-1"].MustRun(t, "ip -4 -o addr show dev eth0"); !strings.Contains(out, k.vip+"/") {
		t.Fatalf("keepalived did not announce the VIP on lb-1:\n%s", out)
	}
	k.smoke(4)

	// The first control plane is cut off: the API still answers through the VIP, a write included.
	cp1 := k.machines["cp-1"]
	cp1.MustRun(t, "ip link set eth0 down")
	defer cp1.Run("ip link set eth0 up")
	for i := 0; i < 20; i++ {
		var err error
		if _, err = k.kubectl("get", "nodes", "--request-timeout=5s"); err == nil {
			_, err = k.kubectl("-n", "default", "scale", "deployment/smoke", "--replicas=3", "--request-timeout=5s")
		}
		if err == nil && i >= 4 {
			break // answered again and again: the load balancer took cp-1 out
		}
		if i == 19 {
			t.Fatalf("the API did not answer through the VIP without cp-1: %v", err)
		}
		time.Sleep(time.Second)
	}
	cp1.MustRun(t, "ip link set eth0 up")
	k.waitNodes(all)
}
