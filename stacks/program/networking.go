package program

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/orbos/orbos/components/boom"
	"github.com/orbos/orbos/components/networking"
	"github.com/orbos/orbos/internal/pulumidep"
	"github.com/orbos/orbos/stacks"
)

// cloudflareEdge makes the ORB's records, WAF rules and origin certificate at Cloudflare; the
// certificate's Secret goes into the gateway tool's namespace, after the tool.
func cloudflareEdge(ctx *pulumi.Context, spec *stacks.Spec, tools map[string]*boom.Tool, labels pulumi.StringMap, opts ...pulumi.ResourceOption) error {
	c := spec.File.Config
	n := c.Networking
	if n == nil {
		return nil
	}
	secret, err := stackSecrets(ctx)
	if err != nil {
		return err
	}
	token, err := secret(n.APITokenSecret)
	if err != nil {
		return fmt.Errorf("%s.apiTokenSecret: %w", stacks.KeyNetworking, err)
	}
	args := networking.Args{Spec: n, Records: c.RecordsOf(), Token: token, Labels: map[string]string{}}
	for k, v := range labels {
		args.Labels[k] = string(v.(pulumi.String))
	}
	if n.OriginOn() != nil {
		// orbctl generates the key before the first run (automation: ensureOriginKey).
		key, err := config.TrySecret(ctx, stacks.KeyOriginKey)
		if err != nil {
			return fmt.Errorf("the origin certificate: %s is not set: orbctl generates it before the first run: %w", stacks.KeyOriginKey, err)
		}
		args.OriginKey = key
		// Validation holds the origin certificate to an enabled gateway tool.
		args.TLSNamespace = c.Boom.Tools["gateway"].Namespace
		if gw := tools["gateway"]; gw != nil {
			opts = append(opts, pulumidep.On(gw))
		}
	}
	_, err = networking.New(ctx, args, opts...)
	return err
}
