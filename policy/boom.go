package policy

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/orbos/orbos/stacks"
)

// Types of rendered objects the BOOM policies read.
const (
	ingressType    = "kubernetes:networking.k8s.io/v1:Ingress"
	prometheusType = "kubernetes:monitoring.coreos.com/v1:Prometheus"
)

// enabled says whether a BOOM tool is on.
func (o *Input) enabled(tool string) bool {
	if o.Boom == nil {
		return false
	}
	t, ok := o.Boom.Tools[tool]
	return ok && t.Enabled
}

// exposedWithTLS: once cert-manager runs (the certificates tool), every tool a spec exposes through
// an Ingress carries TLS. It reads the tools' values (an `ingress` enabled without `tls`, which
// every chart of the catalog names so) and the rendered Ingress objects, whoever made them.
func (o *Input) exposedWithTLS() []string {
	if !o.enabled("certificates") {
		return nil
	}
	var out []string
	for _, name := range stacks.SortedKeys(o.Boom.Tools) {
		t := o.Boom.Tools[name]
		if !t.Enabled {
			continue
		}
		for _, path := range ingressesWithoutTLS("values", map[string]any(t.Values)) {
			out = append(out, fmt.Sprintf("BOOM tool %s: %s is enabled without tls while the certificates tool is on: add tls (a cert-manager issuer annotation and a secretName)", name, path))
		}
	}
	return out
}

// renderedWithoutTLS is exposedWithTLS over one rendered object: an Ingress, whoever made it.
func (o *Input) renderedWithoutTLS(r policyx.AnalyzerResource) string {
	if r.Type != ingressType || !o.enabled("certificates") {
		return ""
	}
	if tls := at(r.Properties, "spec", "tls"); !tls.IsArray() || tls.AsArray().Len() == 0 {
		return fmt.Sprintf("Ingress %s has no tls while BOOM's certificates tool is on", r.Name)
	}
	return ""
}

// ingressesWithoutTLS finds, at any depth of Helm values, `ingress` mappings with enabled: true
// and no tls entry.
func ingressesWithoutTLS(path string, v any) []string {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	var out []string
	for _, k := range stacks.SortedKeys(m) {
		p := path + "." + k
		if k == "ingress" {
			if ing, ok := m[k].(map[string]any); ok && ing["enabled"] == true {
				if tls, _ := ing["tls"].([]any); len(tls) == 0 {
					out = append(out, p)
				}
			}
		}
		out = append(out, ingressesWithoutTLS(p, m[k])...)
	}
	return out
}

// durableMetrics: a production ORB's Prometheus keeps its data on a volume claim. orbos's defaults
// set one; this refuses values that take it away, and a rendered Prometheus without one.
func (o *Input) durableMetrics() []string {
	if !o.durableMetricsApply() {
		return nil
	}
	if spec, ok := lookup(map[string]any(o.Boom.Tools["metrics"].Values), "prometheus", "prometheusSpec"); ok {
		if storage, set := spec.(map[string]any)["storageSpec"]; set {
			if _, claim := lookup(storage, "volumeClaimTemplate"); !claim {
				return []string{"BOOM tool metrics: values.prometheus.prometheusSpec.storageSpec has no volumeClaimTemplate in a production ORB: Prometheus would lose its data with its pod"}
			}
		}
	}
	return nil
}

func (o *Input) durableMetricsApply() bool {
	return o.Orbiter != nil && o.Orbiter.Production && o.enabled("metrics")
}

// renderedWithoutStorage is durableMetrics over one rendered Prometheus.
func (o *Input) renderedWithoutStorage(r policyx.AnalyzerResource) string {
	if r.Type != prometheusType || !o.durableMetricsApply() {
		return ""
	}
	if !at(r.Properties, "spec", "storage", "volumeClaimTemplate").IsMap() {
		return fmt.Sprintf("Prometheus %s has no spec.storage.volumeClaimTemplate in a production ORB: it would lose its data with its pod", r.Name)
	}
	return ""
}

// lookup follows keys through nested mappings.
func lookup(v any, keys ...string) (any, bool) {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok || v == nil {
			return nil, false
		}
	}
	_, isMap := v.(map[string]any)
	return v, isMap
}

// at follows keys through a resource's properties; a missing one is null.
func at(m property.Map, keys ...string) property.Value {
	v := property.New(m)
	for _, k := range keys {
		if !v.IsMap() {
			return property.Value{}
		}
		v = v.AsMap().Get(k)
	}
	return v
}
