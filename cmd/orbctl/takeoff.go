package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/orbos/orbos/automation"
)

func (a *app) takeoffCommand() *cobra.Command {
	var opts automation.TakeoffOptions
	c := &cobra.Command{
		Use:   "takeoff",
		Short: "Run up from here, then hand the ORB over to a reconciler inside its cluster",
		Long: `takeoff records the reconciler's image in the desired state, runs up, which deploys the reconciler
(ServiceAccount allowed only to read its orbconfig Secret, a non-root read-only Deployment of one
replica, a Service for its metrics), writes the orbconfig into that Secret through the Kubernetes
API (never through Git or the state), and waits for the reconciler to become available. From then
on the reconciler keeps the ORB converged; the ORB lock keeps it and any workstation from running
at once.`,
		Example: "  orbctl takeoff --image ghcr.io/acme/orbos:v0.1.0",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Image == "" {
				return usageError{fmt.Errorf("takeoff needs --image")}
			}
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
	return c
}
