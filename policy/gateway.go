package policy

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/orbos/orbos/stacks"
)

// Types of the Gateway API objects the HTTPS policies read.
const (
	gatewayType   = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
	httpRouteType = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
)

// acmeSolverLabel marks the HTTPRoutes cert-manager makes for HTTP-01 challenges: they answer on
// plain HTTP by design.
const acmeSolverLabel = "acme.cert-manager.io/http01-solver"

// gatewayListeners are the ORB's Gateway's listeners by name, as the program makes them; nil
// while the certificates tool is off (then plain HTTP is the ORB's choice).
func (o *Input) gatewayListeners() map[string]stacks.GatewayListener {
	if !o.enabled("certificates") || !o.enabled("gateway") || !stacks.WantsGateway(o.Boom.Tools["gateway"]) {
		return nil
	}
	out := map[string]stacks.GatewayListener{}
	for _, l := range stacks.ListenersOf(o.Boom.Tools["gateway"].Gateway, true) {
		out[l.Name] = l
	}
	return out
}

// gatewayHTTPS: once certificates are on, the Gateway exposes nothing over plain HTTP: every HTTP
// listener only redirects to HTTPS, and no route of the spec attaches to an HTTP listener.
func (o *Input) gatewayHTTPS() []string {
	listeners := o.gatewayListeners()
	if listeners == nil {
		return nil
	}
	g := o.Boom.Tools["gateway"].Gateway
	all := stacks.ListenersOf(g, true)
	var out []string
	for _, l := range all {
		if l.Protocol == stacks.ProtocolHTTP && !l.RedirectToHTTPS {
			out = append(out, fmt.Sprintf("the Gateway's listener %s serves plain HTTP while BOOM's certificates tool is on: make it HTTPS, or set redirectToHTTPS", l.Name))
		}
	}
	if g != nil {
		for _, r := range g.Routes {
			for _, name := range stacks.ListenersOfRoute(r, all) {
				if l, ok := listeners[name]; ok && l.Protocol == stacks.ProtocolHTTP {
					out = append(out, fmt.Sprintf("the route %s attaches to the HTTP listener %s while BOOM's certificates tool is on: attach it to an HTTPS listener", r.Name, name))
				}
			}
		}
	}
	return out
}

// renderedPlainHTTP is gatewayHTTPS over one rendered object: an HTTP listener of a Gateway that is
// not one of the ORB Gateway's redirect-only listeners, or an HTTPRoute attached to an HTTP
// listener of the ORB's Gateway that does more than redirect to https (ACME's solver excepted).
func (o *Input) renderedPlainHTTP(r policyx.AnalyzerResource) string {
	listeners := o.gatewayListeners()
	if listeners == nil {
		return ""
	}
	name := at(r.Properties, "metadata", "name")
	switch r.Type {
	case gatewayType:
		orbs := name.IsString() && name.AsString() == stacks.GatewayName
		for _, l := range each(at(r.Properties, "spec", "listeners")) {
			if str(l, "protocol") != stacks.ProtocolHTTP {
				continue
			}
			if spec, ok := listeners[str(l, "name")]; orbs && ok && spec.RedirectToHTTPS {
				continue
			}
			return fmt.Sprintf("Gateway %s listens on plain HTTP (%s) while BOOM's certificates tool is on", r.Name, str(l, "name"))
		}
	case httpRouteType:
		if v := at(r.Properties, "metadata", "labels", acmeSolverLabel); v.IsString() || redirectsOnly(at(r.Properties, "spec", "rules")) {
			return ""
		}
		gwNS := o.Boom.Tools["gateway"].Namespace
		if gwNS == "" {
			gwNS = stacks.BoomCatalog["gateway"].Namespace
		}
		routeNS := ""
		if v := at(r.Properties, "metadata", "namespace"); v.IsString() {
			routeNS = v.AsString()
		}
		for _, p := range each(at(r.Properties, "spec", "parentRefs")) {
			ns := str(p, "namespace")
			if ns == "" {
				ns = routeNS
			}
			if str(p, "name") != stacks.GatewayName || ns != gwNS || (str(p, "kind") != "" && str(p, "kind") != "Gateway") {
				continue
			}
			section := str(p, "sectionName")
			for _, l := range stacks.ListenersOf(o.Boom.Tools["gateway"].Gateway, true) {
				// A redirect-only listener admits routes of the Gateway's namespace only.
				admitted := !l.RedirectToHTTPS || routeNS == gwNS
				if l.Protocol == stacks.ProtocolHTTP && admitted && (section == "" || section == l.Name) {
					return fmt.Sprintf("HTTPRoute %s attaches to the Gateway's HTTP listener %s while BOOM's certificates tool is on", r.Name, l.Name)
				}
			}
		}
	}
	return ""
}

// redirectsOnly says whether every rule only redirects to https.
func redirectsOnly(rules property.Value) bool {
	list := each(rules)
	if len(list) == 0 {
		return false
	}
	for _, rule := range list {
		filters := each(rule.AsMap().Get("filters"))
		if len(filters) == 0 || len(each(rule.AsMap().Get("backendRefs"))) > 0 {
			return false
		}
		for _, f := range filters {
			if scheme := at(f.AsMap(), "requestRedirect", "scheme"); str(f, "type") != "RequestRedirect" || !scheme.IsString() || scheme.AsString() != "https" {
				return false
			}
		}
	}
	return true
}

// each is the elements of an array that are maps.
func each(v property.Value) []property.Value {
	if !v.IsArray() {
		return nil
	}
	var out []property.Value
	for _, e := range v.AsArray().AsSlice() {
		if e.IsMap() {
			out = append(out, e)
		}
	}
	return out
}

// str is a map's string field, "" when it is none.
func str(v property.Value, key string) string {
	if !v.IsMap() {
		return ""
	}
	if s := v.AsMap().Get(key); s.IsString() {
		return s.AsString()
	}
	return ""
}

// secretRef is the name of an orbos:secrets entry.
var secretRef = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// namesASecret says whether a spec field is a reference to an orbos:secrets entry by name (the
// convention: a field named ...Secret whose value is a secret's name), not a secret itself: the
// spec refuses a reference to an entry the stack does not hold, so a pasted credential never gets
// this far.
func namesASecret(path, value string) bool {
	return strings.HasSuffix(path, "Secret") && secretRef.MatchString(value)
}
