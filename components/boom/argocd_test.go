package boom

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/stacks"
)

// stackSecrets stand in for orbos:secrets (of every test of the package): each value is unique and
// long, so that finding it in chart values or plain inputs means it leaked.
var stackSecrets = map[string]string{
	"git-token":   "token-value-that-must-stay-secret-1",
	"git-pw":      "password-value-that-must-stay-secret-2",
	"deploy-key":  "-----BEGIN OPENSSH PRIVATE KEY-----must-stay-secret-3",
	"oidc-secret": "oidc-client-secret-that-must-stay-secret-4",
	// The metrics tool's.
	"rw-token":      "tok-3f9a1c0e5b7d2a48c6e1f0b9d8a7c6e5\n",
	"rw-password":   "pw-8d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a",
	"slack-url":     "https://hooks.slack.example/services/T000/B000/XXXXXXXXXXXXXXXX",
	"pd-key":        "pd-0123456789abcdef0123456789abcdef\n", // read from a file: its newline is no part of it
	"smtp-password": "smtp-6c5b4a39281706f5e4d3c2b1a0f9e8d7",
}

// installWithSecrets installs tools with env and the stack secrets above, as the program hands
// them over; a name the map does not hold fails the tool, as the program's lookup does.
func installWithSecrets(t *testing.T, env Env, tools ...stacks.NamedTool) (*mocks, error) {
	t.Helper()
	m := &mocks{}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		secret := func(name string) (pulumi.StringOutput, error) {
			v, ok := stackSecrets[name]
			if !ok {
				return pulumi.StringOutput{}, fmt.Errorf("no stack secret %s", name)
			}
			return pulumi.ToSecret(pulumi.String(v)).(pulumi.StringOutput), nil
		}
		for _, tool := range tools {
			if _, err := New(ctx, Args{Tool: tool, Env: env, Orbctl: "orbctl", Labels: map[string]string{"orbos.io/orb": "demo"}, StackSecret: secret}); err != nil {
				return err
			}
		}
		return nil
	}, pulumi.WithMocks("orbos", "test", m))
	return m, err
}

func argoTool() stacks.NamedTool {
	tool := catalogTool("reconciling")
	tool.ArgoCD = &stacks.ArgoCD{
		Repositories: []stacks.ArgoRepository{
			{Name: "platform", URL: "https://github.com/example/platform.git", Project: "default", Credentials: &stacks.ArgoCredentials{TokenSecret: "git-token"}},
			{Name: "infra", URL: "git@github.com:example/infra.git", Credentials: &stacks.ArgoCredentials{SSHPrivateKeySecret: "deploy-key"}},
			{Name: "charts", URL: "https://charts.example.com/stable", Type: "helm"},
		},
		CredentialTemplates: []stacks.ArgoCredentialTemplate{
			{Name: "gitlab", URL: "https://gitlab.example.com/team", Credentials: stacks.ArgoCredentials{Username: "ci-bot", PasswordSecret: "git-pw"}},
		},
	}
	return tool
}

func ssoSpec(url string) *stacks.SSO {
	return &stacks.SSO{
		Issuer: "https://id.example.com", ClientID: "2412@orbos", ClientSecret: "oidc-secret", URL: url,
		Name: "Zitadel", Scopes: []string{"openid", "profile", "email", "groups"},
	}
}

// plainValues returns the chart's values as JSON and fails when any part of them is a secret or
// holds a stack secret's value.
func plainValues(t *testing.T, chart registered) map[string]any {
	t.Helper()
	v := chart.inputs["values"]
	if v.ContainsSecrets() {
		t.Errorf("%s: the chart's values hold a secret (they would be unknown in previews)", chart.name)
	}
	raw, _ := json.Marshal(v.Mappable())
	for name, s := range stackSecrets {
		if strings.Contains(string(raw), s) {
			t.Errorf("%s: the stack secret %s is in the chart's values", chart.name, name)
		}
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// stringData returns a Secret's keys and whether they are a Pulumi secret (the engine marks the
// whole map secret when one of its values is).
func stringData(t *testing.T, s registered) (data map[string]string, secret bool) {
	t.Helper()
	data = map[string]string{}
	sd := s.inputs["stringData"]
	if secret = sd.IsSecret(); secret {
		sd = sd.SecretValue().Element
	}
	for k, v := range sd.ObjectValue() {
		if v.IsSecret() {
			v = v.SecretValue().Element
		}
		data[string(k)] = v.StringValue()
	}
	return data, secret
}

// keyOf names the stack secret whose value v is ("" for none).
func keyOf(v string) string {
	for k, s := range stackSecrets {
		if s == v {
			return k
		}
	}
	return ""
}

func labels(r registered) map[string]string {
	out := map[string]string{}
	for k, v := range at(r.inputs, "metadata.labels").ObjectValue() {
		out[string(k)] = v.StringValue()
	}
	return out
}

// Each repository and credential template is a Secret labelled for Argo CD with its URL in plain
// and its credential only as the Pulumi secret from the stack; the chart waits for them and its
// values hold none of them.
func TestArgoCDRepositoriesAreLabelledSecrets(t *testing.T) {
	m, err := installWithSecrets(t, Env{}, argoTool())
	if err != nil {
		t.Fatal(err)
	}
	chart := m.get(t, chartType, "reconciling")
	plainValues(t, chart)
	cases := []struct {
		resource, name, kind string
		plain                map[string]string
		secret               string
	}{
		{"reconciling-repo-platform", "repo-platform", "repository", map[string]string{"name": "platform", "url": "https://github.com/example/platform.git", "type": "git", "project": "default", "username": stacks.DefaultTokenUsername}, "password"},
		{"reconciling-repo-infra", "repo-infra", "repository", map[string]string{"name": "infra", "url": "git@github.com:example/infra.git", "type": "git"}, "sshPrivateKey"},
		{"reconciling-repo-charts", "repo-charts", "repository", map[string]string{"name": "charts", "url": "https://charts.example.com/stable", "type": "helm"}, ""},
		{"reconciling-creds-gitlab", "creds-gitlab", "repo-creds", map[string]string{"url": "https://gitlab.example.com/team", "username": "ci-bot"}, "password"},
	}
	for _, c := range cases {
		s := m.get(t, "kubernetes:core/v1:Secret", c.resource)
		if got := str(at(s.inputs, "metadata.name")); got != c.name || str(at(s.inputs, "metadata.namespace")) != "argocd" {
			t.Errorf("%s: named %s in %s", c.resource, got, str(at(s.inputs, "metadata.namespace")))
		}
		l := labels(s)
		if l[ArgoSecretTypeLabel] != c.kind || l["orbos.io/orb"] != "demo" {
			t.Errorf("%s: labels %v", c.resource, l)
		}
		data, secret := stringData(t, s)
		if c.secret != "" && !secret {
			t.Errorf("%s: stringData holds a credential and is not a Pulumi secret", c.resource)
		}
		want := len(c.plain)
		if c.secret != "" {
			want++
		}
		if len(data) != want {
			t.Errorf("%s: keys %v, want %v and %q", c.resource, stacks.SortedKeys(data), stacks.SortedKeys(c.plain), c.secret)
		}
		for k, v := range c.plain {
			if data[k] != v {
				t.Errorf("%s: %s = %q, want %q", c.resource, k, data[k], v)
			}
		}
		if c.secret != "" && !slices.Contains(stacks.SortedKeys(stackSecrets), keyOf(data[c.secret])) {
			t.Errorf("%s: %s is not the stack secret's value", c.resource, c.secret)
		}
		if !dependsOn(chart, s) {
			t.Errorf("the chart does not wait for %s", c.resource)
		}
		if len(s.ignoreChanges) != 0 {
			t.Errorf("%s ignores changes %v: a changed spec must reach it", c.resource, s.ignoreChanges)
		}
	}
}

// SSO for Argo CD: oidc.config names the Secret holding the client secret by Argo CD's `$secret:key`
// syntax, that Secret is labelled for Argo CD to read, and the groups map to roles in argocd-rbac-cm.
func TestArgoCDSSO(t *testing.T) {
	tool := catalogTool("reconciling")
	tool.SSO = ssoSpec("https://argocd.example.com")
	tool.SSO.DefaultRole = "readonly"
	tool.SSO.Groups = map[string]string{"platform-admins": "admin", "auditors": "readonly"}
	m, err := installWithSecrets(t, Env{}, tool)
	if err != nil {
		t.Fatal(err)
	}
	values := plainValues(t, m.get(t, chartType, "reconciling"))
	configs := values["configs"].(map[string]any)
	cm, rbac := configs["cm"].(map[string]any), configs["rbac"].(map[string]any)
	if cm["url"] != "https://argocd.example.com" {
		t.Errorf("argocd-cm url %v", cm["url"])
	}
	var oidc map[string]any
	if err := yaml.Unmarshal([]byte(cm["oidc.config"].(string)), &oidc); err != nil {
		t.Fatalf("oidc.config is not YAML: %v", err)
	}
	want := map[string]any{"name": "Zitadel", "issuer": "https://id.example.com", "clientID": "2412@orbos", "clientSecret": "$argocd-sso:clientSecret"}
	for k, v := range want {
		if oidc[k] != v {
			t.Errorf("oidc.config %s = %v, want %v", k, oidc[k], v)
		}
	}
	if scopes, _ := json.Marshal(oidc["requestedScopes"]); string(scopes) != `["openid","profile","email","groups"]` {
		t.Errorf("requested scopes %s", scopes)
	}
	if rbac["policy.csv"] != "g, auditors, role:readonly\ng, platform-admins, role:admin\n" || rbac["policy.default"] != "role:readonly" || rbac["scopes"] != "[groups]" {
		t.Errorf("argocd-rbac-cm values %v", rbac)
	}
	if values["dex"].(map[string]any)["enabled"] != false {
		t.Error("Dex stays on beside OIDC")
	}
	s := m.get(t, "kubernetes:core/v1:Secret", "reconciling-argocd-sso")
	if l := labels(s); l[ArgoPartOfLabel] != "argocd" || str(at(s.inputs, "metadata.name")) != ArgoSSOSecret {
		t.Errorf("the SSO Secret %s, labels %v: Argo CD reads only Secrets labelled part-of argocd", str(at(s.inputs, "metadata.name")), l)
	}
	if data, secret := stringData(t, s); !secret || len(data) != 1 || data[ArgoSSOKey] != stackSecrets["oidc-secret"] {
		t.Errorf("the SSO Secret's keys %v, secret %v", stacks.SortedKeys(data), secret)
	}
}

// SSO for Grafana: auth.generic_oauth with Zitadel's endpoints and the client secret as an
// environment variable from the program's Secret; groups map to roles, the highest first, and
// without a default role a user of no mapped group is refused.
func TestGrafanaSSO(t *testing.T) {
	tool := catalogTool("dashboards")
	tool.SSO = ssoSpec("https://grafana.example.com")
	tool.SSO.Groups = map[string]string{"developers": "Editor", "platform-admins": "Admin", "all": "Viewer"}
	m, err := installWithSecrets(t, Env{}, tool)
	if err != nil {
		t.Fatal(err)
	}
	values := plainValues(t, m.get(t, chartType, "dashboards"))
	ini := values["grafana.ini"].(map[string]any)
	oauth := ini["auth.generic_oauth"].(map[string]any)
	want := map[string]any{
		"enabled": true, "name": "Zitadel", "client_id": "2412@orbos", "client_secret": "$__env{GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET}",
		"scopes": "openid profile email groups", "auth_url": "https://id.example.com/oauth/v2/authorize",
		"token_url": "https://id.example.com/oauth/v2/token", "api_url": "https://id.example.com/oidc/v1/userinfo",
		"role_attribute_strict": true, "groups_attribute_path": `"groups"`,
		"role_attribute_path": `contains("groups"[*], 'platform-admins') && 'Admin' || contains("groups"[*], 'developers') && 'Editor' || contains("groups"[*], 'all') && 'Viewer'`,
	}
	for k, v := range want {
		if oauth[k] != v {
			t.Errorf("auth.generic_oauth %s = %v, want %v", k, oauth[k], v)
		}
	}
	if ini["server"].(map[string]any)["root_url"] != "https://grafana.example.com" {
		t.Errorf("server %v", ini["server"])
	}
	ref := values["envValueFrom"].(map[string]any)[GrafanaSSOEnv].(map[string]any)["secretKeyRef"].(map[string]any)
	if ref["name"] != GrafanaSSOSecret || ref["key"] != GrafanaSSOKey {
		t.Errorf("the client secret's variable comes from %v", ref)
	}
	s := m.get(t, "kubernetes:core/v1:Secret", "dashboards-dashboards-sso")
	if data, secret := stringData(t, s); !secret || len(data) != 1 || data[GrafanaSSOKey] != stackSecrets["oidc-secret"] {
		t.Errorf("the SSO Secret's keys %v, secret %v", stacks.SortedKeys(data), secret)
	}

	// A default role ends the expression and lets everyone signed in in.
	tool.SSO.DefaultRole = "Viewer"
	tool.SSO.Groups = map[string]string{"admins": "Admin"}
	oauth = grafanaSSOValues(tool.SSO)["grafana.ini"].(map[string]any)["auth.generic_oauth"].(map[string]any)
	if oauth["role_attribute_path"] != `contains("groups"[*], 'admins') && 'Admin' || 'Viewer'` || oauth["role_attribute_strict"] != false {
		t.Errorf("with a default role: %v, strict %v", oauth["role_attribute_path"], oauth["role_attribute_strict"])
	}
}

// A spec naming a stack secret the program cannot hand over fails the tool rather than making a
// repository Secret without its credential.
func TestMissingStackSecretsFail(t *testing.T) {
	m := &mocks{}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := New(ctx, Args{Tool: argoTool(), Orbctl: "orbctl"})
		return err
	}, pulumi.WithMocks("orbos", "test", m))
	if err == nil || !strings.Contains(err.Error(), "repository platform") || !strings.Contains(err.Error(), "git-token") {
		t.Fatalf("err %v", err)
	}
}

// Without argocd or sso the tools make none of these Secrets and set none of these values.
func TestNoAccessFieldsNoSecrets(t *testing.T) {
	m, err := installWithSecrets(t, Env{}, catalogTool("reconciling"), catalogTool("dashboards"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range m.all {
		if r.typ == "kubernetes:core/v1:Secret" && (strings.Contains(r.name, "repo-") || strings.HasSuffix(r.name, "-sso")) {
			t.Errorf("made %s", r.name)
		}
	}
	if v := lookup(Values(catalogTool("dashboards"), Env{}), "envValueFrom"); v != nil {
		t.Errorf("envValueFrom %v without SSO", v)
	}
}

// Applications: each an argoproj.io Application in Argo CD's namespace from a repository of the
// spec, after the tool's CRDs, its chart and the repository Secrets; automated sync prunes and heals.
func TestArgoCDApplications(t *testing.T) {
	tool := argoTool()
	tool.ArgoCD.Applications = []stacks.ArgoApplication{
		{Name: "web", Repository: "platform", Path: "apps/web", Revision: "v1.2.0", Namespace: "web", Automated: true},
		{Name: "infra", Repository: "infra", Namespace: "infra", Project: "ops"},
	}
	m, err := installWithSecrets(t, Env{}, tool)
	if err != nil {
		t.Fatal(err)
	}
	const crType = "kubernetes:argoproj.io/v1alpha1:Application"
	web, infra := m.get(t, crType, "reconciling-app-web"), m.get(t, crType, "reconciling-app-infra")
	for path, want := range map[string]string{
		"metadata.name": "web", "metadata.namespace": "argocd", "spec.project": "default",
		"spec.source.repoURL": "https://github.com/example/platform.git", "spec.source.path": "apps/web", "spec.source.targetRevision": "v1.2.0",
		"spec.destination.server": InClusterServer, "spec.destination.namespace": "web",
		"spec.syncPolicy.automated": `{"prune":true,"selfHeal":true}`,
	} {
		if got := str(at(web.inputs, path)); got != want {
			t.Errorf("web %s = %s, want %s", path, got, want)
		}
	}
	for path, want := range map[string]string{"spec.project": "ops", "spec.source.repoURL": "git@github.com:example/infra.git", "spec.source.path": ".", "spec.source.targetRevision": "HEAD"} {
		if got := str(at(infra.inputs, path)); got != want {
			t.Errorf("infra %s = %s, want %s", path, got, want)
		}
	}
	if !at(infra.inputs, "spec.syncPolicy").IsNull() {
		t.Errorf("infra syncs by itself: %v", str(at(infra.inputs, "spec.syncPolicy")))
	}
	for _, after := range []registered{m.get(t, chartType, "reconciling-crds"), m.get(t, chartType, "reconciling"), m.get(t, "kubernetes:core/v1:Secret", "reconciling-repo-platform")} {
		if !dependsOn(web, after) {
			t.Errorf("the Application does not wait for %s", after.name)
		}
	}
}
