package networking

import (
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/internal/mockengine"
	"github.com/orbos/orbos/stacks"
)

const (
	recordType  = "cloudflare:index/record:Record"
	rulesetType = "cloudflare:index/ruleset:Ruleset"
	originType  = "cloudflare:index/originCaCertificate:OriginCaCertificate"
	secretType  = "kubernetes:core/v1:Secret"
)

// cloud is the mock engine with an Origin CA: it answers a certificate request with a certificate,
// and keeps the provider each resource was registered with.
type cloud struct {
	mockengine.Engine
	mu        sync.Mutex
	providers map[string]string
}

func (c *cloud) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	id, out, err := c.Engine.NewResource(args)
	c.mu.Lock()
	if c.providers == nil {
		c.providers = map[string]string{}
	}
	c.providers[args.TypeToken+" "+args.Name] = args.Provider
	c.mu.Unlock()
	if err != nil || args.TypeToken != originType {
		return id, out, err
	}
	csr := args.Inputs["csr"]
	for csr.IsSecret() {
		csr = csr.SecretValue().Element
	}
	cert, err := MockIssue(csr.StringValue(), int(args.Inputs["requestedValidity"].NumberValue()))
	if err != nil {
		return "", nil, err
	}
	out = out.Copy()
	out["certificate"] = resource.NewStringProperty(cert)
	return id, out, nil
}

var (
	keyOnce sync.Once
	keys    [2]string
)

// testKeys are two ORBs' keys, made once: RSA generation is slow.
func testKeys(t *testing.T) [2]string {
	keyOnce.Do(func() {
		for i := range keys {
			k, err := GenerateKey()
			if err != nil {
				t.Fatal(err)
			}
			keys[i] = k
		}
	})
	return keys
}

func spec() *stacks.EdgeNetworking {
	off := false
	return &stacks.EdgeNetworking{
		Provider: "cloudflare", ZoneID: "0123456789abcdef0123456789abcdef", Domain: "example.com",
		APITokenSecret: "cloudflare-token", IngressAddress: "203.0.113.10",
		Firewall: []stacks.FirewallRule{
			{Description: "block a country", Expression: `(ip.geoip.country eq "XX")`, Action: "block"},
			{Description: "console", Expression: `(http.request.uri.path contains "/ui/console")`, Action: "managed_challenge", Enabled: &off},
		},
		OriginCertificate: &stacks.OriginCertificate{Enabled: true, Hostnames: []string{"*.example.com", "example.com"}, ValidityDays: 365, RenewBeforeDays: 30},
	}
}

func records() []stacks.DNSRecord {
	off := false
	return []stacks.DNSRecord{
		{Name: "id", Type: "A", Content: "203.0.113.10", TTL: 1, Comment: "orbos: id.example.com"},
		{Name: "@", Type: "A", Content: "203.0.113.10", TTL: 1},
		{Name: "mail", Type: "A", Content: "198.51.100.7", Proxied: &off, TTL: 300},
		{Name: "*", Type: "CNAME", Content: "lb.example.net", TTL: 1},
	}
}

func run(t *testing.T, orb string, n *stacks.EdgeNetworking, key string) (*cloud, *Edge) {
	t.Helper()
	c := &cloud{}
	var edge *Edge
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		var err error
		edge, err = New(ctx, Args{
			Spec: n, Records: records(), TLSNamespace: "gateway", Labels: map[string]string{"orbos.io/orb": orb},
			Token:     pulumi.ToSecret(pulumi.String("cf-token-value")).(pulumi.StringOutput),
			OriginKey: pulumi.ToSecret(pulumi.String(key)).(pulumi.StringOutput),
		})
		return err
	}, pulumi.WithMocks("orbos", orb, c))
	if err != nil {
		t.Fatal(err)
	}
	return c, edge
}

// Each record has its name, type, content, proxying, TTL and comment, in the zone, through the
// explicit provider, whose token is secret.
func TestRecordsGoThroughTheExplicitProvider(t *testing.T) {
	c, _ := run(t, "demo", spec(), testKeys(t)[0])
	p := c.Get(t, "pulumi:providers:cloudflare", "cloudflare")
	if !p.Inputs["apiToken"].IsSecret() {
		t.Errorf("the API token is not secret: %v", p.Inputs["apiToken"])
	}
	var got []string
	for _, r := range c.All {
		if r.Type != recordType {
			continue
		}
		if !strings.Contains(c.providers[recordType+" "+r.Name], "::cloudflare::") {
			t.Errorf("%s goes through provider %q, not the ORB's", r.Name, c.providers[recordType+" "+r.Name])
		}
		if r.Str("zoneId") != "0123456789abcdef0123456789abcdef" || r.At("value").HasValue() {
			t.Errorf("%s: zone %q, value %v (content replaces value)", r.Name, r.Str("zoneId"), r.At("value"))
		}
		got = append(got, strings.Join([]string{r.Name, r.Str("name"), r.Str("type"), r.Str("content"),
			r.At("proxied").String(), r.At("ttl").String(), r.Str("comment")}, "|"))
	}
	slices.Sort(got)
	want := []string{
		"record-apex|@|A|203.0.113.10|{true}|{1}|",
		"record-id|id|A|203.0.113.10|{true}|{1}|orbos: id.example.com",
		"record-mail|mail|A|198.51.100.7|{false}|{300}|",
		"record-wildcard|*|CNAME|lb.example.net|{true}|{1}|",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Records take over existing ones (Cloudflare's allowOverwrite) only where the spec says so; without
// it the input is unset, so that an ORB that never asked sees no change in its records.
func TestRecordsTakeOverOnlyWhenAsked(t *testing.T) {
	for _, on := range []bool{false, true} {
		n := spec()
		n.TakeOverRecords = on
		c, _ := run(t, "demo", n, testKeys(t)[0])
		var seen int
		for _, r := range c.All {
			if r.Type != recordType {
				continue
			}
			seen++
			if v := r.At("allowOverwrite"); v.HasValue() != on || (on && !v.BoolValue()) {
				t.Errorf("takeOverRecords %v: %s has allowOverwrite %v", on, r.Name, v)
			}
		}
		if seen != len(records()) {
			t.Errorf("%d records", seen)
		}
	}
}

// The WAF rules are one zone entrypoint ruleset of the custom phase, each rule with its expression,
// action, state and a description marked as orbos's.
func TestFirewallIsOneCustomRuleset(t *testing.T) {
	c, _ := run(t, "demo", spec(), testKeys(t)[0])
	r := c.Get(t, rulesetType, "firewall")
	if r.Str("kind") != "zone" || r.Str("phase") != "http_request_firewall_custom" || r.Str("zoneId") != "0123456789abcdef0123456789abcdef" {
		t.Errorf("ruleset: kind %q phase %q zone %q", r.Str("kind"), r.Str("phase"), r.Str("zoneId"))
	}
	rules := r.At("rules").ArrayValue()
	if len(rules) != 2 {
		t.Fatalf("rules: %v", rules)
	}
	for i, want := range []struct {
		desc, expr, action string
		on                 bool
	}{
		{"orbos: block a country", `(ip.geoip.country eq "XX")`, "block", true},
		{"orbos: console", `(http.request.uri.path contains "/ui/console")`, "managed_challenge", false},
	} {
		m := rules[i].ObjectValue()
		if m["description"].StringValue() != want.desc || m["expression"].StringValue() != want.expr || m["action"].StringValue() != want.action || m["enabled"].BoolValue() != want.on {
			t.Errorf("rule %d: %v", i, m)
		}
	}
	if n := len(c.All); n == 0 {
		t.Fatal("nothing made")
	}
	// A skip skips the ruleset's later rules: Cloudflare takes no skip without what it skips.
	s := spec()
	s.Firewall[0].Action = "skip"
	c, _ = run(t, "demo", s, testKeys(t)[0])
	r = c.Get(t, rulesetType, "firewall")
	m := r.At("rules").ArrayValue()[0].ObjectValue()
	if m["actionParameters"].ObjectValue()["ruleset"].StringValue() != "current" {
		t.Errorf("skip: %v", m)
	}
	if _, ok := r.At("rules").ArrayValue()[1].ObjectValue()["actionParameters"]; ok {
		t.Errorf("parameters on a rule that is no skip")
	}
	// Without rules there is no ruleset: an empty entrypoint would wipe the zone's rules.
	s = spec()
	s.Firewall = nil
	c, _ = run(t, "demo", s, testKeys(t)[0])
	if c.Has(rulesetType, "firewall") {
		t.Error("a ruleset without rules")
	}
}

// The certificate request is for the hostnames, origin-rsa, with the validity and renewal asked
// for; its CSR names the hostnames and is signed by the ORB's key; the TLS Secret pairs the issued
// certificate with the key, and both are secret.
func TestOriginCertificateFromTheORBsKey(t *testing.T) {
	key := testKeys(t)[0]
	c, _ := run(t, "demo", spec(), key)
	o := c.Get(t, originType, "origin")
	if o.Str("requestType") != "origin-rsa" || o.At("requestedValidity").NumberValue() != 365 || o.At("minDaysForRenewal").NumberValue() != 30 {
		t.Errorf("request: %v", o.Inputs)
	}
	var hosts []string
	for _, h := range o.At("hostnames").ArrayValue() {
		hosts = append(hosts, h.StringValue())
	}
	if strings.Join(hosts, ",") != "*.example.com,example.com" {
		t.Errorf("hostnames %v", hosts)
	}
	if !o.Inputs["csr"].IsSecret() {
		t.Error("the CSR, derived from the key, is not secret")
	}
	req := parseCSR(t, o.Str("csr"))
	if strings.Join(req.DNSNames, ",") != "*.example.com,example.com" || req.Subject.CommonName != "*.example.com" {
		t.Errorf("CSR names %v, CN %q", req.DNSNames, req.Subject.CommonName)
	}
	if err := req.CheckSignature(); err != nil {
		t.Errorf("CSR signature: %v", err)
	}
	k, err := ParseKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if !k.PublicKey.Equal(req.PublicKey.(*rsa.PublicKey)) || k.N.BitLen() != 2048 {
		t.Error("the CSR is not for the ORB's RSA 2048 key")
	}

	s := c.Get(t, secretType, stacks.OriginSecretName)
	if s.Str("type") != "kubernetes.io/tls" || s.Str("metadata", "namespace") != "gateway" || s.Str("metadata", "name") != "tls-cert-wildcard" {
		t.Errorf("secret: %v", s.Inputs)
	}
	if !s.Inputs["stringData"].IsSecret() {
		t.Error("the TLS Secret's data is not secret")
	}
	pair, err := tls.X509KeyPair([]byte(s.Str("stringData", "tls.crt")), []byte(s.Str("stringData", "tls.key")))
	if err != nil {
		t.Fatalf("the TLS Secret does not hold a certificate and its key: %v", err)
	}
	leaf, _ := x509.ParseCertificate(pair.Certificate[0])
	if err := leaf.VerifyHostname("id.example.com"); err != nil {
		t.Error(err)
	}

	// Off, neither the certificate nor its Secret is made.
	sp := spec()
	sp.OriginCertificate.Enabled = false
	c, _ = run(t, "demo", sp, key)
	if c.Has(originType, "origin") || c.Has(secretType, stacks.OriginSecretName) {
		t.Error("a certificate while disabled")
	}
}

// The same key and hostnames give the same CSR on every run (no new certificate), other hostnames
// another (a new certificate), and two ORBs' keys differ.
func TestCSRIsStableAndFollowsTheHostnames(t *testing.T) {
	k := testKeys(t)
	a, err := CSR(k[0], []string{"*.example.com", "example.com"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := CSR(k[0], []string{"*.example.com", "example.com"})
	if a != b {
		t.Error("the CSR changes between runs")
	}
	other, _ := CSR(k[0], []string{"*.example.com", "example.com", "*.apps.example.com"})
	if other == a || len(parseCSR(t, other).DNSNames) != 3 {
		t.Error("a hostname change keeps the CSR")
	}
	if k[0] == k[1] {
		t.Fatal("two generated keys are equal")
	}
	x, _ := CSR(k[1], []string{"*.example.com", "example.com"})
	if parseCSR(t, x).PublicKey.(*rsa.PublicKey).Equal(parseCSR(t, a).PublicKey) {
		t.Error("two ORBs share a key")
	}
	if _, err := CSR("not a key", []string{"example.com"}); err == nil || strings.Contains(err.Error(), "not a key") {
		t.Errorf("a bad key: %v", err)
	}
}

func parseCSR(t *testing.T, s string) *x509.CertificateRequest {
	t.Helper()
	b, _ := pem.Decode([]byte(s))
	if b == nil {
		t.Fatalf("not PEM: %q", s)
	}
	r, err := x509.ParseCertificateRequest(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
