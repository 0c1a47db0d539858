package host

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// Runtime is how a node gets and runs Kubernetes: where its packages and images come from (an
// air-gapped ORB names its own package repository and registry), the cgroup driver, and what kubeadm
// and kube-proxy must leave alone on machines that share a kernel.
type Runtime struct {
	// PackageRepository is a flat Debian repository of kubeadm, kubelet and kubectl; {minor} stands
	// for the minor version (v1.31). Empty: pkgs.k8s.io.
	PackageRepository string `json:"packageRepository,omitempty"`
	// PackageKey is the ASCII-armoured OpenPGP key that signs PackageRepository.
	PackageKey string `json:"packageKey,omitempty"`
	// ImageRepository is kubeadm's imageRepository; empty: registry.k8s.io.
	ImageRepository string `json:"imageRepository,omitempty"`
	// Registries are containerd's registry hosts.
	Registries []Registry `json:"registries,omitempty"`
	// CgroupDriver is systemd (default) or cgroupfs.
	CgroupDriver string `json:"cgroupDriver,omitempty"`
	// SharedKernel: kube-proxy leaves the kernel-wide conntrack settings alone.
	SharedKernel bool `json:"sharedKernel,omitempty"`
	// IgnorePreflightErrors are kubeadm preflight checks by name.
	IgnorePreflightErrors []string `json:"ignorePreflightErrors,omitempty"`
	// EvictionHard replaces the kubelet's hard eviction thresholds (signal: quantity or percentage).
	// kubeadm puts it into the cluster's kubelet configuration when it makes the cluster; nodes that
	// join later get it from there.
	EvictionHard map[string]string `json:"evictionHard,omitempty"`
}

// Registry is a registry host with the mirrors tried before it (http:// for plain HTTP).
type Registry struct {
	Host    string   `json:"host"`
	Mirrors []string `json:"mirrors"`
}

// RegistryConfigDir is containerd's config_path: one directory per registry host with a hosts.toml.
const RegistryConfigDir = "/etc/containerd/certs.d"

// HostGWRoutesPath lists "POD-CIDR VIA" lines: the other nodes' pod networks and their addresses.
const HostGWRoutesPath = ConfigDir + "/hostgw-routes"

// Cgroup returns the cgroup driver, systemd unless cgroupfs is asked for.
func (r Runtime) Cgroup() string {
	if r.CgroupDriver == "cgroupfs" {
		return "cgroupfs"
	}
	return "systemd"
}

// PackageURL returns the package repository of a version's minor release.
func (r Runtime) PackageURL(version string) string {
	return strings.ReplaceAll(r.PackageRepository, "{minor}", minor(version))
}

// HostsFile is one registry's hosts.toml for containerd.
type HostsFile struct {
	// Dir is the registry's directory under RegistryConfigDir (its host, with the port as _port_ is
	// not needed: containerd takes host:port as the directory name).
	Dir     string
	Content string
}

// HostsFiles renders containerd's hosts.toml of every registry. Values are TOML-quoted; the spec's
// validation has already refused hosts and URLs with characters outside their grammar, and a
// registry host that would leave its directory is refused here as well.
func (r Runtime) HostsFiles() ([]HostsFile, error) {
	var out []HostsFile
	for _, reg := range r.Registries {
		if reg.Host == "" || strings.ContainsAny(reg.Host, "/\\ \t\r\n'\"$`") || reg.Host == "." || reg.Host == ".." {
			return nil, fmt.Errorf("registry host %q cannot name a directory", reg.Host)
		}
		server := "https://" + reg.Host
		if reg.Host == "docker.io" {
			server = "https://registry-1.docker.io" // Docker Hub's API is not at its name
		}
		var b strings.Builder
		fmt.Fprintf(&b, "# containerd registry configuration of %s, written by orbos.\nserver = %s\n", reg.Host, strconv.Quote(server))
		for _, m := range reg.Mirrors {
			fmt.Fprintf(&b, "\n[host.%s]\n  capabilities = [\"pull\", \"resolve\"]\n", strconv.Quote(m))
		}
		out = append(out, HostsFile{Dir: reg.Host, Content: b.String()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Dir < out[j].Dir })
	return out, nil
}

// Route is another node's pod network and the address it is reached at.
type Route struct {
	PodCIDR string
	Via     string
}

// HostGWRoutes renders the routes file of the hostgw CNI; both sides must parse.
func HostGWRoutes(routes []Route) (string, error) {
	sorted := append([]Route(nil), routes...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].PodCIDR < sorted[j].PodCIDR })
	var b strings.Builder
	for _, r := range sorted {
		p, err := netip.ParsePrefix(r.PodCIDR)
		if err != nil {
			return "", fmt.Errorf("pod CIDR %q: %w", r.PodCIDR, err)
		}
		a, err := netip.ParseAddr(r.Via)
		if err != nil {
			return "", fmt.Errorf("node address %q: %w", r.Via, err)
		}
		fmt.Fprintf(&b, "%s %s\n", p.Masked(), a)
	}
	return b.String(), nil
}

// HostGWApplyScript makes the kernel's routes what the routes file says: routes orbos set (protocol
// 77) that the file no longer lists go, the listed ones are set. A boot unit runs it again after a
// reboot. It takes no value from the spec.
func HostGWApplyScript() string {
	return script("hostgw routes", "hostgw-routes.sh", nil, scriptFlags{})
}
