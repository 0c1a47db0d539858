package program

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/orbos/orbos/stacks"
)

const (
	gatewayAPI    = "kubernetes:gateway.networking.k8s.io/v1:"
	clusterIssuer = "kubernetes:cert-manager.io/v1:ClusterIssuer "
	certificate   = "kubernetes:cert-manager.io/v1:Certificate "
	// token is the Cloudflare token's value in these tests: it must never appear in a plan.
	token = "cf-token-that-must-stay-secret"
)

// exampleSpec is the boom example as edit changes it.
func exampleSpec(t *testing.T, edit func(string) string) *stacks.Spec {
	t.Helper()
	raw, err := os.ReadFile("../../examples/boom/Pulumi.boom-demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := stacks.Parse("boom-demo", []byte(edit(string(raw))))
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// edgePlan plans the boom example with the Cloudflare token set to token.
func edgePlan(t *testing.T, edit func(string) string) (map[string]string, string) {
	t.Helper()
	spec := exampleSpec(t, edit)
	cfg, secretKeys := mockConfig(spec)
	held := map[string]string{}
	if err := json.Unmarshal([]byte(cfg[stacks.KeySecrets]), &held); err != nil {
		t.Fatal(err)
	}
	held["cloudflare-token"] = token
	raw, _ := json.Marshal(held)
	cfg[stacks.KeySecrets] = string(raw)
	plan, err := mockPlan(New(spec), "boom-demo", cfg, secretKeys)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range plan {
		out[p.Type+" "+p.Name] = strings.Join(p.Inputs, "\n")
	}
	return out, FormatPlan(plan)
}

func wantInputs(t *testing.T, plan map[string]string, res string, want ...string) {
	t.Helper()
	in, ok := plan[res]
	if !ok {
		t.Errorf("%s is not planned", res)
		return
	}
	for _, w := range want {
		if !strings.Contains(in, w) {
			t.Errorf("%s lacks %s:\n%s", res, w, in)
		}
	}
}

// The example's Gateway: Envoy Gateway's class, an HTTP listener that only redirects (routes of its
// own namespace only), an HTTPS listener per hostname with a certificate from the issuer its
// hostname needs, the redirect, and the spec's route on the HTTPS listeners with its weights,
// timeout and header rewrites.
func TestTheExamplesGatewayIsPlanned(t *testing.T) {
	plan, _ := edgePlan(t, func(s string) string { return s })
	wantInputs(t, plan, gatewayAPI+"GatewayClass gatewayclass", `metadata.name = "orbos"`, `spec.controllerName = "gateway.envoyproxy.io/gatewayclass-controller"`)
	wantInputs(t, plan, gatewayAPI+"Gateway gateway",
		`metadata.name = "orbos"`, `metadata.namespace = "envoy-gateway-system"`, `spec.gatewayClassName = "orbos"`,
		`spec.listeners[0].name = "http"`, `spec.listeners[0].port = 80`, `spec.listeners[0].protocol = "HTTP"`, `spec.listeners[0].allowedRoutes.namespaces.from = "Same"`,
		`spec.listeners[1].name = "https-shop.example.com"`, `spec.listeners[1].hostname = "shop.example.com"`, `spec.listeners[1].port = 443`,
		`spec.listeners[1].protocol = "HTTPS"`, `spec.listeners[1].allowedRoutes.namespaces.from = "All"`, `spec.listeners[1].tls.mode = "Terminate"`,
		`spec.listeners[1].tls.certificateRefs[0].name = "orbos-tls-https-shop.example.com"`,
		`spec.listeners[2].hostname = "*.apps.example.com"`, `spec.listeners[2].tls.certificateRefs[0].name = "orbos-tls-https-wildcard.apps.example.com"`)
	if strings.Contains(plan[gatewayAPI+"Gateway gateway"], "spec.listeners[0].tls") {
		t.Error("the HTTP listener has TLS")
	}
	wantInputs(t, plan, certificate+"certificate-https-shop.example.com",
		`metadata.namespace = "envoy-gateway-system"`, `spec.secretName = "orbos-tls-https-shop.example.com"`, `spec.dnsNames[0] = "shop.example.com"`,
		`spec.issuerRef.kind = "ClusterIssuer"`, `spec.issuerRef.name = "orbos-acme-http01"`)
	wantInputs(t, plan, certificate+"certificate-https-wildcard.apps.example.com", `spec.dnsNames[0] = "*.apps.example.com"`, `spec.issuerRef.name = "orbos-acme-dns01"`)
	wantInputs(t, plan, gatewayAPI+"HTTPRoute route-redirect",
		`metadata.name = "orbos-https-redirect"`, `spec.parentRefs[0].name = "orbos"`, `spec.parentRefs[0].sectionName = "http"`,
		`spec.rules[0].filters[0].type = "RequestRedirect"`, `spec.rules[0].filters[0].requestRedirect.scheme = "https"`, `spec.rules[0].filters[0].requestRedirect.statusCode = 301`)
	route := gatewayAPI + "HTTPRoute route-shop.shop"
	wantInputs(t, plan, route,
		`metadata.name = "shop"`, `metadata.namespace = "shop"`, `spec.hostnames[0] = "shop.example.com"`,
		`spec.parentRefs[0].namespace = "envoy-gateway-system"`, `spec.parentRefs[0].sectionName = "https-shop.example.com"`,
		`spec.rules[0].matches[0].path.type = "PathPrefix"`, `spec.rules[0].matches[0].path.value = "/api"`,
		`spec.rules[0].backendRefs[0].name = "api"`, `spec.rules[0].backendRefs[0].port = 8080`, `spec.rules[0].backendRefs[0].weight = 90`, `spec.rules[0].backendRefs[1].weight = 10`,
		`spec.rules[0].timeouts.request = "30s"`, `spec.rules[0].filters[0].type = "RequestHeaderModifier"`,
		`spec.rules[0].filters[0].requestHeaderModifier.set[0].name = "X-Forwarded-Proto"`, `spec.rules[0].filters[0].requestHeaderModifier.set[0].value = "https"`,
		`spec.rules[0].filters[0].requestHeaderModifier.remove[0] = "X-Debug"`,
		`spec.rules[1].matches[0].path.value = "/"`, `spec.rules[1].backendRefs[0].name = "web"`)
	if strings.Contains(plan[route], `sectionName = "http"`) || strings.Contains(plan[route], "parentRefs[1]") {
		t.Errorf("the route attaches to the redirect listener or to one whose hostname it does not serve:\n%s", plan[route])
	}

	// The route dropped from the spec is no longer planned (so the engine deletes it).
	without, _ := edgePlan(t, func(s string) string {
		i, j := strings.Index(s, "          routes:\n"), strings.Index(s, "      certificates:\n")
		return s[:i] + s[j:]
	})
	if _, ok := without[route]; ok {
		t.Error("a route removed from the spec is still planned")
	}
	if _, ok := without[gatewayAPI+"Gateway gateway"]; !ok {
		t.Error("the Gateway went with the route")
	}
}

// The ACME issuers: HTTP-01 through the ORB's Gateway's HTTP listener, DNS-01 through Cloudflare
// with the token in a Secret in cert-manager's namespace as a Pulumi secret, never in a value.
func TestTheExamplesIssuersKeepTheTokenSecret(t *testing.T) {
	plan, text := edgePlan(t, func(s string) string { return s })
	wantInputs(t, plan, clusterIssuer+stacks.IssuerHTTP01,
		`spec.acme.email = "ops@example.com"`, `spec.acme.server = "`+stacks.LetsEncryptProduction+`"`,
		`spec.acme.privateKeySecretRef.name = "orbos-acme-http01-account"`,
		`spec.acme.solvers[0].http01.gatewayHTTPRoute.parentRefs[0].kind = "Gateway"`,
		`spec.acme.solvers[0].http01.gatewayHTTPRoute.parentRefs[0].name = "orbos"`,
		`spec.acme.solvers[0].http01.gatewayHTTPRoute.parentRefs[0].namespace = "envoy-gateway-system"`,
		`spec.acme.solvers[0].http01.gatewayHTTPRoute.parentRefs[0].sectionName = "http"`)
	wantInputs(t, plan, clusterIssuer+stacks.IssuerDNS01,
		`spec.acme.solvers[0].dns01.cloudflare.apiTokenSecretRef.name = "orbos-acme-cloudflare"`,
		`spec.acme.solvers[0].dns01.cloudflare.apiTokenSecretRef.key = "api-token"`)
	wantInputs(t, plan, "kubernetes:core/v1:Secret cloudflare-token",
		`metadata.name = "orbos-acme-cloudflare"`, `metadata.namespace = "cert-manager"`, "stringData = [secret]")
	if strings.Contains(text, token) {
		t.Errorf("the Cloudflare token is in the plan in plaintext:\n%s", text)
	}

	staging, _ := edgePlan(t, func(s string) string {
		return strings.Replace(strings.Replace(s, "# server: staging", "server: staging", 1), "          dns01:\n            cloudflare:\n              apiTokenSecret: cloudflare-token   # an entry of orbos:secrets below\n", "", 1)
	})
	wantInputs(t, staging, clusterIssuer+stacks.IssuerHTTP01, `spec.acme.server = "`+stacks.LetsEncryptStaging+`"`)
	for k := range staging {
		if strings.HasSuffix(k, " "+stacks.IssuerDNS01) || strings.HasSuffix(k, " cloudflare-token") {
			t.Errorf("DNS-01 is off but %s is planned", k)
		}
	}
	// The wildcard hostname needs DNS-01: without it the spec is refused before any plan.
	if _, err := stacks.Parse("boom-demo", []byte(strings.Replace(mustRead(t), "              apiTokenSecret: cloudflare-token", "              apiTokenSecret: missing", 1))); err == nil ||
		!strings.Contains(err.Error(), "acme.dns01.cloudflare.apiTokenSecret") {
		t.Errorf("a token the stack does not hold: %v", err)
	}
}

func mustRead(t *testing.T) string {
	raw, err := os.ReadFile("../../examples/boom/Pulumi.boom-demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// The Gateway API objects come after the gateway tool and its CRD step, the issuers after the
// certificates tool's, the certificates after the issuers; postApply after all of them.
func TestGatewayObjectsComeAfterTheirCRDs(t *testing.T) {
	spec := exampleSpec(t, func(s string) string { return s })
	m := planDeps(t, spec)
	gw, route := gatewayAPI+"Gateway gateway", gatewayAPI+"HTTPRoute route-shop.shop"
	for _, k := range []string{gw, route, clusterIssuer + stacks.IssuerDNS01, certificate + "certificate-https-shop.example.com"} {
		if _, ok := m.parents[k]; !ok {
			t.Fatalf("%s was not registered", k)
		}
	}
	for _, before := range []string{"kubernetes:helm.sh/v4:Chart gateway-crds", "kubernetes:helm.sh/v3:Release gateway"} {
		if !m.before(before, gw) || !m.before(before, route) {
			t.Errorf("the Gateway or its route does not come after %s", before)
		}
	}
	if !m.before("kubernetes:helm.sh/v4:Chart certificates-crds", clusterIssuer+stacks.IssuerDNS01) || !m.before("kubernetes:helm.sh/v4:Chart certificates", clusterIssuer+stacks.IssuerHTTP01) {
		t.Error("the issuers do not come after cert-manager")
	}
	if !m.before(clusterIssuer+stacks.IssuerHTTP01, certificate+"certificate-https-shop.example.com") || !m.before(gw, route) {
		t.Error("a certificate before its issuer, or a route before its Gateway")
	}
	if !m.before("kubernetes:core/v1:Secret cloudflare-token", clusterIssuer+stacks.IssuerDNS01) {
		t.Error("the DNS-01 issuer does not wait for its token")
	}
	if m.before(gw, "kubernetes:helm.sh/v4:Chart gateway-crds") {
		t.Error("the order has a cycle")
	}
}

// A gateway tool of a chart of its own (not Envoy Gateway's) gets no Gateway unless its spec has a
// gateway block: the Gateway API CRDs and their controller come with Envoy Gateway's chart.
func TestAnOwnGatewayChartGetsAGatewayOnlyWhenAsked(t *testing.T) {
	own := func(block string) func(string) string {
		return func(s string) string {
			i, j := strings.Index(s, "        # The ORB's Gateway"), strings.Index(s, "      certificates:\n")
			s = s[:i] + "        chart: {repository: charts/gw, name: my-gateway, version: 0.1.0}\n" + block + s[j:]
			// Without the ORB's Gateway, HTTP-01 has nothing to solve through.
			return strings.Replace(s, "          http01: true\n", "", 1)
		}
	}
	plan, _ := edgePlan(t, own(""))
	for k := range plan {
		if strings.HasPrefix(k, gatewayAPI) || strings.HasPrefix(k, certificate) {
			t.Errorf("%s planned for a gateway chart of its own", k)
		}
	}
	if _, ok := plan[clusterIssuer+stacks.IssuerDNS01]; !ok {
		t.Error("the DNS-01 issuer went with the Gateway")
	}
	plan, _ = edgePlan(t, own("        gateway: {}\n"))
	if _, ok := plan[gatewayAPI+"Gateway gateway"]; !ok {
		t.Error("a gateway block of a chart of its own made no Gateway")
	}
}
