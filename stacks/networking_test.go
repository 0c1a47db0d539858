package stacks

import (
	"strconv"
	"strings"
	"testing"
)

// networkingFile is a valid ORB with Zitadel, the gateway and every field of orbos:networking set.
const networkingFile = `encryptionsalt: v1:abc:v1:def:ghi
config:
  orbos:orbiter:
    apiVersion: orbos.io/v1alpha1
    kubernetes:
      version: v1.31.4
  orbos:boom:
    apiVersion: orbos.io/v1alpha1
    tools:
      gateway:
        enabled: true
        gateway: {hostnames: [grafana.example.com, other.org]}
  orbos:zitadel:
    apiVersion: orbos.io/v1alpha1
    enabled: true
    externalDomain: id.example.com
  orbos:networking:
    apiVersion: orbos.io/v1alpha1
    provider: cloudflare
    zoneId: 0123456789abcdef0123456789abcdef
    domain: example.com
    apiTokenSecret: cloudflare-token
    ingressAddress: 203.0.113.10
    records:
      - {name: www, comment: the web site}
      - {name: mail, type: A, content: 198.51.100.7, proxied: false, ttl: 300}
      - {name: grafana, content: lb.example.net}
      - {name: v6, content: "2001:db8::1"}
    firewall:
      - {description: block a country, expression: '(ip.geoip.country eq "XX")', action: block}
      - {description: challenge the admin console, expression: '(http.request.uri.path contains "/ui/console" and not ip.src in {192.0.2.0/24})', action: managed_challenge, enabled: false}
    originCertificate:
      enabled: true
  orbos:secrets:
    cloudflare-token: {secure: v1:a}
  orbos:kubeconfig:
    secure: v1:xyz
`

func TestNetworkingSpecIsDecodedWithDefaults(t *testing.T) {
	s, err := Parse("demo", []byte(networkingFile))
	if err != nil {
		t.Fatal(err)
	}
	c := s.File.Config
	n := c.Networking
	o := n.OriginOn()
	if o == nil || strings.Join(o.Hostnames, ",") != "*.example.com,example.com" || o.ValidityDays != 365 || o.RenewBeforeDays != 30 {
		t.Errorf("origin certificate defaults: %+v", o)
	}
	// Zitadel's domain gets an automatic record; the gateway's grafana is overridden by the spec's,
	// other.org is outside the zone.
	var got []string
	for _, r := range c.RecordsOf() {
		got = append(got, strings.Join([]string{r.Name, r.Type, r.Content, map[bool]string{true: "proxied", false: "direct"}[r.IsProxied()], strconv.Itoa(r.TTL)}, " "))
	}
	want := []string{
		"id A 203.0.113.10 proxied 1",
		"www A 203.0.113.10 proxied 1",
		"mail A 198.51.100.7 direct 300",
		"grafana CNAME lb.example.net proxied 1",
		"v6 AAAA 2001:db8::1 proxied 1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !n.Firewall[0].IsEnabled() || n.Firewall[1].IsEnabled() {
		t.Errorf("enabled: %v %v", n.Firewall[0].IsEnabled(), n.Firewall[1].IsEnabled())
	}
}

// The ingress address defaults to the static load balancer's VIP that forwards 443; without one,
// records need it set.
func TestIngressAddressDefaultsToTheHTTPSVIP(t *testing.T) {
	lb := &LoadBalancing{VIPs: []VIP{
		{Name: "api", IP: "10.0.0.1", Transports: []Transport{{Name: "kubeapi", FrontendPort: 6443}}},
		{Name: "web", IP: "203.0.113.5", Transports: []Transport{{Name: "http", FrontendPort: 80}, {Name: "https", FrontendPort: 443}}},
	}}
	if got := defaultIngress(lb); got != "203.0.113.5" {
		t.Errorf("got %q", got)
	}
	if got := defaultIngress(nil); got != "" {
		t.Errorf("without VIPs: %q", got)
	}
	_, err := Parse("demo", []byte(strings.Replace(networkingFile, "    ingressAddress: 203.0.113.10\n", "", 1)))
	assertPaths(t, err, []string{"config.orbos:networking.ingressAddress"})
}

// Each case breaks the valid section once and names the paths refused.
func TestNetworkingSpecIsCheckedByPath(t *testing.T) {
	const p = "config.orbos:networking."
	cases := []struct{ name, old, new, want string }{
		{"provider", "provider: cloudflare", "provider: route53", p + "provider"},
		{"zone id", "zoneId: 0123456789abcdef0123456789abcdef", "zoneId: example.com", p + "zoneId"},
		{"no zone id", "    zoneId: 0123456789abcdef0123456789abcdef\n", "", p + "zoneId"},
		{"domain", "domain: example.com", "domain: Example_COM", p + "domain"},
		{"no token", "    apiTokenSecret: cloudflare-token\n", "", p + "apiTokenSecret"},
		{"unknown token", "apiTokenSecret: cloudflare-token", "apiTokenSecret: cf", p + "apiTokenSecret"},
		{"ingress", "ingressAddress: 203.0.113.10", "ingressAddress: \"203.0.113.10; rm\"", p + "ingressAddress"},
		{"loopback ingress", "ingressAddress: 203.0.113.10", "ingressAddress: 127.0.0.1", p + "ingressAddress"},
		{"record name", "{name: www,", "{name: \"w w\",", p + "records[0].name"},
		{"record name in full", "{name: www,", "{name: www.example.com,", p + "records[0].name"},
		{"record name twice", "{name: mail,", "{name: www,", p + "records[1].name"},
		{"record type", "type: A,", "type: MX,", p + "records[1].type"},
		{"A with IPv6", "type: A, content: 198.51.100.7", "type: A, content: \"2001:db8::2\"", p + "records[1].content"},
		{"CNAME target", "content: lb.example.net", "content: \"lb.example.net\\nx\"", p + "records[2].content"},
		{"ttl out of range", "ttl: 300", "ttl: 30", p + "records[1].ttl"},
		{"proxied with a ttl", "proxied: false, ttl: 300", "ttl: 300", p + "records[1].ttl"},
		{"comment", "comment: the web site", "comment: \"the\\nweb\"", p + "records[0].comment"},
		{"action", "action: block", "action: drop", p + "firewall[0].action"},
		{"empty expression", `expression: '(ip.geoip.country eq "XX")'`, `expression: "  "`, p + "firewall[0].expression"},
		{"unbalanced parenthesis", `expression: '(ip.geoip.country eq "XX")'`, `expression: '(ip.geoip.country eq "XX"'`, p + "firewall[0].expression"},
		{"unterminated string", `expression: '(ip.geoip.country eq "XX")'`, `expression: '(ip.geoip.country eq "XX)'`, p + "firewall[0].expression"},
		{"control character", `expression: '(ip.geoip.country eq "XX")'`, `expression: "(ip.geoip.country eq \"XX\")\u0007"`, p + "firewall[0].expression"},
		{"overlong expression", `expression: '(ip.geoip.country eq "XX")'`, `expression: '` + strings.Repeat("x", 4097) + `'`, p + "firewall[0].expression"},
		{"description", "description: block a country", "description: \"\"", p + "firewall[0].description"},
		{"validity", "      enabled: true\n  orbos:secrets", "      enabled: true\n      validityDays: 100\n  orbos:secrets", p + "originCertificate.validityDays"},
		{"renewal after expiry", "      enabled: true\n  orbos:secrets", "      enabled: true\n      validityDays: 30\n      renewBeforeDays: 30\n  orbos:secrets", p + "originCertificate.renewBeforeDays"},
		{"hostname outside", "      enabled: true\n  orbos:secrets", "      enabled: true\n      hostnames: [\"*.example.org\"]\n  orbos:secrets", p + "originCertificate.hostnames[0]"},
		{"certificate without gateway", "      gateway:\n        enabled: true\n", "      gateway:\n        enabled: false\n", p + "originCertificate.enabled"},
		{"plaintext key", "  orbos:kubeconfig:", "  orbos:originKey: abc\n  orbos:kubeconfig:", "config.orbos:originKey"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(networkingFile, c.old) {
				t.Fatalf("case does not apply: %q", c.old)
			}
			in := strings.Replace(networkingFile, c.old, c.new, 1)
			if c.name == "certificate without gateway" {
				// Zitadel needs the gateway as well; only the networking refusal is looked at.
				in = strings.Replace(in, "    enabled: true\n    externalDomain: id.example.com\n", "    enabled: false\n", 1)
			}
			_, err := Parse("demo", []byte(in))
			assertPaths(t, err, []string{c.want})
		})
	}
}

// With cert-manager on and no ACME issuer, the gateway's hostnames pass when the origin certificate
// covers them all, and are refused when one is outside it.
func TestOriginCertificateStandsForACMEInValidation(t *testing.T) {
	in := strings.Replace(networkingFile, "        gateway: {hostnames: [grafana.example.com, other.org]}\n", "        gateway: {hostnames: [grafana.example.com, example.com]}\n      certificates: {enabled: true}\n", 1)
	if _, err := Parse("demo", []byte(in)); err != nil {
		t.Fatal(err)
	}
	outside := strings.Replace(in, "[grafana.example.com, example.com]", "[grafana.example.com, other.org]", 1)
	_, err := Parse("demo", []byte(outside))
	assertPaths(t, err, []string{"config.orbos:boom.tools.gateway.gateway.hostnames"})
}

// The origin certificate stands in for ACME certificates of the hostnames it covers, and adds an
// HTTPS listener for each of its hostnames the Gateway does not serve yet.
func TestOriginListeners(t *testing.T) {
	o := &OriginCertificate{Enabled: true, Hostnames: []string{"*.example.com", "example.com"}}
	for h, want := range map[string]bool{"id.example.com": true, "example.com": true, "a.b.example.com": false, "example.org": false, "*.example.com": true, "": false} {
		if o.Covers(h) != want {
			t.Errorf("covers %q: %v", h, !want)
		}
	}
	g := &Gateway{Hostnames: []string{"grafana.example.com", "other.org"}}
	var got []string
	for _, l := range OriginListeners(g, true, o) {
		tls := ""
		if l.TLS != nil {
			tls = l.TLS.CertificateRef
			if l.TLS.ACME {
				tls = "acme"
			}
		}
		got = append(got, l.Name+" "+l.Hostname+" "+tls)
	}
	want := []string{
		"http  ",
		"https-grafana.example.com grafana.example.com " + OriginSecretName,
		"https-other.org other.org acme",
		"https-wildcard.example.com *.example.com " + OriginSecretName,
		"https-example.com example.com " + OriginSecretName,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("listeners:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if o.CoversAll(g.Hostnames) || !o.CoversAll([]string{"grafana.example.com", "example.com"}) || (*OriginCertificate)(nil).CoversAll(nil) {
		t.Error("CoversAll")
	}
	if len(OriginListeners(g, true, nil)) != 3 {
		t.Errorf("without the certificate the listeners change")
	}
}

// The schema's enums of orbos:networking are what validation accepts.
func TestNetworkingEnumsAreValidated(t *testing.T) {
	n := JSONSchema()["properties"].(map[string]any)["config"].(map[string]any)["properties"].(map[string]any)[KeyNetworking].(map[string]any)["properties"].(map[string]any)
	for field, c := range map[string]struct {
		node      map[string]any
		old, path string
		template  string
	}{
		"type":   {n["records"].(map[string]any)["items"].(map[string]any), "{name: www,", "config.orbos:networking.records[0].type", "{name: www, type: %s, content: %s,"},
		"action": {n["firewall"].(map[string]any)["items"].(map[string]any), "action: block", "config.orbos:networking.firewall[0].action", "action: %s"},
	} {
		enum, _ := c.node["properties"].(map[string]any)[field].(map[string]any)["enum"].([]string)
		if len(enum) < 3 {
			t.Fatalf("%s: enum %v", field, enum)
		}
		for _, v := range append(enum, "bogus") {
			content := map[string]string{"A": "203.0.113.9", "AAAA": "\"2001:db8::9\"", "CNAME": "lb.example.net"}[v]
			in := strings.Replace(networkingFile, c.old, strings.Replace(strings.Replace(c.template, "%s", v, 1), "%s", content, 1), 1)
			_, err := Parse("demo", []byte(in))
			if v == "bogus" {
				if err == nil || !strings.Contains(err.Error(), c.path) {
					t.Errorf("%s: bogus: %v", field, err)
				}
			} else if err != nil {
				t.Errorf("%s: %q from the enum is refused: %v", field, v, err)
			}
		}
	}
}
