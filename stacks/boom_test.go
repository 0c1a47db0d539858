package stacks

import (
	"strings"
	"testing"
)

// boomFile is validFile with its orbos:boom section replaced by section.
func boomFile(t *testing.T, section string) string {
	t.Helper()
	start, end := strings.Index(validFile, "  orbos:boom:"), strings.Index(validFile, "  orbos:kubeconfig:")
	if start < 0 || end < start {
		t.Fatal("validFile has no orbos:boom section before orbos:kubeconfig")
	}
	return validFile[:start] + section + validFile[end:]
}

// The tools orbos knows take their pinned chart and namespace from the catalog; a spec overrides any
// field of them and nothing else.
func TestCatalogToolsGetPinnedDefaults(t *testing.T) {
	s, err := Parse("demo", []byte(boomFile(t, `  orbos:boom:
    apiVersion: orbos.io/v1alpha1
    tools:
      certificates: {enabled: true}
      metrics: {enabled: true, chart: {version: 88.0.0}, namespace: observability}
      logs: {enabled: false}
`)))
	if err != nil {
		t.Fatal(err)
	}
	tools := s.Tools()
	if len(tools) != 2 || tools[0].Name != "certificates" || tools[1].Name != "metrics" {
		t.Fatalf("enabled tools %+v", tools)
	}
	if c := tools[0]; c.Chart != BoomCatalog["certificates"].Chart || c.Namespace != "cert-manager" {
		t.Errorf("certificates %+v", c)
	}
	m := tools[1]
	want := BoomCatalog["metrics"].Chart
	want.Version = "88.0.0"
	if m.Chart != want || m.Namespace != "observability" {
		t.Errorf("metrics %+v, want chart %+v in observability", m, want)
	}
	for name, c := range BoomCatalog {
		if !chartVer.MatchString(c.Chart.Version) || remoteRepository(c.Chart.Repository) != "" || !chartName.MatchString(c.Chart.Name) || c.Namespace == "" {
			t.Errorf("catalog entry %s is not a pinned chart: %+v", name, c)
		}
	}
}

// Every field of a tool that reaches a chart or a path has a rule; each case breaks one and names
// the paths refused.
func TestBoomFieldsAreChecked(t *testing.T) {
	const p = "config.orbos:boom"
	const tp = p + ".tools.metrics"
	head := "  orbos:boom:\n    apiVersion: orbos.io/v1alpha1\n"
	tool := func(fields string) string {
		return head + "    tools:\n      metrics: {enabled: true, " + fields + "}\n"
	}
	cases := []struct {
		name, section string
		want          []string
	}{
		{"mirrors", head + "    imageRegistry: registry.local:5000/mirror\n    chartRepository: oci://registry.local:5000/charts\n", nil},
		{"https chart mirror", head + "    chartRepository: https://charts.example.com/stable\n", nil},
		{"image mirror with a scheme", head + "    imageRegistry: https://registry.local\n", []string{p + ".imageRegistry"}},
		{"image mirror with a newline", head + "    imageRegistry: \"registry.local\\nx\"\n", []string{p + ".imageRegistry"}},
		{"chart mirror over http", head + "    chartRepository: http://charts.example.com\n", []string{p + ".chartRepository"}},
		{"chart mirror with credentials", head + "    chartRepository: https://user:pw@charts.example.com\n", []string{p + ".chartRepository"}},
		{"local chart", tool("chart: {repository: ./charts/metrics, name: metrics, version: 0.1.0}"), nil},
		{"local chart archive", tool("chart: {repository: charts/metrics-0.1.0.tgz}"), nil},
		{"oci chart", tool("chart: {repository: oci://ghcr.io/example/charts}"), nil},
		{"local chart outside the repository", tool("chart: {repository: ../elsewhere/chart}"), []string{tp + ".chart.repository"}},
		{"local chart by absolute path", tool("chart: {repository: /etc/chart}"), []string{tp + ".chart.repository"}},
		{"local chart inside then out", tool("chart: {repository: charts/../../x}"), []string{tp + ".chart.repository"}},
		{"chart from a file URL", tool("chart: {repository: \"file:///etc/chart\"}"), []string{tp + ".chart.repository"}},
		{"chart over http", tool("chart: {repository: \"http://charts.example.com\"}"), []string{tp + ".chart.repository"}},
		{"chart repository with a space", tool("chart: {repository: \"https://charts.example.com/a b\"}"), []string{tp + ".chart.repository"}},
		{"chart name with a slash", tool("chart: {name: prometheus/stack}"), []string{tp + ".chart.name"}},
		{"chart version a range", tool("chart: {version: ^88.0.0}"), []string{tp + ".chart.version"}},
		{"chart version latest", tool("chart: {version: latest}"), []string{tp + ".chart.version"}},
		{"namespace", tool("namespace: Monitoring"), []string{tp + ".namespace"}},
		{"node selector", tool("nodeSelector: {orbos.io/pool: infra}"), nil},
		{"node selector key", tool("nodeSelector: {\"orbos.io/po ol\": infra}"), []string{tp + `.nodeSelector["orbos.io/po ol"]`}},
		{"node selector value", tool("nodeSelector: {orbos.io/pool: \"infra\\nx\"}"), []string{tp + ".nodeSelector.orbos.io/pool"}},
		{"tolerations", tool("tolerations: [{key: orbos.io/infra, value: \"true\", effect: NoSchedule}, {operator: Exists}, {key: x, operator: Exists, effect: NoExecute, tolerationSeconds: 30}]"), nil},
		{"toleration operator", tool("tolerations: [{key: a, operator: In}]"), []string{tp + ".tolerations[0].operator"}},
		{"toleration effect", tool("tolerations: [{key: a, effect: NoWay}]"), []string{tp + ".tolerations[0].effect"}},
		{"toleration key", tool("tolerations: [{key: \"a b\"}]"), []string{tp + ".tolerations[0].key"}},
		{"toleration equal without key", tool("tolerations: [{value: x}]"), []string{tp + ".tolerations[0].key"}},
		{"toleration exists with value", tool("tolerations: [{key: a, operator: Exists, value: x}]"), []string{tp + ".tolerations[0].value"}},
		{"toleration seconds without NoExecute", tool("tolerations: [{key: a, tolerationSeconds: 5}]"), []string{tp + ".tolerations[0].tolerationSeconds"}},
		{"resources", tool("resources: {requests: {cpu: 250m, memory: 512Mi}, limits: {memory: 2Gi, nvidia.com/gpu: \"1\"}}"), nil},
		{"resource quantity", tool("resources: {requests: {cpu: lots}}"), []string{tp + ".resources.requests.cpu"}},
		{"resource quantity with a newline", tool("resources: {limits: {memory: \"1Gi\\nx\"}}"), []string{tp + ".resources.limits.memory"}},
		{"resource name", tool("resources: {limits: {\"me mory\": 1Gi}}"), []string{tp + `.resources.limits["me mory"]`}},
		{"values", tool("values: {prometheus: {prometheusSpec: {retention: 30d, replicas: 2}}, alertmanager: {enabled: false}}"), nil},
		{"values not a mapping", tool("values: [a]"), []string{tp + ".values"}},
		{"values with a number key", tool("values: {a: {1: b}}"), []string{tp + ".values"}},
		{"unknown tool field", tool("replicas: 2"), []string{tp + ".replicas"}},
		{"own tool", head + "    tools:\n      demo: {enabled: true, chart: {repository: charts/demo, name: demo, version: 0.1.0}, namespace: demo}\n", nil},
		{"own tool without chart", head + "    tools:\n      demo: {enabled: true}\n", []string{
			p + ".tools.demo.chart.name", p + ".tools.demo.chart.repository", p + ".tools.demo.chart.version", p + ".tools.demo.namespace"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("demo", []byte(boomFile(t, c.section)))
			assertPaths(t, err, c.want)
		})
	}
}

func TestSchemaDescribesTools(t *testing.T) {
	s := JSONSchema()
	cfg := s["properties"].(map[string]any)["config"].(map[string]any)
	boom := cfg["properties"].(map[string]any)[KeyBoom].(map[string]any)
	tool := boom["properties"].(map[string]any)["tools"].(map[string]any)["additionalProperties"].(map[string]any)
	props := tool["properties"].(map[string]any)
	for _, f := range []string{"enabled", "chart", "namespace", "values", "nodeSelector", "tolerations", "resources"} {
		if props[f] == nil {
			t.Errorf("the schema has no tools.*.%s", f)
		}
	}
	if v := props["values"].(map[string]any); v["type"] != "object" || v["additionalProperties"] != nil {
		t.Errorf("values schema %v: free-form objects", v)
	}
	for _, f := range []string{"imageRegistry", "chartRepository"} {
		if boom["properties"].(map[string]any)[f] == nil {
			t.Errorf("the schema has no orbos:boom.%s", f)
		}
	}
}
