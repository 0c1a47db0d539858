// Package host renders what orbos runs and writes on machines: the kubeadm configurations, the
// idempotent bash scripts of a node's lifecycle (prepare, init, join, read, upgrade, reset) and the
// static load balancer's keepalived and haproxy configurations. Rendering is pure, so every output
// has a golden file (testdata/) and the kubeadm configurations are checked by `kubeadm config validate`.
//
// Nothing a node carries becomes code: values reach a script only through its quoted prelude
// (script.go), the kubeadm configurations are YAML-encoded from structs (kubeadm.go), and the load
// balancer's files are refused when a field breaks the spec's rules (lb.go).
package host

import (
	"embed"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"
)

//go:embed templates/*
var templateFS embed.FS

// templates are the script bodies and the load balancer's configuration files.
var templates = template.Must(template.New("").Option("missingkey=error").ParseFS(templateFS, "templates/*"))

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

// InitConfig is the kubeadm configuration of the first control plane: InitConfiguration,
// ClusterConfiguration and KubeletConfiguration (systemd cgroups), encoded from structs.
func InitConfig(n Node) string { return initConfig(n) }

// JoinConfig is the kubeadm JoinConfiguration of a joining control plane or worker.
func JoinConfig(n Node, j Join) string { return joinConfig(n, j) }

// PrepareScript readies a machine for Kubernetes: swap off, kernel modules, sysctls, containerd
// with systemd cgroups, and kubeadm, kubelet and kubectl at the node's version (only when not
// installed yet: version changes belong to the upgrade script).
func PrepareScript(n Node) string {
	vars := struct {
		packages
		ImageRepository   string   `sh:"IMAGE_REPOSITORY"`
		SystemdCgroup     string   `sh:"SYSTEMD_CGROUP"`
		RegistryConfigDir string   `sh:"REGISTRY_CONFIG_DIR"`
		RegistryDirs      []string `sh:"REGISTRY_DIRS"`
		RegistryHosts     []string `sh:"REGISTRY_HOSTS"`
	}{packages: n.packages(), ImageRepository: n.Runtime.ImageRepository, SystemdCgroup: strconv.FormatBool(n.Runtime.Cgroup() == "systemd"),
		RegistryConfigDir: RegistryConfigDir, RegistryDirs: []string{}, RegistryHosts: []string{}}
	// Invalid registry hosts were refused by the provider's validation before anything renders.
	files, _ := n.Runtime.HostsFiles()
	for _, f := range files {
		vars.RegistryDirs = append(vars.RegistryDirs, f.Dir)
		vars.RegistryHosts = append(vars.RegistryHosts, f.Content)
	}
	return script("prepare a machine for Kubernetes", "prepare.sh", vars, n.flags())
}

// packages are the values of the scripts that install Kubernetes packages.
type packages struct {
	Version string `sh:"KUBERNETES_VERSION"`
	Minor   string `sh:"KUBERNETES_MINOR"`
	Package string `sh:"PACKAGE_VERSION"`
	// Repository and Key are the ORB's own package repository of this minor version, if it has one.
	Repository string `sh:"PACKAGE_REPOSITORY"`
	Key        string `sh:"PACKAGE_KEY"`
}

func (n Node) packages() packages {
	p := packages{Version: n.Version, Minor: minor(n.Version), Package: packageVersion(n.Version), Key: n.Runtime.PackageKey}
	if n.Runtime.PackageRepository != "" {
		p.Repository = n.Runtime.PackageURL(n.Version)
	}
	return p
}

// InitScript runs kubeadm init with the uploaded configuration, installs the CNI and labels and
// taints the node. It does nothing on a machine that is already a control plane.
func InitScript(n Node) string {
	vars := struct {
		Config         string `sh:"KUBEADM_CONFIG"`
		Node           string `sh:"NODE_NAME"`
		PodCIDR        string `sh:"POD_CIDR"`
		CiliumVersion  string `sh:"CILIUM_VERSION"`
		CalicoManifest string `sh:"CALICO_MANIFEST"`
	}{InitConfigPath, n.Name, n.PodCIDR, CiliumVersion, CalicoManifest}
	return script("kubeadm init", "init.sh", vars, n.flags())
}

// CalicoManifest is the pinned calico manifest the first control plane applies.
const CalicoManifest = "https://raw.githubusercontent.com/projectcalico/calico/" + CalicoVersion + "/manifests/calico.yaml"

// JoinScript joins the machine with the uploaded join configuration; a joined machine is left alone.
func JoinScript(n Node) string {
	vars := struct {
		Config  string `sh:"KUBEADM_CONFIG"`
		Node    string `sh:"NODE_NAME"`
		PodCIDR string `sh:"POD_CIDR"`
	}{JoinConfigPath, n.Name, n.PodCIDR}
	return script("kubeadm join", "join.sh", vars, n.flags())
}

// JoinTokenScript runs on the first control plane and prints a fresh bootstrap token, the CA
// certificate hash and, for control planes, the key of freshly uploaded certificates, one per line.
func JoinTokenScript(controlPlane bool) string {
	return script("a join token from the first control plane", "join-token.sh", nil, scriptFlags{ControlPlane: controlPlane})
}

// LabelScript sets the node's labels and taints (run where kubectl has admin credentials); labels and
// taints orbos set before and no longer wants are removed.
func LabelScript(n Node, removeLabels []string, removeTaints []Taint) string {
	vars := struct {
		Node         string   `sh:"NODE_NAME"`
		Labels       []string `sh:"LABELS"`
		RemoveLabels []string `sh:"REMOVE_LABELS"`
		Taints       []string `sh:"TAINTS"`
		RemoveTaints []string `sh:"REMOVE_TAINTS"`
	}{Node: n.Name, RemoveLabels: append([]string{}, removeLabels...)}
	for _, kv := range sortedLabels(n.Labels) {
		vars.Labels = append(vars.Labels, kv.Key+"="+kv.Value)
	}
	for _, t := range n.Taints {
		vars.Taints = append(vars.Taints, t.String())
	}
	for _, t := range removeTaints {
		vars.RemoveTaints = append(vars.RemoveTaints, t.Key+":"+t.Effect)
	}
	return script("labels and taints", "label.sh", vars, n.flags())
}

// String is the taint as kubectl taint takes it: key=value:effect, or key:effect.
func (t Taint) String() string {
	if t.Value == "" {
		return t.Key + ":" + t.Effect
	}
	return t.Key + "=" + t.Value + ":" + t.Effect
}

// ReadScript prints what the machine really has, as key=value lines (see ParseFacts).
func ReadScript(n Node) string {
	return script("read the machine", "read.sh", nodeName{n.Name}, n.flags())
}

// nodeName is the value of the scripts that act on a node object.
type nodeName struct {
	Node string `sh:"NODE_NAME"`
}

// DrainScript cordons and drains a node, respecting PodDisruptionBudgets (run where kubectl has
// admin credentials).
func DrainScript(node string) string {
	return script("drain a node", "drain.sh", nodeName{node}, scriptFlags{})
}

// UncordonScript makes a node schedulable again and waits until it is Ready.
func UncordonScript(node string) string {
	return script("uncordon a node", "uncordon.sh", nodeName{node}, scriptFlags{})
}

// EtcdSnapshotScript saves an etcd snapshot on a control plane before an upgrade and prints its path.
// A tag with characters other than letters, digits, '.', '_' and '-' has them replaced by '_': the
// snapshot stays in SnapshotDir.
func EtcdSnapshotScript(tag string) string {
	vars := struct {
		Dir string `sh:"SNAPSHOT_DIR"`
		Tag string `sh:"SNAPSHOT_TAG"`
	}{SnapshotDir, snapshotTag(tag)}
	return script("an etcd snapshot before the upgrade", "etcd-snapshot.sh", vars, scriptFlags{})
}

var notTagChars = regexp.MustCompile(`[^A-Za-z0-9._-]`)

func snapshotTag(tag string) string {
	tag = notTagChars.ReplaceAllString(tag, "_")
	if tag == "" || strings.Trim(tag, ".") == "" {
		return "snapshot"
	}
	return tag
}

// UpgradeScript upgrades the machine to the node's version: kubeadm first, then `kubeadm upgrade
// apply` (first control plane) or `kubeadm upgrade node` (the others), then kubelet and kubectl,
// and returns once the node object reports the new kubelet Ready. The caller drains before and
// uncordons after.
func UpgradeScript(n Node) string {
	vars := struct {
		packages
		Node string `sh:"NODE_NAME"`
	}{n.packages(), n.Name}
	return script("upgrade Kubernetes", "upgrade.sh", vars, n.flags())
}

// RebootScript prints the machine's boot ID and reboots it two seconds later.
func RebootScript(Node) string { return script("reboot", "reboot.sh", nil, scriptFlags{}) }

// BootIDScript prints the boot ID and whether the kubelet is active, as key=value lines.
func BootIDScript() string { return script("boot ID and kubelet", "boot-id.sh", nil, scriptFlags{}) }

// ResetScript removes the machine from Kubernetes: kubeadm reset and the files orbos wrote.
func ResetScript(Node) string {
	return script("remove the machine from Kubernetes", "reset.sh", nil, scriptFlags{})
}

// DeleteNodeScript removes a node object (run where kubectl has admin credentials).
func DeleteNodeScript(node string) string {
	return script("delete a node object", "delete-node.sh", nodeName{node}, scriptFlags{})
}

func (n Node) flags() scriptFlags {
	return scriptFlags{Init: n.Role == RoleInit, ControlPlane: n.Role != RoleWorker, Cilium: n.CNI == "cilium", HostGW: n.CNI == "hostgw",
		OwnPackageRepository: n.Runtime.PackageRepository != "", ImageRepository: n.Runtime.ImageRepository != ""}
}

// KV is a label.
type KV struct{ Key, Value string }

// sortedLabels are the labels in key order, so that renders are deterministic.
func sortedLabels(labels map[string]string) []KV {
	var out []KV
	for k, v := range labels {
		out = append(out, KV{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
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
