// Command localcluster starts or stops the local Kubernetes control plane (etcd, kube-apiserver,
// kube-controller-manager on loopback) that the demo deploys to. It outlives the command.
//
//	go run ./hack/localcluster start DIR   # prints the kubeconfig path
//	go run ./hack/localcluster stop DIR
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/orbos/orbos/test/testenv"
)

func main() {
	if len(os.Args) != 3 || (os.Args[1] != "start" && os.Args[1] != "stop") {
		fmt.Fprintln(os.Stderr, "usage: localcluster start|stop DIR")
		os.Exit(2)
	}
	dir := os.Args[2]
	if os.Args[1] == "stop" {
		if err := testenv.StopDir(dir); err != nil {
			fmt.Fprintln(os.Stderr, "localcluster:", err)
			os.Exit(1)
		}
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	a, err := testenv.StartDetached(ctx, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "localcluster:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "localcluster: kube-apiserver at %s\n", a.URL)
	fmt.Println(a.Kubeconfig)
}
