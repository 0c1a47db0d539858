package provider

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/orbos/orbos/internal/tools"
)

// Install makes the orbos provider plugin available in Pulumi's home: the plugin directory gets
// pulumi-resource-orbos as a link to the orbctl binary, which serves the provider when started under
// that name. A link, not a copy: the plugin is always the orbctl that runs, so users install one binary.
func Install(pulumiHome string) error {
	bin, err := Orbctl()
	if err != nil {
		return err
	}
	if err := LinkPlugin(pulumiHome, "resource-"+Name+"-v"+Version, PluginBinary, bin); err != nil {
		return fmt.Errorf("installing the orbos provider plugin: %w", err)
	}
	return nil
}

// LinkPlugin makes name in Pulumi's plugin directory dir a link to bin (replaced atomically when it
// points elsewhere): orbctl serves every plugin of orbos under the name it is started as.
func LinkPlugin(pulumiHome, dir, name, bin string) error {
	dir = filepath.Join(pulumiHome, "plugins", dir)
	link := filepath.Join(dir, name)
	if target, err := os.Readlink(link); err == nil && target == bin {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp := link + ".tmp"
	_ = os.Remove(tmp)
	if err := os.Symlink(bin, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, link)
}

// Orbctl is the binary that serves the provider: the running orbctl, else (tests, the library used
// from another program) the orbctl that tools.Find finds.
func Orbctl() (string, error) {
	if exe, err := os.Executable(); err == nil && (filepath.Base(exe) == "orbctl" || filepath.Base(exe) == PluginBinary) {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			return real, nil
		}
		return exe, nil
	}
	bin, err := tools.Find("orbctl")
	if err != nil {
		return "", errors.Join(fmt.Errorf("the orbos provider is served by the orbctl binary, which was not found"), err)
	}
	return filepath.Abs(bin)
}
