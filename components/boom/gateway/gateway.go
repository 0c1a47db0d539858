// Package gateway makes the ORB's Gateway on the Gateway API: its GatewayClass (Envoy Gateway),
// the Gateway named stacks.GatewayName with the spec's listeners, the cert-manager Certificates of
// its HTTPS listeners, the HTTPS redirect of its redirect-only listeners, and the spec's HTTPRoutes.
package gateway

import (
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"slices"

	"github.com/orbos/orbos/internal/pulumidep"
	"github.com/orbos/orbos/stacks"
)

// Type is the component's type token.
const Type = "orbos:boom:Gateway"

// Name is the ORB's Gateway; other components' HTTPRoutes attach to it by this name.
const Name = stacks.GatewayName

// ControllerName is Envoy Gateway's GatewayClass controller.
const ControllerName = "gateway.envoyproxy.io/gatewayclass-controller"

// RedirectRoute is the HTTPRoute that redirects the redirect-only listeners to HTTPS.
const RedirectRoute = "orbos-https-redirect"

const (
	gatewayAPI  = "gateway.networking.k8s.io/v1"
	certManager = "cert-manager.io/v1"
)

// Args are the Gateway's spec and where it goes.
type Args struct {
	// Spec is the gateway tool's gateway block; nil gives orbos's default listeners.
	Spec *stacks.Gateway
	// Namespace is the gateway tool's namespace.
	Namespace string
	// Certificates says whether the certificates tool is on; ACME is its issuers' spec (nil: none).
	Certificates bool
	ACME         *stacks.ACME
	Labels       map[string]string
}

// Gateway is the ORB's Gateway and what hangs on it.
type Gateway struct {
	pulumi.ResourceState
	// Recorder names what the component made, for those that come after it (pulumidep.On).
	pulumidep.Recorder
	Class        *apiextensions.CustomResource
	Gateway      *apiextensions.CustomResource
	Certificates []*apiextensions.CustomResource
	Routes       []*apiextensions.CustomResource
}

// New makes the Gateway; opts carry the provider and the tools it comes after (the gateway tool,
// whose chart brings the Gateway API CRDs, and the certificates tool and its issuers).
func New(ctx *pulumi.Context, args Args, opts ...pulumi.ResourceOption) (*Gateway, error) {
	g := &Gateway{}
	if err := ctx.RegisterComponentResource(Type, Name, g, append(slices.Clip(opts), g.Recording(g))...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(g)
	labels := pulumi.ToStringMap(args.Labels)
	meta := func(name, namespace string) *metav1.ObjectMetaArgs {
		m := &metav1.ObjectMetaArgs{Name: pulumi.String(name), Labels: labels}
		if namespace != "" {
			m.Namespace = pulumi.String(namespace)
		}
		return m
	}
	var err error
	g.Class, err = apiextensions.NewCustomResource(ctx, "gatewayclass", &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String(gatewayAPI), Kind: pulumi.String("GatewayClass"),
		Metadata:    meta(stacks.GatewayClassName, ""),
		OtherFields: kubernetes.UntypedArgs{"spec": pulumi.Map{"controllerName": pulumi.String(ControllerName)}},
	}, child)
	if err != nil {
		return nil, err
	}
	listeners := stacks.ListenersOf(args.Spec, args.Certificates)
	var certs []pulumi.Resource
	var ls pulumi.Array
	for _, l := range listeners {
		ls = append(ls, listener(l, args.Namespace))
		if l.TLS == nil || !l.TLS.ACME || args.ACME == nil {
			continue
		}
		c, err := apiextensions.NewCustomResource(ctx, "certificate-"+l.Name, &apiextensions.CustomResourceArgs{
			ApiVersion: pulumi.String(certManager), Kind: pulumi.String("Certificate"),
			Metadata: meta(certificateSecret(l.Name), args.Namespace),
			OtherFields: kubernetes.UntypedArgs{"spec": pulumi.Map{
				"secretName": pulumi.String(certificateSecret(l.Name)),
				"dnsNames":   pulumi.ToStringArray([]string{l.Hostname}),
				"issuerRef": pulumi.Map{
					"group": pulumi.String("cert-manager.io"), "kind": pulumi.String("ClusterIssuer"),
					"name": pulumi.String(args.ACME.IssuerFor(l.Hostname)),
				},
				"privateKey": pulumi.Map{"rotationPolicy": pulumi.String("Always")},
			}},
		}, child)
		if err != nil {
			return nil, err
		}
		g.Certificates = append(g.Certificates, c)
		certs = append(certs, c)
	}
	g.Gateway, err = apiextensions.NewCustomResource(ctx, "gateway", &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String(gatewayAPI), Kind: pulumi.String("Gateway"),
		Metadata:    meta(Name, args.Namespace),
		OtherFields: kubernetes.UntypedArgs{"spec": pulumi.Map{"gatewayClassName": pulumi.String(stacks.GatewayClassName), "listeners": ls}},
	}, child, pulumi.DependsOn([]pulumi.Resource{g.Class}))
	if err != nil {
		return nil, err
	}
	after := pulumi.DependsOn(append([]pulumi.Resource{g.Gateway}, certs...))
	if r := redirectRoute(listeners, args.Namespace); r != nil {
		route, err := apiextensions.NewCustomResource(ctx, "route-redirect", &apiextensions.CustomResourceArgs{
			ApiVersion: pulumi.String(gatewayAPI), Kind: pulumi.String("HTTPRoute"),
			Metadata: meta(RedirectRoute, args.Namespace), OtherFields: kubernetes.UntypedArgs{"spec": r},
		}, child, after)
		if err != nil {
			return nil, err
		}
		g.Routes = append(g.Routes, route)
	}
	if args.Spec != nil {
		for _, r := range args.Spec.Routes {
			ns := r.Namespace
			if ns == "" {
				ns = args.Namespace
			}
			// Namespaces are DNS labels, without '.': the name is unique.
			route, err := apiextensions.NewCustomResource(ctx, "route-"+ns+"."+r.Name, &apiextensions.CustomResourceArgs{
				ApiVersion: pulumi.String(gatewayAPI), Kind: pulumi.String("HTTPRoute"),
				Metadata: meta(r.Name, ns), OtherFields: kubernetes.UntypedArgs{"spec": routeSpec(r, listeners, args.Namespace)},
			}, child, after)
			if err != nil {
				return nil, err
			}
			g.Routes = append(g.Routes, route)
		}
	}
	return g, ctx.RegisterResourceOutputs(g, pulumi.Map{"gateway": pulumi.String(Name), "namespace": pulumi.String(args.Namespace)})
}

// certificateSecret is the Secret (and Certificate) of an ACME listener's certificate.
func certificateSecret(listener string) string { return "orbos-tls-" + listener }

// listener is a Gateway listener. A redirect-only listener admits routes of the Gateway's own
// namespace only (its redirect and the ACME solver's); the others admit routes of every namespace
// (applications, Zitadel).
func listener(l stacks.GatewayListener, namespace string) pulumi.Map {
	from := "All"
	if l.RedirectToHTTPS {
		from = "Same"
	}
	m := pulumi.Map{
		"name": pulumi.String(l.Name), "protocol": pulumi.String(l.Protocol), "port": pulumi.Int(l.PortOr()),
		"allowedRoutes": pulumi.Map{"namespaces": pulumi.Map{"from": pulumi.String(from)}},
	}
	if l.Hostname != "" {
		m["hostname"] = pulumi.String(l.Hostname)
	}
	if t := l.TLS; t != nil {
		secret := t.CertificateRef
		if t.ACME {
			secret = certificateSecret(l.Name)
		}
		m["tls"] = pulumi.Map{"mode": pulumi.String("Terminate"), "certificateRefs": pulumi.Array{pulumi.Map{
			"kind": pulumi.String("Secret"), "name": pulumi.String(secret), "namespace": pulumi.String(namespace),
		}}}
	}
	return m
}

func parentRef(namespace, section string) pulumi.Map {
	m := pulumi.Map{
		"group": pulumi.String("gateway.networking.k8s.io"), "kind": pulumi.String("Gateway"),
		"name": pulumi.String(Name), "namespace": pulumi.String(namespace),
	}
	if section != "" {
		m["sectionName"] = pulumi.String(section)
	}
	return m
}

// redirectRoute is the spec of the HTTPRoute that answers every request on the redirect-only
// listeners with a permanent redirect to https; nil without such listeners.
func redirectRoute(listeners []stacks.GatewayListener, namespace string) pulumi.Map {
	var parents pulumi.Array
	for _, l := range listeners {
		if l.RedirectToHTTPS {
			parents = append(parents, parentRef(namespace, l.Name))
		}
	}
	if len(parents) == 0 {
		return nil
	}
	return pulumi.Map{
		"parentRefs": parents,
		"rules": pulumi.Array{pulumi.Map{"filters": pulumi.Array{pulumi.Map{
			"type":            pulumi.String("RequestRedirect"),
			"requestRedirect": pulumi.Map{"scheme": pulumi.String("https"), "statusCode": pulumi.Int(301)},
		}}}},
	}
}

// routeSpec is an HTTPRoute's spec from the spec's route.
func routeSpec(r stacks.GatewayRoute, listeners []stacks.GatewayListener, namespace string) pulumi.Map {
	var parents pulumi.Array
	for _, l := range stacks.ListenersOfRoute(r, listeners) {
		parents = append(parents, parentRef(namespace, l))
	}
	spec := pulumi.Map{"parentRefs": parents}
	if len(r.Hostnames) > 0 {
		spec["hostnames"] = pulumi.ToStringArray(r.Hostnames)
	}
	var rules pulumi.Array
	for _, rule := range r.Rules {
		rules = append(rules, ruleSpec(rule))
	}
	spec["rules"] = rules
	return spec
}

func ruleSpec(rule stacks.GatewayRouteRule) pulumi.Map {
	var matches pulumi.Array
	for _, m := range rule.Matches {
		typ := m.Type
		if typ == "" {
			typ = "PathPrefix"
		}
		matches = append(matches, pulumi.Map{"path": pulumi.Map{"type": pulumi.String(typ), "value": pulumi.String(m.Path)}})
	}
	if len(matches) == 0 {
		matches = pulumi.Array{pulumi.Map{"path": pulumi.Map{"type": pulumi.String("PathPrefix"), "value": pulumi.String("/")}}}
	}
	var backends pulumi.Array
	for _, b := range rule.Backends {
		ref := pulumi.Map{"kind": pulumi.String("Service"), "name": pulumi.String(b.Service), "port": pulumi.Int(b.Port)}
		if b.Weight != nil {
			ref["weight"] = pulumi.Int(*b.Weight)
		}
		backends = append(backends, ref)
	}
	out := pulumi.Map{"matches": matches, "backendRefs": backends}
	if rule.Timeout != "" {
		out["timeouts"] = pulumi.Map{"request": pulumi.String(rule.Timeout)}
	}
	if h := rule.RequestHeaders; h != nil {
		mod := pulumi.Map{}
		for field, m := range map[string]map[string]string{"set": h.Set, "add": h.Add} {
			var list pulumi.Array
			for _, k := range stacks.SortedKeys(m) {
				list = append(list, pulumi.Map{"name": pulumi.String(k), "value": pulumi.String(m[k])})
			}
			if len(list) > 0 {
				mod[field] = list
			}
		}
		if len(h.Remove) > 0 {
			mod["remove"] = pulumi.ToStringArray(h.Remove)
		}
		if len(mod) > 0 {
			out["filters"] = pulumi.Array{pulumi.Map{"type": pulumi.String("RequestHeaderModifier"), "requestHeaderModifier": mod}}
		}
	}
	return out
}
