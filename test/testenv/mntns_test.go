package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"
)

// A swept record whose mount namespace name now belongs to someone else (the kernel reuses the
// names of namespaces that are gone) kills nothing in it; while the machine's anchor lives there,
// the namespace is the machine's.
func TestAStaleMountNamespaceNameKillsNothing(t *testing.T) {
	other := exec.Command("unshare", "--mount", "--propagation", "private", "sleep", "60")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = other.Process.Kill(); _ = other.Wait() }()
	var ns string
	for deadline := time.Now().Add(10 * time.Second); ; {
		// unshare execs sleep once the namespace is made: wait until the process is in a new one.
		mine, _ := os.Readlink("/proc/self/ns/mnt")
		n, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", other.Process.Pid))
		if err == nil && n != mine {
			ns = n
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("unshare made no mount namespace")
		}
		time.Sleep(20 * time.Millisecond)
	}
	stale := &Machine{MntNS: ns, AnchorPID: 0}
	if slices.Contains(stale.pids(), other.Process.Pid) {
		t.Error("a record whose anchor is gone claims the processes of a namespace that took its name")
	}
	live := &Machine{MntNS: ns, AnchorPID: other.Process.Pid}
	if !slices.Contains(live.pids(), other.Process.Pid) {
		t.Error("a machine whose anchor lives in its namespace does not find its processes")
	}
}
