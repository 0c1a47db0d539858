package boom

import (
	"fmt"

	"github.com/orbos/orbos/components/boom/dashboards"
	"github.com/orbos/orbos/stacks"
)

// Env is what a tool's values depend on beyond its own spec.
type Env struct {
	// ImageRegistry is the ORB-wide image mirror, "" for none.
	ImageRegistry string
	// Enabled maps every enabled tool to its namespace (Grafana's datasources, the metrics stack's
	// webhook certificates from cert-manager).
	Enabled map[string]string
}

// profile is what orbos knows about a tool beyond its chart (stacks.BoomCatalog): the production
// defaults PLATFORM.md's traps call for, where the spec's placement and image mirror go, the
// Secrets the program makes for it, and whether it needs Helm hooks.
type profile struct {
	// Hooks says why the chart's install needs Helm hooks; such a tool is a helm.sh/v3:Release
	// (Chart v4 drops hooks, pulumi-kubernetes#3284). Empty: a helm.sh/v4:Chart.
	Hooks string
	// Defaults are the production values.
	Defaults func(t stacks.NamedTool, env Env) map[string]any
	// Placement are the value paths of the pods' nodeSelector and tolerations; the first also
	// takes the resources ("" is the top level).
	Placement []string
	// Registry maps value paths to the image path under the mirror ("" sets the mirror itself).
	Registry map[string]string
	// Secrets the program generates and the chart takes by name.
	Secrets []secretSpec
	// After are the tools this one is installed after when they are enabled (their CRDs or
	// webhooks are used by this one's objects).
	After []string
}

// secretSpec is a Secret the program creates for a chart: its keys' values are generated with
// crypto/rand once and never change afterwards; Values point the chart at it.
type secretSpec struct {
	Name   string
	Keys   func() (map[string]string, error)
	Values map[string]any
}

// Tools orbos knows that are absent from the catalog get the conventions of `helm create`.
var ownTool = profile{
	Placement: []string{""},
	Registry:  map[string]string{"global.imageRegistry": ""},
}

func profileOf(name string) profile {
	if p, ok := profiles[name]; ok {
		return p
	}
	return ownTool
}

// HookReason says why a tool is a Helm release rather than a rendered chart; "" for a chart.
func HookReason(name string) string { return profileOf(name).Hooks }

// After lists the tools name is installed after, when they are enabled.
func After(name string) []string { return profileOf(name).After }

// The storage class is the cluster's default; a production ORB sets one through values.
var profiles = map[string]profile{
	"gateway": {
		Hooks: "certgen, the Job that issues Envoy Gateway's control-plane certificates, is a pre-install hook",
		Defaults: func(stacks.NamedTool, Env) map[string]any {
			return map[string]any{
				"deployment":          map[string]any{"replicas": 2},
				"podDisruptionBudget": map[string]any{"minAvailable": 1},
			}
		},
		Placement: []string{"deployment.envoyGateway", "deployment.pod", "certgen.job.pod"},
		Registry:  map[string]string{"global.imageRegistry": ""},
		// Its control plane's and proxies' monitors (scrape.go) need the metrics tool's CRDs.
		After: []string{"metrics"},
	},
	"certificates": {
		Defaults: func(stacks.NamedTool, Env) map[string]any {
			ha := map[string]any{"replicaCount": 2, "podDisruptionBudget": map[string]any{"enabled": true, "minAvailable": 1}}
			return merge(map[string]any{
				// CRDs come with the chart and stay when it goes.
				"crds":   map[string]any{"enabled": true, "keep": true},
				"config": map[string]any{"apiVersion": "controller.config.cert-manager.io/v1alpha1", "kind": "ControllerConfiguration", "enableGatewayAPI": true},
				// A post-install hook: Chart v4 drops it anyway; say so.
				"startupapicheck": map[string]any{"enabled": false},
				"webhook":         deepCopy(ha),
				"cainjector":      deepCopy(ha),
			}, ha)
		},
		Placement: []string{"", "webhook", "cainjector"},
		Registry:  map[string]string{"imageRegistry": ""},
	},
	"metrics": {
		Defaults: func(t stacks.NamedTool, env Env) map[string]any {
			// Without persistent storage and a size bound Prometheus keeps 10 days on an emptyDir.
			prometheus := map[string]any{
				"retention":     "15d",
				"retentionSize": "45GB",
				"storageSpec":   volumeClaim("50Gi"),
				"replicas":      1,
			}
			// Select every ServiceMonitor, PodMonitor, rule and probe, not only the chart's own.
			for _, k := range []string{"serviceMonitorSelectorNilUsesHelmValues", "podMonitorSelectorNilUsesHelmValues", "ruleSelectorNilUsesHelmValues", "probeSelectorNilUsesHelmValues"} {
				prometheus[k] = false
			}
			// The operator's admission webhook gets its certificate from patch Jobs that are hooks:
			// from cert-manager when it is on, else the webhook is off (Chart v4 drops hooks).
			webhooks := map[string]any{"enabled": false}
			if _, ok := env.Enabled["certificates"]; ok {
				webhooks = map[string]any{"enabled": true, "certManager": map[string]any{"enabled": true}, "patch": map[string]any{"enabled": false}}
			}
			return merge(map[string]any{
				"fullnameOverride":   "metrics",
				"grafana":            map[string]any{"enabled": false}, // the dashboards tool is Grafana
				"prometheus":         map[string]any{"prometheusSpec": prometheus},
				"alertmanager":       map[string]any{"alertmanagerSpec": map[string]any{"storage": volumeClaim("5Gi"), "retention": "120h"}},
				"prometheusOperator": map[string]any{"admissionWebhooks": webhooks},
			}, metricsSpecValues(t))
		},
		Placement: []string{"prometheus.prometheusSpec", "alertmanager.alertmanagerSpec", "prometheusOperator", "kube-state-metrics"},
		Registry:  map[string]string{"global.imageRegistry": ""},
		After:     []string{"certificates"},
	},
	"metrics-server": {
		Defaults: func(stacks.NamedTool, Env) map[string]any {
			return map[string]any{
				"replicas":            2,
				"podDisruptionBudget": map[string]any{"enabled": true, "minAvailable": 1},
			}
		},
		Placement: []string{""},
		Registry:  map[string]string{"image.repository": "metrics-server/metrics-server"},
	},
	"logs": {
		Defaults: func(stacks.NamedTool, Env) map[string]any {
			// The chart defaults to S3, three replicas, no schema and an 8 GB chunks cache: one
			// persistent binary on the filesystem with tsdb/v13 and a retention.
			return map[string]any{
				"fullnameOverride": "loki",
				"deploymentMode":   "Monolithic",
				"loki": map[string]any{
					"auth_enabled":  false,
					"commonConfig":  map[string]any{"replication_factor": 1},
					"storage":       map[string]any{"type": "filesystem"},
					"schemaConfig":  map[string]any{"configs": []any{map[string]any{"from": "2024-04-01", "store": "tsdb", "object_store": "filesystem", "schema": "v13", "index": map[string]any{"prefix": "index_", "period": "24h"}}}},
					"limits_config": map[string]any{"retention_period": "744h"},
					"compactor":     map[string]any{"retention_enabled": true, "delete_request_store": "filesystem"},
				},
				"singleBinary": map[string]any{"replicas": 1, "persistence": map[string]any{"enabled": true, "size": "50Gi"}},
				"chunksCache":  map[string]any{"enabled": false},
				"resultsCache": map[string]any{"enabled": false},
				"lokiCanary":   map[string]any{"enabled": false},
				"test":         map[string]any{"enabled": false},
				"minio":        map[string]any{"enabled": false},
				"backend":      map[string]any{"replicas": 0},
				"read":         map[string]any{"replicas": 0},
				"write":        map[string]any{"replicas": 0},
				"gateway":      map[string]any{"enabled": false},
			}
		},
		Placement: []string{"singleBinary"},
		Registry:  map[string]string{"global.imageRegistry": ""},
		// Its ServiceMonitor (scrape.go) needs the metrics tool's CRDs.
		After: []string{"metrics"},
	},
	"logs-collector": collector,
	"dashboards": {
		Defaults: func(_ stacks.NamedTool, env Env) map[string]any {
			var sources []any
			if ns, ok := env.Enabled["metrics"]; ok {
				sources = append(sources, map[string]any{"name": "Prometheus", "type": "prometheus", "access": "proxy", "isDefault": true,
					"url": fmt.Sprintf("http://metrics-prometheus.%s.svc:9090", ns)})
			}
			if ns, ok := env.Enabled["logs"]; ok {
				sources = append(sources, map[string]any{"name": "Loki", "type": "loki", "access": "proxy",
					"url": fmt.Sprintf("http://loki.%s.svc:3100", ns)})
			}
			v := map[string]any{
				"persistence": map[string]any{"enabled": true, "size": "10Gi"},
				// Dashboards are ConfigMaps labelled grafana_dashboard: "1" in any namespace.
				"sidecar": map[string]any{"dashboards": map[string]any{"enabled": true, "label": dashboards.Label, "labelValue": dashboards.LabelValue, "searchNamespace": "ALL"}},
			}
			if len(sources) > 0 {
				v["datasources"] = map[string]any{"datasources.yaml": map[string]any{"apiVersion": 1, "datasources": sources}}
			}
			return v
		},
		Placement: []string{""},
		Registry:  map[string]string{"global.imageRegistry": ""},
		Secrets: []secretSpec{{
			Name: "dashboards-admin",
			Keys: func() (map[string]string, error) {
				pw, err := randomToken()
				return map[string]string{"admin-user": "admin", "admin-password": pw}, err
			},
			Values: map[string]any{"admin": map[string]any{"existingSecret": "dashboards-admin", "userKey": "admin-user", "passwordKey": "admin-password"}},
		}},
		After: []string{"metrics", "logs"},
	},
	"reconciling": {
		Defaults: func(stacks.NamedTool, Env) map[string]any {
			pdb := map[string]any{"enabled": true, "minAvailable": 1}
			return map[string]any{
				"server":     map[string]any{"replicas": 2, "pdb": pdb},
				"repoServer": map[string]any{"replicas": 2, "pdb": deepCopy(pdb)},
			}
		},
		Placement: []string{"controller", "global"},
		Registry:  map[string]string{"global.image.repository": "argoproj/argocd", "dex.image.repository": "dexidp/dex", "redis.image.repository": "library/redis"},
		// Its ServiceMonitors (scrape.go) need the metrics tool's CRDs.
		After: []string{"metrics"},
		Secrets: []secretSpec{
			{
				// argocd-secret holds the admin password's bcrypt hash and the server's signing key;
				// argocd-admin keeps the password itself for the operator.
				Name:   "argocd-secret",
				Keys:   argoCDSecret,
				Values: map[string]any{"configs": map[string]any{"secret": map[string]any{"createSecret": false}}},
			},
			{
				// The chart's redis-secret-init Job is a hook: the program makes its Secret instead.
				Name: "argocd-redis",
				Keys: func() (map[string]string, error) {
					pw, err := randomToken()
					return map[string]string{"auth": pw}, err
				},
				Values: map[string]any{"redisSecretInit": map[string]any{"enabled": false}},
			},
		},
	},
}

// Profiles that live in files of their own (systemd.go) join the map here.
func init() { profiles["systemd-exporter"] = systemdExporter }

func volumeClaim(size string) map[string]any {
	return map[string]any{"volumeClaimTemplate": map[string]any{"spec": map[string]any{
		"accessModes": []any{"ReadWriteOnce"},
		"resources":   map[string]any{"requests": map[string]any{"storage": size}},
	}}}
}
