package program

import (
	"crypto/tls"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/stacks"
)

const (
	cfRecord  = "cloudflare:index/record:Record "
	cfRuleset = "cloudflare:index/ruleset:Ruleset "
	cfOrigin  = "cloudflare:index/originCaCertificate:OriginCaCertificate "
)

// The Zitadel example's edge: Zitadel's domain and the apex point at the ingress, proxied; the WAF
// rule is the zone's custom ruleset, marked; the certificate covers the domain and its wildcard and
// goes to the gateway's namespace; the gateway serves the domain with it instead of ACME.
func TestZitadelExampleEdge(t *testing.T) {
	plan := examplePlan(t, "zitadel", func(s string) string { return s })
	for key, want := range map[string][]string{
		cfRecord + "record-id": {`name = "id"`, `type = "A"`, `content = "203.0.113.10"`, `proxied = true`, `ttl = 1`,
			`zoneId = "023e105f4ecef8ad9ca31a8372d0c353"`, `comment = "orbos: id.example.com"`},
		cfRecord + "record-apex":                      {`name = "@"`, `proxied = true`, `comment = "the apex, to the gateway"`},
		cfRuleset + "firewall":                        {`kind = "zone"`, `phase = "http_request_firewall_custom"`, `rules[0].action = "managed_challenge"`, `rules[0].description = "orbos: challenge Zitadel's console from outside the office"`, `rules[0].enabled = true`},
		cfOrigin + "origin":                           {`csr = [secret]`, `hostnames[0] = "*.example.com"`, `hostnames[1] = "example.com"`, `requestType = "origin-rsa"`, `requestedValidity = 365`, `minDaysForRenewal = 30`},
		"pulumi:providers:cloudflare cloudflare":      {`apiToken = [secret]`},
		"kubernetes:core/v1:Secret tls-cert-wildcard": {`metadata.namespace = "envoy-gateway-system"`, `type = "kubernetes.io/tls"`, `stringData = [secret]`},
		gatewayAPI + "Gateway gateway": {`spec.listeners[1].hostname = "*.example.com"`, `spec.listeners[1].tls.certificateRefs[0].name = "tls-cert-wildcard"`,
			`spec.listeners[2].hostname = "example.com"`},
	} {
		in, ok := plan[key]
		if !ok {
			t.Errorf("no %s", key)
			continue
		}
		for _, w := range want {
			if !strings.Contains(strings.Join(in, "\n"), w) {
				t.Errorf("%s lacks %s:\n%s", key, w, strings.Join(in, "\n"))
			}
		}
	}
	if e := plan[cfRuleset+"firewall"]; !strings.Contains(strings.Join(e, "\n"), `rules[0].expression = "(http.host eq \"id.example.com\"`) {
		t.Errorf("the rule's expression: %s", strings.Join(e, "\n"))
	}
	// The origin certificate stands for ACME: no cert-manager Certificate of the domain.
	for k := range plan {
		if strings.HasPrefix(k, certificate) {
			t.Errorf("an ACME certificate besides the origin certificate: %s", k)
		}
	}
	// Without the section nothing goes to Cloudflare.
	off := examplePlan(t, "zitadel", func(s string) string {
		a, b := strings.Index(s, "  orbos:networking:"), strings.Index(s, "  # Set each with")
		return s[:a] + s[b:]
	})
	for k := range off {
		if strings.Contains(k, "cloudflare") || strings.Contains(k, "tls-cert-wildcard") {
			t.Errorf("without orbos:networking: %s", k)
		}
	}
}

// capture is the plan's mock cloud that keeps the TLS Secret's raw inputs.
type capture struct {
	mockCloud
	secret resource.PropertyMap
}

func (c *capture) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	if args.Name == stacks.OriginSecretName {
		c.secret = args.Inputs
	}
	return c.mockCloud.NewResource(args)
}

// The mock Origin CA answers with a certificate for the key orbctl generated: the Secret a plan
// makes holds a pair that loads; neither the key nor the token shows in the plan.
func TestOriginSecretHoldsAPairAndNoSecretShows(t *testing.T) {
	raw, err := os.ReadFile("../../examples/zitadel/Pulumi.zitadel-demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := stacks.Parse("zitadel-demo", raw)
	if err != nil {
		t.Fatal(err)
	}
	cfg, secretKeys := mockConfig(spec)
	held := map[string]string{}
	if err := json.Unmarshal([]byte(cfg[stacks.KeySecrets]), &held); err != nil {
		t.Fatal(err)
	}
	held["cloudflare-token"] = token
	b, _ := json.Marshal(held)
	cfg[stacks.KeySecrets] = string(b)
	restore := setEnv(map[string]string{"PULUMI_CONFIG": mustJSON(cfg), "PULUMI_CONFIG_SECRET_KEYS": mustJSON(secretKeys)})
	defer restore()
	c := &capture{}
	if err := pulumi.RunErr(New(spec), pulumi.WithMocks(stacks.Project, spec.Orb, c)); err != nil {
		t.Fatal(err)
	}
	data := c.secret["stringData"]
	if !data.IsSecret() {
		t.Fatal("the TLS Secret's data is not secret")
	}
	m := data.SecretValue().Element.ObjectValue()
	if _, err := tls.X509KeyPair([]byte(m["tls.crt"].StringValue()), []byte(m["tls.key"].StringValue())); err != nil {
		t.Errorf("the TLS Secret: %v", err)
	}
	if m["tls.key"].StringValue() != cfg[stacks.KeyOriginKey] {
		t.Error("the TLS Secret does not hold the ORB's key")
	}
	text := FormatPlan(c.plan)
	keyLine := strings.Split(cfg[stacks.KeyOriginKey], "\n")[1]
	if strings.Contains(text, token) || strings.Contains(text, keyLine) || strings.Contains(text, "PRIVATE KEY") {
		t.Error("the plan shows the token or the key")
	}
}

// Without the key orbctl generates, the program stops and names it.
func TestOriginCertificateNeedsItsKey(t *testing.T) {
	raw, err := os.ReadFile("../../examples/zitadel/Pulumi.zitadel-demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := stacks.Parse("zitadel-demo", raw)
	if err != nil {
		t.Fatal(err)
	}
	cfg, secretKeys := mockConfig(spec)
	delete(cfg, stacks.KeyOriginKey)
	_, err = mockPlan(New(spec), spec.Orb, cfg, secretKeys)
	if err == nil || !strings.Contains(err.Error(), stacks.KeyOriginKey) {
		t.Errorf("without the key: %v", err)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
