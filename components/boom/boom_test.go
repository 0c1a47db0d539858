package boom

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/stacks"
)

// registered is one resource the program registered with the mock engine.
type registered struct {
	typ, name, urn string
	inputs         resource.PropertyMap
	deps           []string
	ignoreChanges  []string
}

type mocks struct {
	mu  sync.Mutex
	all []registered
}

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := registered{typ: args.TypeToken, name: args.Name, inputs: args.Inputs}
	if rpc := args.RegisterRPC; rpc != nil {
		r.deps, r.ignoreChanges = rpc.GetDependencies(), rpc.GetIgnoreChanges()
		r.urn = args.TypeToken + "::" + args.Name // a suffix of the URN
	}
	m.all = append(m.all, r)
	return args.Name + "-id", args.Inputs, nil
}

// dependsOn says whether r was registered depending on other.
func dependsOn(r, other registered) bool {
	return slices.ContainsFunc(r.deps, func(urn string) bool {
		return strings.HasSuffix(urn, "$"+other.urn) || strings.HasSuffix(urn, "::"+other.urn)
	})
}

func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) { return args.Args, nil }

func (m *mocks) get(t *testing.T, typ, name string) registered {
	t.Helper()
	for _, r := range m.all {
		if r.typ == typ && r.name == name {
			return r
		}
	}
	t.Fatalf("no %s %s among %d resources", typ, name, len(m.all))
	return registered{}
}

// install runs New for each tool against mocks, every tool after the previous one.
func install(t *testing.T, tools []stacks.NamedTool, env Env, mirror, repoDir string) (*mocks, error) {
	t.Helper()
	m := &mocks{}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		for _, tool := range tools {
			if _, err := New(ctx, Args{Tool: tool, Env: env, ChartRepository: mirror, RepoDir: repoDir, Orbctl: "/usr/local/bin/orbctl"}); err != nil {
				return err
			}
		}
		return nil
	}, pulumi.WithMocks("orbos", "test", m))
	return m, err
}

// catalogTool is a catalog tool as the spec's defaults make it.
func catalogTool(name string) stacks.NamedTool {
	c := stacks.BoomCatalog[name]
	return stacks.NamedTool{Name: name, Tool: stacks.Tool{Enabled: true, Chart: c.Chart, Namespace: c.Namespace}}
}

func str(v resource.PropertyValue) string {
	if v.IsSecret() {
		return "[secret]"
	}
	if v.IsString() {
		return v.StringValue()
	}
	b, _ := json.Marshal(v.Mappable())
	return string(b)
}

// at follows a dotted path into the inputs.
func at(m resource.PropertyMap, path string) resource.PropertyValue {
	v := resource.NewObjectProperty(m)
	for _, k := range strings.Split(path, ".") {
		if !v.IsObject() {
			return resource.NewNullProperty()
		}
		v = v.ObjectValue()[resource.PropertyKey(k)]
	}
	return v
}

const (
	chartType   = "kubernetes:helm.sh/v4:Chart"
	releaseType = "kubernetes:helm.sh/v3:Release"
)

// Every catalog tool: its pinned chart from its repository, in its namespace, as a CRD step that
// keeps only the CRDs and a main step without them; a Release only for the tools that need hooks.
func TestEveryCatalogToolInstallsItsPinnedChart(t *testing.T) {
	for _, name := range stacks.CatalogNames() {
		t.Run(name, func(t *testing.T) {
			tool := catalogTool(name)
			m, err := install(t, []stacks.NamedTool{tool}, Env{}, "", "")
			if err != nil {
				t.Fatal(err)
			}
			c := tool.Chart
			wantChart, wantRepo := c.Name, c.Repository
			if c.OCI() {
				wantChart, wantRepo = c.Repository+"/"+c.Name, "null"
			}
			crds := m.get(t, chartType, name+"-crds")
			mainType := chartType
			if HookReason(name) != "" {
				mainType = releaseType
			}
			main := m.get(t, mainType, name)
			for _, r := range []registered{crds, main} {
				for path, want := range map[string]string{"chart": wantChart, "version": c.Version, "namespace": tool.Namespace, "name": name, "repositoryOpts.repo": wantRepo} {
					if got := str(at(r.inputs, path)); got != want {
						t.Errorf("%s %s: %s = %s, want %s", r.typ, r.name, path, got, want)
					}
				}
			}
			if got := str(at(crds.inputs, "postRenderer.args")); got != `["boom-manifests","crds"]` {
				t.Errorf("the CRD step's post-renderer args %s", got)
			}
			if str(at(main.inputs, "skipCrds")) != "true" {
				t.Error("the main step applies the CRDs again")
			}
			if mainType == chartType && str(at(main.inputs, "postRenderer.args")) != `["boom-manifests","resources"]` {
				t.Errorf("the main step's post-renderer args %s", str(at(main.inputs, "postRenderer.args")))
			}
			if !dependsOn(main, crds) {
				t.Errorf("the main step does not wait for the CRD step: deps %v", main.deps)
			}
		})
	}
}

// Chart v4 drops Helm hooks: a tool whose install needs them is a Release, and says why; every
// other tool is a Chart, whose objects preview and refresh see one by one.
func TestOnlyToolsThatNeedHooksAreReleases(t *testing.T) {
	want := map[string]string{
		// Envoy Gateway's certgen Job makes the control plane's TLS certificates; without it the
		// gateway never serves xDS.
		"gateway": "certgen",
	}
	for _, name := range stacks.CatalogNames() {
		reason := HookReason(name)
		if w, ok := want[name]; ok != (reason != "") || !strings.Contains(reason, w) {
			t.Errorf("%s: hooks %q, want one naming %q", name, reason, w)
		}
	}
	// The charts whose hooks orbos replaces: the admission webhook's patch Jobs (metrics), the
	// redis-secret-init Job (reconciling), the startup API check (certificates).
	for name, off := range map[string]string{
		"metrics":      "prometheusOperator.admissionWebhooks.enabled",
		"reconciling":  "redisSecretInit.enabled",
		"certificates": "startupapicheck.enabled",
	} {
		v := Values(catalogTool(name), Env{})
		if got := lookup(v, off); got != false {
			t.Errorf("%s: %s = %v, want false (a hook Chart v4 would drop)", name, off, got)
		}
	}
	// With cert-manager on, the metrics stack's webhook takes its certificate from it.
	v := Values(catalogTool("metrics"), Env{Enabled: map[string]string{"certificates": "cert-manager"}})
	if lookup(v, "prometheusOperator.admissionWebhooks.certManager.enabled") != true || lookup(v, "prometheusOperator.admissionWebhooks.patch.enabled") != false {
		t.Errorf("metrics with certificates: %v", v["prometheusOperator"])
	}
}

func lookup(m map[string]any, path string) any {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

// The production defaults PLATFORM.md's traps call for.
func TestProductionDefaults(t *testing.T) {
	for name, want := range map[string]map[string]any{
		"metrics": {
			"prometheus.prometheusSpec.retentionSize":                           "45GB",
			"prometheus.prometheusSpec.serviceMonitorSelectorNilUsesHelmValues": false,
			"prometheus.prometheusSpec.ruleSelectorNilUsesHelmValues":           false,
			"prometheus.prometheusSpec.podMonitorSelectorNilUsesHelmValues":     false,
			"prometheus.prometheusSpec.probeSelectorNilUsesHelmValues":          false,
			"grafana.enabled": false,
		},
		"logs":         {"deploymentMode": "Monolithic", "loki.storage.type": "filesystem", "loki.commonConfig.replication_factor": 1, "chunksCache.enabled": false, "singleBinary.persistence.enabled": true},
		"dashboards":   {"persistence.enabled": true, "sidecar.dashboards.label": "grafana_dashboard"},
		"certificates": {"crds.enabled": true, "crds.keep": true, "config.enableGatewayAPI": true},
	} {
		v := Values(catalogTool(name), Env{})
		for path, w := range want {
			if got := lookup(v, path); got != w {
				t.Errorf("%s: %s = %v, want %v", name, path, got, w)
			}
		}
	}
	if lookup(Values(catalogTool("metrics"), Env{}), "prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage") == nil {
		t.Error("Prometheus without a volume claim")
	}
	if schema := lookup(Values(catalogTool("logs"), Env{}), "loki.schemaConfig.configs").([]any)[0].(map[string]any); schema["schema"] != "v13" || schema["store"] != "tsdb" {
		t.Errorf("Loki schema %v", schema)
	}
	d := Values(catalogTool("dashboards"), Env{Enabled: map[string]string{"metrics": "monitoring", "logs": "logging"}})
	sources, _ := json.Marshal(lookup(d, "datasources"))
	if !strings.Contains(string(sources), "http://metrics-prometheus.monitoring.svc:9090") || !strings.Contains(string(sources), "http://loki.logging.svc:3100") {
		t.Errorf("Grafana's datasources %s", sources)
	}
}

// What the spec says reaches the chart's values: placement at the chart's paths, the image mirror,
// and the spec's own values last, over orbos's defaults.
func TestSpecValuesReachTheChart(t *testing.T) {
	five := 5
	tool := catalogTool("metrics")
	tool.NodeSelector = map[string]string{"orbos.io/pool": "infra"}
	tool.Tolerations = []stacks.Toleration{{Key: "orbos.io/infra", Operator: "Exists", Effect: "NoExecute", TolerationSeconds: &five}}
	tool.Resources = &stacks.Resources{Requests: map[string]string{"memory": "4Gi"}, Limits: map[string]string{"memory": "8Gi"}}
	tool.Values = stacks.Values{"prometheus": map[string]any{"prometheusSpec": map[string]any{"retention": "90d"}}, "alertmanager": map[string]any{"enabled": false}}
	m, err := install(t, []stacks.NamedTool{tool}, Env{ImageRegistry: "registry.local:5000/mirror"}, "", "")
	if err != nil {
		t.Fatal(err)
	}
	main := m.get(t, chartType, "metrics")
	for path, want := range map[string]string{
		"values.prometheus.prometheusSpec.nodeSelector":     `{"orbos.io/pool":"infra"}`,
		"values.alertmanager.alertmanagerSpec.nodeSelector": `{"orbos.io/pool":"infra"}`,
		"values.prometheus.prometheusSpec.tolerations":      `[{"effect":"NoExecute","key":"orbos.io/infra","operator":"Exists","tolerationSeconds":5}]`,
		"values.prometheus.prometheusSpec.resources":        `{"limits":{"memory":"8Gi"},"requests":{"memory":"4Gi"}}`,
		"values.prometheus.prometheusSpec.retention":        "90d", // the spec's values win
		"values.prometheus.prometheusSpec.retentionSize":    "45GB",
		"values.alertmanager.enabled":                       "true",
		"values.global.imageRegistry":                       "registry.local:5000/mirror",
	} {
		if path == "values.alertmanager.enabled" {
			want = "false"
		}
		if got := str(at(main.inputs, path)); got != want {
			t.Errorf("%s = %s, want %s", path, got, want)
		}
	}
	// Resources go to the main workload only.
	if v := at(main.inputs, "values.alertmanager.alertmanagerSpec.resources"); !v.IsNull() {
		t.Errorf("alertmanager got the resources too: %v", v)
	}
	// Defaults are never changed by a tool's values (the next tool starts from the same ones).
	if lookup(Values(catalogTool("metrics"), Env{}), "prometheus.prometheusSpec.retention") != "15d" {
		t.Error("a spec's values changed the defaults")
	}
}

// Generated secrets reach the charts only through Secrets the program makes: the values name the
// Secret, never hold its content, and the Secret keeps what its first run generated.
func TestSecretsNeverInValues(t *testing.T) {
	for name, wantRef := range map[string]string{"dashboards": "admin.existingSecret", "reconciling": "configs.secret.createSecret"} {
		t.Run(name, func(t *testing.T) {
			m, err := install(t, []stacks.NamedTool{catalogTool(name)}, Env{}, "", "")
			if err != nil {
				t.Fatal(err)
			}
			main := m.get(t, chartType, name)
			if at(main.inputs, "values."+wantRef).IsNull() {
				t.Errorf("the chart's values do not point at the program's Secret (%s)", wantRef)
			}
			var secrets []registered
			for _, r := range m.all {
				if r.typ == "kubernetes:core/v1:Secret" {
					secrets = append(secrets, r)
				}
			}
			if len(secrets) == 0 {
				t.Fatal("no Secret made for the chart")
			}
			values, _ := json.Marshal(at(main.inputs, "values").Mappable())
			for _, s := range secrets {
				sd := s.inputs["stringData"]
				if !sd.IsSecret() {
					t.Errorf("%s: stringData is not a secret", s.name)
					continue
				}
				if !slices.Contains(s.ignoreChanges, "stringData") || !slices.Contains(s.ignoreChanges, "data") {
					t.Errorf("%s: regenerated every run (ignoreChanges %v, want stringData and data)", s.name, s.ignoreChanges)
				}
				if !dependsOn(main, s) {
					t.Errorf("the chart does not wait for %s", s.name)
				}
				for k, v := range sd.SecretValue().Element.ObjectValue() {
					val := v.StringValue()
					if len(val) < 20 || k == "admin.passwordMtime" {
						continue // a user name, a timestamp
					}
					if strings.Contains(string(values), val) {
						t.Errorf("%s's %s is in the chart's values", s.name, k)
					}
				}
			}
		})
	}
	// Two installs generate different secrets (crypto/rand, per ORB).
	a, b := Values(catalogTool("dashboards"), Env{}), Values(catalogTool("dashboards"), Env{})
	if lookup(a, "admin.existingSecret") != "dashboards-admin" || lookup(b, "admin.existingSecret") != "dashboards-admin" {
		t.Error("the Secret's name is not fixed")
	}
	k1, _ := profileOf("dashboards").Secrets[0].Keys()
	k2, _ := profileOf("dashboards").Secrets[0].Keys()
	if k1["admin-password"] == k2["admin-password"] || len(k1["admin-password"]) < 40 {
		t.Error("generated passwords repeat or are short")
	}
}

// Local charts come from the ORB repository and must be the pinned version; the chart mirror
// replaces every other repository.
func TestChartSources(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "charts", "demo"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "charts", "demo", "Chart.yaml"), []byte("apiVersion: v2\nname: demo\nversion: 0.1.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	local := stacks.Chart{Repository: "./charts/demo", Name: "demo", Version: "0.1.0"}
	src, err := resolveChart(local, "oci://mirror.local/charts", dir)
	if err != nil || src.chart != filepath.Join(dir, "charts", "demo") || src.url != "" {
		t.Errorf("local chart: %+v %v", src, err)
	}
	local.Version = "0.2.0"
	if _, err := resolveChart(local, "", dir); err == nil || !strings.Contains(err.Error(), "not the pinned demo 0.2.0") {
		t.Errorf("a local chart of another version: %v", err)
	}
	if _, err := resolveChart(stacks.Chart{Repository: "charts/missing", Name: "x", Version: "1.0.0"}, "", dir); err == nil {
		t.Error("a missing local chart was accepted")
	}
	https := stacks.BoomCatalog["metrics"].Chart
	for mirror, want := range map[string]source{
		"":                          {chart: https.Name, url: https.Repository},
		"oci://mirror.local/charts": {chart: "oci://mirror.local/charts/kube-prometheus-stack"},
		"https://mirror.local/helm": {chart: https.Name, url: "https://mirror.local/helm"},
	} {
		if got, err := resolveChart(https, mirror, dir); err != nil || got != want {
			t.Errorf("mirror %q: %+v %v, want %+v", mirror, got, err, want)
		}
	}
	m, err := install(t, []stacks.NamedTool{{Name: "demo", Tool: stacks.Tool{Enabled: true, Chart: local, Namespace: "demo"}}}, Env{}, "", dir)
	if err == nil || !strings.Contains(err.Error(), "BOOM tool demo") {
		t.Errorf("a tool of a wrong local chart installed: %v", err)
	}
	_ = m
}

func TestOrderFollowsTheToolsThatMustComeFirst(t *testing.T) {
	tools := []stacks.NamedTool{catalogTool("dashboards"), catalogTool("metrics"), catalogTool("certificates"), catalogTool("logs")}
	ordered, after := Order(tools)
	var names []string
	for _, t := range ordered {
		names = append(names, t.Name)
	}
	pos := func(n string) int { return slices.Index(names, n) }
	if !(pos("certificates") < pos("metrics") && pos("metrics") < pos("dashboards") && pos("logs") < pos("dashboards")) {
		t.Errorf("order %v", names)
	}
	if got := after["dashboards"]; !slices.Equal(got, []string{"metrics", "logs"}) {
		t.Errorf("dashboards after %v", got)
	}
	// A tool that is off is not waited for.
	_, after = Order([]stacks.NamedTool{catalogTool("metrics")})
	if len(after["metrics"]) != 0 {
		t.Errorf("metrics waits for %v, which is off", after["metrics"])
	}
}
