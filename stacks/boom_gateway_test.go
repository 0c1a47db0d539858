package stacks

import (
	"strings"
	"testing"
)

// edgeFile is validFile with the gateway and certificates tools (their blocks as given) and a
// stack secret cloudflare-token.
func edgeFile(t *testing.T, gateway, certificates string) string {
	t.Helper()
	section := "  orbos:boom:\n    apiVersion: orbos.io/v1alpha1\n    tools:\n" +
		"      gateway:\n        enabled: true\n" + indent(gateway, "        ") +
		"      certificates:\n        enabled: true\n" + indent(certificates, "        ")
	return strings.Replace(boomFile(t, section), "  orbos:kubeconfig:", "  orbos:secrets:\n    cloudflare-token: {secure: v1:abc}\n  orbos:kubeconfig:", 1)
}

func indent(s, by string) string {
	if s == "" {
		return ""
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i := range lines {
		lines[i] = by + lines[i]
	}
	return strings.Join(lines, "\n") + "\n"
}

const (
	gwp   = "config.orbos:boom.tools.gateway.gateway"
	acmep = "config.orbos:boom.tools.certificates.acme"
	// acmeBoth is an ACME account with both challenges.
	acmeBoth = "acme: {email: ops@example.com, http01: true, dns01: {cloudflare: {apiTokenSecret: cloudflare-token}}}"
	acmeDNS  = "acme: {email: ops@example.com, dns01: {cloudflare: {apiTokenSecret: cloudflare-token}}}"
)

// Every field of the Gateway and the ACME issuers that reaches the cluster has a rule; each case
// breaks one and names the paths refused.
func TestGatewayAndACMEFieldsAreChecked(t *testing.T) {
	cases := []struct {
		name, gateway, certificates string
		want                        []string
	}{
		{"defaults", "gateway: {hostnames: [app.example.com, \"*.example.com\"]}", acmeBoth, nil},
		{"no spec at all", "", "", nil},
		{"full spec", `gateway:
  listeners:
    - {name: http, protocol: HTTP, port: 80, redirectToHTTPS: true}
    - {name: https-app, protocol: HTTPS, hostname: app.example.com, tls: {acme: true}}
    - {name: https-own, protocol: HTTPS, port: 8443, hostname: own.example.com, tls: {certificateRef: own-tls}}
  routes:
    - name: app
      namespace: apps
      listeners: [https-app]
      hostnames: [app.example.com]
      rules:
        - matches: [{path: /api}, {path: /health, type: Exact}]
          backends: [{service: api, port: 8080, weight: 90}, {service: api-canary, port: 8080, weight: 10}]
          timeout: 30s
          requestHeaders: {set: {X-Forwarded-Proto: https}, add: {X-Orb: demo}, remove: [X-Debug]}
`, acmeBoth, nil},
		{"route on the default listeners", "gateway:\n  hostnames: [app.example.com]\n  routes:\n    - {name: app, listeners: [https-app.example.com], rules: [{backends: [{service: app, port: 80}]}]}", acmeBoth, nil},
		{"route on the redirect listener", "gateway:\n  hostnames: [app.example.com]\n  routes:\n    - {name: app, listeners: [http], rules: [{backends: [{service: app, port: 80}]}]}", acmeBoth,
			[]string{gwp + ".routes[0].listeners[0]"}},
		{"route no listener takes", "gateway:\n  hostnames: [app.example.com]\n  routes:\n    - {name: app, hostnames: [other.org], rules: [{backends: [{service: app, port: 80}]}]}", acmeBoth,
			[]string{gwp + ".routes[0].hostnames"}},
		{"route on a missing listener", "gateway:\n  routes:\n    - {name: app, listeners: [https], rules: [{backends: [{service: app, port: 80}]}]}", acmeBoth,
			[]string{gwp + ".routes[0].listeners[0]"}},
		{"hostnames", "gateway: {hostnames: [\"app example.com\", 10.0.0.1, \"a.*.example.com\", App.Example.com, app.example.com, app.example.com]}", acmeBoth,
			[]string{gwp + ".hostnames[0]", gwp + ".hostnames[1]", gwp + ".hostnames[2]", gwp + ".hostnames[3]", gwp + ".hostnames[5]"}},
		{"listener fields", `gateway:
  listeners:
    - {name: Web, protocol: TCP, port: 0}
    - {name: web, protocol: HTTPS, port: 70000, hostname: "*", tls: {acme: true, certificateRef: x}}
    - {name: web, protocol: HTTP, redirectToHTTPS: true, tls: {acme: true}}
    - {protocol: HTTPS, port: 8443, redirectToHTTPS: true, tls: {certificateRef: Bad_Name}}
    - {name: plain, protocol: HTTP, port: 80}
`, acmeBoth, []string{
			gwp + ".listeners[0].name", gwp + ".listeners[0].port", gwp + ".listeners[0].protocol",
			gwp + ".listeners[1].hostname", gwp + ".listeners[1].port", gwp + ".listeners[1].tls",
			gwp + ".listeners[2].name", gwp + ".listeners[2].tls",
			gwp + ".listeners[3].name", gwp + ".listeners[3].redirectToHTTPS", gwp + ".listeners[3].tls.certificateRef",
			gwp + ".listeners[4]"}},
		{"https without tls", "gateway: {listeners: [{name: https, protocol: HTTPS}]}", acmeDNS, []string{gwp + ".listeners[0].tls"}},
		{"acme listener without hostname", "gateway: {listeners: [{name: https, protocol: HTTPS, tls: {acme: true}}]}", acmeDNS, []string{gwp + ".listeners[0].hostname"}},
		{"wildcard without dns01", "gateway: {listeners: [{name: http, protocol: HTTP}, {name: https, protocol: HTTPS, hostname: \"*.example.com\", tls: {acme: true}}]}",
			"acme: {email: ops@example.com, http01: true}", []string{gwp + ".listeners[1].hostname"}},
		{"acme listener without acme", "gateway: {listeners: [{name: https, protocol: HTTPS, hostname: a.example.com, tls: {acme: true}}]}", "", []string{gwp + ".listeners[0].tls.acme"}},
		{"default https without acme", "gateway: {hostnames: [app.example.com]}", "", []string{gwp + ".hostnames"}},
		{"route fields", `gateway:
  hostnames: [a.example.com]
  routes:
    - {name: App, namespace: Apps, hostnames: ["bad host"], rules: []}
    - name: app
      rules:
        - matches: [{path: api}, {path: "/a b"}, {path: /x, type: Regex}]
          backends: [{service: Api, port: 0, weight: -1}]
          timeout: 30 seconds
          requestHeaders: {set: {"Bad Header": x}, add: {X-Ok: "a\nb"}, remove: ["a:b"]}
        - {backends: []}
    - {name: app, rules: [{backends: [{port: 80}]}]}
    - {rules: [{backends: [{service: a, port: 1}]}]}
`, acmeBoth, []string{
			gwp + ".routes[0].hostnames", gwp + ".routes[0].hostnames[0]", gwp + ".routes[0].name", gwp + ".routes[0].namespace", gwp + ".routes[0].rules",
			gwp + ".routes[1].rules[0].backends[0].port", gwp + ".routes[1].rules[0].backends[0].service", gwp + ".routes[1].rules[0].backends[0].weight",
			gwp + ".routes[1].rules[0].matches[0].path", gwp + ".routes[1].rules[0].matches[1].path", gwp + ".routes[1].rules[0].matches[2].type",
			gwp + ".routes[1].rules[0].requestHeaders.add.X-Ok", gwp + `.routes[1].rules[0].requestHeaders.remove[0]`, gwp + `.routes[1].rules[0].requestHeaders.set["Bad Header"]`,
			gwp + ".routes[1].rules[0].timeout", gwp + ".routes[1].rules[1].backends",
			gwp + ".routes[2].name", gwp + ".routes[2].rules[0].backends[0].service",
			gwp + ".routes[3].name"}},
		{"acme staging", "", "acme: {email: ops@example.com, server: staging, dns01: {cloudflare: {apiTokenSecret: cloudflare-token}}}", nil},
		{"acme own server", "", "acme: {email: ops@example.com, server: \"https://acme.example.com/directory\", http01: true}", nil},
		{"acme fields", "", "acme: {email: \"Ops <ops@example.com>\", server: \"http://acme.example.com\"}", []string{acmep, acmep + ".email", acmep + ".server"}},
		{"acme without email", "", "acme: {http01: true}", []string{acmep + ".email"}},
		{"acme token not held", "", "acme: {email: ops@example.com, dns01: {cloudflare: {apiTokenSecret: other-token}}}", []string{acmep + ".dns01.cloudflare.apiTokenSecret"}},
		{"acme token pasted", "", "acme: {email: ops@example.com, dns01: {cloudflare: {apiTokenSecret: Zx9_pasted_TOKEN}}}", []string{acmep + ".dns01.cloudflare.apiTokenSecret"}},
		{"acme dns01 without provider", "", "acme: {email: ops@example.com, dns01: {}}", []string{acmep + ".dns01.cloudflare"}},
		{"acme dns01 without token", "", "acme: {email: ops@example.com, dns01: {cloudflare: {}}}", []string{acmep + ".dns01.cloudflare.apiTokenSecret"}},
		{"http01 without port 80", "gateway: {listeners: [{name: https, protocol: HTTPS, hostname: a.example.com, tls: {certificateRef: a-tls}}]}",
			"acme: {email: ops@example.com, http01: true}", []string{acmep + ".http01"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("demo", []byte(edgeFile(t, c.gateway, c.certificates)))
			assertPaths(t, err, c.want)
		})
	}
}

// The Gateway and ACME blocks belong to their tools; HTTP-01 goes through the gateway tool.
func TestEdgeFieldsBelongToTheirTools(t *testing.T) {
	section := `  orbos:boom:
    apiVersion: orbos.io/v1alpha1
    tools:
      metrics: {enabled: true, gateway: {hostnames: [a.example.com]}, acme: {email: ops@example.com, http01: true}}
      certificates: {enabled: true, acme: {email: ops@example.com, http01: true}}
`
	_, err := Parse("demo", []byte(boomFile(t, section)))
	assertPaths(t, err, []string{"config.orbos:boom.tools.certificates.acme.http01", "config.orbos:boom.tools.metrics.acme", "config.orbos:boom.tools.metrics.gateway"})
}

// Without listeners the Gateway has an HTTP listener; once certificates are on, it only redirects
// and every hostname has an HTTPS listener; routes attach to every listener but the redirect.
func TestDefaultListeners(t *testing.T) {
	g := &Gateway{Hostnames: []string{"app.example.com", "*.example.com"}}
	plain := ListenersOf(g, false)
	if len(plain) != 1 || plain[0].Protocol != ProtocolHTTP || plain[0].PortOr() != 80 || plain[0].RedirectToHTTPS {
		t.Errorf("without certificates: %+v", plain)
	}
	ls := ListenersOf(g, true)
	if len(ls) != 3 || !ls[0].RedirectToHTTPS || ls[1].Name != "https-app.example.com" || ls[2].Name != "https-wildcard.example.com" ||
		ls[2].Hostname != "*.example.com" || ls[2].PortOr() != 443 || !ls[2].TLS.ACME {
		t.Errorf("with certificates: %+v", ls)
	}
	if got := ListenersOfRoute(GatewayRoute{}, ls); strings.Join(got, ",") != "https-app.example.com,https-wildcard.example.com" {
		t.Errorf("a route's default listeners %v", got)
	}
	for hosts, want := range map[string]string{
		"app.example.com": "https-app.example.com,https-wildcard.example.com", "x.example.com": "https-wildcard.example.com",
		"*.example.com": "https-app.example.com,https-wildcard.example.com", "other.org": "",
	} {
		if got := ListenersOfRoute(GatewayRoute{Hostnames: []string{hosts}}, ls); strings.Join(got, ",") != want {
			t.Errorf("the listeners of a route for %s: %v, want %s", hosts, got, want)
		}
	}
	if got := ListenersOfRoute(GatewayRoute{Listeners: []string{"x"}}, ls); len(got) != 1 || got[0] != "x" {
		t.Errorf("a route's own listeners %v", got)
	}
	if HTTP01Listener(ls) != "http" {
		t.Errorf("the HTTP-01 listener %q", HTTP01Listener(ls))
	}
	a := &ACME{HTTP01: true, DNS01: &ACMEDNS01{}}
	if a.IssuerFor("app.example.com") != IssuerHTTP01 || a.IssuerFor("*.example.com") != IssuerDNS01 || (&ACME{DNS01: &ACMEDNS01{}}).IssuerFor("a.example.com") != IssuerDNS01 {
		t.Error("issuer choice")
	}
	for server, want := range map[string]string{"": LetsEncryptProduction, "production": LetsEncryptProduction, "staging": LetsEncryptStaging, "https://x.example.com/d": "https://x.example.com/d"} {
		if got := (&ACME{Server: server}).ServerURL(); got != want {
			t.Errorf("server %q: %s", server, got)
		}
	}
}
