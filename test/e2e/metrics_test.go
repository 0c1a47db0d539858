package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbos/orbos/components/boom/alerts"
)

// BOOM's metrics tool from a local chart of trimmed ServiceMonitor and PrometheusRule CRDs, with a
// metrics block naming stack secrets, on the real engine and kube-apiserver: the remote-write
// credentials and Alertmanager's configuration arrive in Secrets of the tool's namespace (and
// nowhere in the repository); orbos's PrometheusRule holds its alerts as the API server validated
// them; the reconciler's metrics are scraped through its ServiceMonitor; a second preview has no
// changes.
func TestBoomMetricsSecretsAndOrbosMonitoring(t *testing.T) {
	o := newORB(t, "metrics")
	t.Cleanup(func() {
		for _, crd := range []string{"servicemonitors", "prometheusrules"} {
			_, _, _ = apiserver.Delete(context.Background(), "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"+crd+".monitoring.coreos.com")
		}
	})
	const ns = "metrics-e2e"
	token := "rw-" + strings.Repeat("7f3a", 8)
	slack := "https://hooks.slack.example/services/T1/B2/" + strings.Repeat("c4e1", 6)
	for name, value := range map[string]string{"rw-token": token, "slack-url": slack} {
		f := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(f, []byte(value+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		o.mustRun("config", "set", "--secret", "orbos:secrets."+name, "--from-file", f)
	}
	o.pushChart("monitoring-crds", "boom: metrics with remote write and a receiver", func(s string) string {
		return strings.Replace(s, "      metrics:\n        enabled: false\n        chart: {version: 88.5.3}\n", `      metrics:
        enabled: true
        chart: {repository: charts/monitoring-crds, name: monitoring-crds, version: 0.1.0}
        namespace: `+ns+`
        metrics:
          retention: 30d
          remoteWrite: [{name: central, url: "https://metrics.example.com/api/v1/push", bearerTokenSecret: rw-token}]
          externalLabels: {cluster: e2e}
          alertmanager:
            receivers: [{name: ops, slack: {apiURLSecret: slack-url, channel: "#alerts"}}]
            route: {repeatInterval: 4h}
`, 1) + `  orbos:reconciler:
    apiVersion: orbos.io/v1alpha1
    image: registry.local/orbos/reconciler:e2e
`
	})
	o.mustRun("up")

	secretData := func(name string) map[string]string {
		t.Helper()
		code, s := kube(t, "/api/v1/namespaces/"+ns+"/secrets/"+name)
		if code != 200 {
			t.Fatalf("Secret %s: HTTP %d", name, code)
		}
		out := map[string]string{}
		for k, v := range s["data"].(map[string]any) {
			b, err := base64.StdEncoding.DecodeString(v.(string))
			if err != nil {
				t.Fatal(err)
			}
			out[k] = string(b)
		}
		return out
	}
	if rw := secretData("metrics-remote-write"); len(rw) != 1 || rw["0-token"] != token {
		t.Errorf("remote-write Secret keys %d, token right: %v", len(rw), rw["0-token"] == token)
	}
	am := secretData("metrics-alertmanager")["alertmanager.yaml"]
	for _, want := range []string{"api_url: " + slack + "\n", "channel: '#alerts'", "receiver: ops", "repeat_interval: 4h", "name: \"null\""} {
		if !strings.Contains(am, want) {
			t.Errorf("Alertmanager's configuration lacks %q", want)
		}
	}

	// orbos's rules, as the API server stored them after validating them against the CRD.
	code, rule := kube(t, "/apis/monitoring.coreos.com/v1/namespaces/"+o.namespace()+"/prometheusrules/orbos")
	if code != 200 {
		t.Fatalf("PrometheusRule: HTTP %d", code)
	}
	got, _ := json.Marshal(rule["spec"].(map[string]any)["groups"])
	raw, _ := json.Marshal(alerts.Groups(alerts.Options{}))
	var groups any
	if err := json.Unmarshal(raw, &groups); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(groups) // keys sorted, as the API server's
	if string(got) != string(want) {
		t.Errorf("the PrometheusRule's groups\n%s\nwant\n%s", got, want)
	}
	code, sm := kube(t, "/apis/monitoring.coreos.com/v1/namespaces/"+o.namespace()+"/servicemonitors/orbos-reconciler")
	if code != 200 {
		t.Fatalf("the reconciler's ServiceMonitor: HTTP %d", code)
	}
	if spec := fmt.Sprint(sm["spec"]); !strings.Contains(spec, "port:metrics") || !strings.Contains(spec, "app.kubernetes.io/name:orbos-reconciler") {
		t.Errorf("the reconciler's ServiceMonitor: %s", spec)
	}

	if r := o.run("preview", "--expect-no-changes"); r.code != 0 {
		t.Fatalf("a second preview sees changes:\n%s", r)
	}
	// The credentials are in the cluster only: not in the repository's objects (its encrypted
	// state and desired state), nor in what orbctl printed.
	objects := gitObjects(t, o.remote)
	for _, secret := range []string{token, slack, base64.StdEncoding.EncodeToString([]byte(token))} {
		if strings.Contains(objects, secret) {
			t.Errorf("a credential is in the repository in plaintext")
		}
	}
	o.mustRun("destroy", "--yes")
	waitGone(t, "/api/v1/namespaces/"+ns+"/secrets/metrics-remote-write")
}
