package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/orbos/orbos/internal/sshexec"
	"github.com/orbos/orbos/test/testenv"
)

// kubeadmORB is a static ORB without a kubeconfig, so orbos makes the cluster itself on test hosts:
// three control planes and two workers.
type kubeadmORB struct {
	*orb
	hosts map[string]*testenv.Host
	log   string
	key   string
}

func newKubeadmORB(t testing.TB, name string, workers int) *kubeadmORB {
	o := newORB(t, name)
	dir := t.TempDir()
	k := &kubeadmORB{orb: o, hosts: map[string]*testenv.Host{}, log: filepath.Join(dir, "recorder.log")}
	first := testenv.StartHost(t, "cp-1", testenv.HostOptions{Address: "127.0.1.1", Log: k.log})
	k.key = first.ClientKey
	k.hosts["cp-1"] = first
	for i, name := range []string{"cp-2", "cp-3"} {
		k.hosts[name] = testenv.StartHost(t, name, testenv.HostOptions{Address: fmt.Sprintf("127.0.1.%d", i+2), Log: k.log, ClientKey: k.key})
	}
	for i := 1; i <= workers; i++ {
		name := fmt.Sprintf("w-%d", i)
		k.hosts[name] = testenv.StartHost(t, name, testenv.HostOptions{Address: fmt.Sprintf("127.0.2.%d", i), Log: k.log, ClientKey: k.key})
	}
	k.hosts["lb-1"] = testenv.StartHost(t, "lb-1", testenv.HostOptions{Address: "127.0.3.1", Log: k.log, ClientKey: k.key})
	keyFile := filepath.Join(dir, "orb_key")
	if err := os.WriteFile(keyFile, []byte(k.key), 0o600); err != nil {
		t.Fatal(err)
	}
	o.mustRun("config", "set", "--secret", "orbos:sshKey", "--from-file", keyFile)
	var control, work strings.Builder
	for _, n := range []string{"cp-1", "cp-2", "cp-3"} {
		h := k.hosts[n]
		fmt.Fprintf(&control, "            - {id: %s, address: %s, sshPort: %d}\n", n, h.Address, h.Port)
	}
	for i := 1; i <= workers; i++ {
		h := k.hosts[fmt.Sprintf("w-%d", i)]
		fmt.Fprintf(&work, "            - {id: %s, address: %s, sshPort: %d}\n", h.Name, h.Address, h.Port)
	}
	lb := k.hosts["lb-1"]
	section := `    providers:
      static:
        pools:
          control:
` + control.String() + `          workers:
` + work.String() + `          lb:
` + fmt.Sprintf("            - {id: lb-1, address: %s, sshPort: %d, interfaces: [lo]}\n", lb.Address, lb.Port) + `    loadBalancing:
      pool: lb
      vips:
        - name: default
          ip: 127.0.1.100
          transports:
            - {name: kubeapi, frontendPort: 6443, backendPort: 6443, backendPools: [control]}
`
	kube := "      controlPlane: {pool: control, nodes: 3}\n      workers: [{pool: workers, labels: {tier: web}, taints: [{key: dedicated, value: web, effect: NoSchedule}]}]\n"
	kubeconfig := regexp.MustCompile(`(?m)^  orbos:kubeconfig:\n    secure: .*\n`)
	o.pushSpec("make the cluster on static machines", func(s string) string {
		s = kubeconfig.ReplaceAllString(s, "")
		s = strings.Replace(s, "    kubernetes:\n", section+"    kubernetes:\n", 1)
		return strings.Replace(s, "      namespace: "+o.namespace()+"\n", "      namespace: "+o.namespace()+"\n"+kube, 1)
	})
	return k
}

// calls returns the recorder calls, optionally only those of cmd on host ("" for any).
func (k *kubeadmORB) calls(host, cmd string) []testenv.Recorded {
	k.t.Helper()
	all, err := testenv.ReadLog(k.log)
	if err != nil {
		k.t.Fatal(err)
	}
	var out []testenv.Recorded
	for _, r := range all {
		if (host == "" || r.Host == host) && (cmd == "" || r.Cmd == cmd) {
			out = append(out, r)
		}
	}
	return out
}

// first returns the index in the log of the first call on host of cmd whose arguments start with args.
func first(log []testenv.Recorded, host, cmd, args string) int {
	for i, r := range log {
		if r.Host == host && r.Cmd == cmd && strings.HasPrefix(r.Args, args) {
			return i
		}
	}
	return -1
}

func last(log []testenv.Recorded, host, cmd, args string) int {
	for i := len(log) - 1; i >= 0; i-- {
		if r := log[i]; r.Host == host && r.Cmd == cmd && strings.HasPrefix(r.Args, args) {
			return i
		}
	}
	return -1
}

// exec runs a command on a host behind orbos's back.
func (k *kubeadmORB) exec(host, script string) string {
	k.t.Helper()
	h := k.hosts[host]
	c, err := sshexec.Dial(context.Background(), sshexec.Target{Name: host, Address: h.Address, Port: h.Port, User: "root", PrivateKey: k.key}, sshexec.Options{})
	if err != nil {
		k.t.Fatal(err)
	}
	defer c.Close()
	res, err := c.Run(context.Background(), script)
	if err != nil {
		k.t.Fatal(err)
	}
	return res.Stdout
}

// The cluster's whole life on real sshd hosts through the orbos provider served by orbctl: create
// (init, control-plane joins one at a time, workers), a second up with no changes, drift seen by
// refresh and corrected, an upgrade in the safe order, a failing command, a host-key change, destroy.
func TestKubeadmClusterLifecycle(t *testing.T) {
	k := newKubeadmORB(t, "kubeadm", 2)

	// Create.
	r := k.mustRun("up")
	if !strings.Contains(r.stderr, "created   orbos:host:KubeadmNode w-2") {
		t.Fatalf("no progress per node:\n%s", r)
	}
	log := k.calls("", "")
	init := first(log, "cp-1", "kubeadm", "init --config /etc/orbos/kubeadm-init.yaml")
	j2 := first(log, "cp-2", "kubeadm", "join --config")
	j3 := first(log, "cp-3", "kubeadm", "join --config")
	w1 := first(log, "w-1", "kubeadm", "join --config")
	w2 := first(log, "w-2", "kubeadm", "join --config")
	if init < 0 || j2 < 0 || j3 < 0 || w1 < 0 || w2 < 0 {
		t.Fatalf("not every machine was initialized or joined: init %d joins %d %d %d %d\n%s", init, j2, j3, w1, w2, r)
	}
	if !(init < j2 && j2 < j3 && j3 < w1 && j3 < w2) {
		t.Fatalf("joins out of order: init %d, cp-2 %d, cp-3 %d, workers %d %d", init, j2, j3, w1, w2)
	}
	for name, h := range k.hosts {
		if name == "lb-1" {
			continue // a load balancer, not a node
		}
		if got := h.File("/etc/modules-load.d/orbos.conf"); got != "overlay\nbr_netfilter\n" {
			t.Errorf("%s: modules file %q", name, got)
		}
		if fstab := h.File("/etc/fstab"); !strings.Contains(fstab, "# /swapfile none swap sw 0 0 # disabled by orbos") {
			t.Errorf("%s: swap still in fstab:\n%s", name, fstab)
		}
		if h.File("/etc/orbos/kubeadm-join.yaml") != "" {
			t.Errorf("%s: the join configuration with its token was left behind", name)
		}
	}
	// The load balancer: configured and applied before the first control plane initialized.
	lbHost := k.hosts["lb-1"]
	if cfg := lbHost.File("/etc/haproxy/haproxy.cfg"); !strings.Contains(cfg, "bind 127.0.1.100:6443") || !strings.Contains(cfg, "server cp-3 127.0.1.3:6443 check") {
		t.Fatalf("haproxy.cfg:\n%s", cfg)
	}
	if cfg := lbHost.File("/etc/keepalived/keepalived.conf"); !strings.Contains(cfg, "127.0.1.100 dev lo") {
		t.Fatalf("keepalived.conf:\n%s", cfg)
	}
	if reload := first(log, "lb-1", "systemctl", "reload-or-restart haproxy"); reload < 0 || reload > init || first(log, "lb-1", "haproxy", "-c") > reload {
		t.Fatalf("the load balancer was not checked and reloaded before kubeadm init: reload %d, init %d", reload, init)
	}
	if cfg := k.hosts["cp-1"].File("/etc/orbos/kubeadm-init.yaml"); !strings.Contains(cfg, `controlPlaneEndpoint: "127.0.1.100:6443"`) {
		t.Fatalf("init configuration:\n%s", cfg)
	}
	// Labels and taints of the worker pool, set through the first control plane.
	if first(log, "cp-1", "kubectl", "label node w-1 --overwrite tier=web") < 0 || first(log, "w-1", "kubeadm", "join") < 0 {
		t.Fatalf("worker labels not set:\n%v", k.calls("cp-1", "kubectl"))
	}
	if !strings.Contains(k.hosts["w-1"].File("/var/lib/orbos-recorder/kubelet"), "v1.31.4") {
		t.Fatal("kubelet v1.31.4 not installed on w-1")
	}
	// The admin kubeconfig comes out to a file only its owner reads.
	kc := filepath.Join(t.TempDir(), "admin.conf")
	k.mustRun("kubeconfig", "--file", kc)
	if fi, err := os.Stat(kc); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("kubeconfig file: %v %v", fi, err)
	}
	if b, _ := os.ReadFile(kc); !strings.Contains(string(b), "client-key-data") || !strings.Contains(string(b), "https://127.0.1.100:6443") {
		t.Fatalf("kubeconfig:\n%s", b)
	}
	if strings.Contains(k.remoteFile(".pulumi/stacks/orbos/kubeadm.json"), "client-key-data") {
		t.Fatal("the admin kubeconfig is in the state in plaintext")
	}

	// A second up changes nothing.
	k.mustRun("preview", "--expect-no-changes")

	// Drift behind orbos's back: w-1's kubelet downgraded, and a backend added to haproxy by hand.
	k.exec("w-1", "echo v1.31.3 > /var/lib/orbos-recorder/kubelet")
	k.exec("lb-1", "echo '  server rogue 10.9.9.9:6443' >> /etc/haproxy/haproxy.cfg")
	r = k.run("refresh")
	if r.code != 0 || !strings.Contains(r.stdout+r.stderr, "w-1") {
		t.Fatalf("refresh did not see w-1's drift:\n%s", r)
	}
	if p := k.run("preview", "--expect-no-changes"); p.code != 5 {
		t.Fatalf("after the drift, preview exits %d, not 5 (changes):\n%s", p.code, p)
	}
	k.mustRun("up")
	if got := k.hosts["w-1"].File("/var/lib/orbos-recorder/kubelet"); !strings.Contains(got, "v1.31.4") {
		t.Fatalf("drift not corrected: w-1 kubelet %q", got)
	}
	if strings.Contains(lbHost.File("/etc/haproxy/haproxy.cfg"), "rogue") {
		t.Fatal("drift not corrected: haproxy.cfg keeps the hand-made backend")
	}
	k.mustRun("preview", "--expect-no-changes")

	// Upgrade one minor version: an etcd snapshot first, control planes one at a time, then workers.
	before := len(k.calls("", ""))
	k.pushSpec("upgrade to v1.32.0", func(s string) string {
		return strings.Replace(s, "version: v1.31.4", "version: v1.32.0", 1)
	})
	k.mustRun("up")
	log = k.calls("", "")[before:]
	snap := first(log, "cp-1", "etcdctl", "")
	if snap < 0 || first(log, "cp-1", "kubeadm", "upgrade apply v1.32.0") < snap {
		t.Fatalf("no etcd snapshot before the upgrade:\n%v", log)
	}
	type window struct{ start, end int }
	windows := map[string]window{}
	for _, n := range []string{"cp-1", "cp-2", "cp-3", "w-1", "w-2"} {
		w := window{first(log, "cp-1", "kubectl", "cordon "+n), last(log, "cp-1", "kubectl", "wait --for=condition=Ready --timeout=300s node/"+n)}
		up := first(log, n, "kubeadm", "upgrade")
		if w.start < 0 || w.end < 0 || up < w.start || up > w.end {
			t.Fatalf("%s not upgraded between its drain and uncordon: %+v, upgrade at %d", n, w, up)
		}
		windows[n] = w
	}
	if !(windows["cp-1"].end < windows["cp-2"].start && windows["cp-2"].end < windows["cp-3"].start) {
		t.Fatalf("control planes were down together: %v", windows)
	}
	if !(windows["cp-3"].end < windows["w-1"].start && windows["cp-3"].end < windows["w-2"].start) {
		t.Fatalf("workers upgraded before the control planes were done: %v", windows)
	}
	if !(windows["w-1"].end < windows["w-2"].start || windows["w-2"].end < windows["w-1"].start) {
		t.Fatalf("two workers down with maxUnavailable 1: %v", windows)
	}
	k.mustRun("preview", "--expect-no-changes")

	// A version going down is refused before anything changes.
	k.pushSpec("downgrade", func(s string) string { return strings.Replace(s, "version: v1.32.0", "version: v1.31.4", 1) })
	before = len(k.calls("", ""))
	if r := k.run("up"); r.code == 0 || !strings.Contains(r.stdout+r.stderr, "never downgraded") {
		t.Fatalf("a downgrade was not refused:\n%s", r)
	}
	if got := k.calls("", "")[before:]; len(got) != 0 {
		t.Fatalf("a refused downgrade ran commands: %v", got)
	}
	k.pushSpec("back up", func(s string) string { return strings.Replace(s, "version: v1.31.4", "version: v1.32.0", 1) })

	// A kubeconfig of an existing cluster would make orbos drop (reset) every node it made: refused.
	k.mustRun("config", "set", "--secret", "orbos:kubeconfig", "--from-file", apiserver.Kubeconfig)
	before = len(k.calls("", ""))
	if r := k.run("up"); r.code != 2 || !strings.Contains(r.stderr, "would reset every one of them") {
		t.Fatalf("a spec dropping the made cluster was not refused:\n%s", r)
	}
	if got := k.calls("", "")[before:]; len(got) != 0 {
		t.Fatalf("a refused run ran commands: %v", got)
	}
	k.pushSpec("no kubeconfig", func(s string) string {
		return regexp.MustCompile(`(?m)^  orbos:kubeconfig:\n    secure: .*\n`).ReplaceAllString(s, "")
	})

	// A failing command: its machine and stderr in the error, the state consistent.
	k.exec("w-2", "echo 'E: dpkg was interrupted, you must manually run dpkg --configure -a' > /etc/orbos-test/fail-apt-get")
	k.exec("w-2", "echo v1.31.4 > /var/lib/orbos-recorder/kubelet")
	k.mustRun("refresh")
	r = k.run("up")
	if r.code == 0 || !strings.Contains(r.stdout+r.stderr, "machine w-2") || !strings.Contains(r.stdout+r.stderr, "dpkg was interrupted") {
		t.Fatalf("a failing apt-get on w-2:\n%s", r)
	}
	k.exec("w-2", "rm /etc/orbos-test/fail-apt-get")
	k.mustRun("up")
	k.mustRun("preview", "--expect-no-changes")

	// w-1 reinstalled behind orbos's back: a new host key is refused, naming the machine.
	h := k.hosts["w-1"]
	h.Stop()
	if err := h.NewHostKey(); err != nil {
		t.Fatal(err)
	}
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	if r := k.run("refresh"); r.code == 0 || !strings.Contains(r.stdout+r.stderr, "machine w-1") || !strings.Contains(r.stdout+r.stderr, "not the pinned") {
		t.Fatalf("a changed host key was accepted:\n%s", r)
	}
	// It was reinstalled on purpose: `node replace` removes its node object (the machine with the new
	// key is not reset) and joins it anew, trusting the new key.
	k.exec("w-1", "rm -rf /etc/kubernetes /var/lib/orbos-recorder/service-kubelet")
	k.mustRun("node", "replace", "w-1")
	before = len(k.calls("", ""))
	r = k.mustRun("up")
	log = k.calls("", "")[before:]
	if first(log, "cp-1", "kubectl", "delete node w-1") < 0 || first(log, "w-1", "kubeadm", "reset") >= 0 || first(log, "w-1", "kubeadm", "join --config") < 0 {
		t.Fatalf("replace of w-1:\n%v\n%s", log, r)
	}
	k.mustRun("preview", "--expect-no-changes")

	// node exec reaches a machine with the host key the state trusts, and passes its exit code on.
	if r := k.run("node", "exec", "w-1", "--", "sh", "-c", "echo from-$(cat /etc/orbos-test/host); exit 3"); r.code != 3 || r.stdout != "from-w-1\n" {
		t.Fatalf("node exec:\n%s", r)
	}

	// node reboot: drained, rebooted (a new boot ID), back, uncordoned.
	k.mustRun("node", "reboot", "w-2")
	bootID := k.exec("w-2", "cat /proc/sys/kernel/random/boot_id")
	before = len(k.calls("", ""))
	k.mustRun("up")
	log = k.calls("", "")[before:]
	drain, rb, unc := first(log, "cp-1", "kubectl", "drain w-2"), first(log, "w-2", "systemctl", "reboot"), first(log, "cp-1", "kubectl", "uncordon w-2")
	if drain < 0 || rb < drain || unc < rb {
		t.Fatalf("reboot of w-2: drain %d, reboot %d, uncordon %d\n%v", drain, rb, unc, log)
	}
	if k.exec("w-2", "cat /proc/sys/kernel/random/boot_id") == bootID {
		t.Fatal("w-2 did not reboot")
	}
	k.mustRun("preview", "--expect-no-changes")

	// Status: the nodes as last read, and the certificates' expiry.
	var out struct {
		Status struct {
			Kubernetes struct{ CertExpiry string } `json:"kubernetes"`
			Nodes      []struct {
				Name, Role, Kubelet, CertExpiry, LastSnapshot string
				Joined, Prepared                              bool
			} `json:"nodes"`
		} `json:"status"`
	}
	sr := k.mustRun("status", "-o", "json")
	st := &out.Status
	if err := json.Unmarshal([]byte(sr.stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, sr)
	}
	if len(st.Nodes) != 5 || st.Kubernetes.CertExpiry == "" || st.Nodes[0].Name != "cp-1" || st.Nodes[0].CertExpiry == "" || st.Nodes[0].LastSnapshot == "" || !st.Nodes[4].Joined || st.Nodes[4].Kubelet != "v1.32.0" {
		t.Fatalf("status:\n%s", sr.stdout)
	}

	// Scale down: w-2 leaves the pool; it is drained, reset and its node object deleted.
	gone := k.hosts["w-2"]
	k.pushSpec("scale down", func(s string) string {
		s = strings.Replace(s, fmt.Sprintf("            - {id: w-2, address: %s, sshPort: %d}\n", gone.Address, gone.Port), "", 1)
		// The machine's reboot request goes with it.
		return regexp.MustCompile(`(?m)^      w-2:\n        reboot: .*\n`).ReplaceAllString(s, "")
	})
	before = len(k.calls("", ""))
	k.mustRun("up")
	log = k.calls("", "")[before:]
	drain, reset, del := first(log, "cp-1", "kubectl", "drain w-2"), first(log, "w-2", "kubeadm", "reset --force"), first(log, "cp-1", "kubectl", "delete node w-2")
	if drain < 0 || reset < drain || del < reset {
		t.Fatalf("scale down of w-2: drain %d, reset %d, delete %d\n%v", drain, reset, del, log)
	}
	if gone.File("/etc/modules-load.d/orbos.conf") != "" {
		t.Fatal("w-2 keeps orbos's files")
	}

	// Destroy: workers drained and reset before the control planes, the first control plane last.
	before = len(k.calls("", ""))
	k.mustRun("destroy", "--yes")
	log = k.calls("", "")[before:]
	resets := map[string]int{}
	for _, n := range []string{"cp-1", "cp-2", "cp-3", "w-1"} {
		if resets[n] = first(log, n, "kubeadm", "reset --force"); resets[n] < 0 {
			t.Fatalf("%s not reset:\n%v", n, log)
		}
		if n != "cp-1" && first(log, "cp-1", "kubectl", "drain "+n) > resets[n] {
			t.Fatalf("%s reset before it was drained", n)
		}
	}
	if !(resets["w-1"] < resets["cp-3"] && resets["cp-3"] < resets["cp-2"] && resets["cp-2"] < resets["cp-1"]) {
		t.Fatalf("reset order %v", resets)
	}
	if k.hosts["w-1"].File("/etc/modules-load.d/orbos.conf") != "" {
		t.Fatal("reset left orbos's files")
	}
}
