// Package debrepo packages Kubernetes binaries as .debs shaped like pkgs.k8s.io's (nfpm, no
// dpkg-deb needed) and lays out a flat apt repository over them (Packages, Packages.gz, Release),
// signed when served with a key made for that run.
package debrepo

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/blang/semver"
	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the deb packager
	"github.com/goreleaser/nfpm/v2/files"
)

// Revision is the Debian revision of every package, as pkgs.k8s.io's (1.31.4-1.1).
const Revision = "1.1"

// KubeletService and KubeadmDropIn are the systemd units pkgs.k8s.io's kubelet package installs.
// A machine without systemd runs the same command line under its own supervisor.
const (
	KubeletService = `[Unit]
Description=kubelet: The Kubernetes Node Agent
Documentation=https://kubernetes.io/docs/
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=/usr/bin/kubelet
Restart=always
StartLimitInterval=0
RestartSec=10

[Install]
WantedBy=multi-user.target
`
	KubeadmDropIn = `# Note: This dropin only works with kubeadm and kubelet v1.11+
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
# This is a file that "kubeadm init" and "kubeadm join" generates at runtime, populating the KUBELET_KUBEADM_ARGS variable dynamically
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
# This is a file that the user can use for overrides of the kubelet args as a last resort. Preferably, the user should use
# the .NodeRegistration.KubeletExtraArgs object in the configuration files instead. KUBELET_EXTRA_ARGS should be sourced from this file.
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
`
	KubeletServicePath = "/usr/lib/systemd/system/kubelet.service"
	KubeadmDropInPath  = "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"
)

// Package is one .deb to build: binaries from a directory plus fixed files.
type Package struct {
	Name        string
	Description string
	Depends     []string
	Binaries    []string          // file names in the binaries directory, installed in /usr/bin
	Files       map[string]string // destination -> content
	Dirs        []string
}

// KubernetesPackages are the packages kubeadm's install guide has apt install. kubelet depends
// on the host tools it and kube-proxy call (Debian's names; pkgs.k8s.io's kubernetes-cni and
// cri-tools are left out: Debian's containernetworking-plugins comes with containerd's setup, and
// kubeadm only warns without crictl).
func KubernetesPackages() []Package {
	return []Package{
		{
			Name:        "kubeadm",
			Description: "Command-line utility for administering a Kubernetes cluster",
			Binaries:    []string{"kubeadm"},
		},
		{
			Name:        "kubectl",
			Description: "Command-line utility for interacting with a Kubernetes cluster",
			Binaries:    []string{"kubectl"},
		},
		{
			Name:        "kubelet",
			Description: "Node agent for Kubernetes clusters",
			Depends:     []string{"iptables (>= 1.4.21)", "iproute2", "socat", "util-linux", "mount", "ebtables", "ethtool", "conntrack"},
			Binaries:    []string{"kubelet"},
			Files:       map[string]string{KubeletServicePath: KubeletService, KubeadmDropInPath: KubeadmDropIn},
			Dirs:        []string{"/etc/kubernetes/manifests"},
		},
	}
}

// DebianVersion is the package version of Kubernetes version v: v1.31.4 -> 1.31.4-1.1.
func DebianVersion(v string) (string, error) {
	parsed, err := semver.Parse(strings.TrimPrefix(v, "v"))
	if err != nil || !strings.HasPrefix(v, "v") || len(parsed.Pre) > 0 || len(parsed.Build) > 0 {
		return "", fmt.Errorf("kubernetes version %q: want a release such as v1.31.4", v)
	}
	return parsed.String() + "-" + Revision, nil
}

// FileName is the file a package is stored under: NAME_VERSION_amd64.deb.
func FileName(name, debVersion string) string {
	return fmt.Sprintf("%s_%s_amd64.deb", name, debVersion)
}

// Build writes p for Kubernetes version v into out, taking the binaries from binDir, and
// returns the .deb's path.
func Build(p Package, v, binDir, out string) (string, error) {
	debVersion, err := DebianVersion(v)
	if err != nil {
		return "", err
	}
	upstream, _, _ := strings.Cut(debVersion, "-")
	var contents files.Contents
	for _, b := range p.Binaries {
		src := filepath.Join(binDir, b)
		if _, err := os.Stat(src); err != nil {
			return "", fmt.Errorf("package %s: %w", p.Name, err)
		}
		contents = append(contents, &files.Content{Source: src, Destination: "/usr/bin/" + b, FileInfo: &files.ContentFileInfo{Mode: 0o755}})
	}
	staged, err := os.MkdirTemp(out, ".files-*")
	if err != nil {
		return "", fmt.Errorf("package %s: %w", p.Name, err)
	}
	defer os.RemoveAll(staged)
	for dest, content := range p.Files {
		// nfpm packages files from disk.
		src := filepath.Join(staged, strings.ReplaceAll(strings.TrimPrefix(dest, "/"), "/", "_"))
		if err := os.WriteFile(src, []byte(content), 0o644); err != nil {
			return "", fmt.Errorf("package %s: %w", p.Name, err)
		}
		contents = append(contents, &files.Content{Source: src, Destination: dest, FileInfo: &files.ContentFileInfo{Mode: 0o644}})
	}
	for _, d := range p.Dirs {
		contents = append(contents, &files.Content{Destination: d, Type: files.TypeDir, FileInfo: &files.ContentFileInfo{Mode: 0o755}})
	}
	info := nfpm.WithDefaults(&nfpm.Info{
		Name:          p.Name,
		Arch:          "amd64",
		Platform:      "linux",
		Version:       upstream,
		Release:       Revision,
		VersionSchema: "none",
		Section:       "admin",
		Priority:      "optional",
		Maintainer:    "orbos <orbos@localhost>",
		Description:   p.Description,
		Vendor:        "orbos",
		Homepage:      "https://kubernetes.io",
		License:       "Apache-2.0",
		MTime:         time.Unix(0, 0).UTC(),
		Overridables:  nfpm.Overridables{Depends: p.Depends, Contents: contents},
	})
	if err := nfpm.PrepareForPackager(info, "deb"); err != nil {
		return "", fmt.Errorf("package %s: %w", p.Name, err)
	}
	packager, err := nfpm.Get("deb")
	if err != nil {
		return "", err
	}
	path := filepath.Join(out, FileName(p.Name, debVersion))
	f, err := os.CreateTemp(out, ".deb-*")
	if err != nil {
		return "", fmt.Errorf("package %s: %w", p.Name, err)
	}
	defer os.Remove(f.Name())
	if err := packager.Package(info, f); err != nil {
		f.Close()
		return "", fmt.Errorf("package %s: %w", p.Name, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("package %s: %w", p.Name, err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return "", err
	}
	return path, os.Rename(f.Name(), path)
}
