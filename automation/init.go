package automation

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/automation/gitrepo"
	"github.com/orbos/orbos/automation/orbconfig"
	"github.com/orbos/orbos/automation/record"
	"github.com/orbos/orbos/automation/stackconfig"
	"github.com/orbos/orbos/stacks"
)

// InitOptions create an ORB.
type InitOptions struct {
	Orb        string
	Repository string
	Branch     string
	// OrbconfigPath is where the new orbconfig goes (mode 0600); it must not exist yet.
	OrbconfigPath string
	// Checkout is the local working copy; DefaultCheckout when empty.
	Checkout string
	// Kubeconfig of the cluster to deploy to, stored encrypted; optional.
	Kubeconfig        []byte
	KubernetesVersion string
	DeployKey         string
	KnownHosts        string
}

// InitResult says what Init made.
type InitResult struct {
	Orb        string `json:"orb"`
	Repository string `json:"repository"`
	Orbconfig  string `json:"orbconfig"`
	Checkout   string `json:"checkout"`
	Commit     string `json:"commit"`
}

const projectFile = `# The Pulumi project of an ORB managed by orbos. orbctl runs it through the Automation API;
# the desired state is Pulumi.<orb>.yaml, the current state is under .pulumi/ (Pulumi's file backend).
name: ` + stacks.Project + `
runtime: go
description: An ORB managed by orbos
`

const gitignore = `# Written by orbctl init. Pulumi's own locks and backups never belong in Git; every state
# version is a Git commit already.
/.pulumi/locks/
/.pulumi/backups/
/.pulumi/history/**/*.checkpoint.json
*.json.bak
# Checkpoints being written; an interrupted run's is recovered before anything is committed.
*.tmp
# Metadata sidecars of the file backend's blob store; Pulumi does not need them.
*.attrs
`

// Init creates an ORB: its repository content (project file, commented starter spec with a fresh
// encryption salt, .gitignore), one commit pushed to the empty remote, and an orbconfig holding a
// passphrase generated with crypto/rand. Either all of it happens or nothing stays behind.
func Init(ctx context.Context, opts InitOptions) (res *InitResult, err error) {
	cfg := &orbconfig.Config{
		Orb: opts.Orb, Repository: opts.Repository, Branch: opts.Branch,
		DeployKey: opts.DeployKey, KnownHosts: opts.KnownHosts,
	}
	if cfg.Passphrase, err = orbconfig.GeneratePassphrase(); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Branch == "" {
		cfg.Branch = "main"
	}
	if _, err := os.Stat(opts.OrbconfigPath); err == nil {
		return nil, fmt.Errorf("the orbconfig %s exists already: pass another --orbconfig, or remove it if its ORB is gone", opts.OrbconfigPath)
	}
	auth, err := cfg.Auth()
	if err != nil {
		return nil, err
	}
	dir := opts.Checkout
	if dir == "" {
		dir = DefaultCheckout(cfg)
	}
	if _, err := os.Stat(dir); err == nil {
		// A checkout of an ORB by the same name and URL that is gone: deleted only when nothing in
		// it exists nowhere else.
		if err := disposable(dir, cfg.Branch); err != nil {
			return nil, err
		}
		if err := os.RemoveAll(dir); err != nil {
			return nil, fmt.Errorf("clearing the old checkout %s: %w", dir, err)
		}
	}
	gopts := gitrepo.Options{Dir: dir, URL: cfg.Repository, Branch: cfg.Branch, Auth: auth}
	repo, err := gitrepo.Open(ctx, gopts)
	switch {
	case errors.Is(err, gitrepo.ErrEmptyRemote):
		repo, err = gitrepo.Init(gopts)
		if err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
			os.Remove(opts.OrbconfigPath)
		}
	}()
	stackFile := filepath.Join(dir, stacks.StackFileName(cfg.Orb))
	if _, err := os.Stat(stackFile); err == nil {
		return nil, fmt.Errorf("%s already holds an ORB named %s", cfg.Repository, cfg.Orb)
	}

	salt, err := stackconfig.NewEncryptionSalt(cfg.Passphrase)
	if err != nil {
		return nil, err
	}
	so := stacks.StarterOptions{Orb: cfg.Orb, EncryptionSalt: salt, KubernetesVersion: opts.KubernetesVersion}
	if len(opts.Kubeconfig) > 0 {
		c, err := stackconfig.NewCrypter(cfg.Passphrase, salt)
		if err != nil {
			return nil, err
		}
		if so.KubeconfigCiphertext, err = c.EncryptValue(ctx, string(opts.Kubeconfig)); err != nil {
			return nil, fmt.Errorf("encrypting the kubeconfig: %w", err)
		}
	}
	starter := stacks.Starter(so)
	if len(opts.Kubeconfig) > 0 {
		if _, err := stacks.Parse(cfg.Orb, starter); err != nil {
			return nil, fmt.Errorf("the starter spec is invalid (a bug): %w", err)
		}
	}
	for name, content := range map[string][]byte{
		"Pulumi.yaml": []byte(projectFile), ".gitignore": []byte(gitignore),
		stacks.StackFileName(cfg.Orb): starter,
	} {
		path := filepath.Join(dir, name)
		if _, err := os.Stat(path); err == nil && name != stacks.StackFileName(cfg.Orb) {
			continue // a repository with several ORBs shares these
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			return nil, fmt.Errorf("writing %s: %w", name, err)
		}
	}
	// The stack exists in the file backend from the first commit on, so that every later run finds it.
	ws, err := newWorkspace(dir, cfg.Passphrase, os.Getenv("PULUMI_HOME"))
	if err != nil {
		return nil, err
	}
	defer ws.close()
	noProgram := func(*pulumi.Context) error { return nil }
	if _, err := ws.stack(ctx, cfg.Orb, noProgram, func(s string) string { return strings.ReplaceAll(s, cfg.Passphrase, "[secret]") }); err != nil {
		return nil, err
	}
	if err := cfg.Save(opts.OrbconfigPath); err != nil {
		return nil, err
	}
	h, err := repo.CommitAll(record.Message("orbos init "+cfg.Orb, "", record.Trailers{record.KeyOperation: "init"}))
	if err != nil {
		return nil, err
	}
	if err := repo.Push(ctx); err != nil {
		return nil, err
	}
	return &InitResult{Orb: cfg.Orb, Repository: cfg.Repository, Orbconfig: opts.OrbconfigPath, Checkout: dir, Commit: h.String()}, nil
}

// disposable refuses to let init delete a checkout that holds something that exists nowhere else:
// commits never pushed, or what an interrupted run left (uncommitted state, Pulumi's locks).
func disposable(dir, branch string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("reading the old checkout %s: %w", dir, err)
	}
	if len(entries) == 0 {
		return nil
	}
	repo, err := gitrepo.OpenLocal(dir, branch)
	if err != nil {
		return fmt.Errorf("%s exists and is not a checkout orbctl made (%v): pass another --checkout, or remove it yourself", dir, err)
	}
	var kept []string
	if ahead, err := repo.Ahead(); err != nil {
		return err
	} else if ahead {
		head, _ := repo.Head()
		kept = append(kept, fmt.Sprintf("commits that were never pushed (newest %.12s)", head))
	}
	changed, err := repo.Changed()
	if err != nil {
		return err
	}
	if locks, _ := os.ReadDir(filepath.Join(dir, ".pulumi", "locks")); len(locks) > 0 {
		changed = append(changed, ".pulumi/locks/")
	}
	if len(changed) > 0 {
		kept = append(kept, "an interrupted run's leftovers ("+strings.Join(changed, ", ")+")")
	}
	if len(kept) == 0 {
		return nil
	}
	return fmt.Errorf("refusing to delete the old checkout %s: it holds %s, which exist nowhere else. "+
		"If they belong to an ORB you still need, run orbctl there with that ORB's orbconfig (it pushes them) or keep the "+
		"directory and pass another --checkout; if you are sure they are worthless, remove the directory yourself",
		dir, strings.Join(kept, " and "))
}
