package orblock

import (
	"os"
	"os/exec"
	"testing"
)

// A PID says something only within its boot and PID namespace: a dead process on another boot or
// in another namespace (a container with the same host name) is never taken for this machine's.
func TestGoneNeedsTheSameBootAndPIDNamespace(t *testing.T) {
	self := thisProcess()
	if self.BootID == "" || self.PIDNamespace == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no boot id or PID namespace readable in CI")
		}
		t.Skip("no /proc/sys/kernel/random/boot_id or /proc/self/ns/pid here")
	}
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := process{Host: self.Host, PID: cmd.Process.Pid, BootID: self.BootID, PIDNamespace: self.PIDNamespace}
	if !dead.gone(self) {
		t.Fatal("a dead process of this boot and namespace is not recognised")
	}
	for name, p := range map[string]process{
		"other boot":      {Host: self.Host, PID: dead.PID, BootID: "another-boot", PIDNamespace: self.PIDNamespace},
		"other namespace": {Host: self.Host, PID: dead.PID, BootID: self.BootID, PIDNamespace: "pid:[1]"},
		"no boot id":      {Host: self.Host, PID: dead.PID, PIDNamespace: self.PIDNamespace},
		"alive":           {Host: self.Host, PID: os.Getppid(), BootID: self.BootID, PIDNamespace: self.PIDNamespace},
	} {
		if p.gone(self) {
			t.Errorf("%s: taken for a dead holder", name)
		}
	}
}
