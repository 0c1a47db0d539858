package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/orbos/orbos/internal/imagebuild"
	"github.com/orbos/orbos/internal/tools"
)

const registryName = "docker-registry"

// Registry is Debian's docker-registry (the CNCF distribution registry) serving plain HTTP on
// one address, its storage in a directory of its own.
type Registry struct {
	// Host is ADDRESS:PORT, the registry part of image names pushed to it.
	Host string
	// URL is http://Host.
	URL string
	// Dir holds the configuration, the storage and docker-registry.log.
	Dir string

	proc     *process
	stopOnce sync.Once
	stopErr  error
}

// ArtifactDir is the directory hack/tools.sh caches the artifact NAME in (images-v1.31.4,
// debs-v1.31.4, kubernetes-v1.31.4): under $ORBOS_TOOLS, else ~/.cache/orbos/tools. It fails
// with the `make tools` hint when the directory is not there.
func ArtifactDir(name string) (string, error) {
	root := os.Getenv("ORBOS_TOOLS")
	if root == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		root = filepath.Join(home, ".cache", "orbos", "tools")
	}
	dir := filepath.Join(root, name)
	if _, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("%s: %w: run `make tools` (hack/tools.sh) to build it", dir, ErrToolMissing)
	}
	return dir, nil
}

// StartRegistry starts docker-registry on address (an IP: 127.0.0.1, or a test network's bridge
// address that the test's machines reach) and a free port, with its storage in dir, and returns
// once it answers /v2/. The process dies with the caller; Stop ends it.
func StartRegistry(ctx context.Context, dir, address string) (*Registry, error) {
	bin, err := tools.Find(registryName)
	if err != nil {
		return nil, fmt.Errorf("testenv: %w (Debian's docker-registry)", err)
	}
	if net.ParseIP(address) == nil {
		return nil, fmt.Errorf("testenv: registry address %q is not an IP", address)
	}
	if err := os.MkdirAll(filepath.Join(dir, "storage"), 0o755); err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	// The port is free when picked but may be taken before the registry binds it: retry then.
	var lastErr error
	for range 3 {
		r, err := startRegistry(ctx, bin, dir, address)
		if err == nil {
			return r, nil
		}
		lastErr = err
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	return nil, lastErr
}

func startRegistry(ctx context.Context, bin, dir, address string) (*Registry, error) {
	port, err := freePort(address)
	if err != nil {
		return nil, err
	}
	host := net.JoinHostPort(address, strconv.Itoa(port))
	config := filepath.Join(dir, "config.yml")
	yml := fmt.Sprintf(`version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: %q
  delete:
    enabled: true
http:
  addr: %q
`, filepath.Join(dir, "storage"), host)
	if err := os.WriteFile(config, []byte(yml), 0o644); err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	logPath := filepath.Join(dir, registryName+".log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, "serve", config)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("testenv: start %s: %w", registryName, err)
	}
	p := &process{name: registryName, logPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	r := &Registry{Host: host, URL: "http://" + host, Dir: dir, proc: p}
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	err = poll(ctx, p, func() (bool, string) {
		resp, err := client.Get(r.URL + "/v2/")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})
	if err != nil {
		_ = r.Stop()
		return nil, fmt.Errorf("testenv: %s on %s: %w", registryName, host, err)
	}
	return r, nil
}

func freePort(address string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(address, "0"))
	if err != nil {
		return 0, fmt.Errorf("testenv: find a free port on %s: %w", address, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// StartRegistryForTest starts a registry on address (127.0.0.1, or a Network's Gateway) in a
// temporary directory and stops it when the test ends (with the end of its log when the test failed).
func StartRegistryForTest(t testing.TB, address string) *Registry {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	r, err := StartRegistry(ctx, dir, address)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("--- tail of %s.log ---\n%s", registryName, tail(r.proc.logPath))
		}
		if err := r.Stop(); err != nil {
			t.Errorf("testenv: stop registry: %v", err)
		}
	})
	return r
}

// Stop ends the registry (SIGTERM, then SIGKILL) and reports whether it had died before.
func (r *Registry) Stop() error {
	r.stopOnce.Do(func() { r.stopErr = r.proc.stop() })
	return r.stopErr
}

// Ref is repository:tag (or @digest) in this registry: "kube-apiserver:v1.31.4" ->
// "127.0.0.1:PORT/kube-apiserver:v1.31.4".
func (r *Registry) Ref(repoAndTag string) string { return r.Host + "/" + repoAndTag }

// Push pushes the image in the docker-archive at tarballPath (one image) as ref, a full name
// in this registry (see Ref), and returns the pushed manifest's digest.
func (r *Registry) Push(ctx context.Context, tarballPath, ref string) (v1.Hash, error) {
	dst, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("testenv: push %q: %w", ref, err)
	}
	if dst.Context().RegistryStr() != r.Host {
		return v1.Hash{}, fmt.Errorf("testenv: push %q: not in the registry %s", ref, r.Host)
	}
	img, err := tarball.ImageFromPath(tarballPath, nil)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("testenv: push %s: %w", tarballPath, err)
	}
	if err := remote.Write(dst, img, remote.WithContext(ctx)); err != nil {
		return v1.Hash{}, fmt.Errorf("testenv: push %s as %s: %w", tarballPath, ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("testenv: push %s: %w", tarballPath, err)
	}
	return d, nil
}

// Digest asks the registry for ref's manifest digest (what a pull resolves the tag to).
func (r *Registry) Digest(ctx context.Context, ref string) (v1.Hash, error) {
	src, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("testenv: %q: %w", ref, err)
	}
	desc, err := remote.Get(src, remote.WithContext(ctx))
	if err != nil {
		return v1.Hash{}, fmt.Errorf("testenv: get %s: %w", ref, err)
	}
	return desc.Digest, nil
}

// PushKubernetesImages pushes every image in an images directory of hack/tools.sh
// (ArtifactDir("images-v1.31.4")) under the names kubeadm pulls when its ClusterConfiguration's
// imageRepository is the returned repository (HOST/k8s): registry.k8s.io/kube-apiserver:v1.31.4
// as HOST/k8s/kube-apiserver:v1.31.4, registry.k8s.io/coredns/coredns:v1.11.3 as
// HOST/k8s/coredns:v1.11.3. It returns that repository and the pushed names with their digests.
func (r *Registry) PushKubernetesImages(ctx context.Context, imagesDir string) (imageRepository string, pushed map[string]v1.Hash, err error) {
	tarballs, err := imagebuild.Tarballs(imagesDir)
	if err != nil {
		return "", nil, fmt.Errorf("testenv: %w", err)
	}
	if len(tarballs) == 0 {
		return "", nil, fmt.Errorf("testenv: no image tarball in %s", imagesDir)
	}
	imageRepository = r.Host + "/k8s"
	pushed = map[string]v1.Hash{}
	var errs []error
	for path, refs := range tarballs {
		if len(refs) != 1 {
			errs = append(errs, fmt.Errorf("testenv: %s holds %d images, want 1", path, len(refs)))
			continue
		}
		ref, err := imagebuild.TagForRepository(refs[0], imageRepository)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		d, err := r.Push(ctx, path, ref)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		pushed[ref] = d
	}
	if err := errors.Join(errs...); err != nil {
		return "", nil, err
	}
	return imageRepository, pushed, nil
}

// KubernetesVersion is the version hack/tools.sh builds by default (KUBERNETES_VERSION): its
// images-VERSION and debs-VERSION directories are what PushKubernetesImages and ServeAptRepo take.
const KubernetesVersion = "v1.31.4"

// KubernetesNextVersion is the upgrade target hack/tools.sh builds with `kubernetes-next`
// (KUBERNETES_NEXT_VERSION), one minor version above KubernetesVersion.
const KubernetesNextVersion = "v1.32.9"
