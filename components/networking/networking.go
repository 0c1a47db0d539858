// Package networking makes the ORB's edge at Cloudflare: its DNS records, its WAF custom rules as
// the zone's http_request_firewall_custom ruleset, and an Origin CA certificate installed as the
// gateway's TLS Secret. Every Cloudflare resource goes through an explicit provider holding the
// ORB's scoped API token, never credentials from the environment.
package networking

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-cloudflare/sdk/v5/go/cloudflare"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/internal/pulumidep"
	"github.com/orbos/orbos/stacks"
)

// Type is the component's type token.
const Type = "orbos:networking:Cloudflare"

// Cloudflare's constants the component uses.
const (
	RulesetKind  = "zone"
	RulesetPhase = "http_request_firewall_custom"
	RequestType  = "origin-rsa"
)

// Args are the edge's spec and what it is made with.
type Args struct {
	Spec *stacks.EdgeNetworking
	// Records are the ORB's records, automatic ones included (stacks.Config.RecordsOf).
	Records []stacks.DNSRecord
	// Token is the API token (a Pulumi secret); OriginKey orbos:originKey (a Pulumi secret), only
	// read with the origin certificate on.
	Token, OriginKey pulumi.StringOutput
	// TLSNamespace is the gateway tool's namespace, where the certificate's Secret goes; the
	// Kubernetes provider comes with the options.
	TLSNamespace string
	Labels       map[string]string
}

// Edge is what the component made.
type Edge struct {
	pulumi.ResourceState
	// Recorder names what the component made, for those that come after it (pulumidep.On).
	pulumidep.Recorder
	Provider    *cloudflare.Provider
	Records     []*cloudflare.Record
	Ruleset     *cloudflare.Ruleset
	Certificate *cloudflare.OriginCaCertificate
	TLSSecret   *corev1.Secret
}

// New makes the edge.
func New(ctx *pulumi.Context, args Args, opts ...pulumi.ResourceOption) (*Edge, error) {
	n := args.Spec
	out := &Edge{}
	if err := ctx.RegisterComponentResource(Type, "cloudflare", out, append(slices.Clip(opts), out.Recording(out))...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(out)
	var err error
	out.Provider, err = cloudflare.NewProvider(ctx, "cloudflare", &cloudflare.ProviderArgs{
		ApiToken: args.Token, UserAgentOperatorSuffix: pulumi.String("orbos"),
	}, child)
	if err != nil {
		return nil, err
	}
	cf := []pulumi.ResourceOption{child, pulumi.Provider(out.Provider)}
	for _, r := range args.Records {
		rec, err := cloudflare.NewRecord(ctx, "record-"+resourceName(r.Name), &cloudflare.RecordArgs{
			ZoneId: pulumi.String(n.ZoneID), Name: pulumi.String(r.Name), Type: pulumi.String(r.Type),
			Content: pulumi.String(r.Content), Proxied: pulumi.Bool(r.IsProxied()), Ttl: pulumi.Int(r.TTL),
			Comment: optional(r.Comment), AllowOverwrite: takeOver(n.TakeOverRecords),
		}, cf...)
		if err != nil {
			return nil, err
		}
		out.Records = append(out.Records, rec)
	}
	if len(n.Firewall) > 0 {
		// An entrypoint ruleset: it holds every custom rule of the zone, so rules made by hand in
		// Cloudflare's dashboard are replaced by the spec's (README says so).
		var rules cloudflare.RulesetRuleArray
		for _, r := range n.Firewall {
			rule := cloudflare.RulesetRuleArgs{
				Description: pulumi.String(stacks.RulePrefix + r.Description), Expression: pulumi.String(r.Expression),
				Action: pulumi.String(r.Action), Enabled: pulumi.Bool(r.IsEnabled()),
			}
			if r.Action == "skip" {
				// Cloudflare takes a skip with what it skips: here the ruleset's later rules.
				rule.ActionParameters = cloudflare.RulesetRuleActionParametersArgs{Ruleset: pulumi.String("current")}
				rule.Logging = cloudflare.RulesetRuleLoggingArgs{Enabled: pulumi.Bool(true)}
			}
			rules = append(rules, rule)
		}
		out.Ruleset, err = cloudflare.NewRuleset(ctx, "firewall", &cloudflare.RulesetArgs{
			ZoneId: pulumi.String(n.ZoneID), Kind: pulumi.String(RulesetKind), Phase: pulumi.String(RulesetPhase),
			Name: pulumi.String("orbos"), Description: pulumi.String("WAF custom rules of the ORB, made by orbos"),
			Rules: rules,
		}, cf...)
		if err != nil {
			return nil, err
		}
	}
	if o := n.OriginOn(); o != nil {
		if err := out.origin(ctx, args, o, cf, child); err != nil {
			return nil, err
		}
	}
	return out, ctx.RegisterResourceOutputs(out, pulumi.Map{
		"zoneId": pulumi.String(n.ZoneID), "domain": pulumi.String(n.Domain), "records": pulumi.Int(len(args.Records)),
	})
}

// origin requests the Origin CA certificate for a CSR made from the ORB's key and installs it with
// the key as the gateway's TLS Secret.
func (out *Edge) origin(ctx *pulumi.Context, args Args, o *stacks.OriginCertificate, cf []pulumi.ResourceOption, child pulumi.ResourceOption) error {
	hostnames := o.Hostnames
	// The CSR holds only the public key, but derived from the key it stays marked secret.
	csr := args.OriginKey.ApplyT(func(key string) (string, error) { return CSR(key, hostnames) }).(pulumi.StringOutput)
	var err error
	out.Certificate, err = cloudflare.NewOriginCaCertificate(ctx, "origin", &cloudflare.OriginCaCertificateArgs{
		Csr: csr, Hostnames: pulumi.ToStringArray(hostnames), RequestType: pulumi.String(RequestType),
		RequestedValidity: pulumi.Int(o.ValidityDays), MinDaysForRenewal: pulumi.Int(o.RenewBeforeDays),
	}, append(cf, pulumi.AdditionalSecretOutputs([]string{"csr"}))...)
	if err != nil {
		return err
	}
	data := pulumi.All(out.Certificate.Certificate, args.OriginKey).ApplyT(func(v []any) map[string]string {
		return map[string]string{"tls.crt": v[0].(string), "tls.key": v[1].(string)}
	}).(pulumi.StringMapOutput)
	out.TLSSecret, err = corev1.NewSecret(ctx, stacks.OriginSecretName, &corev1.SecretArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name: pulumi.String(stacks.OriginSecretName), Namespace: pulumi.String(args.TLSNamespace), Labels: pulumi.ToStringMap(args.Labels),
			Annotations: pulumi.StringMap{"pulumi.com/patchForce": pulumi.String("true")},
		},
		Type: pulumi.String("kubernetes.io/tls"), StringData: pulumi.ToSecret(data).(pulumi.StringMapOutput),
	}, child, pulumi.AdditionalSecretOutputs([]string{"data", "stringData"}))
	if err != nil {
		return fmt.Errorf("the origin certificate's Secret: %w", err)
	}
	return nil
}

// resourceName is a record's resource name: @ is the apex, * a wildcard.
func resourceName(name string) string {
	return strings.NewReplacer("@", "apex", "*", "wildcard").Replace(name)
}

func optional(s string) pulumi.StringPtrInput {
	if s == "" {
		return nil
	}
	return pulumi.String(s)
}

// takeOver is Cloudflare's allowOverwrite where the spec asks for it, and unset otherwise, so that
// an ORB that never asked has no change in its records' inputs.
func takeOver(on bool) pulumi.BoolPtrInput {
	if !on {
		return nil
	}
	return pulumi.Bool(true)
}
