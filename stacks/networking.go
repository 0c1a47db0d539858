package stacks

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/orbos/orbos/internal/valid"
)

// KeyOriginKey is the private key of the ORB's Cloudflare Origin CA certificate: RSA 2048 in PEM,
// generated once by orbctl with crypto/rand and encrypted in the desired state like the SSH key.
// The program derives the certificate request from it, so the key never leaves the ORB's secrets.
const KeyOriginKey = "orbos:originKey"

// OriginSecretName is the kubernetes.io/tls Secret in the gateway tool's namespace holding the
// Origin CA certificate and its key (ORBOS named it so).
const OriginSecretName = "tls-cert-wildcard"

// RulePrefix starts the description of every WAF rule orbos makes: ORBOS's operator marked its own
// rules so, and the policy pack holds them to it.
const RulePrefix = "orbos: "

// Limits of the Cloudflare API the spec is held to.
const (
	maxExpression  = 4096
	maxDescription = 500
	maxOriginHosts = 100
)

// DNS record types the spec makes.
const (
	RecordA     = "A"
	RecordAAAA  = "AAAA"
	RecordCNAME = "CNAME"
)

// FirewallActions are the actions a WAF custom rule takes.
var FirewallActions = []string{"block", "challenge", "managed_challenge", "js_challenge", "log", "skip"}

// OriginValidities are the validities in days the Origin CA issues.
var OriginValidities = []int{7, 30, 90, 365, 730, 1095, 5475}

// EdgeNetworking is the DNS and edge section, orbos:networking (Networking is the cluster network):
// the ORB's public names, WAF rules and origin certificate at Cloudflare.
type EdgeNetworking struct {
	APIVersion     string `yaml:"apiVersion" orbos:"required"`
	Provider       string `yaml:"provider" doc:"DNS provider: cloudflare (the default and only one)"`
	ZoneID         string `yaml:"zoneId" doc:"the Cloudflare zone's ID, 32 hex digits"`
	Domain         string `yaml:"domain" doc:"the zone's apex, e.g. example.com"`
	APITokenSecret string `yaml:"apiTokenSecret" doc:"stack secret (orbos:secrets.NAME) holding a Cloudflare API token scoped to the zone with Zone.DNS edit, Zone.WAF edit and Zone.SSL and Certificates edit (Origin CA)"`
	IngressAddress string `yaml:"ingressAddress" doc:"IP address or hostname of the ORB's ingress that the records point at; default the static load balancer's VIP forwarding port 443"`
	// Records are the spec's; Zitadel's domain and the gateway's hostnames inside the domain get
	// one each without being listed (RecordsOf).
	Records           []DNSRecord        `yaml:"records" doc:"DNS records; Zitadel's externalDomain and the gateway's hostnames inside the domain get records pointing at ingressAddress automatically, a record of the same name here overrides"`
	Firewall          []FirewallRule     `yaml:"firewall" doc:"WAF custom rules, made as the zone's one http_request_firewall_custom ruleset: it replaces every custom rule of the zone"`
	TakeOverRecords   bool               `yaml:"takeOverRecords" doc:"take over a record of the same name and type that exists in the zone already (Cloudflare's allowOverwrite) instead of failing on it; orbos then owns it, and a destroy deletes it"`
	OriginCertificate *OriginCertificate `yaml:"originCertificate" doc:"a Cloudflare Origin CA certificate for the domain, installed as the gateway's TLS Secret tls-cert-wildcard"`
}

// DNSRecord is one DNS record in the zone.
type DNSRecord struct {
	Name    string `yaml:"name" orbos:"required" doc:"subdomain inside the domain (e.g. id, *.apps) or @ for the apex"`
	Type    string `yaml:"type" enum:"A,AAAA,CNAME" doc:"A, AAAA or CNAME; default from content (an IPv4 address: A, IPv6: AAAA, a hostname: CNAME)"`
	Content string `yaml:"content" doc:"address or target hostname; default ingressAddress"`
	Proxied *bool  `yaml:"proxied" doc:"through Cloudflare's proxy (default true): a record that is not proxied exposes the origin's address"`
	TTL     int    `yaml:"ttl" doc:"1 (automatic, the default and the only one a proxied record takes) or 60 to 86400 seconds"`
	Comment string `yaml:"comment" doc:"comment shown in Cloudflare's dashboard"`
}

// IsProxied says whether the record goes through Cloudflare's proxy.
func (r DNSRecord) IsProxied() bool { return r.Proxied == nil || *r.Proxied }

// FirewallRule is one WAF custom rule.
type FirewallRule struct {
	Description string `yaml:"description" orbos:"required" doc:"what the rule is for; orbos prefixes it with \"orbos: \""`
	Expression  string `yaml:"expression" orbos:"required" doc:"the rule's expression in Cloudflare's Rules language, e.g. (ip.geoip.country eq \"XX\")"`
	Action      string `yaml:"action" orbos:"required" enum:"block,challenge,managed_challenge,js_challenge,log,skip" doc:"block, challenge, managed_challenge, js_challenge, log, or skip (the rules after it, for requests it matches)"`
	Enabled     *bool  `yaml:"enabled" doc:"default true"`
}

// IsEnabled says whether the rule is on.
func (r FirewallRule) IsEnabled() bool { return r.Enabled == nil || *r.Enabled }

// OriginCertificate is the Origin CA certificate of the ORB's domain.
type OriginCertificate struct {
	Enabled   bool     `yaml:"enabled" doc:"request the certificate and install it at the gateway"`
	Hostnames []string `yaml:"hostnames" doc:"hostnames it covers, inside the domain; default *.DOMAIN and DOMAIN"`
	// ValidityDays defaults to 365, not the Origin CA's 5475 (15 years): orbos renews the
	// certificate by itself (renewBeforeDays), so a short life costs nothing, exercises the
	// renewal every year rather than once in 15, and lets a certificate of hostnames the ORB
	// dropped lapse within a year.
	ValidityDays    int `yaml:"validityDays" doc:"7, 30, 90, 365 (default), 730, 1095 or 5475"`
	RenewBeforeDays int `yaml:"renewBeforeDays" doc:"days before expiry the next up renews it; default 30"`
}

var (
	zoneID = regexp.MustCompile(`^[0-9a-f]{32}$`)
	// A record name inside the zone: @, or DNS labels, the first of which may be *.
	recordName = regexp.MustCompile(`^(@|(\*|[a-z0-9_]([-a-z0-9_]*[a-z0-9])?)(\.[a-z0-9_]([-a-z0-9_]*[a-z0-9])?)*)$`)
)

// OriginOn returns the origin certificate's spec when it is enabled, else nil.
func (n *EdgeNetworking) OriginOn() *OriginCertificate {
	if n == nil || n.OriginCertificate == nil || !n.OriginCertificate.Enabled {
		return nil
	}
	return n.OriginCertificate
}

func (n *EdgeNetworking) applyDefaults(c *Config) {
	if n.Provider == "" {
		n.Provider = "cloudflare"
	}
	if n.IngressAddress == "" {
		n.IngressAddress = defaultIngress(c.Orbiter.LoadBalancing)
	}
	for i := range n.Records {
		r := &n.Records[i]
		if r.Content == "" {
			r.Content = n.IngressAddress
		}
		if r.Type == "" {
			r.Type = recordType(r.Content)
		}
		if r.TTL == 0 {
			r.TTL = 1
		}
	}
	if o := n.OriginCertificate; o != nil {
		if len(o.Hostnames) == 0 && n.Domain != "" {
			o.Hostnames = []string{"*." + n.Domain, n.Domain}
		}
		if o.ValidityDays == 0 {
			o.ValidityDays = 365
		}
		if o.RenewBeforeDays == 0 {
			o.RenewBeforeDays = 30
		}
	}
}

// defaultIngress is the address of the static load balancer's VIP that forwards port 443 (the
// gateway's HTTPS), "" without one: GCE reserves its addresses only at up.
func defaultIngress(lb *LoadBalancing) string {
	if lb == nil {
		return ""
	}
	for _, v := range lb.VIPs {
		for _, t := range v.Transports {
			if t.FrontendPort == 443 && v.IP != "" {
				return v.IP
			}
		}
	}
	return ""
}

// recordType is the type of a record pointing at content: A for IPv4, AAAA for IPv6, else CNAME.
func recordType(content string) string {
	if a, err := netip.ParseAddr(content); err == nil {
		if a.Is4() {
			return RecordA
		}
		return RecordAAAA
	}
	return RecordCNAME
}

// RecordName is the name of hostname h's record inside domain: "@" for the apex, the labels before
// the domain otherwise; ok is false for a hostname outside the domain.
func RecordName(h, domain string) (name string, ok bool) {
	if h == domain {
		return "@", true
	}
	if domain != "" && strings.HasSuffix(h, "."+domain) {
		return strings.TrimSuffix(h, "."+domain), true
	}
	return "", false
}

// RecordsOf are the records the ORB gets: one per hostname inside the domain that Zitadel and the
// gateway serve, pointing at the ingress, proxied, then the spec's, each replacing an automatic one
// of the same name. Order: the automatic ones by hostname, then the spec's.
func (c *Config) RecordsOf() []DNSRecord {
	n := c.Networking
	if n == nil {
		return nil
	}
	own := map[string]bool{}
	for _, r := range n.Records {
		own[r.Name] = true
	}
	var out []DNSRecord
	seen := map[string]bool{}
	for _, h := range c.servedHostnames() {
		name, ok := RecordName(h, n.Domain)
		if !ok || own[name] || seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, DNSRecord{Name: name, Type: recordType(n.IngressAddress), Content: n.IngressAddress, TTL: 1,
			Comment: "orbos: " + h})
	}
	return append(out, n.Records...)
}

// servedHostnames are the hostnames the ORB serves: Zitadel's domain and the gateway's hostnames
// (its hostnames and the hostnames of its listeners), sorted.
func (c *Config) servedHostnames() []string {
	set := map[string]bool{}
	if z := c.Zitadel; z != nil && z.Enabled && z.ExternalDomain != "" {
		set[z.ExternalDomain] = true
	}
	if c.Boom != nil {
		if t, ok := c.Boom.Tools["gateway"]; ok && t.Enabled && t.Gateway != nil {
			for _, h := range t.Gateway.Hostnames {
				set[h] = true
			}
			for _, l := range t.Gateway.Listeners {
				if l.Hostname != "" {
					set[l.Hostname] = true
				}
			}
		}
	}
	return SortedKeys(set)
}

func (c *Config) validateNetworking(e *errs) {
	n := c.Networking
	if n == nil {
		return
	}
	p := "config." + KeyNetworking
	checkSection(p, n.APIVersion, e)
	if n.Provider != "cloudflare" {
		e.add(p+".provider", nil, "must be cloudflare, not %s", quoteShort(n.Provider))
	}
	if !zoneID.MatchString(n.ZoneID) {
		e.add(p+".zoneId", nil, "%s is not a Cloudflare zone ID (32 lower-case hex digits, on the zone's overview page)", quoteShort(n.ZoneID))
	}
	if n.Domain == "" {
		e.add(p+".domain", nil, "required: the zone's apex, like example.com")
	} else {
		checkDomain(p+".domain", n.Domain, e)
	}
	if n.APITokenSecret == "" {
		e.add(p+".apiTokenSecret", nil, "required: the stack secret holding a Cloudflare API token scoped to the zone")
	}
	c.checkSecretRef(p+".apiTokenSecret", n.APITokenSecret, e)
	if n.IngressAddress != "" {
		checkTarget(p+".ingressAddress", n.IngressAddress, e)
	}
	records := c.RecordsOf()
	if n.IngressAddress == "" {
		for _, r := range records {
			if r.Content == "" {
				e.add(p+".ingressAddress", nil, "required: record %s points at the ORB's ingress, and the spec has no static load-balancer VIP forwarding port 443 to take its address from", r.Name)
				break
			}
		}
	}
	seen := map[string]bool{}
	for i, r := range n.Records {
		rp := fmt.Sprintf("%s.records[%d]", p, i)
		if rel, ok := RecordName(r.Name, n.Domain); ok {
			// A full name would not override the automatic record of the same host.
			e.add(rp+".name", nil, "%s is a full name: write it inside the domain, as %s", quoteShort(r.Name), rel)
			continue
		}
		validateRecord(rp, r, n.IngressAddress, seen, e)
	}
	for i, r := range n.Firewall {
		validateFirewallRule(fmt.Sprintf("%s.firewall[%d]", p, i), r, e)
	}
	if o := n.OriginCertificate; o != nil && domainRE.MatchString(n.Domain) {
		validateOrigin(p+".originCertificate", o, n.Domain, e)
		if o.Enabled && !c.toolOn("gateway") {
			e.add(p+".originCertificate.enabled", nil, "the certificate is installed at the ORB's gateway: enable %s.tools.gateway", KeyBoom)
		}
	}
	if c.OriginKey.Plaintext {
		e.add("config."+KeyOriginKey, nil, "is in plaintext: the origin certificate's key must be encrypted; remove it and orbctl generates one")
	}
}

// checkTarget refuses what is neither an IP address nor a DNS hostname.
func checkTarget(p, v string, e *errs) {
	if a, err := netip.ParseAddr(v); err == nil {
		if a.Zone() != "" || a.IsUnspecified() || a.IsLoopback() {
			e.add(p, nil, "%s is not a public address", quoteShort(v))
		}
		return
	}
	checkDomain(p, v, e)
}

func validateRecord(p string, r DNSRecord, ingress string, seen map[string]bool, e *errs) {
	if !recordName.MatchString(r.Name) || len(r.Name) > 200 {
		e.add(p+".name", nil, "%s is not a subdomain inside the domain (like id or *.apps) or @", quoteShort(r.Name))
	} else if seen[r.Name] {
		e.add(p+".name", nil, "%s is named twice", quoteShort(r.Name))
	}
	seen[r.Name] = true
	// Content taken from the ingress address is refused there, once.
	if r.Content != "" && r.Content != ingress {
		switch r.Type {
		case RecordA, RecordAAAA:
			a, err := netip.ParseAddr(r.Content)
			if err != nil || a.Is4() != (r.Type == RecordA) || a.Zone() != "" {
				e.add(p+".content", nil, "%s is not an IPv%s address, which a %s record holds", quoteShort(r.Content), map[bool]string{true: "4", false: "6"}[r.Type == RecordA], r.Type)
			}
		case RecordCNAME:
			checkDomain(p+".content", r.Content, e)
		}
	}
	switch r.Type {
	case RecordA, RecordAAAA, RecordCNAME:
	default:
		e.add(p+".type", nil, "must be A, AAAA or CNAME, not %s", quoteShort(r.Type))
	}
	switch {
	case r.TTL != 1 && (r.TTL < 60 || r.TTL > 86400):
		e.add(p+".ttl", nil, "must be 1 (automatic) or 60 to 86400 seconds, not %d", r.TTL)
	case r.TTL != 1 && r.IsProxied():
		e.add(p+".ttl", nil, "a proxied record's TTL is automatic: use 1, or set proxied: false")
	}
	e.check(p+".comment", r.Comment, valid.Printable(r.Comment, false))
	if len(r.Comment) > 100 {
		e.add(p+".comment", nil, "at most 100 characters")
	}
}

func validateFirewallRule(p string, r FirewallRule, e *errs) {
	if r.Description == "" {
		e.add(p+".description", nil, "required: what the rule is for")
	}
	e.check(p+".description", r.Description, valid.Printable(r.Description, false))
	if len(RulePrefix+r.Description) > maxDescription {
		e.add(p+".description", nil, "at most %d characters", maxDescription-len(RulePrefix))
	}
	if reason := expressionProblem(r.Expression); reason != "" {
		e.add(p+".expression", nil, "%s", reason)
	}
	ok := false
	for _, a := range FirewallActions {
		ok = ok || r.Action == a
	}
	if !ok {
		e.add(p+".action", nil, "must be one of %s, not %s", strings.Join(FirewallActions, ", "), quoteShort(r.Action))
	}
}

// expressionProblem says what is wrong with a rule expression, "" for nothing orbos can see:
// Cloudflare parses the Rules language itself; orbos refuses empty, overlong and unprintable
// expressions and unbalanced quotes, parentheses, brackets and braces before anything is sent.
func expressionProblem(x string) string {
	if strings.TrimSpace(x) == "" {
		return "required: an expression like (ip.geoip.country eq \"XX\")"
	}
	if len(x) > maxExpression {
		return "at most 4096 characters"
	}
	for _, r := range x {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return "holds a control character"
		}
	}
	var stack []rune
	closer := map[rune]rune{')': '(', ']': '[', '}': '{'}
	inString, escaped := false, false
	for _, r := range x {
		switch {
		case inString && escaped:
			escaped = false
		case inString && r == '\\':
			escaped = true
		case r == '"':
			inString = !inString
		case inString:
		case r == '(' || r == '[' || r == '{':
			stack = append(stack, r)
		case closer[r] != 0:
			if len(stack) == 0 || stack[len(stack)-1] != closer[r] {
				return "has an unbalanced " + string(r)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if inString {
		return "has an unterminated string (\")"
	}
	if len(stack) > 0 {
		return "has an unclosed " + string(stack[len(stack)-1])
	}
	return ""
}

func validateOrigin(p string, o *OriginCertificate, domain string, e *errs) {
	if len(o.Hostnames) > maxOriginHosts {
		e.add(p+".hostnames", nil, "at most %d hostnames", maxOriginHosts)
	}
	seen := map[string]bool{}
	for i, h := range o.Hostnames {
		hp := fmt.Sprintf("%s.hostnames[%d]", p, i)
		bare := strings.TrimPrefix(h, "*.")
		if reasons := valid.Subdomain(bare); len(reasons) > 0 {
			e.check(hp, h, reasons)
			continue
		}
		if _, ok := RecordName(bare, domain); !ok {
			e.add(hp, nil, "%s is not inside the domain %s", quoteShort(h), domain)
		}
		if seen[h] {
			e.add(hp, nil, "%s is listed twice", quoteShort(h))
		}
		seen[h] = true
	}
	ok := false
	for _, v := range OriginValidities {
		ok = ok || o.ValidityDays == v
	}
	if !ok {
		e.add(p+".validityDays", nil, "must be 7, 30, 90, 365, 730, 1095 or 5475 (what the Origin CA issues), not %d", o.ValidityDays)
	}
	if o.RenewBeforeDays < 1 || o.RenewBeforeDays >= o.ValidityDays {
		e.add(p+".renewBeforeDays", nil, "must be 1 or more and less than validityDays (%d)", o.ValidityDays)
	}
}
