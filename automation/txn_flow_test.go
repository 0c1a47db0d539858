package automation

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbos/orbos/automation/orbconfig"
	"github.com/orbos/orbos/automation/orblock"
	"github.com/orbos/orbos/automation/stackconfig"
	"github.com/orbos/orbos/internal/gittest"
	"github.com/orbos/orbos/stacks"
)

// openORB opens an ORB whose remote holds a starter spec, in a checkout of its own.
func openORB(t *testing.T, cfg *orbconfig.Config) *Orb {
	t.Helper()
	o, err := Open(context.Background(), Options{Config: cfg, Checkout: filepath.Join(t.TempDir(), "co"), Holder: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

func starterRemote(t *testing.T) *orbconfig.Config {
	t.Helper()
	pass, err := orbconfig.GeneratePassphrase()
	if err != nil {
		t.Fatal(err)
	}
	salt, err := stackconfig.NewEncryptionSalt(pass)
	if err != nil {
		t.Fatal(err)
	}
	c, err := stackconfig.NewCrypter(pass, salt)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig, err := c.EncryptValue(context.Background(), "apiVersion: v1\nkind: Config\n")
	if err != nil {
		t.Fatal(err)
	}
	remote := gittest.BareRemote(t, map[string]string{
		stacks.StackFileName("x"): string(stacks.Starter(stacks.StarterOptions{Orb: "x", EncryptionSalt: salt, KubeconfigCiphertext: kubeconfig})),
	})
	return &orbconfig.Config{Orb: "x", Repository: remote, Branch: "main", Passphrase: pass}
}

// A change of the desired state whose push fails keeps the ORB marked: the same change from another
// checkout is refused until the first checkout's next command pushes it.
func TestUnpushedConfigChangeStopsOtherCheckouts(t *testing.T) {
	ctx := context.Background()
	cfg := starterRemote(t)
	hook := filepath.Join(cfg.Repository, "hooks", "update")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\n[ \"$1\" = refs/heads/main ] && exit 1\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	mine := openORB(t, cfg)
	_, err := mine.SetConfig(ctx, "orbos:orbiter.kubernetes.version", "v1.31.6", false)
	var pushErr *PushError
	if !errors.As(err, &pushErr) {
		t.Fatalf("set against a refusing remote: %v", err)
	}
	os.Remove(hook)

	other := openORB(t, cfg)
	var marked *orblock.UnpushedError
	if _, err := other.SetConfig(ctx, "orbos:orbiter.kubernetes.version", "v1.31.7", false); !errors.As(err, &marked) ||
		!strings.Contains(err.Error(), mine.Checkout()) {
		t.Fatalf("another checkout: %v", err)
	}
	// The next command of the first checkout pushes its change along with its own.
	if _, err := mine.SetConfig(ctx, "orbos:orbiter.kubernetes.namespace", "orb-x", false); err != nil {
		t.Fatal(err)
	}
	spec := gittest.Git(t, cfg.Repository, "show", "main:"+stacks.StackFileName("x"))
	if !strings.Contains(spec, "v1.31.6") || !strings.Contains(spec, "orb-x") {
		t.Fatalf("the remote's spec:\n%s", spec)
	}
	if _, err := other.SetConfig(ctx, "orbos:orbiter.kubernetes.version", "v1.31.7", false); err != nil {
		t.Fatalf("after the push: %v", err)
	}
	if info, err := orblock.Read(ctx, other.Repo()); err != nil || info != nil {
		t.Fatalf("lock %v %v", info, err)
	}
}
