package policy

import (
	"os"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/orbos/orbos/stacks"
)

func gatewayObj(listeners ...map[string]any) policyx.AnalyzerResource {
	var ls []any
	for _, l := range listeners {
		ls = append(ls, l)
	}
	return policyx.AnalyzerResource{Type: gatewayType, Name: "gateway", Properties: obj(map[string]any{
		"metadata": map[string]any{"name": stacks.GatewayName}, "spec": map[string]any{"listeners": ls},
	})}
}

func routeObj(name string, labels map[string]any, section string, rule map[string]any) policyx.AnalyzerResource {
	return routeIn(stacks.BoomCatalog["gateway"].Namespace, name, labels, section, rule)
}

func routeIn(namespace, name string, labels map[string]any, section string, rule map[string]any) policyx.AnalyzerResource {
	ref := map[string]any{"name": stacks.GatewayName, "kind": "Gateway", "namespace": stacks.BoomCatalog["gateway"].Namespace}
	if section != "" {
		ref["sectionName"] = section
	}
	meta := map[string]any{"name": name, "namespace": namespace}
	if labels != nil {
		meta["labels"] = labels
	}
	return policyx.AnalyzerResource{Type: httpRouteType, Name: name, Properties: obj(map[string]any{
		"metadata": meta, "spec": map[string]any{"parentRefs": []any{ref}, "rules": []any{rule}},
	})}
}

var (
	backend  = map[string]any{"backendRefs": []any{map[string]any{"name": "app", "kind": "Service"}}}
	redirect = map[string]any{"filters": []any{map[string]any{"type": "RequestRedirect", "requestRedirect": map[string]any{"scheme": "https"}}}}
)

// Once certificates are on, the Gateway serves plain HTTP only to redirect to HTTPS (and to the
// ACME solver): an HTTP listener that does not redirect, and a route on an HTTP listener, are
// refused in the spec and in the rendered objects; without certificates nothing is asked.
func TestGatewayServesNoPlainHTTP(t *testing.T) {
	plainGateway := &stacks.Gateway{
		Listeners: []stacks.GatewayListener{{Name: "web", Protocol: "HTTP"}, {Name: "https", Protocol: "HTTPS", Hostname: "a.example.com", TLS: &stacks.ListenerTLS{ACME: true}}},
		Routes: []stacks.GatewayRoute{
			{Name: "app", Listeners: []string{"web"}},
			{Name: "secure", Listeners: []string{"https"}},
			{Name: "everywhere"},
		},
	}
	certsOn := map[string]stacks.Tool{"gateway": {Enabled: true, Gateway: plainGateway}, "certificates": {Enabled: true}}
	rendered := []policyx.AnalyzerResource{
		gatewayObj(map[string]any{"name": "web", "protocol": "HTTP"}, map[string]any{"name": "https", "protocol": "HTTPS"}),
		routeObj("app", nil, "web", backend),
		routeObj("secure", nil, "https", backend),
		routeObj("anywhere", nil, "", backend),
	}
	in := &Input{Boom: boomWith(certsOn)}
	got := withResources(in.gatewayHTTPS(), in.renderedPlainHTTP, rendered)
	want := []string{
		"listener web serves plain HTTP", "route app attaches to the HTTP listener web", "route everywhere attaches to the HTTP listener web",
		"Gateway gateway listens on plain HTTP (web)", "HTTPRoute app attaches to the Gateway's HTTP listener web", "HTTPRoute anywhere attaches",
	}
	if len(got) != len(want) {
		t.Fatalf("violations %q, want %q", got, want)
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("violation %q, want %q", got[i], want[i])
		}
	}

	off := &Input{Boom: boomWith(map[string]stacks.Tool{"gateway": {Enabled: true, Gateway: plainGateway}, "certificates": {Enabled: false}})}
	if got := withResources(off.gatewayHTTPS(), off.renderedPlainHTTP, rendered); len(got) != 0 {
		t.Errorf("without certificates: %v", got)
	}

	// orbos's defaults: the HTTP listener only redirects, through the redirect route; the ACME
	// solver's route may answer on it; routes attach to the HTTPS listeners.
	defaults := &stacks.Gateway{Hostnames: []string{"a.example.com"}, Routes: []stacks.GatewayRoute{{Name: "app"}}}
	good := &Input{Boom: boomWith(map[string]stacks.Tool{"gateway": {Enabled: true, Gateway: defaults}, "certificates": {Enabled: true}})}
	ok := []policyx.AnalyzerResource{
		gatewayObj(map[string]any{"name": "http", "protocol": "HTTP"}, map[string]any{"name": "https-a.example.com", "protocol": "HTTPS"}),
		routeObj("redirect", nil, "http", redirect),
		routeObj("solver", map[string]any{acmeSolverLabel: "true"}, "http", backend),
		routeObj("app", nil, "https-a.example.com", backend),
		// Zitadel's route, by the Gateway's name alone from its own namespace: the redirect-only
		// listener does not admit it.
		routeIn("zitadel", "zitadel", nil, "", backend),
	}
	if got := withResources(good.gatewayHTTPS(), good.renderedPlainHTTP, ok); len(got) != 0 {
		t.Errorf("orbos's defaults: %v", got)
	}
	// A route that redirects elsewhere than https, and another Gateway's HTTP listener, are refused.
	bad := []policyx.AnalyzerResource{
		routeObj("downgrade", nil, "http", map[string]any{"filters": []any{map[string]any{"type": "RequestRedirect", "requestRedirect": map[string]any{"scheme": "http"}}}}),
		{Type: gatewayType, Name: "other", Properties: obj(map[string]any{"metadata": map[string]any{"name": "other"}, "spec": map[string]any{"listeners": []any{map[string]any{"name": "http", "protocol": "HTTP"}}}})},
	}
	bad = append(bad, routeObj("sneaky", nil, "", backend)) // the Gateway's namespace: admitted by the HTTP listener
	if got := withResources(nil, good.renderedPlainHTTP, bad); len(got) != 3 {
		t.Errorf("a downgrade and another Gateway's HTTP: %q", got)
	}
}

// A field that names an orbos:secrets entry is a reference, not a plaintext secret; a value that
// is not a secret's name in such a field still is one.
func TestSecretReferencesAreNotPlaintextSecrets(t *testing.T) {
	in, err := NewInput(map[string]string{
		stacks.KeyBoom: `{"tools":{"certificates":{"enabled":true,"acme":{"email":"ops@example.com","dns01":{"cloudflare":{"apiTokenSecret":"cloudflare-token"}}}}}}`,
	}, map[string]bool{}, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := in.plaintextSecrets(); len(got) != 0 {
		t.Errorf("a reference by name: %v", got)
	}
	in.Values[stacks.KeyBoom] = strings.Replace(in.Values[stacks.KeyBoom], `"cloudflare-token"`, `"Zx9_PASTED-Token_0123"`, 1)
	if got := in.plaintextSecrets(); len(got) != 1 || !strings.Contains(got[0], "apiTokenSecret") {
		t.Errorf("a pasted token: %v", got)
	}
}

// The example ORB (every tool, certificates and a Gateway) complies with every rule.
func TestTheBoomExampleComplies(t *testing.T) {
	raw := readExample(t, "boom")
	in, err := InputFromStackFile(raw, "")
	if err != nil {
		t.Fatal(err)
	}
	if v := Judge(in); len(v) != 0 {
		t.Errorf("the boom example: %v", v)
	}
}

func readExample(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile("../examples/" + name + "/Pulumi." + name + "-demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
