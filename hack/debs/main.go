// Command debs packages a Kubernetes version's kubeadm, kubelet and kubectl as .debs and writes
// a flat apt repository over them (see internal/debrepo):
//
//	go run ./hack/debs -kubernetes DIR -version v1.31.4 -out DIR
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/orbos/orbos/internal/debrepo"
)

func main() {
	var binDir, version, out string
	flag.StringVar(&binDir, "kubernetes", "", "directory with kubeadm, kubelet and kubectl")
	flag.StringVar(&version, "version", "", "their Kubernetes version (v1.31.4)")
	flag.StringVar(&out, "out", "", "the repository's directory")
	flag.Parse()
	if err := run(binDir, version, out); err != nil {
		fmt.Fprintln(os.Stderr, "debs:", err)
		os.Exit(1)
	}
}

func run(binDir, version, out string) error {
	if binDir == "" || version == "" || out == "" {
		return errors.New("-kubernetes, -version and -out are required")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, p := range debrepo.KubernetesPackages() {
		if _, err := debrepo.Build(p, version, binDir, out); err != nil {
			return err
		}
	}
	return debrepo.WriteIndex(out, time.Now())
}
