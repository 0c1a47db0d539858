package automation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v5"

	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/stacks"
	"github.com/orbos/orbos/stacks/program"
)

// TakeoffOptions tune Takeoff.
type TakeoffOptions struct {
	// Image of the reconciler, name:tag or name@digest.
	Image string
	// WaitReady is how long to wait for the reconciler to become available; 0 does not wait.
	WaitReady time.Duration
}

// Takeoff hands the ORB over to a reconciler inside its cluster: it records the reconciler's image
// in the desired state, runs up (which deploys the reconciler's ServiceAccount, RBAC, Deployment and
// Service), writes the orbconfig into a Secret straight through the Kubernetes API (never through
// Git or Pulumi's state) and waits for the reconciler. From then on the ORB lock keeps the
// workstation and the reconciler from running at once.
func (o *Orb) Takeoff(ctx context.Context, opts TakeoffOptions) (*Result, error) {
	spec, _, err := o.DesiredSpec(ctx)
	if err != nil {
		return nil, err
	}
	if !spec.File.Config.Kubeconfig.IsSet() {
		return nil, fmt.Errorf("takeoff needs a cluster: set %s (ORBITER-built clusters hand over their own once kubeadm lands)", stacks.KeyKubeconfig)
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
	f, _, err := o.StackFile()
	if err != nil {
		return res, err
	}
	c, err := o.crypter(f)
	if err != nil {
		return res, err
	}
	kc, err := f.Get(stacks.KeyKubeconfig, c)
	if err != nil {
		return res, err
	}
	client, err := newKubeClient(kc.Value)
	if err != nil {
		return res, err
	}
	orbconfig, err := yaml.Marshal(o.opts.Config)
	if err != nil {
		return res, fmt.Errorf("encoding the orbconfig: %w", err)
	}
	ns := spec.Kubernetes().Namespace
	if err := client.applySecret(ctx, ns, program.OrbconfigSecret, map[string][]byte{"orbconfig": orbconfig},
		map[string]string{"app.kubernetes.io/managed-by": "orbos", "orbos.io/orb": o.name()}); err != nil {
		return res, err
	}
	o.progressf("wrote the orbconfig into the Secret %s/%s\n", ns, program.OrbconfigSecret)
	if opts.WaitReady <= 0 {
		return res, nil
	}
	o.progressf("waiting up to %s for the reconciler to become available\n", opts.WaitReady)
	_, err = backoff.Retry(ctx, func() (bool, error) {
		ok, err := client.deploymentAvailable(ctx, ns, "orbos-reconciler")
		if err == nil && !ok {
			err = errors.New("not available yet")
		}
		return ok, err
	}, backoff.WithBackOff(backoff.NewConstantBackOff(2*time.Second)), backoff.WithMaxElapsedTime(opts.WaitReady))
	if err != nil {
		return res, fmt.Errorf("the reconciler did not become available within %s (last: %v): see `kubectl -n %s describe deployment orbos-reconciler`", opts.WaitReady, err, ns)
	}
	return res, nil
}
