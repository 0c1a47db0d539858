package stacks

import "strings"

// Covers says whether the origin certificate covers hostname h (exactly, or by a wildcard of one
// label).
func (o *OriginCertificate) Covers(h string) bool {
	if o == nil || h == "" {
		return false
	}
	for _, c := range o.Hostnames {
		if c == h || strings.HasPrefix(c, "*.") && !strings.HasPrefix(h, "*.") && strings.HasSuffix(h, c[1:]) && !strings.Contains(strings.TrimSuffix(h, c[1:]), ".") {
			return true
		}
	}
	return false
}

// CoversAll says whether the origin certificate covers every one of hosts: the Gateway's default
// listeners of those then need no ACME issuer.
func (o *OriginCertificate) CoversAll(hosts []string) bool {
	for _, h := range hosts {
		if !o.Covers(h) {
			return false
		}
	}
	return o != nil
}

// OriginListeners are the Gateway's listeners with the origin certificate (o, nil: none): every
// HTTPS listener whose ACME certificate it can stand for takes the Secret OriginSecretName
// instead, and each of o's hostnames without an HTTPS listener gets one (Zitadel's domain is
// served through the wildcard's).
func OriginListeners(g *Gateway, certificates bool, o *OriginCertificate) []GatewayListener {
	ls := ListenersOf(g, certificates)
	if o == nil {
		return ls
	}
	out := make([]GatewayListener, 0, len(ls)+len(o.Hostnames))
	https := map[string]bool{}
	for _, l := range ls {
		if l.Protocol == ProtocolHTTPS && l.TLS != nil && l.TLS.ACME && o.Covers(l.Hostname) {
			l.TLS = &ListenerTLS{CertificateRef: OriginSecretName}
		}
		if l.Protocol == ProtocolHTTPS {
			https[l.Hostname] = true
		}
		out = append(out, l)
	}
	for _, h := range o.Hostnames {
		if !https[h] {
			out = append(out, GatewayListener{Name: DefaultListenerName(h), Protocol: ProtocolHTTPS, Hostname: h, TLS: &ListenerTLS{CertificateRef: OriginSecretName}})
		}
	}
	return out
}
