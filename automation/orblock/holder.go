package orblock

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
	"syscall"
)

// process identifies a holder's process well enough to tell, from the same machine, that it is gone.
// Host name and PID alone do not: containers share both with other containers. The boot id (one per
// kernel boot) and the PID namespace together say whether a PID seen here means the same process.
type process struct {
	Host         string `json:"host,omitempty"`
	PID          int    `json:"pid,omitempty"`
	BootID       string `json:"bootID,omitempty"`
	PIDNamespace string `json:"pidNamespace,omitempty"`
}

// thisProcess is this process as a lock holder records it.
func thisProcess() process {
	host, _ := os.Hostname()
	return process{Host: host, PID: os.Getpid(), BootID: bootID(), PIDNamespace: pidNamespace()}
}

func bootID() string {
	raw, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(raw))
}

func pidNamespace() string {
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return ""
	}
	return ns
}

// gone reports whether p is certainly a process of this machine's current boot and PID namespace
// that no longer runs. Without a boot id or namespace to compare, nothing is certain: the caller
// waits for the lease instead.
func (p process) gone(self process) bool {
	if p.BootID == "" || p.PIDNamespace == "" || p.PID <= 0 || self.BootID == "" {
		return false
	}
	if p.Host != self.Host || p.BootID != self.BootID || p.PIDNamespace != self.PIDNamespace || p.PID == self.PID {
		return false
	}
	return errors.Is(syscall.Kill(p.PID, 0), syscall.ESRCH)
}

// DefaultHolder names this process: user@host pid N.
func DefaultHolder() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s@%s pid %d", name, host, os.Getpid())
}
