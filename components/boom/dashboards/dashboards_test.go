package dashboards

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/orbos/orbos/components/boom/alerts"
)

// board is the part of a dashboard's JSON the checks read.
type board struct {
	UID        string `json:"uid"`
	Title      string `json:"title"`
	Templating struct {
		List []struct {
			Name       string `json:"name"`
			Type       string `json:"type"`
			Query      any    `json:"query"`
			Datasource *ds    `json:"datasource"`
		} `json:"list"`
	} `json:"templating"`
	Panels []struct {
		ID         int    `json:"id"`
		Type       string `json:"type"`
		Title      string `json:"title"`
		Datasource *ds    `json:"datasource"`
		GridPos    struct{ X, Y, W, H int }
		Targets    []target `json:"targets"`
	} `json:"panels"`
}

type target struct {
	RefID      string `json:"refId"`
	Expr       string `json:"expr"`
	Datasource *ds    `json:"datasource"`
}

type ds struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

func load(t *testing.T, name string) board {
	t.Helper()
	raw, err := JSON(name)
	if err != nil {
		t.Fatal(err)
	}
	var b board
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatalf("%s is not a dashboard's JSON: %v", name, err)
	}
	return b
}

// The catalog and the embedded files are the same set.
func TestEveryFileIsInTheCatalog(t *testing.T) {
	var onDisk []string
	entries, err := fs.ReadDir(files, "json")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		onDisk = append(onDisk, strings.TrimSuffix(e.Name(), ".json"))
	}
	var names []string
	for _, d := range Catalog {
		names = append(names, d.Name)
	}
	slices.Sort(names)
	slices.Sort(onDisk)
	if !slices.Equal(onDisk, names) {
		t.Errorf("files %v, catalog %v", onDisk, names)
	}
}

// Each dashboard: its own uid, a title; every panel a query against a datasource chosen by a
// variable the dashboard declares, on the 24-column grid; stat and time-series panels both.
func TestDashboardsAreWellFormed(t *testing.T) {
	uids := map[string]string{}
	for _, d := range Catalog {
		t.Run(d.Name, func(t *testing.T) {
			b := load(t, d.Name)
			if !strings.HasPrefix(b.UID, "orbos-") || len(b.UID) > 40 || b.Title == "" {
				t.Errorf("uid %q (orbos-..., at most Grafana's 40 characters), title %q", b.UID, b.Title)
			}
			if other, ok := uids[b.UID]; ok {
				t.Errorf("uid %s is %s's too", b.UID, other)
			}
			uids[b.UID] = d.Name
			vars := map[string]string{}
			for _, v := range b.Templating.List {
				if v.Type == "datasource" {
					vars["${"+v.Name+"}"] = v.Query.(string)
				}
			}
			types := map[string]bool{}
			ids := map[int]bool{}
			for _, p := range b.Panels {
				types[p.Type] = true
				if ids[p.ID] {
					t.Errorf("panel id %d twice", p.ID)
				}
				ids[p.ID] = true
				if p.GridPos.W <= 0 || p.GridPos.X+p.GridPos.W > 24 || p.GridPos.H <= 0 {
					t.Errorf("panel %q outside the grid: %+v", p.Title, p.GridPos)
				}
				if len(p.Targets) == 0 {
					t.Errorf("panel %q has no query", p.Title)
				}
				for _, q := range append([]*ds{p.Datasource}, targetSources(p.Targets)...) {
					if q == nil || vars[q.UID] != q.Type {
						t.Errorf("panel %q: datasource %+v is not one of the dashboard's datasource variables %v", p.Title, q, vars)
					}
				}
				for _, q := range p.Targets {
					if strings.TrimSpace(q.Expr) == "" || q.RefID == "" {
						t.Errorf("panel %q: an empty query", p.Title)
					}
				}
			}
			if !types["stat"] || !types["timeseries"] {
				t.Errorf("panel types %v, want stats and time series", slices.Collect(maps.Keys(types)))
			}
		})
	}
}

func targetSources(targets []target) []*ds {
	var out []*ds
	for _, q := range targets {
		out = append(out, q.Datasource)
	}
	return out
}

var (
	quoted    = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	matchers  = regexp.MustCompile(`\{[^}]*\}`)
	ranges    = regexp.MustCompile(`\[[^\]]*\]`)
	grouping  = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	variables = regexp.MustCompile(`\$\{?\w+\}?`)
	durations = regexp.MustCompile(`\b([0-9]+(ms|s|m|h|d|w|y))+\b`)
	numbers   = regexp.MustCompile(`\b[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?\b`)
	ident     = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	labelVals = regexp.MustCompile(`label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)`)
	keywords  = map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true, "bool": true, "and": true, "or": true, "unless": true, "offset": true}
)

// metricNames are the metric names a PromQL expression reads: identifiers that are neither
// functions, keywords, labels, strings, durations nor Grafana variables.
func metricNames(expr string) []string {
	s := quoted.ReplaceAllString(expr, `""`)
	s = matchers.ReplaceAllString(s, " ")
	s = ranges.ReplaceAllString(s, " ")
	s = grouping.ReplaceAllString(s, " ")
	s = variables.ReplaceAllString(s, " ")
	s = durations.ReplaceAllString(s, " ")
	s = numbers.ReplaceAllString(s, " ")
	var out []string
	for _, loc := range ident.FindAllStringIndex(s, -1) {
		name := s[loc[0]:loc[1]]
		if rest := strings.TrimLeft(s[loc[1]:], " "); strings.HasPrefix(rest, "(") || keywords[name] {
			continue
		}
		out = append(out, name)
	}
	return out
}

func TestMetricNames(t *testing.T) {
	got := metricNames(`sum by (le) (rate(a_bucket{x=~"b|c", y!="d(e)"}[$__rate_interval])) / on (instance) count(b_total offset 5m) > bool 1e9 or vector(0) - time()`)
	if !slices.Equal(got, []string{"a_bucket", "b_total"}) {
		t.Errorf("metric names %v", got)
	}
}

// exporters lists, per exporter, the metric names the dashboards may read: the reconciler's come
// from its source, the others from the exporters' documented metrics.
func exporters(t *testing.T) map[string][]string {
	return map[string][]string{
		// With Zitadel's backup gauges (zitadel_metrics.go), named by the alert rules' constants.
		"reconciler":         append(reconcilerMetrics(t), alerts.LastBackupMetric, alerts.BackupPeriodMetric),
		"prometheus":         {"up", "ALERTS", "prometheus_tsdb_head_series", "prometheus_tsdb_storage_blocks_bytes", "prometheus_tsdb_head_samples_appended_total", "prometheus_rule_evaluation_failures_total", "prometheus_tsdb_wal_storage_size_bytes"},
		"alertmanager":       {"alertmanager_notifications_failed_total"},
		"node-exporter":      {"node_uname_info", "node_cpu_seconds_total", "node_memory_MemAvailable_bytes", "node_memory_MemTotal_bytes", "node_filesystem_avail_bytes", "node_filesystem_size_bytes", "node_load1", "node_network_receive_bytes_total", "node_network_transmit_bytes_total", "node_disk_io_time_seconds_total"},
		"envoy":              {"envoy_http_downstream_rq_total", "envoy_http_downstream_rq_xx", "envoy_http_downstream_rq_time_bucket", "envoy_http_downstream_cx_active", "envoy_cluster_upstream_rq_total", "envoy_cluster_membership_healthy"},
		"cert-manager":       {"certmanager_certificate_expiration_timestamp_seconds", "certmanager_certificate_ready_status", "certmanager_http_acme_client_request_count", "certmanager_controller_sync_call_count"},
		"loki":               {"loki_distributor_lines_received_total", "loki_distributor_bytes_received_total", "loki_ingester_memory_streams", "loki_request_duration_seconds_bucket"},
		"fluent-bit":         {"fluentbit_output_proc_records_total", "fluentbit_output_errors_total", "fluentbit_output_retries_total", "fluentbit_output_retries_failed_total"},
		"argocd":             {"argocd_app_info", "argocd_app_sync_total", "argocd_app_reconcile_bucket", "argocd_git_request_total"},
		"zitadel":            {"http_server_request_count_total", "http_server_return_code_counter_total"},
		"kube-state-metrics": {"kube_pod_info", "kube_deployment_status_replicas_available", "kube_pod_container_status_restarts_total"},
		"cadvisor":           {"container_cpu_usage_seconds_total", "container_memory_working_set_bytes"},
		"cloudnative-pg":     {"cnpg_collector_up", "cnpg_backends_total", "cnpg_pg_stat_archiver_seconds_since_last_archival", "cnpg_collector_last_available_backup_timestamp", "cnpg_pg_database_size_bytes", "cnpg_pg_stat_database_xact_commit", "cnpg_pg_stat_database_xact_rollback", "cnpg_pg_stat_database_blks_hit", "cnpg_pg_stat_database_blks_read", "cnpg_pg_replication_lag", "cnpg_pg_stat_archiver_archived_count", "cnpg_pg_stat_archiver_failed_count", "cnpg_collector_pg_wal"},
	}
}

// Every metric a dashboard's Prometheus queries and variables read is one its exporters emit.
func TestDashboardsReadOnlyMetricsTheExportersEmit(t *testing.T) {
	known := exporters(t)
	for _, d := range Catalog {
		t.Run(d.Name, func(t *testing.T) {
			allowed := map[string]bool{}
			if len(d.Exporters) == 0 {
				t.Fatalf("no exporters listed for %s", d.Name)
			}
			for _, e := range d.Exporters {
				for _, m := range known[e] {
					allowed[m] = true
				}
			}
			b := load(t, d.Name)
			var used []string
			for _, p := range b.Panels {
				for _, q := range p.Targets {
					if q.Datasource.Type == "prometheus" {
						used = append(used, metricNames(q.Expr)...)
					} else if !strings.Contains(q.Expr, "{") {
						t.Errorf("panel %q: %q is not a LogQL stream selection", p.Title, q.Expr)
					}
				}
			}
			for _, v := range b.Templating.List {
				if s, ok := v.Query.(map[string]any); ok && v.Datasource != nil && v.Datasource.Type == "prometheus" {
					for _, m := range labelVals.FindAllStringSubmatch(s["query"].(string), -1) {
						used = append(used, m[1])
					}
				}
			}
			if len(used) == 0 {
				t.Fatal("no metric read")
			}
			for _, m := range used {
				if !allowed[m] {
					t.Errorf("%s is not a metric of %v", m, d.Exporters)
				}
			}
		})
	}
}

// reconcilerMetrics are the names automation/reconciler/metrics.go registers (a histogram's as its
// series), with the Go runtime's and the process's collectors the dashboard reads.
func reconcilerMetrics(t *testing.T) []string {
	t.Helper()
	const src = "../../../automation/reconciler/metrics.go"
	f, err := parser.ParseFile(token.NewFileSet(), src, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	ast.Inspect(f, func(n ast.Node) bool {
		lit, ok := n.(*ast.CompositeLit)
		if !ok {
			return true
		}
		sel, ok := lit.Type.(*ast.SelectorExpr)
		if !ok || !strings.HasSuffix(sel.Sel.Name, "Opts") {
			return true
		}
		for _, e := range lit.Elts {
			kv, ok := e.(*ast.KeyValueExpr)
			if k, _ := kv.Key.(*ast.Ident); !ok || k == nil || k.Name != "Name" {
				continue
			}
			name, err := strconv.Unquote(kv.Value.(*ast.BasicLit).Value)
			if err != nil {
				t.Fatal(err)
			}
			if sel.Sel.Name == "HistogramOpts" {
				names = append(names, name+"_bucket", name+"_sum", name+"_count")
			} else {
				names = append(names, name)
			}
		}
		return true
	})
	if len(names) < 6 {
		t.Fatalf("found only %v in %s", names, src)
	}
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "collectors.NewGoCollector(") {
		names = append(names, "go_goroutines")
	}
	if strings.Contains(string(raw), "collectors.NewProcessCollector(") {
		names = append(names, "process_resident_memory_bytes", "process_cpu_seconds_total")
	}
	return names
}

// The reconciler's dashboard shows every metric the reconciler registers.
func TestReconcilerDashboardShowsEveryReconcilerMetric(t *testing.T) {
	raw, err := JSON("reconciler")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range reconcilerMetrics(t) {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m, "_bucket"), "_sum"), "_count")
		if strings.HasPrefix(m, "orbos_") && !strings.Contains(string(raw), base) {
			t.Errorf("the reconciler's dashboard does not show %s", m)
		}
	}
}
