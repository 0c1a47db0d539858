package stacks

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/orbos/orbos/internal/valid"
)

// GatewayName is the ORB's one Gateway (gateway.networking.k8s.io/v1), in the gateway tool's
// namespace. Everything HTTP the ORB serves attaches to it by this name: the spec's routes, the
// ACME HTTP-01 solver, Zitadel's HTTPRoute.
const GatewayName = "orbos"

// GatewayClassName is the GatewayClass of the ORB's Gateway, served by Envoy Gateway.
const GatewayClassName = "orbos"

// Protocols of a listener.
const (
	ProtocolHTTP  = "HTTP"
	ProtocolHTTPS = "HTTPS"
)

// Gateway is the gateway tool's Gateway: its listeners and the HTTPRoutes that load-balance and
// reverse-proxy to the ORB's services.
type Gateway struct {
	Hostnames []string          `yaml:"hostnames" doc:"hostnames the Gateway serves; without listeners orbos makes an HTTP listener on 80 (redirecting to HTTPS once certificates are on) and an HTTPS listener on 443 per hostname with a certificate from tools.certificates.acme"`
	Listeners []GatewayListener `yaml:"listeners" doc:"the Gateway's listeners; replaces orbos's default listeners"`
	Routes    []GatewayRoute    `yaml:"routes" doc:"HTTPRoutes attached to the Gateway"`
}

// GatewayListener is one listener of the Gateway.
type GatewayListener struct {
	Name            string       `yaml:"name" doc:"listener name, the sectionName routes attach to (lower-case letters, digits, '-' and '.')"`
	Protocol        string       `yaml:"protocol" doc:"HTTP or HTTPS"`
	Port            *int         `yaml:"port" doc:"1-65535; default 80 for HTTP, 443 for HTTPS"`
	Hostname        string       `yaml:"hostname" doc:"hostname the listener answers, e.g. app.example.com or *.example.com; empty: any"`
	RedirectToHTTPS bool         `yaml:"redirectToHTTPS" doc:"HTTP only: answer every request with a redirect to https (the ACME HTTP-01 solver still answers)"`
	TLS             *ListenerTLS `yaml:"tls" doc:"HTTPS only: where the listener's certificate comes from"`
}

// ListenerTLS is where an HTTPS listener's certificate comes from: exactly one of the two.
type ListenerTLS struct {
	ACME           bool   `yaml:"acme" doc:"a cert-manager Certificate for the listener's hostname from the ACME issuer of tools.certificates.acme"`
	CertificateRef string `yaml:"certificateRef" doc:"name of an existing kubernetes.io/tls Secret in the gateway tool's namespace"`
}

// GatewayRoute is one HTTPRoute.
type GatewayRoute struct {
	Name      string             `yaml:"name" doc:"the HTTPRoute's name"`
	Namespace string             `yaml:"namespace" doc:"namespace of the HTTPRoute and of its backend Services (must exist); default the gateway tool's"`
	Listeners []string           `yaml:"listeners" doc:"names of the listeners the route attaches to; default every listener that is not redirect-only"`
	Hostnames []string           `yaml:"hostnames" doc:"hostnames the route answers; empty: the listeners'"`
	Rules     []GatewayRouteRule `yaml:"rules" doc:"the route's rules, each matching paths and sending them to weighted backends"`
}

// GatewayRouteRule is one rule of an HTTPRoute.
type GatewayRouteRule struct {
	Matches        []PathMatch     `yaml:"matches" doc:"path matches; default every path (PathPrefix /)"`
	Backends       []RouteBackend  `yaml:"backends" doc:"Services the matched requests are balanced over, by weight"`
	Timeout        string          `yaml:"timeout" doc:"request timeout, e.g. 30s, 1m or 500ms"`
	RequestHeaders *HeaderModifier `yaml:"requestHeaders" doc:"headers set, added or removed before the request reaches a backend"`
}

// PathMatch is a path match of a rule.
type PathMatch struct {
	Path string `yaml:"path" doc:"path, starting with /"`
	Type string `yaml:"type" doc:"PathPrefix (default) or Exact"`
}

// RouteBackend is a Service a rule sends requests to.
type RouteBackend struct {
	Service string `yaml:"service" doc:"Service name in the route's namespace"`
	Port    int    `yaml:"port" doc:"Service port, 1-65535"`
	Weight  *int   `yaml:"weight" doc:"share of the requests relative to the rule's other backends, 0-1000000; default 1"`
}

// HeaderModifier rewrites request headers.
type HeaderModifier struct {
	Set    map[string]string `yaml:"set" doc:"headers replaced or added, by name"`
	Add    map[string]string `yaml:"add" doc:"headers added (appended to existing values), by name"`
	Remove []string          `yaml:"remove" doc:"header names removed"`
}

// PortOr is the listener's port, or the protocol's default.
func (l GatewayListener) PortOr() int {
	if l.Port != nil {
		return *l.Port
	}
	if l.Protocol == ProtocolHTTPS {
		return 443
	}
	return 80
}

// ListenersOf are the Gateway's listeners: the spec's, or orbos's defaults. certificates says
// whether the ORB's certificates tool is on: then the default HTTP listener only redirects, and every
// hostname gets an HTTPS listener with an ACME certificate.
func ListenersOf(g *Gateway, certificates bool) []GatewayListener {
	if g != nil && len(g.Listeners) > 0 {
		return g.Listeners
	}
	out := []GatewayListener{{Name: "http", Protocol: ProtocolHTTP, RedirectToHTTPS: certificates}}
	if !certificates || g == nil {
		return out
	}
	for _, h := range g.Hostnames {
		out = append(out, GatewayListener{Name: DefaultListenerName(h), Protocol: ProtocolHTTPS, Hostname: h, TLS: &ListenerTLS{ACME: true}})
	}
	return out
}

// DefaultListenerName is the name of the default HTTPS listener of hostname h.
func DefaultListenerName(h string) string {
	return "https-" + strings.Replace(h, "*", "wildcard", 1)
}

// ListenersOfRoute are the listeners route r attaches to: its own, or every listener that is not
// redirect-only (a route never serves plain HTTP where the spec asks for a redirect) and whose
// hostname takes one of the route's.
func ListenersOfRoute(r GatewayRoute, listeners []GatewayListener) []string {
	if len(r.Listeners) > 0 {
		return r.Listeners
	}
	var out []string
	for _, l := range listeners {
		if !l.RedirectToHTTPS && hostsMeet(l.Hostname, r.Hostnames) {
			out = append(out, l.Name)
		}
	}
	return out
}

// hostsMeet says whether a listener's hostname (empty: any) takes one of a route's hostnames
// (none: any), wildcards as the Gateway API matches them.
func hostsMeet(listener string, routes []string) bool {
	if listener == "" || len(routes) == 0 {
		return true
	}
	for _, r := range routes {
		if r == listener || strings.HasPrefix(listener, "*.") && strings.HasSuffix(r, listener[1:]) ||
			strings.HasPrefix(r, "*.") && strings.HasSuffix(listener, r[1:]) {
			return true
		}
	}
	return false
}

var (
	// Gateway API's SectionName.
	sectionName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	// Gateway API's Duration: up to four units of h, m, s or ms.
	gatewayDuration = regexp.MustCompile(`^([0-9]{1,5}(h|m|s|ms)){1,4}$`)
	// An HTTP header name (RFC 7230 token).
	headerName = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+\\-.^_`|~]{1,256}$")
	// A path: printable ASCII without white space, '#' or '?' (Gateway API's path values).
	pathValue = regexp.MustCompile(`^/[A-Za-z0-9/\-._~%!$&'()*+,;=:@]*$`)
)

// checkHostname refuses anything but an RFC 1123 host name, optionally a wildcard `*.` prefix; no IP
// addresses (Gateway API's Hostname).
func checkHostname(p, h string, e *errs) {
	rest := strings.TrimPrefix(h, "*.")
	if _, err := netip.ParseAddr(h); err == nil {
		e.add(p, nil, "%s is an IP address, not a host name like app.example.com", quoteShort(h))
		return
	}
	if reasons := valid.Subdomain(rest); len(reasons) > 0 || strings.Contains(rest, "*") {
		e.add(p, nil, "%s is not a host name like app.example.com or *.example.com", quoteShort(h))
	}
}

// validateGateway checks the gateway tool's Gateway at p. certificates and acme say whether the
// certificates tool is on and has an ACME issuer.
func validateGateway(p string, g *Gateway, certificates bool, acme *ACME, origin *OriginCertificate, e *errs) {
	seenHost := map[string]bool{}
	for i, h := range g.Hostnames {
		hp := fmt.Sprintf("%s.hostnames[%d]", p, i)
		checkHostname(hp, h, e)
		if seenHost[h] {
			e.add(hp, nil, "%s is listed twice", quoteShort(h))
		}
		seenHost[h] = true
	}
	if len(g.Listeners) == 0 && len(g.Hostnames) > 0 && certificates && acme == nil && !origin.CoversAll(g.Hostnames) {
		e.add(p+".hostnames", nil, "the default HTTPS listeners take certificates from tools.certificates.acme, which is not set: set it, or give listeners with tls.certificateRef")
	}
	listeners := ListenersOf(g, certificates)
	names := map[string]GatewayListener{}
	endpoints := map[string]string{}
	for i, l := range g.Listeners {
		lp := fmt.Sprintf("%s.listeners[%d]", p, i)
		switch {
		case l.Name == "":
			e.add(lp+".name", nil, "required")
		case !sectionName.MatchString(l.Name) || len(l.Name) > 253:
			e.add(lp+".name", nil, "%s is not a listener name (lower-case letters, digits, '-' and '.')", quoteShort(l.Name))
		case names[l.Name].Name != "":
			e.add(lp+".name", nil, "%s names two listeners", quoteShort(l.Name))
		}
		names[l.Name] = l
		if l.Port != nil {
			e.check(lp+".port", fmt.Sprint(*l.Port), valid.Port(*l.Port))
		}
		if l.Hostname != "" {
			checkHostname(lp+".hostname", l.Hostname, e)
		}
		endpoint := fmt.Sprintf("%d %s", l.PortOr(), l.Hostname)
		if other, ok := endpoints[endpoint]; ok {
			e.add(lp, nil, "listens on the port and hostname of the listener %s", quoteShort(other))
		}
		endpoints[endpoint] = l.Name
		switch l.Protocol {
		case ProtocolHTTP:
			if l.TLS != nil {
				e.add(lp+".tls", nil, "an HTTP listener has no TLS: use protocol HTTPS")
			}
		case ProtocolHTTPS:
			if l.RedirectToHTTPS {
				e.add(lp+".redirectToHTTPS", nil, "only an HTTP listener redirects to HTTPS")
			}
			validateListenerTLS(lp, l, acme, e)
		default:
			e.add(lp+".protocol", nil, "must be HTTP or HTTPS, not %s", quoteShort(l.Protocol))
		}
	}
	if len(g.Listeners) == 0 {
		for _, l := range listeners {
			names[l.Name] = l
		}
	}
	routes := map[string]bool{}
	for i, r := range g.Routes {
		validateRoute(fmt.Sprintf("%s.routes[%d]", p, i), r, listeners, names, routes, e)
	}
}

func validateListenerTLS(lp string, l GatewayListener, acme *ACME, e *errs) {
	t := l.TLS
	switch {
	case t == nil || (!t.ACME && t.CertificateRef == ""):
		e.add(lp+".tls", nil, "an HTTPS listener needs tls.acme or tls.certificateRef")
	case t.ACME && t.CertificateRef != "":
		e.add(lp+".tls", nil, "acme and certificateRef exclude each other")
	case t.ACME && acme == nil:
		e.add(lp+".tls.acme", nil, "needs tools.certificates (enabled) with acme: the issuer of the certificate")
	case t.ACME && l.Hostname == "":
		e.add(lp+".hostname", nil, "required with tls.acme: the certificate is issued for it")
	case t.ACME && strings.HasPrefix(l.Hostname, "*.") && acme.DNS01 == nil:
		e.add(lp+".hostname", nil, "a wildcard certificate needs ACME DNS-01: set tools.certificates.acme.dns01")
	case t.CertificateRef != "":
		e.check(lp+".tls.certificateRef", t.CertificateRef, valid.Subdomain(t.CertificateRef))
	}
}

func validateRoute(rp string, r GatewayRoute, all []GatewayListener, listeners map[string]GatewayListener, seen map[string]bool, e *errs) {
	if r.Name == "" {
		e.add(rp+".name", nil, "required")
	} else {
		e.check(rp+".name", r.Name, valid.Subdomain(r.Name))
	}
	if r.Namespace != "" {
		e.check(rp+".namespace", r.Namespace, valid.Name(r.Namespace))
	}
	if key := r.Namespace + "/" + r.Name; seen[key] {
		e.add(rp+".name", nil, "%s names two routes in one namespace", quoteShort(r.Name))
	} else {
		seen[key] = true
	}
	for i, name := range r.Listeners {
		l, ok := listeners[name]
		lp := fmt.Sprintf("%s.listeners[%d]", rp, i)
		switch {
		case !ok:
			e.add(lp, nil, "the Gateway has no listener %s (it has %s)", quoteShort(name), strings.Join(SortedKeys(listeners), ", "))
		case l.RedirectToHTTPS:
			e.add(lp, nil, "the listener %s only redirects to HTTPS", quoteShort(name))
		}
	}
	for i, h := range r.Hostnames {
		checkHostname(fmt.Sprintf("%s.hostnames[%d]", rp, i), h, e)
	}
	if len(r.Listeners) == 0 && len(ListenersOfRoute(r, all)) == 0 {
		e.add(rp+".hostnames", nil, "no listener of the Gateway that serves routes takes these hostnames: add listeners or hostnames")
	}
	if len(r.Rules) == 0 {
		e.add(rp+".rules", nil, "required: at least one rule with backends")
	}
	for i, rule := range r.Rules {
		validateRule(fmt.Sprintf("%s.rules[%d]", rp, i), rule, e)
	}
}

func validateRule(p string, rule GatewayRouteRule, e *errs) {
	for i, m := range rule.Matches {
		mp := fmt.Sprintf("%s.matches[%d]", p, i)
		if !pathValue.MatchString(m.Path) || len(m.Path) > 1024 {
			e.add(mp+".path", nil, "%s is not a path starting with / (no white space, '?' or '#')", quoteShort(m.Path))
		}
		if m.Type != "" && m.Type != "PathPrefix" && m.Type != "Exact" {
			e.add(mp+".type", nil, "must be PathPrefix or Exact, not %s", quoteShort(m.Type))
		}
	}
	if len(rule.Backends) == 0 {
		e.add(p+".backends", nil, "required: at least one Service")
	}
	for i, b := range rule.Backends {
		bp := fmt.Sprintf("%s.backends[%d]", p, i)
		if b.Service == "" {
			e.add(bp+".service", nil, "required")
		} else {
			e.check(bp+".service", b.Service, valid.Name(b.Service))
		}
		e.check(bp+".port", fmt.Sprint(b.Port), valid.Port(b.Port))
		if b.Weight != nil && (*b.Weight < 0 || *b.Weight > 1000000) {
			e.add(bp+".weight", nil, "must be 0 to 1000000")
		}
	}
	if rule.Timeout != "" && !gatewayDuration.MatchString(rule.Timeout) {
		e.add(p+".timeout", nil, "%s is not a duration like 30s, 1m or 500ms", quoteShort(rule.Timeout))
	}
	if h := rule.RequestHeaders; h != nil {
		for field, m := range map[string]map[string]string{"set": h.Set, "add": h.Add} {
			for _, k := range SortedKeys(m) {
				kp := join(p+".requestHeaders."+field, k)
				if !headerName.MatchString(k) {
					e.add(kp, nil, "%s is not an HTTP header name", quoteShort(k))
				}
				e.check(kp, m[k], valid.Printable(m[k], false))
			}
		}
		for i, k := range h.Remove {
			if !headerName.MatchString(k) {
				e.add(fmt.Sprintf("%s.requestHeaders.remove[%d]", p, i), nil, "%s is not an HTTP header name", quoteShort(k))
			}
		}
	}
}
