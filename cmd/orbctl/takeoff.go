package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/orbos/orbos/automation"
)

func (a *app) takeoffCommand() *cobra.Command {
	var (
		opts                          automation.TakeoffOptions
		deployKeyPath, knownHostsPath string
	)
	c := &cobra.Command{
		Use:   "takeoff",
		Short: "Run up from here, then hand the ORB over to a reconciler inside its cluster",
		Long: `takeoff records the reconciler's image in the desired state, runs up, which deploys the reconciler
(ServiceAccount allowed only to read its orbconfig Secret, a non-root read-only Deployment of one
replica, a Service for its metrics), writes the orbconfig into that Secret through the Kubernetes
API (never through Git or the state), and waits for the reconciler to become available. From then
on the reconciler keeps the ORB converged; the ORB lock keeps it and any workstation from running
at once.

The reconciler clones the ORB repository from inside the cluster, over SSH: by default at the
orbconfig's URL with its deploy key; --repository, --deploy-key and --known-hosts give the URL and
credentials the cluster's pods use instead (a repository this machine reaches by path needs them).
The cluster is the one orbos:kubeconfig names or the one orbos made on the ORB's machines.`,
		Example: `  orbctl takeoff --image ghcr.io/acme/orbos:v0.1.0
  # the workstation works on a local path; the cluster reaches the same repository over SSH
  orbctl takeoff --image registry.local/orbos:v0.1.0 --repository ssh://git@git.internal/orbs/prod.git \
    --deploy-key ~/.ssh/orb-prod-reconciler --known-hosts <(ssh-keyscan git.internal)`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Image == "" {
				return usageError{fmt.Errorf("takeoff needs --image")}
			}
			key, err := readFlagFile(deployKeyPath)
			if err != nil {
				return err
			}
			known, err := readFlagFile(knownHostsPath)
			if err != nil {
				return err
			}
			opts.DeployKey, opts.KnownHosts = string(key), string(known)
			orb, err := a.open()
			if err != nil {
				return err
			}
			defer orb.Close()
			res, err := orb.Takeoff(a.ctx, opts)
			if a.json() && res != nil {
				if perr := a.printJSON(res); perr != nil {
					return perr
				}
				return err
			}
			if res != nil {
				a.printResult(res)
			}
			if err == nil {
				fmt.Fprintln(a.out, "the reconciler has taken over: this workstation is done")
			}
			return err
		},
	}
	c.Flags().StringVar(&opts.Image, "image", "", "container image of the reconciler (name:tag or name@digest)")
	c.Flags().DurationVar(&opts.WaitReady, "wait-ready", 3*time.Minute, "how long to wait for the reconciler to become available; 0 does not wait")
	f := c.Flags()
	f.StringVar(&opts.Repository, "repository", "", "the ORB repository's SSH URL as the cluster reaches it (default: the orbconfig's)")
	f.StringVar(&deployKeyPath, "deploy-key", "", "private SSH key the reconciler pushes with (default: the orbconfig's)")
	f.StringVar(&knownHostsPath, "known-hosts", "", "known_hosts lines pinning the repository's host key (default: the orbconfig's)")
	for _, name := range []string{"deploy-key", "known-hosts"} {
		_ = c.MarkFlagFilename(name)
	}
	return c
}
