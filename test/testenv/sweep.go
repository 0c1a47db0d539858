package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// RegistryDir is where every network of test machines is recorded while it lives (a tmpfs, so a
// reboot forgets it with the namespaces). A test binary killed before its cleanups ran, by its
// -timeout or a signal, leaves its networks there for SweepStale.
const RegistryDir = "/run/orbos-testenv"

// register records the network, its machines and the process that owns it.
func (n *Network) register() error {
	if n.detached {
		return nil
	}
	if err := os.MkdirAll(RegistryDir, 0o700); err != nil {
		return fmt.Errorf("testenv: recording the network: %w", err)
	}
	n.mu.Lock()
	if n.Owner == 0 {
		n.Owner = os.Getpid()
	}
	n.mu.Unlock()
	return n.Save(filepath.Join(RegistryDir, n.ID+".json"))
}

func (n *Network) unregister() {
	if !n.detached {
		_ = os.Remove(filepath.Join(RegistryDir, n.ID+".json"))
	}
}

// SweepStale destroys every recorded network whose owning process is gone, with its machines, and
// returns the bridges it removed. make demo's machines are not recorded here: their directory is.
func SweepStale() ([]string, error) {
	entries, err := os.ReadDir(RegistryDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		n, err := LoadNetwork(filepath.Join(RegistryDir, e.Name()))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		// A PID reused since is taken as alive: the network waits for a later sweep rather than a
		// live test's being destroyed.
		if n.Owner > 0 && alive(n.Owner) {
			continue
		}
		n.Destroy()
		removed = append(removed, n.Bridge)
	}
	return removed, errors.Join(errs...)
}
