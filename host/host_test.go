package host

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbos/orbos/internal/golden"
	"github.com/orbos/orbos/internal/tools"
)

var (
	first = Node{
		Name: "cp-0", Role: RoleInit, Version: "v1.31.4", Address: "10.0.0.10",
		ControlPlaneEndpoint: "10.0.0.100:6443", CertSANs: []string{"10.0.0.100", "api.example.com"},
		PodCIDR: "100.64.0.0/16", ServiceCIDR: "100.126.0.0/16", DNSDomain: "cluster.local", CNI: "calico",
		Labels: map[string]string{"orbos.io/pool": "control"},
	}
	second = func() Node { n := first; n.Name, n.Role, n.Address = "cp-1", RoleControlPlane, "10.0.0.11"; return n }()
	worker = func() Node {
		n := first
		n.Name, n.Role, n.Address = "w-0", RoleWorker, "10.0.0.20"
		n.Labels = map[string]string{"orbos.io/pool": "workers", "tier": "it's \"quoted\""}
		n.Taints = []Taint{{Key: "dedicated", Value: "db", Effect: "NoSchedule"}, {Key: "gpu", Effect: "NoExecute"}}
		return n
	}()
	plain  = func() Node { n := worker; n.Name, n.Labels, n.Taints = "w-1", nil, nil; return n }()
	cilium = func() Node { n := first; n.CNI = "cilium"; return n }()
	// airgapped gets everything from the ORB's own package repository and registry, runs cgroupfs
	// on machines that share a kernel, and the hostgw CNI.
	airgapped = func() Node {
		n := first
		n.CNI = "hostgw"
		n.Runtime = Runtime{
			PackageRepository: "http://10.250.0.1:8080/kubernetes/{minor}/deb/",
			PackageKey:        "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ0test\n-----END PGP PUBLIC KEY BLOCK-----",
			ImageRepository:   "10.250.0.1:5000/k8s",
			Registries: []Registry{
				{Host: "10.250.0.1:5000", Mirrors: []string{"http://10.250.0.1:5000"}},
				{Host: "docker.io", Mirrors: []string{"https://mirror.example.com", "http://10.250.0.1:5001"}},
			},
			CgroupDriver: "cgroupfs", SharedKernel: true, IgnorePreflightErrors: []string{"HTTPProxyCIDR", "SystemVerification"},
			EvictionHard: map[string]string{"memory.available": "100Mi", "nodefs.available": "1%", "imagefs.available": "1%"},
		}
		return n
	}()
	airgappedWorker = func() Node { n := airgapped; n.Name, n.Role, n.Address = "w-9", RoleWorker, "10.0.0.29"; return n }()
	join            = Join{Token: "abcdef.0123456789abcdef", CACertHash: "sha256:" + strings.Repeat("ab", 32), CertificateKey: strings.Repeat("0f", 32)}
	// single is a pool of one load balancer: no VRRP peers to talk to.
	single  = func() LoadBalancer { l := balance; l.Peers = nil; return l }()
	balance = LoadBalancer{
		Machine: "lb-0", Address: "10.0.0.5", Interface: "eth0", Priority: 150, Peers: []string{"10.0.0.6", "10.0.0.7"}, AuthPass: "s3cr3tpw",
		VIPs: []LBVIP{{Name: "default", IP: "10.0.0.100", RouterID: 51, Transports: []LBTransport{
			{Name: "kubeapi", FrontendPort: 6443, BackendPort: 6443, HealthCheck: "https", HealthCheckPath: "/healthz", HealthCheckPort: 6443, IntervalSeconds: 5,
				Backends: []LBBackend{{"cp-0", "10.0.0.10"}, {"cp-1", "10.0.0.11"}, {"cp-2", "10.0.0.12"}}, Whitelist: []string{"10.0.0.0/8"}},
			{Name: "https", FrontendPort: 443, BackendPort: 30443, HealthCheck: "tcp", HealthCheckPort: 30080, IntervalSeconds: 10, ProxyProtocol: true,
				Backends: []LBBackend{{"w-0", "10.0.0.20"}, {"w-1", "10.0.0.21"}}},
		}}},
	}
)

// renders is every rendered file, by golden name.
func renders() map[string]string {
	return map[string]string{
		"kubeadm-init.yaml":              InitConfig(first),
		"kubeadm-join-controlplane.yaml": JoinConfig(second, join),
		"kubeadm-join-worker.yaml":       JoinConfig(worker, join),
		"kubeadm-join-worker-plain.yaml": JoinConfig(plain, join),
		"prepare.sh":                     PrepareScript(first),
		"init-calico.sh":                 InitScript(first),
		"init-cilium.sh":                 InitScript(cilium),
		"init-hostgw.sh":                 InitScript(airgapped),
		"join-hostgw.sh":                 JoinScript(airgappedWorker),
		"prepare-airgapped.sh":           PrepareScript(airgapped),
		"upgrade-airgapped.sh":           UpgradeScript(airgappedWorker),
		"kubeadm-init-airgapped.yaml":    InitConfig(airgapped),
		"kubeadm-join-airgapped.yaml":    JoinConfig(airgappedWorker, join),
		"read-airgapped.sh":              ReadScript(airgapped),
		"hostgw-routes.sh":               HostGWApplyScript(),
		"join.sh":                        JoinScript(worker),
		"join-token-controlplane.sh":     JoinTokenScript(true),
		"join-token-worker.sh":           JoinTokenScript(false),
		"label.sh":                       LabelScript(worker, []string{"old"}, []Taint{{Key: "gone", Effect: "NoSchedule"}}),
		"read.sh":                        ReadScript(first),
		"drain.sh":                       DrainScript("w-0"),
		"uncordon.sh":                    UncordonScript("w-0"),
		"etcd-snapshot.sh":               EtcdSnapshotScript("v1.31.4-to-v1.32.0"),
		"upgrade-first.sh":               UpgradeScript(first),
		"upgrade-node.sh":                UpgradeScript(worker),
		"reset.sh":                       ResetScript(worker),
		"reboot.sh":                      RebootScript(worker),
		"boot-id.sh":                     BootIDScript(),
		"delete-node.sh":                 DeleteNodeScript("w-0"),
		"keepalived.conf":                must(KeepalivedConfig(balance)),
		"keepalived-single.conf":         must(KeepalivedConfig(single)),
		"haproxy.cfg":                    must(HAProxyConfig(balance)),
		"lb.sh":                          LoadBalancerScript(balance),
	}
}

func must(s string, err error) string {
	if err != nil {
		panic(err)
	}
	return s
}

func TestGolden(t *testing.T) {
	for name, got := range renders() {
		t.Run(name, func(t *testing.T) { golden.Assert(t, name, got) })
	}
}

// Every script is valid bash.
func TestScriptsParse(t *testing.T) {
	for name, got := range renders() {
		if !strings.HasSuffix(name, ".sh") {
			continue
		}
		cmd := exec.Command("bash", "-n")
		cmd.Stdin = strings.NewReader(got)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s is not valid bash: %v\n%s", name, err, out)
		}
	}
}

// The rendered kubeadm configurations pass `kubeadm config validate` of the kubeadm built from source.
func TestKubeadmConfigsValidate(t *testing.T) {
	kubeadm, err := tools.Find("kubeadm")
	if err != nil {
		if os.Getenv("ORBOS_SKIP_APISERVER") == "1" {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	for name, got := range renders() {
		if !strings.HasPrefix(name, "kubeadm-") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			if err := os.WriteFile(path, []byte(got), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(kubeadm, "config", "validate", "--config", path).CombinedOutput()
			if err != nil {
				t.Fatalf("kubeadm config validate refuses %s: %v\n%s", name, err, out)
			}
		})
	}
	// And a wrong one is refused, so the check can fail.
	bad := strings.Replace(InitConfig(first), `podSubnet: "100.64.0.0/16"`, `podSubnet: "not-a-cidr"`, 1)
	if bad == InitConfig(first) {
		t.Fatal("the broken configuration is not broken")
	}
	path := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(kubeadm, "config", "validate", "--config", path).CombinedOutput(); err == nil {
		t.Fatalf("kubeadm accepted a broken configuration:\n%s", out)
	}
}

func TestParseFacts(t *testing.T) {
	f := ParseFacts("kubeadm=v1.31.4\nnoise line\nkubelet=v1.31.4\nempty=\n")
	if f["kubeadm"] != "v1.31.4" || f["kubelet"] != "v1.31.4" || f["empty"] != "" || len(f) != 3 {
		t.Fatalf("parsed %v", f)
	}
}

// Real keepalived accepts every rendered keepalived.conf (a pool of one machine has no unicast peers:
// an empty peer list is an error to keepalived).
func TestKeepalivedConfigTest(t *testing.T) {
	bin, err := exec.LookPath("keepalived")
	if err != nil {
		bin = "/usr/sbin/keepalived"
	}
	for name, got := range renders() {
		if !strings.HasPrefix(name, "keepalived") {
			continue
		}
		f := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(f, []byte(got), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(bin, "--config-test", "-f", f).CombinedOutput(); err != nil {
			t.Errorf("keepalived --config-test refuses %s: %v\n%s", name, err, out)
		}
	}
}
