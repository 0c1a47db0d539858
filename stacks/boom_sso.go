package stacks

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/orbos/orbos/internal/valid"
)

// SSO is single sign-on through an OpenID Connect issuer (usually the ORB's Zitadel) for a tool
// with a web UI: Argo CD (reconciling) and Grafana (dashboards). The client secret is the name of
// a stack secret; the program puts it into a Secret the tool reads, never into chart values.
type SSO struct {
	Issuer       string `yaml:"issuer" orbos:"required" doc:"the OpenID Connect issuer, an https:// URL, e.g. https://id.example.com (Zitadel)"`
	ClientID     string `yaml:"clientID" orbos:"required" doc:"the OAuth client ID the issuer gave the tool's application"`
	ClientSecret string `yaml:"clientSecret" orbos:"required" doc:"name of the stack secret (orbos:secrets.NAME) holding the client secret"`
	URL          string `yaml:"url" orbos:"required" doc:"the tool's own https:// URL, which the issuer redirects back to, e.g. https://argocd.example.com"`
	Name         string `yaml:"name" doc:"what the login button says; default SSO"`
	// Scopes default to openid, profile and email; the groups claim may need one more.
	Scopes      []string `yaml:"scopes" doc:"scopes requested from the issuer; default [openid, profile, email]"`
	GroupsClaim string   `yaml:"groupsClaim" doc:"the ID token claim listing the user's groups; default groups"`
	// DefaultRole applies to users of no mapped group; empty: they get no access.
	DefaultRole string            `yaml:"defaultRole" doc:"role of a signed-in user in none of the groups below (Argo CD: admin or readonly; Grafana: Admin, Editor or Viewer); empty: no access"`
	Groups      map[string]string `yaml:"groups" doc:"group (from the groups claim) to role, in the tool's roles (Argo CD: admin, readonly; Grafana: Admin, Editor, Viewer)"`
	Endpoints   *SSOEndpoints     `yaml:"endpoints" doc:"Grafana only: the issuer's OAuth endpoints; default Zitadel's paths under the issuer"`
}

// SSOEndpoints are an issuer's OAuth endpoints, for tools that do not read the issuer's discovery
// document (Grafana's generic OAuth).
type SSOEndpoints struct {
	Authorization string `yaml:"authorization" doc:"authorization endpoint; default ISSUER/oauth/v2/authorize"`
	Token         string `yaml:"token" doc:"token endpoint; default ISSUER/oauth/v2/token"`
	UserInfo      string `yaml:"userInfo" doc:"userinfo endpoint; default ISSUER/oidc/v1/userinfo"`
}

// DefaultSSOScopes are requested when the spec names none.
var DefaultSSOScopes = []string{"openid", "profile", "email"}

// EffectiveScopes are the spec's scopes or the default ones.
func (s *SSO) EffectiveScopes() []string {
	if len(s.Scopes) > 0 {
		return s.Scopes
	}
	return DefaultSSOScopes
}

// EffectiveGroupsClaim is the spec's groups claim or "groups".
func (s *SSO) EffectiveGroupsClaim() string {
	if s.GroupsClaim != "" {
		return s.GroupsClaim
	}
	return "groups"
}

// EffectiveName is the login button's label.
func (s *SSO) EffectiveName() string {
	if s.Name != "" {
		return s.Name
	}
	return "SSO"
}

// EffectiveEndpoints are the spec's endpoints, each defaulting to Zitadel's path under the issuer.
func (s *SSO) EffectiveEndpoints() SSOEndpoints {
	base := strings.TrimSuffix(s.Issuer, "/")
	out := SSOEndpoints{Authorization: base + "/oauth/v2/authorize", Token: base + "/oauth/v2/token", UserInfo: base + "/oidc/v1/userinfo"}
	if e := s.Endpoints; e != nil {
		if e.Authorization != "" {
			out.Authorization = e.Authorization
		}
		if e.Token != "" {
			out.Token = e.Token
		}
		if e.UserInfo != "" {
			out.UserInfo = e.UserInfo
		}
	}
	return out
}

// ssoRoles are the roles each tool with SSO knows, as its configuration spells them.
var ssoRoles = map[string][]string{
	"reconciling": {"admin", "readonly"},
	"dashboards":  {"Admin", "Editor", "Viewer"},
}

var (
	// OAuth client IDs: Zitadel's are digits@project; others use letters, dots and dashes.
	clientID = regexp.MustCompile(`^[A-Za-z0-9._@:-]{1,255}$`)
	// Scopes as issuers name them (Zitadel's are URNs); no character that ini, CSV or YAML treat
	// specially.
	scopeRE = regexp.MustCompile(`^[A-Za-z0-9:._/-]{1,200}$`)
	// A claim name: rendered into a JMESPath quoted identifier and Argo CD's scopes list.
	claimRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_:./-]{0,127}$`)
	// A group name: rendered into Argo CD's policy.csv and a JMESPath string literal, so no comma,
	// quote, backslash or white space.
	groupRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:@/+=-]{0,127}$`)
	// A login button's label.
	ssoName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._-]{0,39}$`)
)

func (c *Config) validateSSO(p, tool string, s *SSO, e *errs) {
	roles := ssoRoles[tool]
	if s.Issuer != "" {
		if reason := httpsURL(s.Issuer); reason != "" {
			e.add(p+".issuer", nil, "%s %s", quoteShort(s.Issuer), reason)
		}
	}
	if s.URL != "" {
		if reason := httpsURL(s.URL); reason != "" {
			e.add(p+".url", nil, "%s %s", quoteShort(s.URL), reason)
		}
	}
	if s.ClientID != "" && !clientID.MatchString(s.ClientID) {
		e.add(p+".clientID", nil, "%s is not a client ID (letters, digits, '.', '_', '@', ':' and '-')", quoteShort(s.ClientID))
	}
	c.checkSecretRef(p+".clientSecret", s.ClientSecret, e)
	if s.Name != "" && !ssoName.MatchString(s.Name) {
		e.add(p+".name", nil, "%s is not a label of at most 40 letters, digits, spaces, '.', '_' and '-'", quoteShort(s.Name))
	}
	for i, sc := range s.Scopes {
		if !scopeRE.MatchString(sc) {
			e.add(fmt.Sprintf("%s.scopes[%d]", p, i), nil, "%s is not a scope (letters, digits, ':', '.', '_', '/' and '-')", quoteShort(sc))
		}
	}
	if len(s.Scopes) > 0 && !slices.Contains(s.Scopes, "openid") {
		e.add(p+".scopes", nil, "must include openid")
	}
	if s.GroupsClaim != "" && !claimRE.MatchString(s.GroupsClaim) {
		e.add(p+".groupsClaim", nil, "%s is not a claim name (a letter, then letters, digits, '_', ':', '.', '/' and '-')", quoteShort(s.GroupsClaim))
	}
	if s.DefaultRole != "" && !slices.Contains(roles, s.DefaultRole) {
		e.add(p+".defaultRole", nil, "%s is not one of %s's roles: %s", quoteShort(s.DefaultRole), tool, strings.Join(roles, ", "))
	}
	for _, g := range SortedKeys(s.Groups) {
		gp := join(p+".groups", g)
		if !groupRE.MatchString(g) {
			e.add(gp, nil, "%s is not a group name (letters, digits and _.:@/+=-, no spaces, quotes or commas)", quoteShort(g))
			continue
		}
		if r := s.Groups[g]; !slices.Contains(roles, r) {
			e.add(gp, nil, "%s is not one of %s's roles: %s", quoteShort(r), tool, strings.Join(roles, ", "))
		}
	}
	if ep := s.Endpoints; ep != nil {
		if tool != "dashboards" {
			e.add(p+".endpoints", nil, "only Grafana (dashboards) takes endpoints: Argo CD reads the issuer's discovery document")
		}
		for field, v := range map[string]string{"authorization": ep.Authorization, "token": ep.Token, "userInfo": ep.UserInfo} {
			if v == "" {
				continue
			}
			if reason := httpsURL(v); reason != "" {
				e.add(p+".endpoints."+field, nil, "%s %s", quoteShort(v), reason)
			}
		}
	}
}

// httpsURL returns why u is not an https:// URL of a host and an optional path ("" when it is
// one).
func httpsURL(u string) string {
	parsed, err := url.Parse(u)
	switch {
	case err != nil || parsed.Scheme != "https":
		return "is not an https:// URL"
	case parsed.Host == "" || parsed.User != nil || parsed.RawQuery != "" || parsed.Fragment != "" || parsed.Opaque != "" || strings.HasSuffix(u, "?") || strings.HasSuffix(u, "#"):
		return "must be a host and a path, without credentials, query or fragment"
	case len(valid.Printable(u, true)) > 0 || hasDotDot(parsed.Path):
		return "must not contain white space, control characters or '..'"
	}
	return ""
}
