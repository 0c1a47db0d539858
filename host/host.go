// Package host renders what orbos runs and writes on machines: the kubeadm configurations, the
// idempotent bash scripts of a node's lifecycle (prepare, init, join, read, upgrade, reset) and the
// static load balancer's keepalived and haproxy configurations. Rendering is pure, so every output
// has a golden file (testdata/) and the kubeadm configurations are checked by `kubeadm config validate`.
package host

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/template"
)

//go:embed templates/*
var templateFS embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"q":     quote,
	"y":     yamlString,
	"join":  strings.Join,
	"minor": minor,
	"pkg":   packageVersion,
	"add":   func(a, b int) int { return a + b },
}).ParseFS(templateFS, "templates/*"))

// Paths on the machine.
const (
	// ConfigDir holds what orbos uploads: kubeadm configurations and the read-back marker.
	ConfigDir = "/etc/orbos"
	// InitConfigPath and JoinConfigPath are the kubeadm configurations.
	InitConfigPath = ConfigDir + "/kubeadm-init.yaml"
	JoinConfigPath = ConfigDir + "/kubeadm-join.yaml"
	// AdminKubeconfig is kubeadm's admin credential on control planes.
	AdminKubeconfig = "/etc/kubernetes/admin.conf"
	// SnapshotDir keeps the etcd snapshots taken before upgrades.
	SnapshotDir = "/var/lib/orbos/etcd-snapshots"
)

// Roles of a node.
const (
	RoleInit         = "init"         // the first control plane: kubeadm init
	RoleControlPlane = "controlplane" // another control plane: kubeadm join --control-plane
	RoleWorker       = "worker"
)

// Taint is a node taint.
type Taint struct {
	Key, Value, Effect string
}

// Node is everything rendered for one machine.
type Node struct {
	// Name is the Kubernetes node name.
	Name string
	Role string
	// Version is the Kubernetes version, vMAJOR.MINOR.PATCH.
	Version string
	// Address is the machine's private address, the API server's advertise address on control planes.
	Address string
	// ControlPlaneEndpoint is host:port of the kubeapi load balancer or VIP.
	ControlPlaneEndpoint string
	CertSANs             []string
	PodCIDR              string
	ServiceCIDR          string
	DNSDomain            string
	// CNI is calico, cilium or hostgw; the first control plane installs calico or cilium, every
	// node sets up hostgw.
	CNI    string
	Labels map[string]string
	Taints []Taint
	// Runtime is where the node's packages and images come from and how it runs them.
	Runtime Runtime
}

// Join is what a joining node needs from the cluster; it is fetched fresh for each join.
type Join struct {
	Token          string
	CACertHash     string
	CertificateKey string // control planes only
}

// CNI manifests and versions, pinned.
const (
	CalicoVersion = "v3.28.2"
	CiliumVersion = "1.16.4"
)

func render(name string, data any) string {
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, name, data); err != nil {
		panic(fmt.Sprintf("rendering %s: %v", name, err)) // templates are fixed and tested
	}
	return b.String()
}

// InitConfig is the kubeadm configuration of the first control plane: InitConfiguration,
// ClusterConfiguration and KubeletConfiguration (systemd cgroups).
func InitConfig(n Node) string { return render("kubeadm-init.yaml", n.view()) }

// JoinConfig is the kubeadm JoinConfiguration of a joining control plane or worker.
func JoinConfig(n Node, j Join) string {
	return render("kubeadm-join.yaml", struct {
		nodeView
		Join Join
	}{n.view(), j})
}

// PrepareScript readies a machine for Kubernetes: swap off, kernel modules, sysctls, containerd
// with systemd cgroups, and kubeadm, kubelet and kubectl at the node's version (only when not
// installed yet: version changes belong to the upgrade script).
func PrepareScript(n Node) string { return render("prepare.sh", n.view()) }

// InitScript runs kubeadm init with the uploaded configuration, installs the CNI and labels and
// taints the node. It does nothing on a machine that is already a control plane.
func InitScript(n Node) string { return render("init.sh", n.view()) }

// JoinScript joins the machine with the uploaded join configuration; a joined machine is left alone.
func JoinScript(n Node) string { return render("join.sh", n.view()) }

// JoinTokenScript runs on the first control plane and prints a fresh bootstrap token, the CA
// certificate hash and, for control planes, the key of freshly uploaded certificates, one per line.
func JoinTokenScript(controlPlane bool) string {
	return render("join-token.sh", struct{ ControlPlane bool }{controlPlane})
}

// LabelScript sets the node's labels and taints (run where kubectl has admin credentials); labels and
// taints orbos set before and no longer wants are removed.
func LabelScript(n Node, removeLabels []string, removeTaints []Taint) string {
	return render("label.sh", struct {
		nodeView
		RemoveLabels []string
		RemoveTaints []Taint
	}{n.view(), removeLabels, removeTaints})
}

// ReadScript prints what the machine really has, as key=value lines (see ParseFacts).
func ReadScript(n Node) string { return render("read.sh", n.view()) }

// DrainScript cordons and drains a node, respecting PodDisruptionBudgets (run where kubectl has
// admin credentials).
func DrainScript(node string) string { return render("drain.sh", struct{ Name string }{node}) }

// UncordonScript makes a node schedulable again and waits until it is Ready.
func UncordonScript(node string) string { return render("uncordon.sh", struct{ Name string }{node}) }

// EtcdSnapshotScript saves an etcd snapshot on a control plane before an upgrade and prints its path.
func EtcdSnapshotScript(tag string) string {
	return render("etcd-snapshot.sh", struct{ Tag, Dir string }{tag, SnapshotDir})
}

// UpgradeScript upgrades the machine to the node's version: kubeadm first, then `kubeadm upgrade
// apply` (first control plane) or `kubeadm upgrade node` (the others), then kubelet and kubectl.
// The caller drains before and uncordons after.
func UpgradeScript(n Node) string { return render("upgrade.sh", n.view()) }

// RebootScript prints the machine's boot ID and reboots it two seconds later.
func RebootScript(n Node) string { return render("reboot.sh", n.view()) }

// BootIDScript prints the boot ID and whether the kubelet is active, as key=value lines.
func BootIDScript() string { return render("boot-id.sh", nil) }

// ResetScript removes the machine from Kubernetes: kubeadm reset and the files orbos wrote.
func ResetScript(n Node) string { return render("reset.sh", n.view()) }

// DeleteNodeScript removes a node object (run where kubectl has admin credentials).
func DeleteNodeScript(node string) string {
	return render("delete-node.sh", struct{ Name string }{node})
}

// nodeView is Node with its maps sorted, so that renders are deterministic.
type nodeView struct {
	Node
	SortedLabels []KV
	Minor        string
	Package      string
	IsControl    bool
	CNIManifest  string
	// HostsFiles are containerd's registry hosts; HostsDirList names their directories.
	HostsFiles        []HostsFile
	HostsDirList      string
	RegistryConfigDir string
}

// KV is a label.
type KV struct{ Key, Value string }

func (n Node) view() nodeView {
	v := nodeView{Node: n, Minor: minor(n.Version), Package: packageVersion(n.Version), IsControl: n.Role != RoleWorker}
	for k, val := range n.Labels {
		v.SortedLabels = append(v.SortedLabels, KV{k, val})
	}
	sort.Slice(v.SortedLabels, func(i, j int) bool { return v.SortedLabels[i].Key < v.SortedLabels[j].Key })
	// Invalid registry hosts were refused by the provider's validation before anything renders.
	v.HostsFiles, _ = n.Runtime.HostsFiles()
	for _, f := range v.HostsFiles {
		v.HostsDirList += f.Dir + " "
	}
	v.HostsDirList = strings.TrimSpace(v.HostsDirList)
	v.RegistryConfigDir = RegistryConfigDir
	if n.CNI == "calico" {
		v.CNIManifest = "https://raw.githubusercontent.com/projectcalico/calico/" + CalicoVersion + "/manifests/calico.yaml"
	}
	return v
}

// CalicoVersion and CiliumVersion are the pinned CNI versions, for the templates.
func (nodeView) CalicoVersion() string { return CalicoVersion }
func (nodeView) CiliumVersion() string { return CiliumVersion }

// yamlString quotes s as a YAML (JSON) string.
func yamlString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// minor is "v1.31" of "v1.31.4".
func minor(version string) string {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return version
	}
	return parts[0] + "." + parts[1]
}

// packageVersion is the pkgs.k8s.io Debian package version of a Kubernetes version.
func packageVersion(version string) string { return strings.TrimPrefix(version, "v") + "-1.1" }

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// Facts is what ReadScript reports of a machine.
type Facts map[string]string

// ParseFacts reads ReadScript's key=value lines; other lines are ignored.
func ParseFacts(out string) Facts {
	f := Facts{}
	for _, l := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), "="); ok && k != "" && !strings.ContainsAny(k, " \t") {
			f[k] = v
		}
	}
	return f
}
