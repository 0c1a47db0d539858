package testenv

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

const sweepChildEnv = "ORBOS_TESTENV_SWEEP_CHILD"

// A test binary killed before its cleanups ran (its -timeout, a signal) leaves its network and
// machines behind: SweepStale removes them, and leaves a live process's network alone.
func TestSweepStaleRemovesWhatAKilledTestLeft(t *testing.T) {
	if dir := os.Getenv(sweepChildEnv); dir != "" {
		sweepChild(dir)
		return
	}
	live := StartNetwork(t)
	dir := t.TempDir()
	child := exec.Command(os.Args[0], "-test.run=^TestSweepStaleRemovesWhatAKilledTestLeft$", "-test.count=1")
	child.Env = append(os.Environ(), sweepChildEnv+"="+dir)
	child.Stderr = os.Stderr
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	var bridge, netns string
	if _, err := fmt.Fscan(bufio.NewReader(out), &bridge, &netns); err != nil {
		_ = child.Process.Kill()
		t.Fatalf("the child made no machine: %v", err)
	}
	// Killed like a test binary at its -timeout: no cleanup runs.
	_ = child.Process.Signal(syscall.SIGKILL)
	_ = child.Wait()
	if err := exec.Command("ip", "link", "show", bridge).Run(); err != nil {
		t.Fatalf("the killed child's network %s is gone already: the test shows nothing", bridge)
	}

	removed, err := SweepStale()
	if err != nil {
		t.Fatal(err)
	}
	// Other stale networks (of a test binary killed earlier) may go too; a live one never.
	if !slices.Contains(removed, bridge) || slices.Contains(removed, live.Bridge) {
		t.Fatalf("swept %v: want %s, and never the live network %s", removed, bridge, live.Bridge)
	}
	if err := exec.Command("ip", "link", "show", bridge).Run(); err == nil {
		t.Errorf("the bridge %s is still there", bridge)
	}
	if list, _ := exec.Command("ip", "netns", "list").Output(); strings.Contains(string(list), netns) {
		t.Errorf("the namespace %s is still there", netns)
	}
	if _, err := os.Stat(filepath.Join("/sys/fs/cgroup/pids", netns)); err == nil {
		t.Errorf("the cgroup %s is still there", netns)
	}
	if _, err := os.Stat(filepath.Join(RegistryDir, strings.TrimPrefix(bridge, "obr")+".json")); err == nil {
		t.Errorf("the record of %s is still there", bridge)
	}
	if _, err := os.Stat(filepath.Join(RegistryDir, live.ID+".json")); err != nil {
		t.Errorf("the live network's record: %v", err)
	}
}

// sweepChild makes a network with a machine, says their names, and waits to be killed.
func sweepChild(dir string) {
	n, err := NewNetwork()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	m, err := n.NewMachine("orphan", dir, MachineOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(n.Bridge, m.NetNS)
	time.Sleep(time.Hour)
}
