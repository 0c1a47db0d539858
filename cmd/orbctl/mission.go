package main

import (
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/orbos/orbos/mission"
)

func (a *app) missionCommand() *cobra.Command {
	var o mission.Options
	c := &cobra.Command{
		Use:   "mission",
		Short: "Serve MISSION: one web page over every ORB's repository",
		Long: `mission serves a web page over the Git repositories of many ORBs: a fleet table with problems
first, each ORB's timeline with the diff of every commit, and forms whose changes are committed to
the ORB's repository (or to a proposal branch) as the signed-in user. It reads and writes only the
repositories listed in its config; it never contacts a cluster or a cloud.`,
		Example: "  orbctl mission --config mission.yaml",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			msg := "orbctl mission: stopping: finishing the requests under way (interrupt again to quit at once)"
			interruptMessage.Store(&msg)
			o.Log = slog.New(slog.NewTextHandler(a.errOut, nil))
			return mission.Serve(cmd.Context(), o)
		},
	}
	c.Flags().StringVar(&o.Config, "config", "mission.yaml", "MISSION's config: ORBs, grants, sign-in, listen address")
	c.Flags().StringVar(&o.Catalog, "catalog", "", "a release catalog file (Kubernetes, BOOM charts, orbos) replacing the embedded one and mission.yaml's catalogFile")
	return c
}
