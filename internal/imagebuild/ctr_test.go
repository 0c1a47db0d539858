package imagebuild

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startContainerd runs a containerd of its own (root, state and socket in a temporary
// directory) until the test ends, and returns its socket.
func startContainerd(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "containerd-")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "containerd.sock")
	config := fmt.Sprintf("version = 2\nroot = %q\nstate = %q\n[grpc]\n  address = %q\n", filepath.Join(dir, "root"), filepath.Join(dir, "state"), sock)
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "containerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command("containerd", "--config", filepath.Join(dir, "config.toml"))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		// Snapshots of unpacked images are mounted under root on some snapshotters.
		_ = exec.Command("umount", "-R", filepath.Join(dir, "root")).Run()
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "containerd.log"))
			t.Logf("--- containerd.log ---\n%s", log)
		}
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("remove %s: %v", dir, err)
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if exec.Command("ctr", "-a", sock, "version").Run() == nil {
			return sock
		}
		select {
		case err := <-done:
			t.Fatalf("containerd exited: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("containerd did not answer in 30 s")
		}
	}
}

// A node loads the images with `ctr -n k8s.io images import`, as kubeadm's image pull then finds them.
func TestCtrImportsTheTarballsUnderKubeadmNames(t *testing.T) {
	if os.Getuid() != 0 {
		t.Fatal("containerd needs root")
	}
	bins := fakeBinaries(t, "kube-scheduler", "pause")
	out := t.TempDir()
	refs := []string{"registry.k8s.io/kube-scheduler:v1.31.4", "registry.k8s.io/pause:3.10"}
	if err := Kubernetes(out, refs, Binaries{Kubernetes: bins, Pause: filepath.Join(bins, "pause")}); err != nil {
		t.Fatal(err)
	}
	sock := startContainerd(t)
	for _, f := range []string{"kube-scheduler.tar", "pause.tar"} {
		if out, err := exec.Command("ctr", "-a", sock, "-n", "k8s.io", "images", "import", filepath.Join(out, f)).CombinedOutput(); err != nil {
			t.Fatalf("ctr images import %s: %v: %s", f, err, out)
		}
	}
	list, err := exec.Command("ctr", "-a", sock, "-n", "k8s.io", "images", "ls", "-q").CombinedOutput()
	if err != nil {
		t.Fatalf("ctr images ls: %v: %s", err, list)
	}
	for _, ref := range refs {
		if !strings.Contains(string(list), ref+"\n") {
			t.Errorf("containerd lacks %s after import:\n%s", ref, list)
		}
	}
}
