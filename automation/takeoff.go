package automation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"

	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/automation/orbconfig"
	"github.com/orbos/orbos/stacks"
	"github.com/orbos/orbos/stacks/program"
)

// TakeoffOptions tune Takeoff.
type TakeoffOptions struct {
	// Image of the reconciler, name:tag or name@digest.
	Image string
	// WaitReady is how long to wait for the reconciler to become available; 0 does not wait.
	WaitReady time.Duration
	// Repository is the ORB repository's URL as the cluster reaches it; empty: the orbconfig's.
	// The reconciler reaches no path of this machine, so it must be an SSH URL.
	Repository string
	// DeployKey (PEM) and KnownHosts (known_hosts lines) authenticate the reconciler to Repository;
	// empty: the orbconfig's.
	DeployKey, KnownHosts string
}

// clusterOrbconfig is the orbconfig the reconciler gets: this one, with the repository as the
// cluster reaches it.
func (o *Orb) clusterOrbconfig(opts TakeoffOptions) (*orbconfig.Config, error) {
	c := *o.opts.Config
	if opts.Repository != "" {
		c.Repository = opts.Repository
	}
	if opts.DeployKey != "" {
		c.DeployKey = opts.DeployKey
	}
	if opts.KnownHosts != "" {
		c.KnownHosts = opts.KnownHosts
	}
	if !c.IsSSH() {
		hint := "pass --repository with an ssh:// URL of it that the cluster's pods can reach (and --deploy-key, --known-hosts)"
		if strings.Contains(c.Repository, "://") && !strings.HasPrefix(c.Repository, "file://") {
			hint = "orbos reaches repositories over SSH: pass --repository ssh://... (and --deploy-key, --known-hosts)"
		}
		return nil, fmt.Errorf("the reconciler cannot reach the repository %s from inside the cluster: %s", c.Repository, hint)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if _, err := c.Auth(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Takeoff hands the ORB over to a reconciler inside its cluster: it records the reconciler's image
// in the desired state, runs up (which deploys the reconciler's ServiceAccount, RBAC, Deployment and
// Service), writes the orbconfig into a Secret straight through the Kubernetes API (never through
// Git or Pulumi's state) and waits for the reconciler. From then on the ORB lock keeps the
// workstation and the reconciler from running at once. The cluster is the one a kubeconfig names or
// the one orbos makes on the ORB's machines.
func (o *Orb) Takeoff(ctx context.Context, opts TakeoffOptions) (*Result, error) {
	spec, _, err := o.DesiredSpec(ctx)
	if err != nil {
		return nil, err
	}
	if !spec.File.Config.Kubeconfig.IsSet() && !spec.MakesCluster() {
		return nil, fmt.Errorf("takeoff needs a cluster: set %s, or let orbos make one (machines and %s.controlPlane)", stacks.KeyKubeconfig, stacks.KeyOrbiter+".kubernetes")
	}
	inCluster, err := o.clusterOrbconfig(opts)
	if err != nil {
		return nil, err
	}
	if spec.File.Config.Reconciler == nil {
		if _, err := o.SetConfig(ctx, stacks.KeyReconciler+".apiVersion", stacks.APIVersion, false); err != nil {
			return nil, err
		}
	}
	if _, err := o.SetConfig(ctx, stacks.KeyReconciler+".image", opts.Image, false); err != nil {
		return nil, err
	}
	res, err := o.Run(ctx, Up, RunOptions{Message: "takeoff"})
	if err != nil {
		return res, err
	}
	kubeconfig, err := o.clusterKubeconfig(ctx, spec)
	if err != nil {
		return res, err
	}
	client, err := newKubeClient(kubeconfig)
	if err != nil {
		return res, err
	}
	raw, err := yaml.Marshal(inCluster)
	if err != nil {
		return res, fmt.Errorf("encoding the orbconfig: %w", err)
	}
	ns := spec.Kubernetes().Namespace
	if err := client.applySecret(ctx, ns, program.OrbconfigSecret, map[string][]byte{"orbconfig": raw},
		map[string]string{"app.kubernetes.io/managed-by": "orbos", "orbos.io/orb": o.name()}); err != nil {
		return res, err
	}
	o.progressf("wrote the orbconfig (repository %s) into the Secret %s/%s\n", inCluster.Repository, ns, program.OrbconfigSecret)
	if opts.WaitReady <= 0 {
		return res, nil
	}
	o.progressf("waiting up to %s for the reconciler to become available\n", opts.WaitReady)
	_, err = backoff.Retry(ctx, func() (bool, error) {
		ok, err := client.deploymentAvailable(ctx, ns, program.ReconcilerName)
		if err == nil && !ok {
			err = errors.New("not available yet")
		}
		return ok, err
	}, backoff.WithBackOff(backoff.NewConstantBackOff(2*time.Second)), backoff.WithMaxElapsedTime(opts.WaitReady))
	if err != nil {
		return res, fmt.Errorf("the reconciler did not become available within %s (last: %v): see `kubectl -n %s describe deployment %s` and its logs", opts.WaitReady, err, ns, program.ReconcilerName)
	}
	return res, nil
}

// clusterKubeconfig is the admin kubeconfig of the ORB's cluster: the desired state's, or the one
// of the cluster orbos made (the state's output).
func (o *Orb) clusterKubeconfig(ctx context.Context, spec *stacks.Spec) (string, error) {
	if !spec.File.Config.Kubeconfig.IsSet() {
		return o.Kubeconfig(ctx)
	}
	f, _, err := o.StackFile()
	if err != nil {
		return "", err
	}
	c, err := o.crypter(f)
	if err != nil {
		return "", err
	}
	kc, err := f.Get(stacks.KeyKubeconfig, c)
	if err != nil {
		return "", err
	}
	return kc.Value, nil
}
