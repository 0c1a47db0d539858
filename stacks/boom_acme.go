package stacks

import (
	"net/mail"
	"net/url"
	"strings"
)

// Let's Encrypt's ACME directories.
const (
	LetsEncryptProduction = "https://acme-v02.api.letsencrypt.org/directory"
	LetsEncryptStaging    = "https://acme-staging-v02.api.letsencrypt.org/directory"
)

// Names of the ClusterIssuers orbos makes, one per ACME challenge.
const (
	IssuerHTTP01 = "orbos-acme-http01"
	IssuerDNS01  = "orbos-acme-dns01"
)

// ACME is the certificates tool's ACME account: cert-manager ClusterIssuers that solve HTTP-01
// through the ORB's Gateway and DNS-01 through Cloudflare.
type ACME struct {
	Email  string     `yaml:"email" doc:"the ACME account's contact, told about expiring certificates"`
	Server string     `yaml:"server" doc:"production (default: Let's Encrypt), staging (Let's Encrypt's staging, for tests) or an https:// ACME directory URL"`
	HTTP01 bool       `yaml:"http01" doc:"solve HTTP-01 challenges through the ORB's Gateway (its HTTP listener on port 80)"`
	DNS01  *ACMEDNS01 `yaml:"dns01" doc:"solve DNS-01 challenges (needed for wildcard hostnames)"`
}

// ACMEDNS01 is the DNS provider DNS-01 challenges are solved with.
type ACMEDNS01 struct {
	Cloudflare *CloudflareDNS01 `yaml:"cloudflare" doc:"Cloudflare DNS"`
}

// CloudflareDNS01 is Cloudflare's DNS-01 solver.
type CloudflareDNS01 struct {
	APITokenSecret string `yaml:"apiTokenSecret" doc:"name of the orbos:secrets entry holding a Cloudflare API token with Zone:DNS:Edit (orbctl config set --secret orbos:secrets.NAME --from-file FILE)"`
}

// ServerURL is the ACME directory the issuers register with.
func (a *ACME) ServerURL() string {
	switch a.Server {
	case "", "production":
		return LetsEncryptProduction
	case "staging":
		return LetsEncryptStaging
	}
	return a.Server
}

// IssuerFor is the ClusterIssuer that issues a certificate for hostname h: DNS-01 for wildcards or
// when HTTP-01 is off, else HTTP-01.
func (a *ACME) IssuerFor(h string) string {
	if a.DNS01 != nil && (strings.HasPrefix(h, "*.") || !a.HTTP01) {
		return IssuerDNS01
	}
	return IssuerHTTP01
}

// validateEdge checks the gateway tool's Gateway and the certificates tool's ACME issuers, which
// depend on each other and on orbos:secrets (refuseMisplacedBlocks refuses them on other tools).
func (c *Config) validateEdge(p string, b *Boom, e *errs) {
	certs, certsOn := b.Tools["certificates"]
	certsOn = certsOn && certs.Enabled
	var acme *ACME
	if certsOn {
		acme = certs.ACME
	}
	gw, gwOn := b.Tools["gateway"]
	gwOn = gwOn && gw.Enabled && WantsGateway(gw)
	if gw.Gateway != nil {
		validateGateway(p+".tools.gateway.gateway", gw.Gateway, certsOn, acme, c.Networking.OriginOn(), e)
	}
	if a := certs.ACME; a != nil {
		c.validateACME(p+".tools.certificates.acme", a, gwOn, gw.Gateway, certsOn, e)
	}
}

func (c *Config) validateACME(p string, a *ACME, gatewayOn bool, g *Gateway, certsOn bool, e *errs) {
	if a.Email == "" {
		e.add(p+".email", nil, "required: the ACME account's contact")
	} else if addr, err := mail.ParseAddress(a.Email); err != nil || addr.Address != a.Email || addr.Name != "" {
		e.add(p+".email", nil, "%s is not an email address like ops@example.com", quoteShort(a.Email))
	}
	switch a.Server {
	case "", "production", "staging":
	default:
		if u, err := url.Parse(a.Server); err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Fragment != "" || hasDotDot(u.Path) || strings.ContainsAny(a.Server, " \t\r\n") {
			e.add(p+".server", nil, "%s is not production, staging or an https:// ACME directory URL", quoteShort(a.Server))
		}
	}
	if !a.HTTP01 && a.DNS01 == nil {
		e.add(p, nil, "needs a challenge: http01: true, dns01, or both")
	}
	if a.HTTP01 {
		if !gatewayOn {
			e.add(p+".http01", nil, "HTTP-01 is solved through the ORB's Gateway: enable tools.gateway (with Envoy Gateway's chart or a gateway block)")
		} else if HTTP01Listener(ListenersOf(g, certsOn)) == "" {
			e.add(p+".http01", nil, "HTTP-01 needs an HTTP listener on port 80 in tools.gateway.gateway.listeners")
		}
	}
	if d := a.DNS01; d != nil {
		if d.Cloudflare == nil {
			e.add(p+".dns01.cloudflare", nil, "required: the DNS provider (cloudflare)")
		} else if d.Cloudflare.APITokenSecret == "" {
			e.add(p+".dns01.cloudflare.apiTokenSecret", nil, "required: the orbos:secrets entry with the Cloudflare API token")
		} else {
			c.checkSecretRef(p+".dns01.cloudflare.apiTokenSecret", d.Cloudflare.APITokenSecret, e)
		}
	}
}

// HTTP01Listener is the listener the ACME HTTP-01 solver attaches to: the first HTTP listener on
// port 80, "" when there is none.
func HTTP01Listener(listeners []GatewayListener) string {
	for _, l := range listeners {
		if l.Protocol == ProtocolHTTP && l.PortOr() == 80 {
			return l.Name
		}
	}
	return ""
}

// GatewayOf is the gateway tool's Gateway spec of the enabled tools (nil without one), whether the
// ORB gets a Gateway at all (WantsGateway), and whether the certificates tool is on with its ACME
// spec.
func GatewayOf(tools []NamedTool) (g *Gateway, wanted, certificates bool, acme *ACME) {
	for _, t := range tools {
		switch t.Name {
		case "gateway":
			g, wanted = t.Gateway, WantsGateway(t.Tool)
		case "certificates":
			certificates, acme = true, t.ACME
		}
	}
	return g, wanted, certificates, acme
}

// WantsGateway says whether the gateway tool t gets the ORB's Gateway: when it runs Envoy Gateway's
// chart (the catalog's, from any mirror), whose CRDs and controller the Gateway needs, or when its
// spec asks for one with a gateway block. A chart of your own without the block gets none.
func WantsGateway(t Tool) bool {
	return t.Gateway != nil || t.Chart.Name == "" || t.Chart.Name == BoomCatalog["gateway"].Chart.Name
}
