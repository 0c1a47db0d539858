package issuers

import (
	"errors"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/internal/mockengine"
	"github.com/orbos/orbos/stacks"
)

// mocks are the inputs of what the program registered, by "TYPE NAME".
type mocks struct {
	inputs map[string]resource.PropertyMap
}

func run(t *testing.T, args Args) (*mocks, error) {
	t.Helper()
	e, err := mockengine.Run(t, "test", func(ctx *pulumi.Context) error {
		_, err := New(ctx, args)
		return err
	})
	return &mocks{inputs: e.Inputs()}, err
}

const token = "token-value-that-must-stay-secret"

func secrets(name string) (pulumi.StringOutput, error) {
	if name != "cf" {
		return pulumi.StringOutput{}, errors.New("orbos:secrets." + name + " is not set")
	}
	return pulumi.ToSecret(pulumi.String(token)).(pulumi.StringOutput), nil
}

// DNS-01 alone: its issuer and the token's Secret (a secret input), no HTTP-01 issuer; an own ACME
// server; a token the stack does not hold is an error naming it.
func TestDNS01Issuer(t *testing.T) {
	acme := &stacks.ACME{Email: "ops@example.com", Server: "https://acme.example.com/dir", DNS01: &stacks.ACMEDNS01{Cloudflare: &stacks.CloudflareDNS01{APITokenSecret: "cf"}}}
	m, err := run(t, Args{ACME: acme, Namespace: "certs", GatewayNamespace: "edge", StackSecret: secrets})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.inputs["kubernetes:cert-manager.io/v1:ClusterIssuer "+stacks.IssuerHTTP01]; ok {
		t.Error("an HTTP-01 issuer without http01")
	}
	issuer := resource.NewObjectProperty(m.inputs["kubernetes:cert-manager.io/v1:ClusterIssuer "+stacks.IssuerDNS01])
	if s := issuer.ObjectValue()["spec"].ObjectValue()["acme"].ObjectValue()["server"]; s.StringValue() != "https://acme.example.com/dir" {
		t.Errorf("server %v", s)
	}
	secret, ok := m.inputs["kubernetes:core/v1:Secret cloudflare-token"]
	if !ok {
		t.Fatal("no token Secret")
	}
	data := secret["stringData"]
	if !data.ContainsSecrets() || secret["metadata"].ObjectValue()["namespace"].StringValue() != "certs" {
		t.Errorf("the token Secret: %v", secret)
	}
	for k, in := range m.inputs {
		if k != "kubernetes:core/v1:Secret cloudflare-token" && strings.Contains(resource.NewObjectProperty(in).String(), token) {
			t.Errorf("%s holds the token", k)
		}
	}

	acme.DNS01.Cloudflare.APITokenSecret = "other"
	if _, err := run(t, Args{ACME: acme, Namespace: "certs", StackSecret: secrets}); err == nil || !strings.Contains(err.Error(), "orbos:secrets.other") {
		t.Errorf("a missing token: %v", err)
	}
}
