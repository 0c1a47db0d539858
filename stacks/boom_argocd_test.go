package stacks

import (
	"strings"
	"testing"
)

// accessFile is a spec whose reconciling and dashboards tools carry the given fields, with the stack
// secrets git-token, git-password, deploy-key and oidc-secret held.
func accessFile(t *testing.T, reconciling, dashboards string) string {
	t.Helper()
	return boomFile(t, `  orbos:boom:
    apiVersion: orbos.io/v1alpha1
    tools:
      reconciling: {enabled: true, `+reconciling+`}
      dashboards: {enabled: true, `+dashboards+`}
  orbos:secrets:
    git-token: {secure: v1:abc}
    git-password: {secure: v1:abd}
    deploy-key: {secure: v1:abe}
    oidc-secret: {secure: v1:abf}
`)
}

const okSSO = `sso: {issuer: "https://id.example.com", clientID: "1234@orbos", clientSecret: oidc-secret, url: "https://argocd.example.com"`

// Every field of argocd: and sso: that reaches a Secret or a tool's configuration has a rule; each
// case breaks one and names the paths refused.
func TestArgoCDAndSSOFieldsAreChecked(t *testing.T) {
	const rp = "config.orbos:boom.tools.reconciling"
	const dp = "config.orbos:boom.tools.dashboards"
	repo := func(fields string) string { return "argocd: {repositories: [{name: platform, " + fields + "}]}" }
	tmpl := func(fields string) string { return "argocd: {credentialTemplates: [{name: github, " + fields + "}]}" }
	sso := func(fields string) string { return okSSO + fields + "}" }
	cases := []struct {
		name, reconciling, dashboards string
		want                          []string
	}{
		{"https repository with a token", repo(`url: "https://github.com/example/platform.git", project: default, credentials: {tokenSecret: git-token}`), "", nil},
		{"public helm repository", repo(`url: "https://charts.example.com/stable", type: helm`), "", nil},
		{"ssh repository", repo(`url: "ssh://git@github.com/example/platform.git", credentials: {sshPrivateKeySecret: deploy-key}`), "", nil},
		{"scp-like repository", repo(`url: "git@github.com:example/platform.git", credentials: {sshPrivateKeySecret: deploy-key}`), "", nil},
		{"username and password", repo(`url: "https://git.example.com/platform", credentials: {username: ci-bot, passwordSecret: git-password}`), "", nil},
		{"template", tmpl(`url: "https://github.com/example", credentials: {tokenSecret: git-token}`), "", nil},
		{"repository without name or url", "argocd: {repositories: [{type: git}]}", "", []string{rp + ".argocd.repositories[0].name", rp + ".argocd.repositories[0].url"}},
		{"repository over http", repo(`url: "http://git.example.com/x"`), "", []string{rp + ".argocd.repositories[0].url"}},
		{"repository url with credentials", repo(`url: "https://user:pw@git.example.com/x"`), "", []string{rp + ".argocd.repositories[0].url"}},
		{"repository url with a newline", repo(`url: "https://git.example.com/x\ny"`), "", []string{rp + ".argocd.repositories[0].url"}},
		{"repository from a file", repo(`url: "file:///etc/passwd"`), "", []string{rp + ".argocd.repositories[0].url"}},
		{"ssh url with a password", repo(`url: "ssh://git:pw@github.com/x"`), "", []string{rp + ".argocd.repositories[0].url"}},
		{"helm over ssh", repo(`url: "git@github.com:x/y", type: helm`), "", []string{rp + ".argocd.repositories[0].url"}},
		{"unknown type", repo(`url: "https://github.com/x", type: oci`), "", []string{rp + ".argocd.repositories[0].type"}},
		{"bad name", "argocd: {repositories: [{name: Platform_1, url: \"https://github.com/x\"}]}", "", []string{rp + ".argocd.repositories[0].name"}},
		{"duplicate name", `argocd: {repositories: [{name: a, url: "https://github.com/x"}, {name: a, url: "https://github.com/y"}]}`, "", []string{rp + ".argocd.repositories[1].name"}},
		{"bad project", repo(`url: "https://github.com/x", project: "Team A"`), "", []string{rp + ".argocd.repositories[0].project"}},
		{"token from a secret the file lacks", repo(`url: "https://github.com/x", credentials: {tokenSecret: other}`), "", []string{rp + ".argocd.repositories[0].credentials.tokenSecret"}},
		{"two kinds of credentials", repo(`url: "https://github.com/x", credentials: {tokenSecret: git-token, username: a, passwordSecret: git-password}`), "", []string{rp + ".argocd.repositories[0].credentials"}},
		{"no credential", repo(`url: "https://github.com/x", credentials: {username: a}`), "", []string{rp + ".argocd.repositories[0].credentials"}},
		{"password without username", repo(`url: "https://github.com/x", credentials: {passwordSecret: git-password}`), "", []string{rp + ".argocd.repositories[0].credentials.username"}},
		{"username with a colon", repo(`url: "https://github.com/x", credentials: {username: "a:b", passwordSecret: git-password}`), "", []string{rp + ".argocd.repositories[0].credentials.username"}},
		{"token over ssh", repo(`url: "git@github.com:x/y", credentials: {tokenSecret: git-token}`), "", []string{rp + ".argocd.repositories[0].credentials"}},
		{"ssh key over https", repo(`url: "https://github.com/x", credentials: {sshPrivateKeySecret: deploy-key}`), "", []string{rp + ".argocd.repositories[0].credentials.sshPrivateKeySecret"}},
		{"template without credentials", tmpl(`url: "https://github.com/example"`), "", []string{rp + ".argocd.credentialTemplates[0].credentials", rp + ".argocd.credentialTemplates[0].credentials"}},
		{"template url", tmpl(`url: "https://github.com/a b", credentials: {tokenSecret: git-token}`), "", []string{rp + ".argocd.credentialTemplates[0].url"}},
		{"application", `argocd: {repositories: [{name: platform, url: "https://github.com/x"}], applications: [{name: web, repository: platform, path: apps/web, revision: v1.2.0, namespace: web, project: default, automated: true}]}`, "", nil},
		{"application without its fields", `argocd: {applications: [{path: x}]}`, "", []string{rp + ".argocd.applications[0].name", rp + ".argocd.applications[0].repository", rp + ".argocd.applications[0].namespace"}},
		{"application of an unknown repository", `argocd: {applications: [{name: web, repository: other, namespace: web}]}`, "", []string{rp + ".argocd.applications[0].repository"}},
		{"application of a helm repository", `argocd: {repositories: [{name: charts, url: "https://charts.example.com", type: helm}], applications: [{name: web, repository: charts, namespace: web}]}`, "", []string{rp + ".argocd.applications[0].repository"}},
		{"application fields", `argocd: {repositories: [{name: platform, url: "https://github.com/x"}], applications: [{name: Web, repository: platform, path: "../x", revision: "a b", namespace: "We b", project: "P"}, {name: ok, repository: platform, namespace: ok}, {name: ok, repository: platform, namespace: ok}]}`, "", []string{
			rp + ".argocd.applications[0].name", rp + ".argocd.applications[0].path", rp + ".argocd.applications[0].revision", rp + ".argocd.applications[0].namespace", rp + ".argocd.applications[0].project", rp + ".argocd.applications[2].name"}},
		{"argocd on another tool", "", `argocd: {repositories: []}`, []string{dp + ".argocd"}},
		{"unknown argocd field", "argocd: {projects: []}", "", []string{rp + ".argocd.projects"}},

		{"sso for both", sso(`, scopes: [openid, profile, email, "urn:zitadel:iam:org:projects:roles"], defaultRole: readonly, groups: {platform-admins: admin}`),
			sso(`, defaultRole: Viewer, groups: {platform-admins: Admin, developers: Editor}, endpoints: {token: "https://id.example.com/oauth/v2/token"}`), nil},
		{"sso without its required fields", "sso: {name: Zitadel}", "", []string{rp + ".sso.issuer", rp + ".sso.clientID", rp + ".sso.clientSecret", rp + ".sso.url"}},
		{"issuer over http", `sso: {issuer: "http://id.example.com", clientID: a, clientSecret: oidc-secret, url: "https://argocd.example.com"}`, "", []string{rp + ".sso.issuer"}},
		{"issuer with a query", `sso: {issuer: "https://id.example.com?x=1", clientID: a, clientSecret: oidc-secret, url: "https://argocd.example.com"}`, "", []string{rp + ".sso.issuer"}},
		{"tool url over http", `sso: {issuer: "https://id.example.com", clientID: a, clientSecret: oidc-secret, url: "http://argocd.example.com"}`, "", []string{rp + ".sso.url"}},
		{"client ID with a quote", `sso: {issuer: "https://id.example.com", clientID: "a'b", clientSecret: oidc-secret, url: "https://argocd.example.com"}`, "", []string{rp + ".sso.clientID"}},
		{"client secret not held", `sso: {issuer: "https://id.example.com", clientID: a, clientSecret: other, url: "https://argocd.example.com"}`, "", []string{rp + ".sso.clientSecret"}},
		{"scope with a space", sso(`, scopes: [openid, "a b"]`), "", []string{rp + ".sso.scopes[1]"}},
		{"scopes without openid", sso(`, scopes: [profile]`), "", []string{rp + ".sso.scopes"}},
		{"groups claim with a quote", sso(`, groupsClaim: "gr\"oups"`), "", []string{rp + ".sso.groupsClaim"}},
		{"group with a comma", sso(`, groups: {"a,b": admin}`), "", []string{rp + `.sso.groups["a,b"]`}},
		{"argo role of grafana", sso(`, groups: {admins: Admin}`), "", []string{rp + ".sso.groups.admins"}},
		{"grafana role of argo", "", sso(`, defaultRole: readonly`), []string{dp + ".sso.defaultRole"}},
		{"endpoints on argo", sso(`, endpoints: {token: "https://id.example.com/t"}`), "", []string{rp + ".sso.endpoints"}},
		{"endpoint over http", "", sso(`, endpoints: {userInfo: "http://id.example.com/u"}`), []string{dp + ".sso.endpoints.userInfo"}},
		{"label with a newline", sso(`, name: "a\nb"`), "", []string{rp + ".sso.name"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("demo", []byte(accessFile(t, c.reconciling, c.dashboards)))
			assertPaths(t, err, c.want)
		})
	}
}

// sso on a tool without a web UI orbos signs into is refused by path.
func TestSSOOnlyOnToolsThatTakeIt(t *testing.T) {
	raw := boomFile(t, `  orbos:boom:
    apiVersion: orbos.io/v1alpha1
    tools:
      metrics: {enabled: true, `+okSSO+`}}
  orbos:secrets:
    oidc-secret: {secure: v1:abf}
`)
	_, err := Parse("demo", []byte(raw))
	assertPaths(t, err, []string{"config.orbos:boom.tools.metrics.sso"})
}

// The defaults a spec leaves out: scopes, claim, label, Zitadel's endpoints, the token's user.
func TestSSOAndCredentialDefaults(t *testing.T) {
	s := &SSO{Issuer: "https://id.example.com/"}
	if got := strings.Join(s.EffectiveScopes(), " "); got != "openid profile email" {
		t.Errorf("scopes %q", got)
	}
	if s.EffectiveGroupsClaim() != "groups" || s.EffectiveName() != "SSO" {
		t.Errorf("claim %q, name %q", s.EffectiveGroupsClaim(), s.EffectiveName())
	}
	ep := s.EffectiveEndpoints()
	if ep.Authorization != "https://id.example.com/oauth/v2/authorize" || ep.Token != "https://id.example.com/oauth/v2/token" || ep.UserInfo != "https://id.example.com/oidc/v1/userinfo" {
		t.Errorf("endpoints %+v", ep)
	}
	s.Endpoints = &SSOEndpoints{Token: "https://other.example.com/token"}
	if ep := s.EffectiveEndpoints(); ep.Token != "https://other.example.com/token" || ep.UserInfo != "https://id.example.com/oidc/v1/userinfo" {
		t.Errorf("endpoints with one set %+v", ep)
	}
	if u := (&ArgoCredentials{TokenSecret: "t"}).EffectiveUsername(); u != DefaultTokenUsername {
		t.Errorf("token user %q", u)
	}
	if u := (&ArgoCredentials{SSHPrivateKeySecret: "k"}).EffectiveUsername(); u != "" {
		t.Errorf("ssh user %q", u)
	}
}

// The schema offers the repository types validation accepts.
func TestSchemaOffersRepositoryTypes(t *testing.T) {
	boom := JSONSchema()["properties"].(map[string]any)["config"].(map[string]any)["properties"].(map[string]any)[KeyBoom].(map[string]any)
	tool := boom["properties"].(map[string]any)["tools"].(map[string]any)["additionalProperties"].(map[string]any)
	repo := tool["properties"].(map[string]any)["argocd"].(map[string]any)["properties"].(map[string]any)["repositories"].(map[string]any)["items"].(map[string]any)
	if enum, _ := repo["properties"].(map[string]any)["type"].(map[string]any)["enum"].([]string); strings.Join(enum, ",") != "git,helm" {
		t.Errorf("repositories[].type enum %v", enum)
	}
}
