package host

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"
)

// The kubeadm configurations are encoded from these structs by yaml.v3: every value is a YAML
// scalar the encoder quotes as needed, so no value can add a key, a list item or a document.

const kubeadmAPI = "kubeadm.k8s.io/v1beta4"

type kubeadmArg struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
}

type kubeadmTaint struct {
	Key    string `yaml:"key"`
	Value  string `yaml:"value,omitempty"`
	Effect string `yaml:"effect"`
}

type nodeRegistration struct {
	Name             string         `yaml:"name"`
	CRISocket        string         `yaml:"criSocket"`
	KubeletExtraArgs []kubeadmArg   `yaml:"kubeletExtraArgs"`
	Taints           []kubeadmTaint `yaml:"taints"`
}

type apiEndpoint struct {
	AdvertiseAddress string `yaml:"advertiseAddress"`
	BindPort         int    `yaml:"bindPort"`
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
	KubernetesVersion    string `yaml:"kubernetesVersion"`
	ControlPlaneEndpoint string `yaml:"controlPlaneEndpoint"`
	Networking           struct {
		PodSubnet     string `yaml:"podSubnet"`
		ServiceSubnet string `yaml:"serviceSubnet"`
		DNSDomain     string `yaml:"dnsDomain"`
	} `yaml:"networking"`
	APIServer struct {
		CertSANs []string `yaml:"certSANs"`
	} `yaml:"apiServer"`
	Etcd struct {
		Local struct {
			DataDir string `yaml:"dataDir"`
		} `yaml:"local"`
	} `yaml:"etcd"`
}

type kubeletConfiguration struct {
	typeMeta           `yaml:",inline"`
	CgroupDriver       string `yaml:"cgroupDriver"`
	ServerTLSBootstrap bool   `yaml:"serverTLSBootstrap"`
	RotateCertificates bool   `yaml:"rotateCertificates"`
}

type joinConfiguration struct {
	typeMeta  `yaml:",inline"`
	Discovery struct {
		BootstrapToken struct {
			APIServerEndpoint string   `yaml:"apiServerEndpoint"`
			Token             string   `yaml:"token"`
			CACertHashes      []string `yaml:"caCertHashes"`
		} `yaml:"bootstrapToken"`
	} `yaml:"discovery"`
	NodeRegistration nodeRegistration  `yaml:"nodeRegistration"`
	ControlPlane     *joinControlPlane `yaml:"controlPlane,omitempty"`
}

type joinControlPlane struct {
	LocalAPIEndpoint apiEndpoint `yaml:"localAPIEndpoint"`
	CertificateKey   string      `yaml:"certificateKey"`
}

// registration is the node's registration: its name, node IP, and taints (control planes first get
// kubeadm's control-plane taint).
func (n Node) registration() nodeRegistration {
	r := nodeRegistration{
		Name: n.Name, CRISocket: "unix:///run/containerd/containerd.sock",
		KubeletExtraArgs: []kubeadmArg{{Name: "node-ip", Value: n.Address}},
		Taints:           []kubeadmTaint{}, // [] and not null: kubeadm adds its default taint to null
	}
	if n.Role != RoleWorker {
		r.Taints = append(r.Taints, kubeadmTaint{Key: "node-role.kubernetes.io/control-plane", Effect: "NoSchedule"})
	}
	for _, t := range n.Taints {
		r.Taints = append(r.Taints, kubeadmTaint{Key: t.Key, Value: t.Value, Effect: t.Effect})
	}
	return r
}

func initConfig(n Node) string {
	ic := initConfiguration{
		typeMeta:         typeMeta{kubeadmAPI, "InitConfiguration"},
		LocalAPIEndpoint: apiEndpoint{AdvertiseAddress: n.Address, BindPort: 6443},
		NodeRegistration: n.registration(),
	}
	cc := clusterConfiguration{
		typeMeta:          typeMeta{kubeadmAPI, "ClusterConfiguration"},
		KubernetesVersion: n.Version, ControlPlaneEndpoint: n.ControlPlaneEndpoint,
	}
	cc.Networking.PodSubnet, cc.Networking.ServiceSubnet, cc.Networking.DNSDomain = n.PodCIDR, n.ServiceCIDR, n.DNSDomain
	cc.APIServer.CertSANs = append([]string{}, n.CertSANs...)
	cc.Etcd.Local.DataDir = "/var/lib/etcd"
	kc := kubeletConfiguration{
		typeMeta:     typeMeta{"kubelet.config.k8s.io/v1beta1", "KubeletConfiguration"},
		CgroupDriver: "systemd", RotateCertificates: true,
	}
	return encodeYAML("# kubeadm configuration of the first control plane, rendered by orbos.\n", ic, cc, kc)
}

func joinConfig(n Node, j Join) string {
	jc := joinConfiguration{typeMeta: typeMeta{kubeadmAPI, "JoinConfiguration"}, NodeRegistration: n.registration()}
	jc.Discovery.BootstrapToken.APIServerEndpoint = n.ControlPlaneEndpoint
	jc.Discovery.BootstrapToken.Token = j.Token
	jc.Discovery.BootstrapToken.CACertHashes = []string{j.CACertHash}
	what := "worker"
	if n.Role != RoleWorker {
		what = "control plane"
		jc.ControlPlane = &joinControlPlane{LocalAPIEndpoint: apiEndpoint{AdvertiseAddress: n.Address, BindPort: 6443}, CertificateKey: j.CertificateKey}
	}
	return encodeYAML("# kubeadm configuration of a joining "+what+", rendered by orbos.\n", jc)
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
