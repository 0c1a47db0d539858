package imagebuild

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// Binaries says where the binaries of a Kubernetes version's images are.
type Binaries struct {
	Kubernetes string // directory with kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy
	Etcd       string
	CoreDNS    string
	Pause      string
}

// xtablesDir is where Debian's iptables looks for its match and target modules (dlopen).
const xtablesDir = "/usr/lib/x86_64-linux-gnu/xtables"

// iptablesNames are the commands kube-proxy (iptables mode) runs, all served by Debian's
// xtables-nft-multi (the nft backend, which this kernel has).
var iptablesNames = []string{
	"iptables", "iptables-save", "iptables-restore",
	"ip6tables", "ip6tables-save", "ip6tables-restore",
}

// Component is the image's last path element: "kube-apiserver" for
// registry.k8s.io/kube-apiserver:v1.31.4, "coredns" for registry.k8s.io/coredns/coredns:v1.11.3.
func Component(ref string) (string, error) {
	tag, err := name.NewTag(ref)
	if err != nil {
		return "", fmt.Errorf("image %q: %w", ref, err)
	}
	return path.Base(tag.RepositoryStr()), nil
}

// TarballName is the file an image is stored under in an images directory.
func TarballName(ref string) (string, error) {
	c, err := Component(ref)
	if err != nil {
		return "", err
	}
	return c + ".tar", nil
}

// Kubernetes writes one docker-archive per image ref (as `kubeadm config images list` prints
// them) into out, each with the binary where kubeadm's manifests call it.
func Kubernetes(out string, refs []string, bin Binaries) error {
	for _, ref := range refs {
		c, err := Component(ref)
		if err != nil {
			return err
		}
		cfg, fill, err := kubernetesImage(c, bin)
		if err != nil {
			return fmt.Errorf("image %s: %w", ref, err)
		}
		if err := Build(filepath.Join(out, c+".tar"), ref, cfg, fill); err != nil {
			return err
		}
	}
	return nil
}

func kubernetesImage(component string, bin Binaries) (Config, func(*Layer) error, error) {
	base := func(l *Layer) error { return l.Dir("/tmp", 0o777|os.ModeSticky, 0, 0) }
	binary := func(at, src string) func(*Layer) error {
		return func(l *Layer) error {
			if err := base(l); err != nil {
				return err
			}
			return l.File(at, 0o755, src)
		}
	}
	switch component {
	case "kube-apiserver", "kube-controller-manager", "kube-scheduler":
		at := "/usr/local/bin/" + component
		return Config{Entrypoint: []string{at}}, binary(at, filepath.Join(bin.Kubernetes, component)), nil
	case "kube-proxy":
		at := "/usr/local/bin/kube-proxy"
		return Config{Entrypoint: []string{at}}, func(l *Layer) error {
			if err := binary(at, filepath.Join(bin.Kubernetes, component))(l); err != nil {
				return err
			}
			return addIptables(l)
		}, nil
	case "etcd":
		at := "/usr/local/bin/etcd"
		return Config{Entrypoint: []string{at}}, binary(at, bin.Etcd), nil
	case "coredns":
		return Config{Entrypoint: []string{"/coredns"}}, binary("/coredns", bin.CoreDNS), nil
	case "pause":
		// As upstream's: nobody's uid, so the sandbox holds no root process.
		return Config{Entrypoint: []string{"/pause"}, User: "65535:65535"}, binary("/pause", bin.Pause), nil
	}
	return Config{}, nil, fmt.Errorf("no recipe for the component %q", component)
}

// addIptables adds Debian's iptables (nft backend) under the names kube-proxy runs, conntrack,
// and every xtables module with the libraries it loads (libm for the statistic match that
// kube-proxy's load balancing rules use).
func addIptables(l *Layer) error {
	const multi = "/usr/sbin/xtables-nft-multi"
	if err := l.HostBinary(multi); err != nil {
		return err
	}
	for _, n := range iptablesNames {
		if err := l.Symlink("/usr/sbin/"+n, "xtables-nft-multi"); err != nil {
			return err
		}
	}
	if err := l.HostBinary("/usr/sbin/conntrack"); err != nil {
		return err
	}
	mods, err := filepath.Glob(filepath.Join(xtablesDir, "*.so"))
	if err != nil {
		return err
	}
	if len(mods) == 0 {
		return fmt.Errorf("no xtables modules in %s: install Debian's iptables", xtablesDir)
	}
	for _, m := range mods {
		if err := l.HostBinary(m); err != nil {
			return err
		}
	}
	return nil
}

// TagForRepository is the name kubeadm asks for when its imageRepository is repo: the same
// image under repo, except that registry.k8s.io's "coredns/coredns" becomes "coredns" (kubeadm
// renames it for any repository but the default).
func TagForRepository(ref, repo string) (string, error) {
	tag, err := name.NewTag(ref)
	if err != nil {
		return "", fmt.Errorf("image %q: %w", ref, err)
	}
	r := tag.RepositoryStr()
	if r == "coredns/coredns" {
		r = "coredns"
	}
	return strings.TrimSuffix(repo, "/") + "/" + r + ":" + tag.TagStr(), nil
}
