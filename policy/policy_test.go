package policy

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/orbos/orbos/stacks"
)

// A Chart v4's outputs are its objects: its version is checked on its BOOM tool; a Release and a
// tool carry theirs.
func TestPinnedChartsOfHelmResources(t *testing.T) {
	version := func(v string) property.Map {
		return property.NewMap(map[string]property.Value{"version": property.New(v)})
	}
	res := []policyx.AnalyzerResource{
		{Type: "kubernetes:helm.sh/v4:Chart", Name: "metrics", Properties: property.NewMap(nil)},
		{Type: "orbos:boom:Tool", Name: "metrics", Properties: version("88.5.3")},
		{Type: "kubernetes:helm.sh/v3:Release", Name: "gateway", Properties: version("1.9.0")},
	}
	if got := releaseViolations(res); len(got) != 0 {
		t.Errorf("pinned charts refused: %v", got)
	}
	res[1].Properties, res[2].Properties = version("^88"), property.NewMap(nil)
	if got := releaseViolations(res); len(got) != 2 {
		t.Errorf("an unpinned tool and a release without a version: %v", got)
	}
}

func orbiter(version string, nodes int, fw *stacks.Firewall) *stacks.Orbiter {
	return &stacks.Orbiter{
		Kubernetes: stacks.Kubernetes{Version: version, ControlPlane: &stacks.ControlPlane{Pool: "cp", Nodes: nodes}},
		Firewall:   fw,
	}
}

func TestVersionStep(t *testing.T) {
	for _, c := range []struct {
		current, want, violation string
	}{
		{"v1.31.4", "v1.31.9", ""},
		{"v1.31.4", "v1.32.0", ""},
		{"v1.31.4", "v1.33.0", "skips a minor version"},
		{"v1.31.4", "v2.0.0", "skips a minor version"},
		{"v1.31.4", "v1.31.3", "never downgraded"},
		{"v1.31.4", "v1.30.9", "never downgraded"},
		{"", "v1.40.0", ""}, // nothing runs yet
	} {
		o := &Input{Orbiter: orbiter(c.want, 1, nil), Current: c.current}
		got := strings.Join(o.versionStep(), " ")
		if (c.violation == "") != (got == "") || !strings.Contains(got, c.violation) {
			t.Errorf("%s -> %s: %q, want %q", c.current, c.want, got, c.violation)
		}
	}
}

func TestWorldOpen(t *testing.T) {
	for _, c := range []struct {
		fw    *stacks.Firewall
		wants int
	}{
		{&stacks.Firewall{SSH: []string{"203.0.113.0/24"}, KubeAPI: []string{"10.0.0.0/8"}, Ingress: []string{"0.0.0.0/0"}}, 0},
		{&stacks.Firewall{SSH: []string{"0.0.0.0/0"}}, 1},
		{&stacks.Firewall{KubeAPI: []string{"::/0"}}, 1},
		{&stacks.Firewall{SSH: []string{"0.0.0.0/0"}, KubeAPI: []string{"0.0.0.0/0"}}, 2},
		{&stacks.Firewall{SSH: []string{"0.0.0.0/0"}, KubeAPI: []string{"0.0.0.0/0"}, AllowWorld: []string{"ssh"}}, 1},
		{&stacks.Firewall{SSH: []string{"0.0.0.0/0"}, KubeAPI: []string{"0.0.0.0/0"}, AllowWorld: []string{"ssh", "kubeAPI"}}, 0},
	} {
		o := &Input{Orbiter: orbiter("v1.31.4", 1, c.fw)}
		if got := o.worldOpen(); len(got) != c.wants {
			t.Errorf("%+v: %v", c.fw, got)
		}
	}
	// A kubeapi transport whitelist counts as Kubernetes API access.
	o := &Input{Orbiter: orbiter("v1.31.4", 1, &stacks.Firewall{})}
	o.Orbiter.LoadBalancing = &stacks.LoadBalancing{VIPs: []stacks.VIP{{Transports: []stacks.Transport{{Name: "kubeapi", Whitelist: []string{"0.0.0.0/0"}}}}}}
	if got := o.worldOpen(); len(got) != 1 {
		t.Errorf("kubeapi whitelist: %v", got)
	}
}

func TestControlPlanesPinnedChartsBackups(t *testing.T) {
	for nodes, bad := range map[int]bool{1: false, 2: true, 3: false, 4: true, 5: false, 7: true} {
		if got := (&Input{Orbiter: orbiter("v1.31.4", nodes, nil)}).controlPlanes(); (len(got) > 0) != bad {
			t.Errorf("%d nodes: %v", nodes, got)
		}
	}
	boom := &stacks.Boom{Tools: map[string]stacks.Tool{"a": {Chart: stacks.Chart{Version: "1.2.3"}}, "b": {Chart: stacks.Chart{Version: "^1.2"}}, "c": {Chart: stacks.Chart{Version: "latest"}}, "metrics": {}}}
	if got := (&Input{Boom: boom}).pinnedCharts(); len(got) != 2 {
		t.Errorf("unpinned charts: %v", got)
	}
	z := &stacks.Zitadel{Enabled: true}
	if got := (&Input{Zitadel: z}).zitadelBackups(); len(got) != 1 {
		t.Errorf("zitadel without backups: %v", got)
	}
	z.Database.Backups = &stacks.DBBackups{Schedule: "0 3 * * *", ObjectStore: stacks.ObjectStore{Type: "gcs", Bucket: "backups"}}
	if got := (&Input{Zitadel: z}).zitadelBackups(); len(got) != 0 {
		t.Errorf("zitadel with backups: %v", got)
	}
}

func TestPlaintextSecrets(t *testing.T) {
	o := &Input{
		Values: map[string]string{
			"orbos:kubeconfig": "apiVersion: v1\nusers:\n- user:\n    token: abcdefghijklmnopqrstuvwxyz",
			"orbos:sshKey":     "-----BEGIN OPENSSH PRIVATE KEY-----\n...",
			"orbos:boom": `{"tools":{"grafana":{"adminPassword":"hunter2","sso":{"clientSecret":"oidc-secret"}},"reconciling":{"sso":{"clientSecret":"Plain Secret Value"}},` +
				`"metrics":{"metrics":{"remoteWrite":[{"bearerTokenSecret":"remote-write-token"},{"slack":{"apiURLSecret":"slack-webhook"}},{"basicAuth":{"passwordSecret":"Hunter2!"}}]}}}}`,
			"orbos:orbiter": `{"kubernetes":{"version":"v1.31.4"}}`,
			// References to orbos:secrets by name are not secrets; a value that is no name is.
			"orbos:zitadel": `{"smtp":{"passwordSecret":"smtp-password"},"database":{"backups":{"objectStore":{"credentialsSecret":"Sup3r/Secret+Key=="}}}}`,
		},
		Secret: map[string]bool{"orbos:kubeconfig": true},
	}
	got := strings.Join(o.plaintextSecrets(), "\n")
	// A field naming a stack secret (clientSecret: oidc-secret) is a reference; a value that is no
	// secret's name in such a field is a secret in plaintext.
	for _, want := range []string{"config orbos:sshKey", "orbos:boom.tools.grafana.adminPassword", "orbos:boom.tools.reconciling.sso.clientSecret",
		"orbos:boom.tools.metrics.metrics.remoteWrite[2].basicAuth.passwordSecret", "orbos:zitadel.database.backups.objectStore.credentialsSecret"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	if strings.Contains(got, "kubeconfig") || strings.Contains(got, "orbiter") || strings.Contains(got, "hunter2") || strings.Contains(got, "grafana.sso") ||
		strings.Contains(got, "bearerTokenSecret") || strings.Contains(got, "apiURLSecret") || strings.Contains(got, "smtp.passwordSecret") {
		t.Errorf("false positives or a leaked value:\n%s", got)
	}
}

func releaseViolations(res []policyx.AnalyzerResource) []string {
	var out []string
	for _, r := range res {
		if v := pinnedRelease(r); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// orbctl judges the desired-state file in-process as the pack judges the engine's stack config: a
// secret is a secret whatever its value, a section's violations are found, a compliant file passes.
func TestJudgeAStackFile(t *testing.T) {
	file := func(extra string) []byte {
		return []byte(`encryptionsalt: v1:abc
config:
  orbos:kubeconfig:
    secure: v1:ciphertext
  orbos:orbiter:
    apiVersion: orbos.io/v1alpha1
    kubernetes: {version: v1.33.0, controlPlane: {pool: cp, nodes: 2}}
` + extra)
	}
	in, err := InputFromStackFile(file(""), "v1.31.4")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, v := range Judge(in) {
		got[v.Policy] = true
	}
	if !got[VersionStep] || !got[ControlPlanes] || got[PlaintextSecrets] || len(got) != 2 {
		t.Errorf("violations %v, want %s and %s", got, VersionStep, ControlPlanes)
	}
	in, err = InputFromStackFile(file("  orbos:sshKey: \"-----BEGIN OPENSSH PRIVATE KEY-----\"\n"), "v1.32.9")
	if err != nil {
		t.Fatal(err)
	}
	found := Judge(in)
	if len(found) != 2 || found[0].Policy != ControlPlanes || found[1].Policy != PlaintextSecrets {
		t.Errorf("a plaintext key: %v", found)
	}
	if _, err := InputFromStackFile([]byte("config: [\n"), ""); err == nil {
		t.Error("a file that is not YAML was judged")
	}
}
