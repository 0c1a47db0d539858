// Command images writes container images without a container engine (see internal/imagebuild).
//
// Kubernetes images, one docker-archive per image, named as the version's kubeadm lists them:
//
//	go run ./hack/images -kubernetes DIR -etcd PATH -coredns PATH -pause PATH -out DIR
//
// where DIR holds kubeadm and the component binaries of one version. The reconciler image:
//
//	go run ./hack/images -reconciler bin/image -ref orbos:dev -out orbos.tar
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/orbos/orbos/internal/imagebuild"
)

func main() {
	var bin imagebuild.Binaries
	var out, reconciler, ref string
	flag.StringVar(&bin.Kubernetes, "kubernetes", "", "directory with kubeadm, kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy")
	flag.StringVar(&bin.Etcd, "etcd", "", "etcd binary")
	flag.StringVar(&bin.CoreDNS, "coredns", "", "coredns binary")
	flag.StringVar(&bin.Pause, "pause", "", "pause binary")
	flag.StringVar(&reconciler, "reconciler", "", "build the reconciler image from this image context directory (make image-context) instead")
	flag.StringVar(&ref, "ref", "orbos:dev", "the reconciler image's name")
	flag.StringVar(&out, "out", "", "output directory (Kubernetes images) or file (reconciler image)")
	flag.Parse()
	if err := run(bin, out, reconciler, ref); err != nil {
		fmt.Fprintln(os.Stderr, "images:", err)
		os.Exit(1)
	}
}

func run(bin imagebuild.Binaries, out, reconciler, ref string) error {
	if out == "" {
		return errors.New("-out is required")
	}
	if reconciler != "" {
		return imagebuild.Reconciler(out, ref, reconciler)
	}
	if bin.Kubernetes == "" || bin.Etcd == "" || bin.CoreDNS == "" || bin.Pause == "" {
		return errors.New("-kubernetes, -etcd, -coredns and -pause are required")
	}
	refs, err := kubeadmImages(filepath.Join(bin.Kubernetes, "kubeadm"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	return imagebuild.Kubernetes(out, refs, bin)
}

// kubeadmImages asks kubeadm which images its own version's cluster runs: the version it was
// built as (its -X gitVersion), so the names are exactly what it will pull.
func kubeadmImages(kubeadm string) ([]string, error) {
	v, err := exec.Command(kubeadm, "version", "-o", "short").Output()
	if err != nil {
		return nil, fmt.Errorf("%s version: %w", kubeadm, err)
	}
	var stderr bytes.Buffer
	c := exec.Command(kubeadm, "config", "images", "list", "--kubernetes-version", strings.TrimSpace(string(v)))
	c.Stderr = &stderr
	list, err := c.Output()
	if err != nil {
		return nil, fmt.Errorf("kubeadm config images list: %w: %s", err, stderr.Bytes())
	}
	refs := strings.Fields(string(list))
	if len(refs) == 0 {
		return nil, errors.New("kubeadm config images list printed no image")
	}
	return refs, nil
}
