package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/orbos/orbos/test/testenv"
)

// providers is the orbos:orbiter part that names the machines: a static pool each for control
// planes, workers and load balancers, and with load balancers a VIP for the Kubernetes API.
func providers(n *testenv.Network, inv Inventory) string {
	pools := map[string]*strings.Builder{"control": {}, "workers": {}, "lb": {}}
	cps := 0
	for _, m := range inv.Machines {
		pool := "workers"
		switch {
		case strings.HasPrefix(m.Name, "cp-"):
			pool = "control"
			cps++
		case strings.HasPrefix(m.Name, "lb-"):
			pool = "lb"
		}
		extra := ""
		if pool == "lb" {
			extra = ", interfaces: [eth0]"
		}
		fmt.Fprintf(pools[pool], "            - {id: %s, address: %s, sshPort: %d, hostKey: %q%s}\n", m.Name, m.Address, m.Port, m.HostKey, extra)
	}
	var b strings.Builder
	b.WriteString("    providers:\n      static:\n        pools:\n")
	for _, p := range []string{"control", "workers", "lb"} {
		if pools[p].Len() > 0 {
			fmt.Fprintf(&b, "          %s:\n%s", p, pools[p])
		}
	}
	if pools["lb"].Len() > 0 {
		fmt.Fprintf(&b, `    loadBalancing:
      pool: lb
      vips:
        - name: default
          ip: %s
          transports:
            - {name: kubeapi, frontendPort: 6443, backendPort: 6443, backendPools: [control]}
`, n.Address())
	}
	return b.String()
}

// serve runs the registry with the Kubernetes and smoke images and the signed package repository
// on the machines' network until it is killed, and writes the kubernetes section's part that
// points the nodes at them.
func serve(dir string) error {
	n, err := testenv.LoadNetwork(filepath.Join(dir, "network.json"))
	if err != nil {
		return err
	}
	if err := testenv.CheckDiskFree(dir, testenv.RealClusterDiskFree); err != nil {
		return err
	}
	gw := n.Gateway.String()
	version := testenv.KubernetesVersion
	images, err := testenv.ArtifactDir("images-" + version)
	if err != nil {
		return err
	}
	debs, err := testenv.ArtifactDir("debs-" + version)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	reg, err := testenv.StartRegistry(ctx, filepath.Join(dir, "registry"), gw)
	if err != nil {
		return err
	}
	defer reg.Stop()
	repo, _, err := reg.PushKubernetesImages(ctx, images)
	if err != nil {
		return err
	}
	smokeDir := filepath.Join(dir, "smoke")
	if err := os.MkdirAll(smokeDir, 0o755); err != nil {
		return err
	}
	smoke, err := reg.PushSmokeImage(ctx, smokeDir)
	if err != nil {
		return err
	}
	apt, err := testenv.ServeAptRepo(debs, gw)
	if err != nil {
		return err
	}
	defer apt.Stop()
	var key strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(string(apt.ArmoredPublicKey)), "\n") {
		key.WriteString("            " + l + "\n")
	}
	host := strings.SplitN(repo, "/", 2)[0]
	sources := fmt.Sprintf(`      networking: {cni: hostgw}
      cgroupDriver: cgroupfs
      sharedKernel: true
      ignorePreflightErrors: [HTTPProxyCIDR]
      # The machines share this machine's disk, which others fill: evict only when it is nearly full.
      kubelet: {evictionHard: {memory.available: 100Mi, nodefs.available: "1%%", imagefs.available: "1%%"}}
      sources:
        imageRepository: %s
        registries: [{host: "%s", mirrors: ["http://%s"]}]
        packageRepository:
          url: %s
          key: |
%s`, repo, host, host, apt.URL, key.String())
	if err := os.WriteFile(filepath.Join(dir, "sources.yaml"), []byte(sources), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "smoke-image"), []byte(smoke+"\n"), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "serve.pid"), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "machines: registry %s, package repository %s\n", reg.URL, apt.URL)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	_ = os.Remove(filepath.Join(dir, "serve.pid"))
	return nil
}
