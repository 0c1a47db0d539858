package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// reapStrays kills what an ORB's runs left running once its test ends: a test that SIGKILLs orbctl
// leaves the Pulumi CLI and its plugins behind (plugins run in process groups of their own, so
// killing orbctl's group does not reach them). They are found by the ORB's checkout in their
// environment or their working directory under the test's directory, never by name, so that
// processes of other tests and of the machine are left alone.
func reapStrays(t testing.TB, dir, checkout string) {
	t.Helper()
	mark := []byte("ORBOS_CHECKOUT=" + checkout + "\x00")
	var killed []string
	for _, pid := range strayPIDs(dir, mark) {
		cmd, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
		if syscall.Kill(pid, syscall.SIGKILL) == nil {
			killed = append(killed, strconv.Itoa(pid)+" "+strings.ReplaceAll(strings.TrimRight(string(cmd), "\x00"), "\x00", " "))
		}
	}
	if len(killed) == 0 {
		return
	}
	t.Logf("killed %d processes the test's runs left behind:\n  %s", len(killed), strings.Join(killed, "\n  "))
	// Wait for them, so the test's directory can be removed.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && len(strayPIDs(dir, mark)) > 0; {
		time.Sleep(50 * time.Millisecond)
	}
}

// strayPIDs lists the processes, other than this one, whose environment holds mark or whose working
// directory is under dir.
func strayPIDs(dir string, mark []byte) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		p := filepath.Join("/proc", e.Name())
		if env, err := os.ReadFile(filepath.Join(p, "environ")); err == nil && bytes.Contains(env, mark) {
			out = append(out, pid)
			continue
		}
		if cwd, err := os.Readlink(filepath.Join(p, "cwd")); err == nil && (cwd == dir || strings.HasPrefix(cwd, dir+string(os.PathSeparator))) {
			out = append(out, pid)
		}
	}
	return out
}

// TestReapStraysKillsWhatARunLeft holds the reaper to its job: a process started with the ORB's
// checkout in its environment is gone after it, one without is left alone.
func TestReapStraysKillsWhatARunLeft(t *testing.T) {
	dir := t.TempDir()
	checkout := filepath.Join(dir, "checkout")
	start := func(env ...string) *os.Process {
		p, err := os.StartProcess("/bin/sleep", []string{"sleep", "60"}, &os.ProcAttr{
			Env: env, Sys: &syscall.SysProcAttr{Setpgid: true},
		})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	stray := start("ORBOS_CHECKOUT=" + checkout)
	other := start("ORBOS_CHECKOUT=" + checkout + "-other")
	t.Cleanup(func() { _ = other.Kill(); _, _ = other.Wait() })
	done := make(chan struct{})
	go func() { _, _ = stray.Wait(); close(done) }()
	reapStrays(t, dir, checkout)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = stray.Kill()
		t.Fatal("the stray process is still running")
	}
	if syscall.Kill(other.Pid, 0) != nil {
		t.Error("a process of another ORB was killed")
	}
}
