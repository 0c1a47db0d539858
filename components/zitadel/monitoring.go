package zitadel

// Zitadel serves its metrics (http_server_request_count_total and the others the Zitadel
// dashboard reads) at /debug/metrics on its server port. The zitadel chart (9.34.0) scrapes them
// through its ServiceMonitor when both metrics.enabled (the pods' prometheus.io annotations) and
// metrics.serviceMonitor.enabled are on; orbos turns them on with BOOM's metrics tool, whose CRDs
// a ServiceMonitor needs, and off without it. The login UI's metrics are not read by a dashboard.

// monitoringValues are the chart's values for its ServiceMonitor.
func monitoringValues(metrics bool) map[string]any {
	return map[string]any{"metrics": map[string]any{
		"enabled":        metrics,
		"serviceMonitor": map[string]any{"enabled": metrics},
	}}
}

// withMonitoring sets the monitoring values into the chart's values: "metrics" is orbos's alone.
func withMonitoring(values map[string]any, metrics bool) map[string]any {
	for k, v := range monitoringValues(metrics) {
		values[k] = v
	}
	return values
}
