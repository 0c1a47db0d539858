package program

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/components/boom"
	"github.com/orbos/orbos/components/boom/dashboards"
	"github.com/orbos/orbos/internal/pulumidep"
	"github.com/orbos/orbos/stacks"
)

// shipDashboards ships orbos's dashboards for the enabled tools (and Zitadel when it is on) into
// the dashboards tool's namespace, after that tool: nothing when it is off, so turning it off
// removes them with it.
func shipDashboards(ctx *pulumi.Context, spec *stacks.Spec, env boom.Env, tools map[string]*boom.Tool, labels map[string]string, opts ...pulumi.ResourceOption) error {
	grafana := tools[dashboards.Tool]
	z := spec.File.Config.Zitadel
	list := dashboards.Select(env.Enabled, z != nil && z.Enabled)
	if grafana == nil || len(list) == 0 {
		return nil
	}
	_, err := dashboards.New(ctx, "dashboards", dashboards.Args{
		Dashboards: list, Namespace: env.Enabled[dashboards.Tool], Labels: labels,
	}, append(opts, pulumidep.On(grafana))...)
	return err
}
