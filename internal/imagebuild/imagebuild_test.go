package imagebuild

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// extract unpacks img's filesystem (all layers flattened) into a new directory.
func extract(t *testing.T, tarballPath string) string {
	t.Helper()
	img, err := tarball.ImageFromPath(tarballPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	rc := mutate.Extract(img)
	defer rc.Close()
	cmd := exec.Command("tar", "-x", "-p", "-C", root)
	cmd.Stdin = rc
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("untar: %v: %s", err, out)
	}
	return root
}

func fakeBinaries(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\necho "+n+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// The kube-proxy image must run Debian's iptables from its own filesystem, including the
// statistic match (loaded with dlopen, and linked to libm) that kube-proxy's Service rules use.
func TestKubeProxyImageRunsIptablesWithItsModules(t *testing.T) {
	if os.Getuid() != 0 {
		t.Fatal("chroot needs root")
	}
	out := t.TempDir()
	const ref = "registry.k8s.io/kube-proxy:v1.31.4"
	if err := Kubernetes(out, []string{ref}, Binaries{Kubernetes: fakeBinaries(t, "kube-proxy")}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(out, "kube-proxy.tar")
	refs, err := Tarballs(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := refs[path]; !slices.Equal(got, []string{ref}) {
		t.Fatalf("tarball %s holds %v, want [%s]", path, got, ref)
	}
	root := extract(t, path)
	for _, args := range [][]string{
		{"/usr/sbin/iptables", "-m", "statistic", "-h"},
		{"/usr/sbin/iptables-save", "--version"},
		{"/usr/sbin/ip6tables-restore", "--version"},
		{"/usr/sbin/conntrack", "--version"},
	} {
		out, err := exec.Command("chroot", append([]string{root}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("chroot %s: %v: %s", strings.Join(args, " "), err, out)
		}
		if args[1] == "-m" && !strings.Contains(string(out), "statistic match options") {
			t.Errorf("iptables -m statistic -h in the image did not load the match:\n%s", out)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "usr/local/bin/kube-proxy")); err != nil {
		t.Errorf("kube-proxy is not where kubeadm's DaemonSet calls it: %v", err)
	}
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" {
		t.Errorf("platform %s/%s, want linux/amd64", cf.OS, cf.Architecture)
	}
	if layers, _ := img.Layers(); len(layers) != 1 {
		t.Errorf("%d layers, want 1", len(layers))
	}
}

func TestKubernetesImagesPutBinariesWhereKubeadmCallsThem(t *testing.T) {
	bins := fakeBinaries(t, "kube-apiserver", "etcd", "coredns", "pause")
	out := t.TempDir()
	refs := []string{"registry.k8s.io/kube-apiserver:v1.31.4", "registry.k8s.io/etcd:3.5.15-0",
		"registry.k8s.io/coredns/coredns:v1.11.3", "registry.k8s.io/pause:3.10"}
	err := Kubernetes(out, refs, Binaries{Kubernetes: bins, Etcd: filepath.Join(bins, "etcd"),
		CoreDNS: filepath.Join(bins, "coredns"), Pause: filepath.Join(bins, "pause")})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct{ file, entrypoint, user string }{
		"kube-apiserver.tar": {"usr/local/bin/kube-apiserver", "/usr/local/bin/kube-apiserver", ""},
		"etcd.tar":           {"usr/local/bin/etcd", "/usr/local/bin/etcd", ""},
		"coredns.tar":        {"coredns", "/coredns", ""},
		"pause.tar":          {"pause", "/pause", "65535:65535"},
	}
	for file, w := range want {
		path := filepath.Join(out, file)
		root := extract(t, path)
		if fi, err := os.Stat(filepath.Join(root, w.file)); err != nil || fi.Mode().Perm() != 0o755 {
			t.Errorf("%s: %s: %v %v", file, w.file, fi, err)
		}
		img, err := tarball.ImageFromPath(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		cf, _ := img.ConfigFile()
		if !slices.Equal(cf.Config.Entrypoint, []string{w.entrypoint}) || cf.Config.User != w.user {
			t.Errorf("%s: entrypoint %v user %q, want [%s] %q", file, cf.Config.Entrypoint, cf.Config.User, w.entrypoint, w.user)
		}
	}
	if err := Kubernetes(out, []string{"registry.k8s.io/kube-unknown:v1"}, Binaries{}); err == nil {
		t.Error("an image without a recipe was written")
	}
}

func TestTagForRepository(t *testing.T) {
	for ref, want := range map[string]string{
		"registry.k8s.io/kube-apiserver:v1.31.4":  "127.0.0.1:5000/k8s/kube-apiserver:v1.31.4",
		"registry.k8s.io/coredns/coredns:v1.11.3": "127.0.0.1:5000/k8s/coredns:v1.11.3",
		"registry.k8s.io/etcd:3.5.15-0":           "127.0.0.1:5000/k8s/etcd:3.5.15-0",
		"registry.k8s.io/pause:3.10":              "127.0.0.1:5000/k8s/pause:3.10",
	} {
		got, err := TagForRepository(ref, "127.0.0.1:5000/k8s/")
		if err != nil || got != want {
			t.Errorf("TagForRepository(%s) = %q, %v; want %q", ref, got, err, want)
		}
	}
}

func TestLinkedLibraries(t *testing.T) {
	libs, err := LinkedLibraries("/usr/sbin/xtables-nft-multi")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range libs {
		names = append(names, filepath.Base(l))
	}
	for _, want := range []string{"libc.so.6", "libxtables.so.12", "ld-linux-x86-64.so.2"} {
		if !slices.Contains(names, want) {
			t.Errorf("xtables-nft-multi's closure %v lacks %s", names, want)
		}
	}
	exe, err := os.Executable() // a Go test binary: static unless cgo
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LinkedLibraries(exe); err != nil {
		t.Errorf("LinkedLibraries(test binary): %v", err)
	}
}

// The reconciler image runs its binaries as nonroot, dynamic ones included (their libc comes along).
func TestReconcilerImageRunsDynamicBinaries(t *testing.T) {
	if os.Getuid() != 0 {
		t.Fatal("chroot needs root")
	}
	context := t.TempDir()
	conntrack, err := os.ReadFile("/usr/sbin/conntrack") // a dynamically linked stand-in
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range ReconcilerBinaries {
		if err := os.WriteFile(filepath.Join(context, b), conntrack, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "orbos.tar")
	if err := Reconciler(out, "example.test/orbos:dev", context); err != nil {
		t.Fatal(err)
	}
	root := extract(t, out)
	for _, b := range ReconcilerBinaries {
		if output, err := exec.Command("chroot", "--userspec=65532:65532", root, "/usr/local/bin/"+b, "--version").CombinedOutput(); err != nil {
			t.Errorf("%s in the image: %v: %s", b, err, output)
		}
	}
	for _, f := range []string{"etc/ssl/certs/ca-certificates.crt", "etc/passwd", "home/nonroot"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Error(err)
		}
	}
	img, err := tarball.ImageFromPath(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	if cf.Config.User != "65532:65532" || !slices.Equal(cf.Config.Entrypoint, []string{"/usr/local/bin/orbctl"}) || !slices.Equal(cf.Config.Cmd, []string{"reconcile"}) {
		t.Errorf("config %+v is not the Dockerfile's", cf.Config)
	}
}
