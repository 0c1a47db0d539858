package stacks

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/internal/valid"
)

// Boom is the platform tools section, orbos:boom: pinned Helm charts, one per tool.
type Boom struct {
	APIVersion string `yaml:"apiVersion" orbos:"required"`
	// ImageRegistry replaces the registries of every tool's images (air-gapped ORBs mirror them).
	ImageRegistry string `yaml:"imageRegistry" doc:"registry mirror for every tool's images, host[:port][/path], e.g. registry.local:5000/mirror (air-gapped ORBs)"`
	// ChartRepository replaces the repository of every chart not taken from the ORB repository.
	ChartRepository string          `yaml:"chartRepository" doc:"chart mirror for every tool whose chart is not a local path: an https:// Helm repository or an oci:// registry path"`
	Tools           map[string]Tool `yaml:"tools" doc:"the tools by name: gateway, certificates, metrics, metrics-server, logs, logs-collector, dashboards, reconciling, or a name of your own with a chart"`
}

// Tool is one platform tool: a pinned Helm chart with orbos's production defaults.
type Tool struct {
	Enabled bool `yaml:"enabled" doc:"install the tool; turning it off removes it (its CRDs stay)"`
	// Chart defaults to the catalog's chart for the tools orbos knows.
	Chart     Chart  `yaml:"chart" doc:"the Helm chart; orbos's tools default to a pinned chart, a tool of your own names all three fields"`
	Namespace string `yaml:"namespace" doc:"namespace of the tool's objects; orbos's tools have a default"`
	// Values are merged last, over orbos's defaults and the fields below.
	Values       Values            `yaml:"values" doc:"Helm values merged last over orbos's defaults (never secrets: the tools take those from Secrets orbos creates)"`
	NodeSelector map[string]string `yaml:"nodeSelector" doc:"node labels the tool's pods must run on"`
	Tolerations  []Toleration      `yaml:"tolerations" doc:"taints the tool's pods tolerate"`
	Resources    *Resources        `yaml:"resources" doc:"requests and limits of the tool's main containers"`
	// Tool-specific fields, one per tool kind (stacks/boom_<tool>.go), tagged with the tools they
	// belong to: refuseMisplacedBlocks refuses them on other tools, the schema marks them.
	Gateway *Gateway     `yaml:"gateway" doc:"gateway tool only: the ORB's Gateway, its listeners and HTTPRoutes" tools:"gateway"`
	ACME    *ACME        `yaml:"acme" doc:"certificates tool only: ACME ClusterIssuers (Let's Encrypt) and the certificates of the Gateway's HTTPS listeners" tools:"certificates"`
	ArgoCD  *ArgoCD      `yaml:"argocd" doc:"reconciling only: Argo CD's repositories, credential templates and applications" tools:"reconciling"`
	SSO     *SSO         `yaml:"sso" doc:"reconciling (Argo CD) and dashboards (Grafana) only: single sign-on through an OpenID Connect issuer" tools:"reconciling,dashboards"`
	Metrics *MetricsSpec `yaml:"metrics" doc:"the metrics tool only: retention, storage, remote write, external labels, Alertmanager receivers" tools:"metrics"`
}

// Chart is a pinned Helm chart.
type Chart struct {
	Repository string `yaml:"repository" doc:"https:// Helm repository, oci:// registry path, or a chart directory or .tgz relative to the ORB repository"`
	Name       string `yaml:"name" doc:"chart name"`
	Version    string `yaml:"version" doc:"exact chart version, e.g. 1.2.3 (never a range)"`
}

// Local says whether the chart comes from the ORB repository rather than a Helm repository.
func (c Chart) Local() bool { return c.Repository != "" && !strings.Contains(c.Repository, "://") }

// OCI says whether the chart comes from an OCI registry.
func (c Chart) OCI() bool { return strings.HasPrefix(c.Repository, "oci://") }

// Toleration is a Kubernetes toleration.
type Toleration struct {
	Key               string `yaml:"key" doc:"taint key; empty with operator Exists tolerates every taint"`
	Operator          string `yaml:"operator" doc:"Equal (default) or Exists"`
	Value             string `yaml:"value" doc:"taint value (operator Equal)"`
	Effect            string `yaml:"effect" doc:"NoSchedule, PreferNoSchedule or NoExecute; empty: all"`
	TolerationSeconds *int   `yaml:"tolerationSeconds" doc:"how long a NoExecute taint is tolerated"`
}

// Resources are a container's requests and limits by resource name (cpu, memory, ...).
type Resources struct {
	Requests map[string]string `yaml:"requests" doc:"e.g. {cpu: 100m, memory: 256Mi}"`
	Limits   map[string]string `yaml:"limits" doc:"e.g. {memory: 1Gi}"`
}

// Values are free-form Helm values: a mapping with string keys at every level.
type Values map[string]any

// UnmarshalYAML keeps a mapping of string keys (Helm's values are JSON objects).
func (v *Values) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("must be a mapping of Helm values")
	}
	var m map[string]any
	if err := n.Decode(&m); err != nil {
		return fmt.Errorf("must be a mapping of Helm values with string keys")
	}
	if err := jsonLike(m); err != nil {
		return err
	}
	*v = m
	return nil
}

// jsonLike refuses what has no JSON form: mappings with keys other than strings.
func jsonLike(v any) error {
	switch t := v.(type) {
	case map[string]any:
		for _, e := range t {
			if err := jsonLike(e); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range t {
			if err := jsonLike(e); err != nil {
				return err
			}
		}
	case map[any]any:
		return fmt.Errorf("must have string keys at every level (Helm values are JSON objects)")
	}
	return nil
}

// CatalogTool is a tool orbos knows: its pinned default chart and namespace.
type CatalogTool struct {
	Chart     Chart
	Namespace string
	// What the tool is, for the docs.
	Doc string
}

// BoomCatalog holds the tools orbos knows with their pinned charts (the newest maintained charts of
// mid-2026). A spec overrides any field; components/boom holds each tool's production defaults.
var BoomCatalog = map[string]CatalogTool{
	"gateway":        {Chart{"oci://docker.io/envoyproxy", "gateway-helm", "1.9.0"}, "envoy-gateway-system", "Envoy Gateway (Gateway API)"},
	"certificates":   {Chart{"https://charts.jetstack.io", "cert-manager", "v1.21.1"}, "cert-manager", "cert-manager"},
	"metrics":        {Chart{"https://prometheus-community.github.io/helm-charts", "kube-prometheus-stack", "88.5.3"}, "monitoring", "kube-prometheus-stack (Prometheus, Alertmanager, node-exporter, kube-state-metrics)"},
	"metrics-server": {Chart{"https://kubernetes-sigs.github.io/metrics-server", "metrics-server", "3.13.1"}, "kube-system", "metrics-server (resource metrics for kubectl top and autoscalers)"},
	"logs":           {Chart{"https://grafana-community.github.io/helm-charts", "loki", "18.11.0"}, "logging", "Loki, monolithic"},
	"logs-collector": {Chart{"https://fluent.github.io/helm-charts", "fluent-bit", "0.58.1"}, "logging", "Fluent Bit on every node, shipping the pods' and the kubelet's logs to the logs tool's Loki"},
	"dashboards":     {Chart{"https://grafana-community.github.io/helm-charts", "grafana", "12.11.1"}, "monitoring", "Grafana"},
	"reconciling":    {Chart{"https://argoproj.github.io/argo-helm", "argo-cd", "10.1.1"}, "argocd", "Argo CD"},

	"systemd-exporter": {Chart{"https://prometheus-community.github.io/helm-charts", "prometheus-systemd-exporter", "0.5.2"}, "monitoring", "systemd exporter (the state of the nodes' systemd units: kubelet, containerd)"},
}

// CatalogNames lists the catalog's tools, sorted.
func CatalogNames() []string { return SortedKeys(BoomCatalog) }

func (b *Boom) applyDefaults() {
	for name, t := range b.Tools {
		c, ok := BoomCatalog[name]
		if !ok {
			continue
		}
		if t.Chart.Repository == "" {
			t.Chart.Repository = c.Chart.Repository
		}
		if t.Chart.Name == "" {
			t.Chart.Name = c.Chart.Name
		}
		if t.Chart.Version == "" {
			t.Chart.Version = c.Chart.Version
		}
		if t.Namespace == "" {
			t.Namespace = c.Namespace
		}
		b.Tools[name] = t
	}
}

// Tools returns the enabled platform tools with their defaults, sorted by name.
func (s *Spec) Tools() []NamedTool {
	var out []NamedTool
	if b := s.File.Config.Boom; b != nil {
		for name, t := range b.Tools {
			if t.Enabled {
				out = append(out, NamedTool{Name: name, Tool: t})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// NamedTool is a tool and its name.
type NamedTool struct {
	Name string
	Tool
}

var (
	toolName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,40}$`)
	chartVer = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$`)
	// Helm's chart names: lower-case letters, digits and dashes.
	chartName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	// A registry host[:port] and an optional path of lower-case components, as image references have.
	registryRE = regexp.MustCompile(`^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	// Kubernetes' quantity grammar (k8s.io/apimachinery/pkg/api/resource), without a sign: its
	// package would add three modules for this one check.
	quantity = regexp.MustCompile(`^([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$`)
	// A path in the ORB repository: plain components of letters, digits, '.', '_' and '-'.
	repoPath = regexp.MustCompile(`^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*/?$`)
)

func (b *Boom) validate(p string, e *errs) {
	checkSection(p, b.APIVersion, e)
	if b.ImageRegistry != "" && !registryRE.MatchString(b.ImageRegistry) {
		e.add(p+".imageRegistry", nil, "%s is not a registry like registry.local:5000 or registry.local/mirror", quoteShort(b.ImageRegistry))
	}
	if b.ChartRepository != "" {
		if reason := remoteRepository(b.ChartRepository); reason != "" {
			e.add(p+".chartRepository", nil, "%s %s", quoteShort(b.ChartRepository), reason)
		}
	}
	for _, name := range SortedKeys(b.Tools) {
		validateTool(join(p+".tools", name), name, b.Tools[name], e)
	}
	b.checkCollector(p, e)
}

func validateTool(p, name string, t Tool, e *errs) {
	if !toolName.MatchString(name) {
		e.add(p, nil, "tool names are lower-case letters, digits and dashes")
		return
	}
	_, known := BoomCatalog[name]
	c := t.Chart
	for field, v := range map[string]string{"repository": c.Repository, "name": c.Name, "version": c.Version} {
		if v == "" && !known {
			e.add(p+".chart."+field, nil, "required: %s is not one of orbos's tools (%s), so its chart is yours to name", name, strings.Join(CatalogNames(), ", "))
		}
	}
	if c.Repository != "" {
		if strings.Contains(c.Repository, "://") {
			if reason := remoteRepository(c.Repository); reason != "" {
				e.add(p+".chart.repository", nil, "%s %s", quoteShort(c.Repository), reason)
			}
		} else if !repoPath.MatchString(strings.TrimPrefix(c.Repository, "./")) || hasDotDot(c.Repository) {
			e.add(p+".chart.repository", nil, "%s is not a chart path inside the ORB repository (relative, without '..'), an https:// repository or an oci:// registry path", quoteShort(c.Repository))
		}
	}
	if c.Name != "" && !chartName.MatchString(c.Name) {
		e.add(p+".chart.name", nil, "%s is not a chart name (lower-case letters, digits and dashes)", quoteShort(c.Name))
	}
	if c.Version != "" && !chartVer.MatchString(c.Version) {
		e.add(p+".chart.version", nil, "%s is not a pinned chart version like 1.2.3", quoteShort(c.Version))
	}
	if t.Namespace == "" && !known {
		e.add(p+".namespace", nil, "required for a tool of your own")
	} else if t.Namespace != "" {
		e.check(p+".namespace", t.Namespace, valid.Name(t.Namespace))
	}
	for _, k := range SortedKeys(t.NodeSelector) {
		kp := join(p+".nodeSelector", k)
		if reasons := valid.LabelKey(k); len(reasons) > 0 {
			e.check(kp, k, reasons)
			continue
		}
		e.check(kp, t.NodeSelector[k], valid.LabelValue(t.NodeSelector[k]))
	}
	for i, tol := range t.Tolerations {
		validateToleration(fmt.Sprintf("%s.tolerations[%d]", p, i), tol, e)
	}
	if r := t.Resources; r != nil {
		validateQuantities(p+".resources.requests", r.Requests, e)
		validateQuantities(p+".resources.limits", r.Limits, e)
	}
}

func validateToleration(p string, t Toleration, e *errs) {
	switch t.Operator {
	case "", "Equal":
		if t.Key == "" {
			e.add(p+".key", nil, "required with operator Equal")
		}
		e.check(p+".value", t.Value, valid.LabelValue(t.Value))
	case "Exists":
		if t.Value != "" {
			e.add(p+".value", nil, "must be empty with operator Exists")
		}
	default:
		e.add(p+".operator", nil, "must be Equal or Exists, not %s", quoteShort(t.Operator))
	}
	if t.Key != "" {
		e.check(p+".key", t.Key, valid.LabelKey(t.Key))
	}
	if t.Effect != "" {
		e.check(p+".effect", t.Effect, valid.TaintEffect(t.Effect))
	}
	if t.TolerationSeconds != nil && (*t.TolerationSeconds < 0 || t.Effect != "NoExecute") {
		e.add(p+".tolerationSeconds", nil, "must be 0 or more, with effect NoExecute")
	}
}

func validateQuantities(p string, m map[string]string, e *errs) {
	for _, k := range SortedKeys(m) {
		kp := join(p, k)
		if reasons := valid.LabelKey(k); len(reasons) > 0 {
			e.check(kp, k, reasons)
			continue
		}
		if !quantity.MatchString(m[k]) {
			e.add(kp, nil, "%s is not a quantity like 100m, 256Mi or 2", quoteShort(m[k]))
		}
	}
}

// remoteRepository returns why repo is not an https:// Helm repository or oci:// registry path,
// or "" when it is one.
func remoteRepository(repo string) string {
	u, err := url.Parse(repo)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "oci"):
		return "is not an https:// Helm repository or an oci:// registry path"
	case u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return "must be a host and a path, without credentials, query or fragment"
	case len(valid.Printable(repo, true)) > 0 || hasDotDot(u.Path):
		return "must not contain white space, control characters or '..'"
	}
	return ""
}

func hasDotDot(p string) bool {
	for _, c := range strings.Split(path.Clean("/"+p), "/") {
		if c == ".." {
			return true
		}
	}
	return strings.Contains(p, "..")
}
