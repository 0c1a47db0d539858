// Package dashboards holds orbos's Grafana dashboards, one JSON file per BOOM tool, for the nodes,
// for orbos's reconciler and for Zitadel and its database, and ships those of the enabled parts as
// ConfigMaps that the dashboards tool's Grafana sidecar loads.
package dashboards

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"slices"
)

// Label and LabelValue mark a ConfigMap as a dashboard for Grafana's sidecar (the dashboards
// tool's profile sets the sidecar to look for them); Tool is that tool's name in orbos:boom.tools.
const (
	Label      = "grafana_dashboard"
	LabelValue = "1"
	Tool       = "dashboards"
)

//go:embed json/*.json
var files embed.FS

// Dashboard is one dashboard and the parts of the ORB it shows.
type Dashboard struct {
	// Name is the file's name without .json; the ConfigMap is orbos-dashboard-<Name>.
	Name string
	// Tools are the BOOM tools it needs, all enabled, to ship: the tool it shows and the one
	// whose Prometheus or Loki holds its data.
	Tools []string
	// Zitadel says it ships only when orbos:zitadel is enabled.
	Zitadel bool
	// Exporters are the exporters whose metrics its Prometheus queries read; each is scraped when
	// the metrics tool is on (the tests hold both to it).
	Exporters []string
	// What it shows, for the docs.
	Doc string
}

// Catalog lists every dashboard. The reconciler's ships with Grafana alone: the reconciler is part
// of every ORB after takeoff, and a Prometheus other than the metrics tool's may be Grafana's.
var Catalog = []Dashboard{
	{Name: "reconciler", Exporters: []string{"reconciler"}, Doc: "orbos's reconciler: time since the last successful run, drifted resources, runs by operation and outcome, cycles, run duration, lock contention, memory and CPU"},
	{Name: "nodes", Exporters: []string{"node-exporter", "prometheus"}, Tools: []string{"metrics"}, Doc: "every node (node-exporter): CPU, memory, load, filesystems, network and disk"},
	{Name: "gateway", Exporters: []string{"envoy"}, Tools: []string{"gateway", "metrics"}, Doc: "Envoy Gateway's proxies: requests, 5xx ratio, latency, connections, upstream clusters"},
	{Name: "certificates", Exporters: []string{"cert-manager"}, Tools: []string{"certificates", "metrics"}, Doc: "cert-manager: certificates not ready or expiring within 30 days, time left per certificate, ACME requests"},
	{Name: "metrics", Exporters: []string{"prometheus", "alertmanager"}, Tools: []string{"metrics"}, Doc: "Prometheus and Alertmanager: targets down, series, storage, samples, rule failures, firing alerts, failed notifications"},
	{Name: "logs", Exporters: []string{"loki", "fluent-bit"}, Tools: []string{"logs"}, Doc: "Loki's intake, the log collector's records, retries and errors, log lines by namespace and the logs themselves"},
	{Name: "argocd", Exporters: []string{"argocd"}, Tools: []string{"reconciling", "metrics"}, Doc: "Argo CD: applications out of sync or unhealthy, syncs by phase, reconciliation time, Git requests"},
	{Name: "zitadel", Exporters: []string{"zitadel", "kube-state-metrics", "cadvisor"}, Tools: []string{"metrics"}, Zitadel: true, Doc: "Zitadel: ready replicas, requests by method, responses by code, 5xx ratio, restarts, CPU and memory"},
	{Name: "zitadel-database", Exporters: []string{"cloudnative-pg", "reconciler"}, Tools: []string{"metrics"}, Zitadel: true, Doc: "Zitadel's PostgreSQL on CloudNativePG: instances, connections, size, transactions, cache hits, replication lag, WAL archiving, last backup"},
}

// JSON returns a dashboard's JSON, compacted.
func JSON(name string) ([]byte, error) {
	raw, err := files.ReadFile("json/" + name + ".json")
	if err != nil {
		return nil, fmt.Errorf("dashboard %s: %w", name, err)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return nil, fmt.Errorf("dashboard %s: %w", name, err)
	}
	return b.Bytes(), nil
}

// Select returns the dashboards to ship for the enabled tools (by name) and Zitadel: none unless
// the dashboards tool itself is enabled.
func Select(enabled map[string]string, zitadel bool) []Dashboard {
	if _, ok := enabled[Tool]; !ok {
		return nil
	}
	var out []Dashboard
	for _, d := range Catalog {
		if d.Zitadel && !zitadel {
			continue
		}
		if slices.ContainsFunc(d.Tools, func(t string) bool { _, ok := enabled[t]; return !ok }) {
			continue
		}
		out = append(out, d)
	}
	return out
}
