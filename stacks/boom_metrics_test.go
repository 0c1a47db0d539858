package stacks

import (
	"strings"
	"testing"
)

// metricsFile is validFile with the metrics tool's metrics block (YAML flow mapping content) and
// the stack secrets it may name.
func metricsFile(t *testing.T, tool, block string) string {
	t.Helper()
	return boomFile(t, `  orbos:boom:
    apiVersion: orbos.io/v1alpha1
    tools:
      `+tool+`: {enabled: true, metrics: {`+block+`}}
  orbos:secrets:
    rw-token: {secure: v1:a}
    rw-password: {secure: v1:b}
    slack-url: {secure: v1:c}
    hook-url: {secure: v1:d}
    pd-key: {secure: v1:e}
    smtp-password: {secure: v1:f}
`)
}

// Every field of the metrics block that reaches Prometheus, Alertmanager or a Secret has a rule;
// each case breaks one and names the paths refused.
func TestMetricsFieldsAreChecked(t *testing.T) {
	const p = "config.orbos:boom.tools.metrics.metrics"
	const am = p + ".alertmanager"
	receiver := func(fields string) string { return "alertmanager: {receivers: [{name: ops, " + fields + "}]}" }
	cases := []struct {
		name, block string
		want        []string
	}{
		{"everything", `retention: 30d, retentionSize: 90GB, storage: {size: 100Gi, class: fast-ssd},
          remoteWrite: [{name: central, url: "https://metrics.example.com/api/v1/push", bearerTokenSecret: rw-token},
                        {url: "https://prom.example.com/push", basicAuth: {username: "12345", passwordSecret: rw-password}},
                        {url: "http://mimir.metrics.svc:8080/api/v1/push"}],
          externalLabels: {cluster: prod-eu, region: "eu west 1"},
          alertmanager: {receivers: [{name: ops, slack: {apiURLSecret: slack-url, channel: "#alerts"}, email: {to: ops@example.com, from: alerts@example.com, smarthost: "smtp.example.com:587", username: alerts, passwordSecret: smtp-password}},
                                     {name: pager, pagerduty: {routingKeySecret: pd-key}, webhook: {urlSecret: hook-url}}],
                         route: {receiver: ops, groupBy: [alertname, namespace], groupWait: 30s, groupInterval: 5m, repeatInterval: 4h,
                                 routes: [{receiver: pager, match: {severity: critical}, continue: true}]}}`, nil},
		{"retention", "retention: 2 weeks", []string{p + ".retention"}},
		{"retention zero", "retention: 0d", []string{p + ".retention"}},
		{"retention size", "retentionSize: 45G", []string{p + ".retentionSize"}},
		{"storage", "storage: {size: big, class: Fast_SSD}", []string{p + ".storage.size", p + ".storage.class"}},
		{"remote write without url", "remoteWrite: [{name: a}]", []string{p + ".remoteWrite[0].url"}},
		{"remote write url", `remoteWrite: [{url: "ftp://x.example.com"}, {url: "https://user:pw@x.example.com"}, {url: "https://x.example.com/a b"}, {url: ""}]`,
			[]string{p + ".remoteWrite[0].url", p + ".remoteWrite[1].url", p + ".remoteWrite[2].url", p + ".remoteWrite[3].url"}},
		{"credentials over http", `remoteWrite: [{url: "http://x.example.com", bearerTokenSecret: rw-token}]`, []string{p + ".remoteWrite[0].url"}},
		{"remote write names", `remoteWrite: [{name: a, url: "https://a.example.com"}, {name: a, url: "https://b.example.com"}, {name: "B c", url: "https://c.example.com"}]`,
			[]string{p + ".remoteWrite[1].name", p + ".remoteWrite[2].name"}},
		{"both auths", `remoteWrite: [{url: "https://x.example.com", bearerTokenSecret: rw-token, basicAuth: {username: u, passwordSecret: rw-password}}]`, []string{p + ".remoteWrite[0]"}},
		{"secret not held", `remoteWrite: [{url: "https://x.example.com", bearerTokenSecret: other}]`, []string{p + ".remoteWrite[0].bearerTokenSecret"}},
		{"basic auth incomplete", `remoteWrite: [{url: "https://x.example.com", basicAuth: {username: "a\nb"}}]`,
			[]string{p + ".remoteWrite[0].basicAuth.passwordSecret", p + ".remoteWrite[0].basicAuth.username"}},
		{"external labels", `externalLabels: {"0a": x, __name: y, prometheus: z, ok: "", env: "a\nb"}`,
			[]string{p + ".externalLabels.0a", p + ".externalLabels.__name", p + ".externalLabels.prometheus", p + ".externalLabels.ok", p + ".externalLabels.env"}},
		{"receiver without integration", "alertmanager: {receivers: [{name: ops}]}", []string{am + ".receivers[0]"}},
		{"receiver names", "alertmanager: {receivers: [{name: \"null\", webhook: {urlSecret: hook-url}}, {name: \"a b\", webhook: {urlSecret: hook-url}}, {name: x, webhook: {urlSecret: hook-url}}, {name: x, webhook: {urlSecret: hook-url}}]}",
			[]string{am + ".receivers[0].name", am + ".receivers[1].name", am + ".receivers[3].name"}},
		{"webhook secret", receiver("webhook: {urlSecret: nope}"), []string{am + ".receivers[0].webhook.urlSecret"}},
		{"webhook without secret", receiver("webhook: {}"), []string{am + ".receivers[0].webhook.urlSecret"}},
		{"slack", receiver("slack: {apiURLSecret: slack-url, channel: \"#Al erts\"}"), []string{am + ".receivers[0].slack.channel"}},
		{"email", receiver("email: {to: not-an-address, from: \"Ops <a@example.com>\", smarthost: smtp.example.com, passwordSecret: smtp-password}"),
			[]string{am + ".receivers[0].email.to", am + ".receivers[0].email.from", am + ".receivers[0].email.smarthost", am + ".receivers[0].email.username"}},
		{"pagerduty", receiver("pagerduty: {routingKeySecret: \"\"}"), []string{am + ".receivers[0].pagerduty.routingKeySecret"}},
		{"route to nobody", "alertmanager: {route: {receiver: ops}}", []string{am + ".route"}},
		{"route", `alertmanager: {receivers: [{name: ops, webhook: {urlSecret: hook-url}}], route: {receiver: other, groupBy: ["a-b", "..."], repeatInterval: 1 hour,
          routes: [{receiver: ops, match: {"a-b": x}}, {match: {severity: critical}}, {receiver: gone, match: {}}]}}`,
			[]string{am + ".route.receiver", am + ".route.groupBy[0]", am + ".route.repeatInterval",
				am + ".route.routes[0].match.a-b", am + ".route.routes[1].receiver", am + ".route.routes[2].receiver", am + ".route.routes[2].match"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("demo", []byte(metricsFile(t, "metrics", c.block)))
			assertPaths(t, err, c.want)
		})
	}
}

// The metrics block belongs to the metrics tool: on another tool it is refused by path, whatever
// it holds.
func TestMetricsBlockOnlyOnTheMetricsTool(t *testing.T) {
	_, err := Parse("demo", []byte(metricsFile(t, "logs", "retention: 30d")))
	assertPaths(t, err, []string{"config.orbos:boom.tools.logs.metrics"})
}

// A refused credential reference names the secret, never a secret's value (the file holds only
// ciphertext, and the error says how to set the missing one).
func TestMetricsSecretReferenceErrorSaysHowToSetIt(t *testing.T) {
	_, err := Parse("demo", []byte(metricsFile(t, "metrics", `remoteWrite: [{url: "https://x.example.com", bearerTokenSecret: grafana-cloud}]`)))
	if err == nil || !strings.Contains(err.Error(), "orbctl config set --secret orbos:secrets.grafana-cloud --from-file FILE") {
		t.Fatalf("error %v", err)
	}
}

func TestSchemaDescribesTheMetricsBlock(t *testing.T) {
	s := JSONSchema()
	cfg := s["properties"].(map[string]any)["config"].(map[string]any)
	tool := cfg["properties"].(map[string]any)[KeyBoom].(map[string]any)["properties"].(map[string]any)["tools"].(map[string]any)["additionalProperties"].(map[string]any)
	m := tool["properties"].(map[string]any)["metrics"].(map[string]any)
	rw := m["properties"].(map[string]any)["remoteWrite"].(map[string]any)["items"].(map[string]any)
	if req, _ := rw["required"].([]string); len(req) != 1 || req[0] != "url" {
		t.Errorf("remoteWrite items require %v, want [url]", rw["required"])
	}
	for _, f := range []string{"retention", "retentionSize", "storage", "externalLabels", "alertmanager"} {
		if m["properties"].(map[string]any)[f] == nil {
			t.Errorf("the schema has no tools.*.metrics.%s", f)
		}
	}
}
