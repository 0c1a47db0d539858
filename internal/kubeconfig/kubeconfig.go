// Package kubeconfig renames a cluster's admin kubeconfig after its ORB and merges it into a user's
// kubeconfig file, as `kind export kubeconfig` and `clusterctl get kubeconfig` do, with client-go's
// clientcmd. Files it writes are readable by their owner only.
package kubeconfig

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// DefaultFile is the kubeconfig kubectl writes to: the first file of $KUBECONFIG, else ~/.kube/config.
func DefaultFile() string {
	return clientcmd.NewDefaultClientConfigLoadingRules().GetDefaultFilename()
}

// Named returns the admin kubeconfig with its current context, cluster and user renamed after the ORB:
// context and cluster NAME, user NAME-admin. It fails when the kubeconfig has no usable current context.
func Named(admin []byte, name string) (*clientcmdapi.Config, error) {
	cfg, err := clientcmd.Load(admin)
	if err != nil {
		return nil, fmt.Errorf("reading the ORB's kubeconfig: %w", err)
	}
	ctxName := cfg.CurrentContext
	if ctxName == "" && len(cfg.Contexts) == 1 {
		for n := range cfg.Contexts {
			ctxName = n
		}
	}
	ctx := cfg.Contexts[ctxName]
	if ctx == nil {
		return nil, errors.New("the ORB's kubeconfig has no current context")
	}
	cluster, user := cfg.Clusters[ctx.Cluster], cfg.AuthInfos[ctx.AuthInfo]
	if cluster == nil || user == nil {
		return nil, fmt.Errorf("the ORB's kubeconfig: context %q names a cluster or user it does not hold", ctxName)
	}
	userName := name + "-admin"
	out := clientcmdapi.NewConfig()
	out.Clusters[name] = cluster
	out.AuthInfos[userName] = user
	c := ctx.DeepCopy()
	c.Cluster, c.AuthInfo = name, userName
	out.Contexts[name] = c
	out.CurrentContext = name
	return out, nil
}

// Merge writes the ORB's context, cluster and user into file, replacing entries of the same names and
// keeping every other entry; the ORB's context becomes the current one. A missing file is created. The
// file is replaced atomically, with mode 0600, while kubectl's lock file (FILE.lock) is held.
func Merge(file string, orb *clientcmdapi.Config) error {
	// A kubeconfig that is a link (to a dotfiles repository, say) is changed where it points.
	if target, err := filepath.EvalSymlinks(file); err == nil {
		file = target
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return fmt.Errorf("merging the kubeconfig into %s: %w", file, err)
	}
	unlock, err := lock(file)
	if err != nil {
		return err
	}
	defer unlock()
	cfg, err := clientcmd.LoadFromFile(file)
	if errors.Is(err, os.ErrNotExist) {
		cfg, err = clientcmdapi.NewConfig(), nil
	}
	if err != nil {
		return fmt.Errorf("merging the kubeconfig into %s: %w", file, err)
	}
	for n, c := range orb.Clusters {
		cfg.Clusters[n] = c
	}
	for n, u := range orb.AuthInfos {
		cfg.AuthInfos[n] = u
	}
	for n, c := range orb.Contexts {
		cfg.Contexts[n] = c
	}
	cfg.CurrentContext = orb.CurrentContext
	raw, err := clientcmd.Write(*cfg)
	if err != nil {
		return fmt.Errorf("merging the kubeconfig into %s: %w", file, err)
	}
	return WriteFile(file, raw)
}

// Bytes serializes a kubeconfig.
func Bytes(cfg *clientcmdapi.Config) ([]byte, error) {
	return clientcmd.Write(*cfg)
}

// WriteFile replaces file with raw atomically: a temporary file of mode 0600 in the same directory,
// renamed over it. An existing file that others could read is replaced by one that they cannot.
func WriteFile(file string, raw []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".tmp-")
	if err != nil {
		return fmt.Errorf("writing the kubeconfig %s: %w", file, err)
	}
	defer os.Remove(tmp.Name())
	// CreateTemp makes it 0600 already; say so, whatever the umask.
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("writing the kubeconfig %s: %w", file, err)
	}
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return fmt.Errorf("writing the kubeconfig %s: %w", file, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing the kubeconfig %s: %w", file, err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return fmt.Errorf("writing the kubeconfig %s: %w", file, err)
	}
	return nil
}

// lock takes kubectl's lock of a kubeconfig file (FILE.lock, created exclusively).
func lock(file string) (func(), error) {
	name := file + ".lock"
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("%s exists: kubectl or another program is changing %s (remove the lock file if none is)", name, file)
		}
		return nil, fmt.Errorf("locking %s: %w", file, err)
	}
	f.Close()
	return func() { os.Remove(name) }, nil
}
