package program

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/orbos/orbos/components/boom"
	"github.com/orbos/orbos/components/zitadel"
	"github.com/orbos/orbos/internal/pulumidep"
	"github.com/orbos/orbos/stacks"
)

// identity installs Zitadel and its database after BOOM's tools: its route needs the gateway's
// Gateway, the Barman Cloud plugin cert-manager's certificates.
func identity(ctx *pulumi.Context, spec *stacks.Spec, tools map[string]*boom.Tool, labels pulumi.StringMap, opts ...pulumi.ResourceOption) error {
	z := spec.ZitadelOn()
	if z == nil {
		return nil
	}
	// orbctl generates the masterkey before the first run (automation: ensureZitadelMasterkey).
	key, err := config.TrySecret(ctx, stacks.KeyZitadelMasterkey)
	if err != nil {
		return fmt.Errorf("Zitadel: %s is not set: orbctl generates it before the first run: %w", stacks.KeyZitadelMasterkey, err)
	}
	secret, err := stackSecrets(ctx)
	if err != nil {
		return err
	}
	var after []pulumi.Resource
	for _, name := range stacks.SortedKeys(tools) {
		after = append(after, tools[name])
	}
	secretLabels := map[string]string{}
	for k, v := range labels {
		secretLabels[k] = string(v.(pulumi.String))
	}
	// Validation holds an enabled Zitadel to an enabled gateway tool.
	gatewayNS, mirror := "", ""
	if b := spec.File.Config.Boom; b != nil {
		gatewayNS, mirror = b.Tools["gateway"].Namespace, b.ChartRepository
	}
	_, err = zitadel.New(ctx, zitadel.Args{
		Orb: spec.Orb, Zitadel: z, Masterkey: key, GatewayNamespace: gatewayNS, Labels: secretLabels, StackSecret: secret,
		ChartRepository: mirror, RepoDir: spec.Runtime.RepoDir, Orbctl: spec.Runtime.Orbctl, SkipAwait: spec.Runtime.NoNodes,
		Metrics: tools[stacks.MetricsTool] != nil,
	}, append(opts, pulumidep.On(after...))...)
	return err
}
