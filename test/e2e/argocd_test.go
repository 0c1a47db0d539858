package e2e

import (
	"context"
	"encoding/base64"
	"os/exec"
	"strings"
	"testing"

	"github.com/orbos/orbos/internal/gittest"
)

// setStackSecret sets orbos:secrets.NAME as a user would, the value on stdin.
func (o *orb) setStackSecret(name, value string) {
	o.t.Helper()
	cmd := o.command(nil, "config", "set", "--secret", "orbos:secrets."+name)
	cmd.Stdin = strings.NewReader(value)
	if out, err := cmd.CombinedOutput(); err != nil {
		o.t.Fatalf("config set --secret orbos:secrets.%s: %v\n%s", name, err, out)
	}
}

// assertNoPlaintext fails when any blob or commit of the ORB repository holds one of the values.
func (o *orb) assertNoPlaintext(values map[string]string) {
	o.t.Helper()
	objects := gittest.Git(o.t, o.remote, "rev-list", "--all", "--objects")
	read := 0
	for _, line := range strings.Split(strings.TrimSpace(objects), "\n") {
		id, path, _ := strings.Cut(line, " ")
		typ := strings.TrimSpace(gittest.Git(o.t, o.remote, "cat-file", "-t", id))
		if typ != "blob" && typ != "commit" {
			continue
		}
		out, err := exec.Command("git", "-C", o.remote, "cat-file", typ, id).Output()
		if err != nil {
			o.t.Fatal(err)
		}
		read++
		for name, v := range values {
			if strings.Contains(string(out), v) {
				o.t.Errorf("the %s is in plaintext in %s %s (%s)", name, typ, id, path)
			}
		}
	}
	if read < 10 {
		o.t.Fatalf("read only %d objects of the ORB repository", read)
	}
}

// secretData decodes a Secret's data.
func secretData(t *testing.T, obj map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	data, _ := obj["data"].(map[string]any)
	for k, v := range data {
		raw, err := base64.StdEncoding.DecodeString(v.(string))
		if err != nil {
			t.Fatalf("data %s: %v", k, err)
		}
		out[k] = string(raw)
	}
	return out
}

func labelsOf(obj map[string]any) map[string]any {
	l, _ := obj["metadata"].(map[string]any)["labels"].(map[string]any)
	return l
}

// Argo CD's repositories and SSO for Argo CD and Grafana on the real engine and kube-apiserver,
// with local stand-ins for both charts that render argocd-cm, argocd-rbac-cm and grafana.ini: after
// up, each repository is a Secret labelled for Argo CD with its URL and the stack secret's token;
// the SSO settings reach argocd-cm and grafana.ini naming the program's Secret, which holds the
// client secret; no credential is in the ORB repository's history or status.
func TestArgoCDRepositoriesAndSSO(t *testing.T) {
	o := newORB(t, "argocd")
	const applicationCRD = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/applications.argoproj.io"
	t.Cleanup(func() { _, _, _ = apiserver.Delete(context.Background(), applicationCRD) })
	const (
		token        = "e2e-git-token-5b1f0c9a7d3e"
		clientSecret = "e2e-oidc-client-secret-8c2d4e6f"
		argoNS       = "boom-argocd"
		grafanaNS    = "boom-grafana"
	)
	o.setStackSecret("git-token", token)
	o.setStackSecret("oidc-secret", clientSecret)
	o.pushChart("argo-cd", "boom: the Argo CD stand-in chart", func(s string) string { return s })
	o.pushChart("grafana", "boom: Argo CD repositories, SSO for Argo CD and Grafana", func(s string) string {
		return strings.Replace(s, "    tools:\n", `    tools:
      reconciling:
        enabled: true
        chart: {repository: charts/argo-cd, version: 0.1.0}
        namespace: `+argoNS+`
        argocd:
          repositories:
            - {name: platform, url: "https://git.example.com/example/platform.git", project: default, credentials: {tokenSecret: git-token}}
            - {name: charts, url: "https://charts.example.com/stable", type: helm}
          credentialTemplates:
            - {name: example, url: "https://git.example.com/example", credentials: {username: ci-bot, passwordSecret: git-token}}
          applications:
            - {name: web, repository: platform, path: apps/web, revision: v1.2.0, namespace: web, automated: true}
        sso:
          issuer: "https://id.example.com"
          clientID: "2412@orbos"
          clientSecret: oidc-secret
          url: "https://argocd.example.com"
          name: Zitadel
          scopes: [openid, profile, email, groups]
          defaultRole: readonly
          groups: {platform-admins: admin}
      dashboards:
        enabled: true
        chart: {repository: charts/grafana, version: 0.1.0}
        namespace: `+grafanaNS+`
        sso:
          issuer: "https://id.example.com"
          clientID: "2413@orbos"
          clientSecret: oidc-secret
          url: "https://grafana.example.com"
          groups: {platform-admins: Admin, developers: Editor}
`, 1)
	})
	o.mustRun("up")

	secrets := "/api/v1/namespaces/" + argoNS + "/secrets/"
	for _, c := range []struct {
		name, kind string
		want       map[string]string
	}{
		{"repo-platform", "repository", map[string]string{"name": "platform", "url": "https://git.example.com/example/platform.git", "type": "git", "project": "default", "username": "git", "password": token}},
		{"repo-charts", "repository", map[string]string{"name": "charts", "url": "https://charts.example.com/stable", "type": "helm"}},
		{"creds-example", "repo-creds", map[string]string{"url": "https://git.example.com/example", "username": "ci-bot", "password": token}},
	} {
		code, obj := kube(t, secrets+c.name)
		if code != 200 {
			t.Errorf("Secret %s: HTTP %d", c.name, code)
			continue
		}
		if l := labelsOf(obj); l["argocd.argoproj.io/secret-type"] != c.kind {
			t.Errorf("Secret %s: labels %v", c.name, l)
		}
		data := secretData(t, obj)
		if len(data) != len(c.want) {
			t.Errorf("Secret %s: keys %d, want %d", c.name, len(data), len(c.want))
		}
		for k, v := range c.want {
			if data[k] != v {
				t.Errorf("Secret %s: %s is not what the spec and stack secret set", c.name, k)
			}
		}
	}

	// The Application, applied after the CRD that the same first run brought.
	code, app := kube(t, "/apis/argoproj.io/v1alpha1/namespaces/"+argoNS+"/applications/web")
	if code != 200 {
		t.Fatalf("the Application: HTTP %d", code)
	}
	spec, _ := app["spec"].(map[string]any)
	src, _ := spec["source"].(map[string]any)
	dst, _ := spec["destination"].(map[string]any)
	if src["repoURL"] != "https://git.example.com/example/platform.git" || src["path"] != "apps/web" || src["targetRevision"] != "v1.2.0" ||
		dst["namespace"] != "web" || dst["server"] != "https://kubernetes.default.svc" || spec["syncPolicy"] == nil {
		t.Errorf("the Application's spec %v", spec)
	}

	// Argo CD: oidc.config names the Secret, which is labelled for Argo CD and holds the client secret.
	_, cm := kube(t, "/api/v1/namespaces/"+argoNS+"/configmaps/argocd-cm")
	cmData, _ := cm["data"].(map[string]any)
	oidc, _ := cmData["oidc.config"].(string)
	for _, want := range []string{"issuer: https://id.example.com", "clientID: 2412@orbos", "clientSecret: $argocd-sso:clientSecret", "- groups"} {
		if !strings.Contains(oidc, want) {
			t.Errorf("argocd-cm oidc.config lacks %q:\n%s", want, oidc)
		}
	}
	if cmData["url"] != "https://argocd.example.com" {
		t.Errorf("argocd-cm url %v", cmData["url"])
	}
	_, rbac := kube(t, "/api/v1/namespaces/"+argoNS+"/configmaps/argocd-rbac-cm")
	if d, _ := rbac["data"].(map[string]any); d["policy.csv"] != "g, platform-admins, role:admin\n" || d["policy.default"] != "role:readonly" || d["scopes"] != "[groups]" {
		t.Errorf("argocd-rbac-cm %v", rbac["data"])
	}
	code, sso := kube(t, secrets+"argocd-sso")
	if code != 200 || labelsOf(sso)["app.kubernetes.io/part-of"] != "argocd" || secretData(t, sso)["clientSecret"] != clientSecret {
		t.Errorf("argocd-sso: HTTP %d, labels %v, or not the stack secret", code, labelsOf(sso))
	}

	// Grafana: the ini reads the client secret from the environment, which comes from the Secret.
	_, gcm := kube(t, "/api/v1/namespaces/"+grafanaNS+"/configmaps/dashboards")
	ini, _ := gcm["data"].(map[string]any)["grafana.ini"].(string)
	for _, want := range []string{"[auth.generic_oauth]", "client_id = 2413@orbos", "client_secret = $__env{GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET}",
		"auth_url = https://id.example.com/oauth/v2/authorize", "role_attribute_path = contains(\"groups\"[*], 'platform-admins') && 'Admin' || contains(\"groups\"[*], 'developers') && 'Editor'",
		"role_attribute_strict = true", "[server]", "root_url = https://grafana.example.com"} {
		if !strings.Contains(ini, want) {
			t.Errorf("grafana.ini lacks %q:\n%s", want, ini)
		}
	}
	_, d := kube(t, "/apis/apps/v1/namespaces/"+grafanaNS+"/deployments/dashboards")
	env := d["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)["env"]
	ref, _ := env.([]any)[0].(map[string]any)["valueFrom"].(map[string]any)["secretKeyRef"].(map[string]any)
	if ref["name"] != "dashboards-sso" || ref["key"] != "client-secret" {
		t.Errorf("Grafana's environment %v", env)
	}
	if _, gs := kube(t, "/api/v1/namespaces/"+grafanaNS+"/secrets/dashboards-sso"); secretData(t, gs)["client-secret"] != clientSecret {
		t.Error("dashboards-sso does not hold the stack secret")
	}

	if r := o.run("preview", "--expect-no-changes"); r.code != 0 {
		t.Fatalf("a second preview sees changes:\n%s", r)
	}
	o.mustRun("destroy", "--yes")
	o.assertNoPlaintext(map[string]string{"Git token": token, "OIDC client secret": clientSecret})
}
