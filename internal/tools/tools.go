// Package tools finds the executables orbos runs (the Pulumi CLI, provider plugins, the local
// control plane) that hack/tools.sh builds and caches outside the clone.
package tools

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ErrMissing is wrapped by Find's error when a binary cannot be found.
var ErrMissing = errors.New("tool not found")

// Dirs lists where Find looks before PATH: $ORBOS_TOOLS/bin, then ~/.cache/orbos/tools/bin
// (hack/tools.sh's default), then the directory of the running executable.
func Dirs() []string {
	var dirs []string
	if root := os.Getenv("ORBOS_TOOLS"); root != "" {
		dirs = append(dirs, filepath.Join(root, "bin"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, ".cache", "orbos", "tools", "bin"))
	}
	if exe, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Dir(exe))
	}
	return dirs
}

// Find returns the path of the executable name. The tool directories come before PATH so that a
// pinned, self-built binary wins over whatever the system has.
func Find(name string) (string, error) {
	dirs := Dirs()
	for _, d := range dirs {
		p := filepath.Join(d, name)
		// Stat follows symlinks: tools.sh links versioned binaries into bin/, and a dangling link
		// (a half-finished build) must count as missing.
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s: %w in %s or PATH: run `make tools` (hack/tools.sh) to build it",
		name, ErrMissing, strings.Join(dirs, ", "))
}
