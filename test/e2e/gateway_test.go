package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	gatewayAPIPath  = "/apis/gateway.networking.k8s.io/v1"
	certManagerPath = "/apis/cert-manager.io/v1"
)

// edgeSpec is the gateway and certificates tools from the trimmed test charts, with routes.
const edgeSpec = `    tools:
      gateway:
        enabled: true
        chart: {repository: charts/gateway-api, name: gateway-api, version: 0.1.0}
        namespace: edge-gateway
        gateway:
          hostnames: [shop.e2e.orbos.io, "*.apps.e2e.orbos.io"]
          routes:
            - name: shop
              hostnames: [shop.e2e.orbos.io]
              rules:
                - matches: [{path: /api}]
                  backends: [{service: api, port: 8080, weight: 90}, {service: canary, port: 8080, weight: 10}]
                  timeout: 30s
                  requestHeaders: {set: {X-Forwarded-Proto: https}}
            - name: docs
              rules: [{backends: [{service: docs, port: 80}]}]
      certificates:
        enabled: true
        chart: {repository: charts/cert-manager-crds, name: cert-manager-crds, version: 0.1.0}
        namespace: edge-certs
        acme:
          email: ops@e2e.orbos.io
          server: staging
          http01: true
          dns01: {cloudflare: {apiTokenSecret: cloudflare-token}}
`

// field follows keys (and list indexes) through a decoded object.
func field(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// The ORB's Gateway and ACME issuers on the real engine and kube-apiserver, from stand-ins of the
// two charts that ship only their (trimmed) CRDs: the custom resources applied after the CRD steps
// in the same first run, with the spec's listeners, routes and issuers; the Cloudflare token from
// orbos:secrets only in its Secret (never in Git in plaintext); a second preview without changes;
// a route removed from the spec deleted.
func TestBoomGatewayAndCertificates(t *testing.T) {
	o := newORB(t, "edge")
	t.Cleanup(func() {
		for _, crd := range []string{"gatewayclasses.gateway.networking.k8s.io", "gateways.gateway.networking.k8s.io", "httproutes.gateway.networking.k8s.io",
			"clusterissuers.cert-manager.io", "certificates.cert-manager.io"} {
			_, _, _ = apiserver.Delete(context.Background(), "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"+crd)
		}
	})
	const token = "cf-e2e-token-0123456789abcdef"
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	o.mustRun("config", "set", "--secret", "orbos:secrets.cloudflare-token", "--from-file", tokenFile)
	o.pushChart("gateway-api", "boom: the Gateway API CRDs", func(s string) string { return s })
	o.pushChart("cert-manager-crds", "boom: a gateway and certificates", func(s string) string {
		// The starter lists both tools, off.
		s = strings.Replace(s, "      gateway:\n        enabled: false\n      certificates:\n        enabled: false\n", "", 1)
		return strings.Replace(s, "    tools:\n", edgeSpec, 1)
	})

	o.mustRun("up")
	const gwNS = "edge-gateway"
	code, class := kube(t, gatewayAPIPath+"/gatewayclasses/orbos")
	if code != http.StatusOK || field(class, "spec", "controllerName") != "gateway.envoyproxy.io/gatewayclass-controller" {
		t.Fatalf("the GatewayClass: HTTP %d %v", code, class["spec"])
	}
	code, gw := kube(t, gatewayAPIPath+"/namespaces/"+gwNS+"/gateways/orbos")
	if code != http.StatusOK {
		t.Fatalf("the Gateway: HTTP %d", code)
	}
	listeners, _ := field(gw, "spec", "listeners").([]any)
	want := []string{
		"http HTTP 80  Same",
		"https-shop.e2e.orbos.io HTTPS 443 shop.e2e.orbos.io All orbos-tls-https-shop.e2e.orbos.io",
		"https-wildcard.apps.e2e.orbos.io HTTPS 443 *.apps.e2e.orbos.io All orbos-tls-https-wildcard.apps.e2e.orbos.io",
	}
	if len(listeners) != len(want) {
		t.Fatalf("the Gateway's listeners: %v", listeners)
	}
	for i, l := range listeners {
		got := strings.TrimSpace(fmt.Sprint(field(l, "name"), " ", field(l, "protocol"), " ", field(l, "port"), " ", str(field(l, "hostname")), " ",
			field(l, "allowedRoutes", "namespaces", "from"), " ", str(field(l, "tls", "certificateRefs", 0, "name"))))
		if got != want[i] {
			t.Errorf("listener %d: %q, want %q", i, got, want[i])
		}
	}
	routes := gatewayAPIPath + "/namespaces/" + gwNS + "/httproutes/"
	_, redirect := kube(t, routes+"orbos-https-redirect")
	if field(redirect, "spec", "rules", 0, "filters", 0, "requestRedirect", "scheme") != "https" || field(redirect, "spec", "parentRefs", 0, "sectionName") != "http" {
		t.Errorf("the redirect route: %v", redirect["spec"])
	}
	_, shop := kube(t, routes+"shop")
	rule := field(shop, "spec", "rules", 0)
	if field(rule, "backendRefs", 1, "name") != "canary" || fmt.Sprint(field(rule, "backendRefs", 1, "weight")) != "10" ||
		field(rule, "matches", 0, "path", "value") != "/api" || field(rule, "timeouts", "request") != "30s" ||
		field(rule, "filters", 0, "requestHeaderModifier", "set", 0, "value") != "https" ||
		field(shop, "spec", "parentRefs", 0, "sectionName") != "https-shop.e2e.orbos.io" || field(shop, "spec", "parentRefs", 1) != nil {
		t.Errorf("the shop route: %v", shop["spec"])
	}
	_, docs := kube(t, routes+"docs")
	if n := len(field(docs, "spec", "parentRefs").([]any)); n != 2 {
		t.Errorf("the docs route is on %d listeners, want both HTTPS ones: %v", n, docs["spec"])
	}
	for issuer, solver := range map[string]string{"orbos-acme-http01": "http01", "orbos-acme-dns01": "dns01"} {
		code, ci := kube(t, certManagerPath+"/clusterissuers/"+issuer)
		if code != http.StatusOK || field(ci, "spec", "acme", "server") != "https://acme-staging-v02.api.letsencrypt.org/directory" ||
			field(ci, "spec", "acme", "email") != "ops@e2e.orbos.io" || field(ci, "spec", "acme", "solvers", 0, solver) == nil {
			t.Errorf("the ClusterIssuer %s: HTTP %d %v", issuer, code, ci["spec"])
		}
	}
	_, http01 := kube(t, certManagerPath+"/clusterissuers/orbos-acme-http01")
	if ref := field(http01, "spec", "acme", "solvers", 0, "http01", "gatewayHTTPRoute", "parentRefs", 0); field(ref, "name") != "orbos" || field(ref, "namespace") != gwNS || field(ref, "sectionName") != "http" {
		t.Errorf("the HTTP-01 solver's Gateway: %v", ref)
	}
	_, dns01 := kube(t, certManagerPath+"/clusterissuers/orbos-acme-dns01")
	if ref := field(dns01, "spec", "acme", "solvers", 0, "dns01", "cloudflare", "apiTokenSecretRef"); field(ref, "name") != "orbos-acme-cloudflare" || field(ref, "key") != "api-token" {
		t.Errorf("the DNS-01 solver's token: %v", ref)
	}
	for host, issuer := range map[string]string{"shop.e2e.orbos.io": "orbos-acme-http01", "wildcard.apps.e2e.orbos.io": "orbos-acme-dns01"} {
		code, c := kube(t, certManagerPath+"/namespaces/"+gwNS+"/certificates/orbos-tls-https-"+host)
		if code != http.StatusOK || field(c, "spec", "issuerRef", "name") != issuer || field(c, "spec", "secretName") != "orbos-tls-https-"+host {
			t.Errorf("the certificate of %s: HTTP %d %v", host, code, c["spec"])
		}
	}
	code, secret := kube(t, "/api/v1/namespaces/edge-certs/secrets/orbos-acme-cloudflare")
	if raw, _ := base64.StdEncoding.DecodeString(fmt.Sprint(field(secret, "data", "api-token"))); code != http.StatusOK || string(raw) != token {
		t.Errorf("the token Secret: HTTP %d", code)
	}
	if objects := gitObjects(t, o.remote); strings.Contains(objects, token) || strings.Contains(objects, base64.StdEncoding.EncodeToString([]byte(token))) {
		t.Error("the Cloudflare token is in the ORB repository in plaintext")
	}
	if r := o.run("preview", "--expect-no-changes"); r.code != 0 {
		t.Fatalf("a second preview sees changes:\n%s", r)
	}

	// The docs route dropped from the spec: deleted; the shop route stays.
	o.pushSpec("boom: no docs route", func(s string) string {
		return strings.Replace(s, "            - name: docs\n              rules: [{backends: [{service: docs, port: 80}]}]\n", "", 1)
	})
	o.mustRun("up")
	waitGone(t, routes+"docs")
	if code, _ := kube(t, routes+"shop"); code != http.StatusOK {
		t.Errorf("the shop route went with the docs route: HTTP %d", code)
	}
	o.mustRun("destroy", "--yes")
	waitGone(t, gatewayAPIPath+"/namespaces/"+gwNS+"/gateways/orbos")
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}
