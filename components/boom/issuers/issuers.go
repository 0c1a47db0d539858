// Package issuers makes the certificates tool's cert-manager ClusterIssuers for ACME: one that
// solves HTTP-01 through the ORB's Gateway, one that solves DNS-01 through Cloudflare with an API
// token from the stack's secrets, put into a Secret in cert-manager's namespace.
package issuers

import (
	"fmt"
	"slices"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/internal/pulumidep"
	"github.com/orbos/orbos/stacks"
)

// Type is the component's type token.
const Type = "orbos:boom:Issuers"

// CloudflareTokenSecret is the Secret, in cert-manager's namespace, that holds the Cloudflare API
// token under CloudflareTokenKey.
const (
	CloudflareTokenSecret = "orbos-acme-cloudflare"
	CloudflareTokenKey    = "api-token"
)

// Args are the ACME spec and where its parts go.
type Args struct {
	ACME *stacks.ACME
	// Namespace is the certificates tool's: cert-manager reads a ClusterIssuer's Secrets there.
	Namespace string
	// GatewayNamespace and HTTP01Listener are where the HTTP-01 solver's routes attach.
	GatewayNamespace string
	HTTP01Listener   string
	Labels           map[string]string
	// StackSecret returns an orbos:secrets entry as a Pulumi secret.
	StackSecret func(name string) (pulumi.StringOutput, error)
}

// Issuers are the ClusterIssuers and the token Secret.
type Issuers struct {
	pulumi.ResourceState
	// Recorder names what the component made, for those that come after it (pulumidep.On).
	pulumidep.Recorder
	HTTP01, DNS01 *apiextensions.CustomResource
	Token         *corev1.Secret
}

// New makes the issuers; opts carry the provider and the certificates tool (its CRDs and webhook).
func New(ctx *pulumi.Context, args Args, opts ...pulumi.ResourceOption) (*Issuers, error) {
	is := &Issuers{}
	if err := ctx.RegisterComponentResource(Type, "acme", is, append(slices.Clip(opts), is.Recording(is))...); err != nil {
		return nil, err
	}
	a := args.ACME
	child := pulumi.Parent(is)
	labels := pulumi.ToStringMap(args.Labels)
	issuer := func(name string, solver pulumi.Map, deps ...pulumi.Resource) (*apiextensions.CustomResource, error) {
		return apiextensions.NewCustomResource(ctx, name, &apiextensions.CustomResourceArgs{
			ApiVersion: pulumi.String("cert-manager.io/v1"), Kind: pulumi.String("ClusterIssuer"),
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(name), Labels: labels},
			OtherFields: kubernetes.UntypedArgs{"spec": pulumi.Map{"acme": pulumi.Map{
				"email":  pulumi.String(a.Email),
				"server": pulumi.String(a.ServerURL()),
				// The ACME account's key: cert-manager generates it into this Secret.
				"privateKeySecretRef": pulumi.Map{"name": pulumi.String(name + "-account")},
				"solvers":             pulumi.Array{solver},
			}}},
		}, child, pulumi.DependsOn(deps))
	}
	var err error
	if a.HTTP01 {
		ref := pulumi.Map{
			"group": pulumi.String("gateway.networking.k8s.io"), "kind": pulumi.String("Gateway"),
			"name": pulumi.String(stacks.GatewayName), "namespace": pulumi.String(args.GatewayNamespace),
		}
		if args.HTTP01Listener != "" {
			ref["sectionName"] = pulumi.String(args.HTTP01Listener)
		}
		solver := pulumi.Map{"http01": pulumi.Map{"gatewayHTTPRoute": pulumi.Map{"parentRefs": pulumi.Array{ref}}}}
		if is.HTTP01, err = issuer(stacks.IssuerHTTP01, solver); err != nil {
			return nil, err
		}
	}
	if d := a.DNS01; d != nil && d.Cloudflare != nil {
		token, err := args.StackSecret(d.Cloudflare.APITokenSecret)
		if err != nil {
			return nil, fmt.Errorf("the ACME DNS-01 issuer: %w", err)
		}
		is.Token, err = corev1.NewSecret(ctx, "cloudflare-token", &corev1.SecretArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(CloudflareTokenSecret), Namespace: pulumi.String(args.Namespace), Labels: labels},
			Type:     pulumi.String("Opaque"),
			// The token is a Pulumi secret: encrypted in the state, never shown in a preview.
			StringData: pulumi.StringMap{CloudflareTokenKey: token},
		}, child, pulumi.AdditionalSecretOutputs([]string{"data", "stringData"}))
		if err != nil {
			return nil, err
		}
		solver := pulumi.Map{"dns01": pulumi.Map{"cloudflare": pulumi.Map{"apiTokenSecretRef": pulumi.Map{
			"name": pulumi.String(CloudflareTokenSecret), "key": pulumi.String(CloudflareTokenKey),
		}}}}
		if is.DNS01, err = issuer(stacks.IssuerDNS01, solver, is.Token); err != nil {
			return nil, err
		}
	}
	return is, ctx.RegisterResourceOutputs(is, pulumi.Map{"server": pulumi.String(a.ServerURL())})
}
