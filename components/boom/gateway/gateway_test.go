package gateway

import (
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

func run(t *testing.T, args Args) *mocks {
	t.Helper()
	e, err := mockengine.Run(t, "test", func(ctx *pulumi.Context) error {
		_, err := New(ctx, args)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return &mocks{inputs: e.Inputs()}
}

// get follows keys and indexes through a resource's inputs.
func get(v resource.PropertyValue, path ...any) resource.PropertyValue {
	for _, p := range path {
		switch p := p.(type) {
		case string:
			if !v.IsObject() {
				return resource.NewNullProperty()
			}
			v = v.ObjectValue()[resource.PropertyKey(p)]
		case int:
			if !v.IsArray() || p >= len(v.ArrayValue()) {
				return resource.NewNullProperty()
			}
			v = v.ArrayValue()[p]
		}
	}
	return v
}

func (m *mocks) at(t *testing.T, res string, path ...any) resource.PropertyValue {
	t.Helper()
	in, ok := m.inputs[res]
	if !ok {
		t.Fatalf("%s was not registered", res)
	}
	return get(resource.NewObjectProperty(in), path...)
}

// The spec's own listeners replace the defaults: a plain HTTP listener admits every namespace's
// routes, an HTTPS listener with its own Secret gets no Certificate; routes attach where they say,
// header rewrites become a RequestHeaderModifier, a rule without matches takes every path, and no
// redirect route exists without a redirect-only listener.
func TestOwnListenersAndRoutes(t *testing.T) {
	port := 8443
	weight := 0
	m := run(t, Args{Namespace: "edge", Spec: &stacks.Gateway{
		Listeners: []stacks.GatewayListener{
			{Name: "web", Protocol: "HTTP"},
			{Name: "own", Protocol: "HTTPS", Port: &port, Hostname: "own.example.com", TLS: &stacks.ListenerTLS{CertificateRef: "own-tls"}},
		},
		Routes: []stacks.GatewayRoute{{
			Name: "app", Listeners: []string{"own"},
			Rules: []stacks.GatewayRouteRule{{
				Backends:       []stacks.RouteBackend{{Service: "app", Port: 80, Weight: &weight}},
				RequestHeaders: &stacks.HeaderModifier{Add: map[string]string{"X-B": "2", "X-A": "1"}},
			}},
		}},
	}})
	gw := "kubernetes:gateway.networking.k8s.io/v1:Gateway gateway"
	if v := m.at(t, gw, "spec", "listeners", 0, "allowedRoutes", "namespaces", "from"); v.StringValue() != "All" {
		t.Errorf("a plain HTTP listener admits %v", v)
	}
	own := m.at(t, gw, "spec", "listeners", 1)
	if get(own, "port").NumberValue() != 8443 || get(own, "tls", "certificateRefs", 0, "name").StringValue() != "own-tls" || get(own, "tls", "certificateRefs", 0, "namespace").StringValue() != "edge" {
		t.Errorf("the own-certificate listener: %v", own)
	}
	for k := range m.inputs {
		if k == "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute route-redirect" || strings.HasPrefix(k, "kubernetes:cert-manager.io") {
			t.Errorf("%s without a redirect-only or ACME listener", k)
		}
	}
	route := "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute route-edge.app"
	if v := m.at(t, route, "metadata", "namespace"); v.StringValue() != "edge" {
		t.Errorf("a route without a namespace is in %v, want the tool's", v)
	}
	if v := m.at(t, route, "spec", "parentRefs", 0, "sectionName"); v.StringValue() != "own" || !m.at(t, route, "spec", "parentRefs", 1).IsNull() {
		t.Errorf("the route's parents: %v", m.at(t, route, "spec", "parentRefs"))
	}
	rule := m.at(t, route, "spec", "rules", 0)
	if get(rule, "matches", 0, "path", "value").StringValue() != "/" || get(rule, "backendRefs", 0, "weight").NumberValue() != 0 || !get(rule, "hostnames").IsNull() {
		t.Errorf("the rule: %v", rule)
	}
	// Header names in a stable order: the same spec gives the same inputs every run.
	mod := get(rule, "filters", 0, "requestHeaderModifier")
	if get(mod, "add", 0, "name").StringValue() != "X-A" || get(mod, "add", 1, "name").StringValue() != "X-B" || !get(mod, "set").IsNull() || !get(rule, "timeouts").IsNull() {
		t.Errorf("the header rewrite: %v", mod)
	}
}

// Without a spec the Gateway has the default HTTP listener; with certificates on but no hostnames,
// it only redirects.
func TestNoSpec(t *testing.T) {
	m := run(t, Args{Namespace: "edge", Certificates: true, ACME: &stacks.ACME{HTTP01: true}})
	gw := "kubernetes:gateway.networking.k8s.io/v1:Gateway gateway"
	if v := m.at(t, gw, "spec", "listeners", 0, "name"); v.StringValue() != "http" || !m.at(t, gw, "spec", "listeners", 1).IsNull() {
		t.Errorf("listeners %v", m.at(t, gw, "spec", "listeners"))
	}
	if v := m.at(t, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute route-redirect", "spec", "parentRefs", 0, "sectionName"); v.StringValue() != "http" {
		t.Errorf("the redirect's listener %v", v)
	}
}
