package boom

import (
	"fmt"
	"slices"
	"strings"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/stacks"
)

// The Secrets holding the SSO client secret, and how each tool reads it: Argo CD resolves
// `$<secret>:<key>` in oidc.config from a Secret labelled part-of argocd; Grafana expands
// `$__env{VAR}` in its ini from an environment variable the chart fills from the Secret.
const (
	ArgoSSOSecret    = "argocd-sso"
	ArgoSSOKey       = "clientSecret"
	GrafanaSSOSecret = "dashboards-sso"
	GrafanaSSOKey    = "client-secret"
	GrafanaSSOEnv    = "GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET"
)

// ssoValues are the chart values that turn a tool's SSO on; they name the client secret's Secret,
// never its value.
func ssoValues(t stacks.NamedTool) map[string]any {
	if t.SSO == nil {
		return nil
	}
	switch t.Name {
	case "reconciling":
		return argoSSOValues(t.SSO)
	case "dashboards":
		return grafanaSSOValues(t.SSO)
	}
	return nil
}

// argoOIDC is Argo CD's oidc.config, rendered as YAML (field order as Argo CD documents it).
type argoOIDC struct {
	Name            string   `yaml:"name"`
	Issuer          string   `yaml:"issuer"`
	ClientID        string   `yaml:"clientID"`
	ClientSecret    string   `yaml:"clientSecret"`
	RequestedScopes []string `yaml:"requestedScopes"`
}

// argoSSOValues sets argocd-cm's url and oidc.config (Dex is off: Argo CD talks to the issuer
// itself) and argocd-rbac-cm's default role, group mapping and the claim groups come from.
func argoSSOValues(s *stacks.SSO) map[string]any {
	oidc, err := yaml.Marshal(argoOIDC{
		Name: s.EffectiveName(), Issuer: s.Issuer, ClientID: s.ClientID,
		ClientSecret:    "$" + ArgoSSOSecret + ":" + ArgoSSOKey,
		RequestedScopes: s.EffectiveScopes(),
	})
	if err != nil {
		panic(fmt.Sprintf("marshalling oidc.config: %v", err)) // strings and lists always marshal
	}
	var csv strings.Builder
	for _, g := range stacks.SortedKeys(s.Groups) {
		fmt.Fprintf(&csv, "g, %s, role:%s\n", g, s.Groups[g])
	}
	def := ""
	if s.DefaultRole != "" {
		def = "role:" + s.DefaultRole
	}
	return map[string]any{
		"dex": map[string]any{"enabled": false},
		"configs": map[string]any{
			"cm": map[string]any{"url": s.URL, "oidc.config": string(oidc)},
			"rbac": map[string]any{
				"policy.default": def,
				"policy.csv":     csv.String(),
				"scopes":         "[" + s.EffectiveGroupsClaim() + "]",
			},
		},
	}
}

// grafanaRoles ranks Grafana's roles: a user in several groups gets the highest.
var grafanaRoles = []string{"Admin", "Editor", "Viewer"}

// grafanaSSOValues sets grafana.ini's root_url and auth.generic_oauth, and the environment
// variable the client secret reaches Grafana by.
func grafanaSSOValues(s *stacks.SSO) map[string]any {
	ep := s.EffectiveEndpoints()
	claim := `"` + s.EffectiveGroupsClaim() + `"` // a JMESPath quoted identifier (stacks allows no '"')
	groups := stacks.SortedKeys(s.Groups)
	slices.SortStableFunc(groups, func(a, b string) int {
		return slices.Index(grafanaRoles, s.Groups[a]) - slices.Index(grafanaRoles, s.Groups[b])
	})
	var terms []string
	for _, g := range groups {
		terms = append(terms, fmt.Sprintf("contains(%s[*], '%s') && '%s'", claim, g, s.Groups[g]))
	}
	if s.DefaultRole != "" {
		terms = append(terms, "'"+s.DefaultRole+"'")
	}
	oauth := map[string]any{
		"enabled":       true,
		"name":          s.EffectiveName(),
		"client_id":     s.ClientID,
		"client_secret": "$__env{" + GrafanaSSOEnv + "}",
		"scopes":        strings.Join(s.EffectiveScopes(), " "),
		"auth_url":      ep.Authorization,
		"token_url":     ep.Token,
		"api_url":       ep.UserInfo,
		"use_pkce":      true,
		"allow_sign_up": true,
		// Without a default role a user of no mapped group is refused rather than made a Viewer.
		"role_attribute_strict": s.DefaultRole == "",
		"groups_attribute_path": claim,
		"login_attribute_path":  "preferred_username",
		"email_attribute_path":  "email",
	}
	if len(terms) > 0 {
		oauth["role_attribute_path"] = strings.Join(terms, " || ")
	}
	return map[string]any{
		"grafana.ini": map[string]any{
			"server":             map[string]any{"root_url": s.URL},
			"auth.generic_oauth": oauth,
		},
		"envValueFrom": map[string]any{
			GrafanaSSOEnv: map[string]any{"secretKeyRef": map[string]any{"name": GrafanaSSOSecret, "key": GrafanaSSOKey}},
		},
	}
}

// ssoSecret makes the Secret holding the tool's SSO client secret, from the stack secret the spec
// names.
func ssoSecret(ctx *pulumi.Context, args Args, opts []pulumi.ResourceOption) (*corev1.Secret, error) {
	t := args.Tool
	if t.SSO == nil {
		return nil, nil
	}
	v, err := stackSecret(args.StackSecret, t.SSO.ClientSecret)
	if err != nil {
		return nil, fmt.Errorf("BOOM tool %s: sso.clientSecret: %w", t.Name, err)
	}
	switch t.Name {
	case "reconciling":
		return specSecret(ctx, args, ArgoSSOSecret, map[string]string{ArgoPartOfLabel: "argocd"}, pulumi.StringMap{ArgoSSOKey: v}, opts)
	case "dashboards":
		return specSecret(ctx, args, GrafanaSSOSecret, nil, pulumi.StringMap{GrafanaSSOKey: v}, opts)
	}
	return nil, fmt.Errorf("BOOM tool %s: only reconciling and dashboards take sso", t.Name)
}

// specSecrets are the Secrets the tool's spec fields call for: Argo CD's repositories and
// credential templates, and the SSO client secret.
func specSecrets(ctx *pulumi.Context, args Args, opts []pulumi.ResourceOption) ([]*corev1.Secret, error) {
	out, err := argoCDSecrets(ctx, args, opts)
	if err != nil {
		return nil, err
	}
	s, err := ssoSecret(ctx, args, opts)
	if err != nil {
		return nil, err
	}
	if s != nil {
		out = append(out, s)
	}
	return out, nil
}
