package stacks

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
)

// Sources says where the nodes get Kubernetes from: the packages of kubeadm, kubelet and kubectl,
// and the container images. An air-gapped ORB needs exactly these two: a package repository and an
// image registry (or mirror) that its machines reach.
type Sources struct {
	// PackageRepository replaces pkgs.k8s.io.
	PackageRepository *PackageRepository `yaml:"packageRepository" doc:"Debian repository of kubeadm, kubelet and kubectl; default pkgs.k8s.io"`
	// ImageRepository is kubeadm's imageRepository.
	ImageRepository string `yaml:"imageRepository" doc:"where the control-plane images come from (kubeadm's imageRepository), e.g. a mirror of registry.k8s.io: registry.example.com:5000/k8s"`
	// Registries configure containerd for each registry the nodes pull from.
	Registries []Registry `yaml:"registries" doc:"containerd's registry hosts: mirrors, plain-HTTP registries"`
}

// PackageRepository is a Debian repository laid out like pkgs.k8s.io's: one flat repository per
// Kubernetes minor version.
type PackageRepository struct {
	URL string `yaml:"url" orbos:"required" doc:"http(s) URL of the flat repository; {minor} stands for the minor version (v1.31), e.g. https://mirror.example.com/core:/stable:/{minor}/deb/"`
	Key string `yaml:"key" orbos:"required" doc:"ASCII-armoured OpenPGP public key that signs the repository"`
}

// Registry is one registry the nodes pull images from, as containerd's hosts.toml describes it.
type Registry struct {
	Host    string   `yaml:"host" orbos:"required" doc:"registry as image references name it: docker.io, registry.k8s.io, 10.0.0.5:5000"`
	Mirrors []string `yaml:"mirrors" orbos:"required" doc:"endpoints tried in order before the registry itself: https://mirror.example.com, or http://... for a plain-HTTP registry"`
}

// MinorOf returns vMAJOR.MINOR of a version vMAJOR.MINOR.PATCH.
func MinorOf(version string) string {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return version
	}
	return parts[0] + "." + parts[1]
}

// RepositoryURL is the package repository's URL for a Kubernetes version.
func (p *PackageRepository) RepositoryURL(version string) string {
	return strings.ReplaceAll(p.URL, "{minor}", MinorOf(version))
}

var (
	// imageRepository: a registry host (name or IP, optional port) and a path, as in image references.
	imageRepository = regexp.MustCompile(`^[a-zA-Z0-9]([-a-zA-Z0-9.]*[a-zA-Z0-9])?(:[0-9]{1,5})?(/[a-z0-9]+([._-][a-z0-9]+)*)*$`)
	registryHost    = regexp.MustCompile(`^[a-zA-Z0-9]([-a-zA-Z0-9.]*[a-zA-Z0-9])?(:[0-9]{1,5})?$`)
	preflightCheck  = regexp.MustCompile(`^[A-Za-z0-9][-A-Za-z0-9]*$`)
)

// validateSources checks every value that reaches the machines' package sources, containerd's
// configuration and kubeadm's: hosts, URLs and keys parse as what they are, and nothing holds a
// character that could leave its place in a file or a command.
func validateSources(s *Sources, p string, e *errs) {
	if s == nil {
		return
	}
	if r := s.PackageRepository; r != nil {
		checkURL(p+".packageRepository.url", strings.ReplaceAll(r.URL, "{minor}", "v1.0"), e)
		if r.Key != "" {
			if _, err := openpgp.ReadArmoredKeyRing(bytes.NewReader([]byte(r.Key))); err != nil {
				e.add(p+".packageRepository.key", nil, "is not an ASCII-armoured OpenPGP public key: %v", err)
			}
		}
	}
	if s.ImageRepository != "" && !imageRepository.MatchString(s.ImageRepository) {
		e.add(p+".imageRepository", nil, "%q is not a registry and path like registry.example.com:5000/k8s", s.ImageRepository)
	}
	seen := map[string]bool{}
	for i, r := range s.Registries {
		rp := fmt.Sprintf("%s.registries[%d]", p, i)
		if !registryHost.MatchString(r.Host) || !validPort(r.Host) {
			e.add(rp+".host", nil, "%q is not a registry host like docker.io or 10.0.0.5:5000", r.Host)
		} else if seen[r.Host] {
			e.add(rp+".host", nil, "%q is listed twice", r.Host)
		}
		seen[r.Host] = true
		for j, m := range r.Mirrors {
			checkURL(fmt.Sprintf("%s.mirrors[%d]", rp, j), m, e)
		}
	}
}

func validPort(hostport string) bool {
	if !strings.Contains(hostport, ":") {
		return true
	}
	_, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n > 0 && n < 65536
}

// checkURL accepts plain http(s) URLs with a host and nothing that a file or a command could read
// as more than a URL: no credentials, query, fragment, whitespace or quotes.
func checkURL(path, raw string, e *errs) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		e.add(path, nil, "%q is not a URL: %v", raw, err)
	case u.Scheme != "http" && u.Scheme != "https":
		e.add(path, nil, "%q: the scheme must be http or https", raw)
	case u.Host == "" || !registryHost.MatchString(u.Host) || !validPort(u.Host):
		e.add(path, nil, "%q has no valid host", raw)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		e.add(path, nil, "%q: credentials, queries and fragments are not allowed", raw)
	case strings.ContainsAny(raw, " \t\r\n'\"`$\\;|&<>(){}[]*?!#"):
		e.add(path, nil, "%q holds characters a URL here must not have", raw)
	}
}

func validatePreflight(checks []string, p string, e *errs) {
	for i, c := range checks {
		if !preflightCheck.MatchString(c) {
			e.add(fmt.Sprintf("%s[%d]", p, i), nil, "%q is not the name of a kubeadm preflight check (e.g. Swap, FileExisting-crictl, all)", c)
		}
	}
}

// evictionSignals are the kubelet's hard eviction signals.
var evictionSignals = map[string]bool{
	"memory.available": true, "nodefs.available": true, "nodefs.inodesFree": true,
	"imagefs.available": true, "imagefs.inodesFree": true, "pid.available": true,
}

var (
	evictionPercent = regexp.MustCompile(`^(100|[0-9]{1,2})(\.[0-9]{1,2})?%$`)
	// evictionQuantity is a resource quantity in the forms kubelets are given (100Mi, 1Gi, 500k, 1000).
	evictionQuantity = regexp.MustCompile(`^[0-9]{1,12}(\.[0-9]{1,3})?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$`)
)

// validateKubelet checks the kubelet settings: known eviction signals, each with a percentage or
// a resource quantity.
func validateKubelet(k *Kubelet, p string, e *errs) {
	if k == nil {
		return
	}
	for _, signal := range SortedKeys(k.EvictionHard) {
		v, sp := k.EvictionHard[signal], join(p+".evictionHard", signal)
		if !evictionSignals[signal] {
			e.add(sp, nil, "is not a kubelet eviction signal (memory.available, nodefs.available, nodefs.inodesFree, imagefs.available, imagefs.inodesFree, pid.available)")
			continue
		}
		if evictionPercent.MatchString(v) {
			continue
		}
		if !evictionQuantity.MatchString(v) {
			e.add(sp, nil, "%q is neither a percentage like 5%% nor a quantity like 100Mi", v)
		}
	}
}
