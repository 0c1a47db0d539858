package policy

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/orbos/orbos/stacks"
)

func boomWith(tools map[string]stacks.Tool) *stacks.Boom { return &stacks.Boom{Tools: tools} }

func obj(v map[string]any) property.Map { return toValue(v).AsMap() }

func toValue(v any) property.Value {
	switch t := v.(type) {
	case map[string]any:
		m := map[string]property.Value{}
		for k, e := range t {
			m[k] = toValue(e)
		}
		return property.New(m)
	case []any:
		a := make([]property.Value, len(t))
		for i, e := range t {
			a[i] = toValue(e)
		}
		return property.New(a)
	case string:
		return property.New(t)
	}
	return property.Value{}
}

// With the certificates tool on, an Ingress (asked for in values, or rendered) needs TLS; without
// it, nothing is asked.
func TestExposedWithTLS(t *testing.T) {
	grafana := stacks.Tool{Enabled: true, Values: stacks.Values{"ingress": map[string]any{"enabled": true, "hosts": []any{"grafana.example.com"}}}}
	argo := stacks.Tool{Enabled: true, Values: stacks.Values{"server": map[string]any{"ingress": map[string]any{"enabled": true, "tls": []any{map[string]any{"secretName": "argocd-tls"}}}}}}
	plain := []policyx.AnalyzerResource{{Type: ingressType, Name: "grafana", Properties: obj(map[string]any{"spec": map[string]any{"rules": []any{}}})}}
	withTLS := []policyx.AnalyzerResource{{Type: ingressType, Name: "argocd", Properties: obj(map[string]any{"spec": map[string]any{"tls": []any{map[string]any{"secretName": "x"}}}})}}

	off := &Input{Boom: boomWith(map[string]stacks.Tool{"dashboards": grafana})}
	if got := withResources(off.exposedWithTLS(), off.renderedWithoutTLS, plain); len(got) != 0 {
		t.Errorf("without certificates: %v", got)
	}
	on := &Input{Boom: boomWith(map[string]stacks.Tool{"dashboards": grafana, "reconciling": argo, "certificates": {Enabled: true}})}
	got := withResources(on.exposedWithTLS(), on.renderedWithoutTLS, append(plain, withTLS...))
	want := []string{"BOOM tool dashboards: values.ingress is enabled without tls", "Ingress grafana has no tls"}
	if len(got) != len(want) {
		t.Fatalf("violations %q, want %q", got, want)
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("violation %q, want %q", got[i], want[i])
		}
	}
	grafana.Values["ingress"].(map[string]any)["tls"] = []any{map[string]any{"secretName": "grafana-tls"}}
	if got := withResources(on.exposedWithTLS(), on.renderedWithoutTLS, withTLS); len(got) != 0 {
		t.Errorf("with tls: %v", got)
	}
}

// A production ORB's Prometheus keeps a volume claim; a test ORB may run it on emptyDir.
func TestDurableMetricsInProduction(t *testing.T) {
	emptyDir := stacks.Tool{Enabled: true, Values: stacks.Values{"prometheus": map[string]any{"prometheusSpec": map[string]any{"storageSpec": map[string]any{"emptyDir": map[string]any{}}}}}}
	rendered := []policyx.AnalyzerResource{{Type: prometheusType, Name: "metrics-prometheus", Properties: obj(map[string]any{"spec": map[string]any{"retention": "30d"}})}}
	claim := []policyx.AnalyzerResource{{Type: prometheusType, Name: "metrics-prometheus", Properties: obj(map[string]any{"spec": map[string]any{"storage": map[string]any{"volumeClaimTemplate": map[string]any{"spec": map[string]any{}}}}})}}

	test := &Input{Orbiter: &stacks.Orbiter{}, Boom: boomWith(map[string]stacks.Tool{"metrics": emptyDir})}
	if got := withResources(test.durableMetrics(), test.renderedWithoutStorage, rendered); len(got) != 0 {
		t.Errorf("a test ORB: %v", got)
	}
	prod := &Input{Orbiter: &stacks.Orbiter{Production: true}, Boom: boomWith(map[string]stacks.Tool{"metrics": emptyDir})}
	got := withResources(prod.durableMetrics(), prod.renderedWithoutStorage, rendered)
	if len(got) != 2 || !strings.Contains(got[0], "storageSpec has no volumeClaimTemplate") || !strings.Contains(got[1], "Prometheus metrics-prometheus has no spec.storage.volumeClaimTemplate") {
		t.Errorf("production on emptyDir: %q", got)
	}
	defaults := &Input{Orbiter: &stacks.Orbiter{Production: true}, Boom: boomWith(map[string]stacks.Tool{"metrics": {Enabled: true}})}
	if got := withResources(defaults.durableMetrics(), defaults.renderedWithoutStorage, claim); len(got) != 0 {
		t.Errorf("production with orbos's defaults: %v", got)
	}
	for _, v := range []any{nil, map[string]any{}} {
		prod.Boom.Tools["metrics"].Values["prometheus"].(map[string]any)["prometheusSpec"].(map[string]any)["storageSpec"] = v
		if got := withResources(prod.durableMetrics(), prod.renderedWithoutStorage, claim); len(got) != 1 {
			t.Errorf("storageSpec %v: %q", v, got)
		}
	}
}

// withResources is a rule's verdict on the spec and on each rendered resource, as the pack and
// orbctl together judge them.
func withResources(spec []string, each func(policyx.AnalyzerResource) string, resources []policyx.AnalyzerResource) []string {
	for _, r := range resources {
		if v := each(r); v != "" {
			spec = append(spec, v)
		}
	}
	return spec
}
