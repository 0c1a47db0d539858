package program

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/components/boom"
	"github.com/orbos/orbos/components/boom/gateway"
	"github.com/orbos/orbos/components/boom/issuers"
	"github.com/orbos/orbos/internal/pulumidep"
	"github.com/orbos/orbos/stacks"
)

// edge makes the ORB's ACME issuers after the certificates tool and its Gateway after the gateway
// tool (whose chart brings the Gateway API CRDs) and the issuers; it returns what it made. With
// origin (the Cloudflare origin certificate, nil: none) the HTTPS listeners it covers take its
// Secret instead of ACME certificates (stacks.OriginListeners).
func edge(ctx *pulumi.Context, tools map[string]*boom.Tool, enabled []stacks.NamedTool, origin *stacks.OriginCertificate, secret StackSecret, labels map[string]string, opts ...pulumi.ResourceOption) ([]pulumi.Resource, error) {
	spec, wanted, certsOn, acme := stacks.GatewayOf(enabled)
	namespace := map[string]string{}
	for _, t := range enabled {
		namespace[t.Name] = t.Namespace
	}
	var made []pulumi.Resource
	listeners := stacks.OriginListeners(spec, certsOn, origin)
	if origin != nil {
		with := stacks.Gateway{}
		if spec != nil {
			with = *spec
		}
		with.Listeners = listeners
		spec = &with
	}
	if certsOn && acme != nil {
		is, err := issuers.New(ctx, issuers.Args{
			ACME: acme, Namespace: namespace["certificates"],
			GatewayNamespace: namespace["gateway"], HTTP01Listener: stacks.HTTP01Listener(listeners),
			Labels: labels, StackSecret: secret,
		}, append(opts, pulumidep.On(tools["certificates"]))...)
		if err != nil {
			return nil, err
		}
		made = append(made, is)
	}
	gw := tools["gateway"]
	if gw == nil || !wanted {
		return made, nil
	}
	g, err := gateway.New(ctx, gateway.Args{
		Spec: spec, Namespace: namespace["gateway"], Certificates: certsOn, ACME: acme, Labels: labels,
	}, append(opts, pulumidep.On(append([]pulumi.Resource{gw}, made...)...))...)
	if err != nil {
		return nil, err
	}
	return append(made, g), nil
}
