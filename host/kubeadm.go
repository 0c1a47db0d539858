package host

import (
	"bytes"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// The kubeadm configurations are encoded from these structs by yaml.v3: every value of a node is a
// double-quoted YAML scalar (type value), so no value can add a key, a list item or a document.

// value is a string of a node, encoded as a double-quoted YAML scalar: the one style that keeps
// every string as it is (yaml.v3's plain and block styles lose a lone newline). Invalid UTF-8, which
// YAML cannot carry, becomes U+FFFD.
type value string

func (v value) MarshalYAML() (any, error) {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.DoubleQuotedStyle,
		Value: strings.ToValidUTF8(string(v), "\uFFFD")}, nil
}

const kubeadmAPI = "kubeadm.k8s.io/v1beta4"

type kubeadmArg struct {
	Name  string `yaml:"name"`
	Value value  `yaml:"value"`
}

type kubeadmTaint struct {
	Key    value `yaml:"key"`
	Value  value `yaml:"value,omitempty"`
	Effect value `yaml:"effect"`
}

type nodeRegistration struct {
	Name             value          `yaml:"name"`
	CRISocket        string         `yaml:"criSocket"`
	KubeletExtraArgs []kubeadmArg   `yaml:"kubeletExtraArgs"`
	Taints           []kubeadmTaint `yaml:"taints"`
	// IgnorePreflightErrors are kubeadm's preflight checks by name.
	IgnorePreflightErrors []value `yaml:"ignorePreflightErrors,omitempty"`
}

type apiEndpoint struct {
	AdvertiseAddress value `yaml:"advertiseAddress"`
	BindPort         int   `yaml:"bindPort"`
}

type typeMeta struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
}

type initConfiguration struct {
	typeMeta         `yaml:",inline"`
	LocalAPIEndpoint apiEndpoint      `yaml:"localAPIEndpoint"`
	NodeRegistration nodeRegistration `yaml:"nodeRegistration"`
}

type clusterConfiguration struct {
	typeMeta             `yaml:",inline"`
	KubernetesVersion    value `yaml:"kubernetesVersion"`
	ImageRepository      value `yaml:"imageRepository,omitempty"`
	ControlPlaneEndpoint value `yaml:"controlPlaneEndpoint"`
	Networking           struct {
		PodSubnet     value `yaml:"podSubnet"`
		ServiceSubnet value `yaml:"serviceSubnet"`
		DNSDomain     value `yaml:"dnsDomain"`
	} `yaml:"networking"`
	APIServer struct {
		CertSANs []value `yaml:"certSANs"`
	} `yaml:"apiServer"`
	Etcd struct {
		Local struct {
			DataDir string `yaml:"dataDir"`
		} `yaml:"local"`
	} `yaml:"etcd"`
}

type kubeletConfiguration struct {
	typeMeta           `yaml:",inline"`
	CgroupDriver       value `yaml:"cgroupDriver"`
	ServerTLSBootstrap bool  `yaml:"serverTLSBootstrap"`
	RotateCertificates bool  `yaml:"rotateCertificates"`
	// EvictionHard, when set, replaces the kubelet's default hard eviction thresholds.
	EvictionHard map[string]value `yaml:"evictionHard,omitempty"`
}

// kubeProxyConfiguration leaves the kernel-wide conntrack settings alone, for machines that share a
// kernel.
type kubeProxyConfiguration struct {
	typeMeta  `yaml:",inline"`
	Conntrack struct {
		MaxPerCore            int    `yaml:"maxPerCore"`
		TCPEstablishedTimeout string `yaml:"tcpEstablishedTimeout"`
		TCPCloseWaitTimeout   string `yaml:"tcpCloseWaitTimeout"`
	} `yaml:"conntrack"`
}

type joinConfiguration struct {
	typeMeta  `yaml:",inline"`
	Discovery struct {
		BootstrapToken struct {
			APIServerEndpoint value   `yaml:"apiServerEndpoint"`
			Token             value   `yaml:"token"`
			CACertHashes      []value `yaml:"caCertHashes"`
		} `yaml:"bootstrapToken"`
	} `yaml:"discovery"`
	NodeRegistration nodeRegistration  `yaml:"nodeRegistration"`
	ControlPlane     *joinControlPlane `yaml:"controlPlane,omitempty"`
}

type joinControlPlane struct {
	LocalAPIEndpoint apiEndpoint `yaml:"localAPIEndpoint"`
	CertificateKey   value       `yaml:"certificateKey"`
}

// registration is the node's registration: its name, node IP, and taints (control planes first get
// kubeadm's control-plane taint).
func (n Node) registration() nodeRegistration {
	r := nodeRegistration{
		Name: value(n.Name), CRISocket: "unix:///run/containerd/containerd.sock",
		KubeletExtraArgs: []kubeadmArg{{Name: "node-ip", Value: value(n.Address)}},
		Taints:           []kubeadmTaint{}, // [] and not null: kubeadm adds its default taint to null
	}
	if n.Role != RoleWorker {
		r.Taints = append(r.Taints, kubeadmTaint{Key: "node-role.kubernetes.io/control-plane", Effect: "NoSchedule"})
	}
	for _, t := range n.Taints {
		r.Taints = append(r.Taints, kubeadmTaint{Key: value(t.Key), Value: value(t.Value), Effect: value(t.Effect)})
	}
	if len(n.Runtime.IgnorePreflightErrors) > 0 {
		r.IgnorePreflightErrors = values(n.Runtime.IgnorePreflightErrors)
	}
	return r
}

func initConfig(n Node) string {
	ic := initConfiguration{
		typeMeta:         typeMeta{kubeadmAPI, "InitConfiguration"},
		LocalAPIEndpoint: apiEndpoint{AdvertiseAddress: value(n.Address), BindPort: 6443},
		NodeRegistration: n.registration(),
	}
	cc := clusterConfiguration{
		typeMeta:          typeMeta{kubeadmAPI, "ClusterConfiguration"},
		KubernetesVersion: value(n.Version), ImageRepository: value(n.Runtime.ImageRepository),
		ControlPlaneEndpoint: value(n.ControlPlaneEndpoint),
	}
	cc.Networking.PodSubnet, cc.Networking.ServiceSubnet, cc.Networking.DNSDomain = value(n.PodCIDR), value(n.ServiceCIDR), value(n.DNSDomain)
	cc.APIServer.CertSANs = values(n.CertSANs)
	cc.Etcd.Local.DataDir = "/var/lib/etcd"
	kc := kubeletConfiguration{
		typeMeta:     typeMeta{"kubelet.config.k8s.io/v1beta1", "KubeletConfiguration"},
		CgroupDriver: value(n.Runtime.Cgroup()), RotateCertificates: true,
	}
	for signal, threshold := range n.Runtime.EvictionHard {
		if kc.EvictionHard == nil {
			kc.EvictionHard = map[string]value{}
		}
		kc.EvictionHard[signal] = value(threshold)
	}
	docs := []any{ic, cc, kc}
	if n.Runtime.SharedKernel {
		kp := kubeProxyConfiguration{typeMeta: typeMeta{"kubeproxy.config.k8s.io/v1alpha1", "KubeProxyConfiguration"}}
		kp.Conntrack.TCPEstablishedTimeout, kp.Conntrack.TCPCloseWaitTimeout = "0s", "0s"
		var doc yaml.Node
		if err := doc.Encode(kp); err != nil {
			panic(err)
		}
		doc.HeadComment = "The machines share a kernel: kube-proxy leaves its conntrack settings alone."
		docs = append(docs, &doc)
	}
	return encodeYAML("# kubeadm configuration of the first control plane, rendered by orbos.\n", docs...)
}

func joinConfig(n Node, j Join) string {
	jc := joinConfiguration{typeMeta: typeMeta{kubeadmAPI, "JoinConfiguration"}, NodeRegistration: n.registration()}
	jc.Discovery.BootstrapToken.APIServerEndpoint = value(n.ControlPlaneEndpoint)
	jc.Discovery.BootstrapToken.Token = value(j.Token)
	jc.Discovery.BootstrapToken.CACertHashes = []value{value(j.CACertHash)}
	what := "worker"
	if n.Role != RoleWorker {
		what = "control plane"
		jc.ControlPlane = &joinControlPlane{LocalAPIEndpoint: apiEndpoint{AdvertiseAddress: value(n.Address), BindPort: 6443}, CertificateKey: value(j.CertificateKey)}
	}
	return encodeYAML("# kubeadm configuration of a joining "+what+", rendered by orbos.\n", jc)
}

func values(ss []string) []value {
	out := make([]value, len(ss))
	for i, s := range ss {
		out[i] = value(s)
	}
	return out
}

// encodeYAML writes the documents after a fixed comment.
func encodeYAML(comment string, docs ...any) string {
	var b bytes.Buffer
	b.WriteString(comment)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	for _, d := range docs {
		if err := enc.Encode(d); err != nil {
			panic(fmt.Sprintf("encoding %T: %v", d, err)) // plain structs of strings always encode
		}
	}
	if err := enc.Close(); err != nil {
		panic(err)
	}
	return b.String()
}
