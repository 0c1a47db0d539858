package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/orbos/orbos/automation"
	"github.com/orbos/orbos/automation/orbconfig"
)

func (a *app) initCommand() *cobra.Command {
	var (
		opts           automation.InitOptions
		kubeconfigPath string
		deployKeyPath  string
		knownHostsPath string
	)
	c := &cobra.Command{
		Use:   "init",
		Short: "Create an ORB in an empty Git repository and write its orbconfig",
		Long: `init creates an ORB: Pulumi.yaml, Pulumi.<orb>.yaml with a commented starter spec and a fresh
encryption salt, and a .gitignore, committed and pushed as the repository's first commit. It
generates the ORB's passphrase with crypto/rand and writes it, with the repository URL, to the
orbconfig file (mode 0600), which never enters the repository: keep it safe, it decrypts every
secret of the ORB.`,
		Example: `  orbctl init --orb demo --repo /srv/git/orb-demo.git --kubeconfig ~/.kube/config
  orbctl init --orb prod --repo git@github.com:acme/orb-prod.git \
    --deploy-key ~/.ssh/orb-prod --known-hosts <(ssh-keyscan github.com) --orbconfig ~/.orb/prod`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Orb == "" || opts.Repository == "" {
				return usageError{fmt.Errorf("init needs --orb and --repo")}
			}
			if err := orbconfig.ValidateOrbName(opts.Orb); err != nil {
				return usageError{fmt.Errorf("--orb: %w", err)}
			}
			var err error
			if opts.Kubeconfig, err = readFlagFile(kubeconfigPath); err != nil {
				return err
			}
			key, err := readFlagFile(deployKeyPath)
			if err != nil {
				return err
			}
			hosts, err := readFlagFile(knownHostsPath)
			if err != nil {
				return err
			}
			opts.DeployKey, opts.KnownHosts = string(key), string(hosts)
			opts.OrbconfigPath = a.s.Orbconfig
			opts.Checkout = a.s.Checkout
			res, err := automation.Init(a.ctx, opts)
			if err != nil {
				return err
			}
			if a.structured() {
				return a.print(res)
			}
			fmt.Fprintf(a.out, "created the ORB %s in %s (commit %.12s)\n", res.Orb, res.Repository, res.Commit)
			fmt.Fprintf(a.out, "orbconfig written to %s (mode 0600): it holds the passphrase of every secret; keep it safe\n", res.Orbconfig)
			if len(opts.Kubeconfig) == 0 {
				fmt.Fprintln(a.out, "next: orbctl config set --secret orbos:kubeconfig --from-file ~/.kube/config")
			} else {
				fmt.Fprintln(a.out, "next: orbctl preview, then orbctl up")
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&opts.Orb, "orb", "", "name of the ORB (also its stack name): lower-case letters, digits and dashes")
	f.StringVar(&opts.Repository, "repo", "", "URL of the empty ORB repository: a path, file://, ssh:// or git@host:path")
	f.StringVar(&opts.Branch, "branch", "main", "branch holding the desired state")
	f.StringVar(&kubeconfigPath, "kubeconfig", "", "kubeconfig of the cluster to deploy to; stored encrypted in the spec")
	f.StringVar(&opts.KubernetesVersion, "kubernetes-version", "v1.31.4", "desired Kubernetes version written into the starter spec")
	f.StringVar(&deployKeyPath, "deploy-key", "", "private SSH key with write access to an SSH repository")
	f.StringVar(&knownHostsPath, "known-hosts", "", "known_hosts lines pinning the SSH repository's host key")
	for _, name := range []string{"kubeconfig", "deploy-key", "known-hosts"} {
		_ = c.MarkFlagFilename(name)
	}
	return c
}

// readFlagFile reads the file a flag names; nothing when the flag is empty.
func readFlagFile(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usageError{fmt.Errorf("reading %s: %w", path, err)}
	}
	return b, nil
}
