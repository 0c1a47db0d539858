package e2e

import (
	"fmt"
	"path"
	"strings"
)

// Generated Helm charts for the BOOM benchmarks: each stands in for a platform tool's real chart with
// the kinds of objects such charts render (ConfigMaps, ServiceAccounts, Services, Deployments,
// Roles, RoleBindings, cluster RBAC) and the CRDs the real chart ships, with one custom resource of
// each. How many namespaced objects a chart renders is a value (`objects`), so that a spec change
// grows it without a new chart.

// benchCRD is a CustomResourceDefinition of a generated chart.
type benchCRD struct {
	group, version, kind, plural string
	cluster                      bool
}

// toolCRDs are, per catalog tool, CRDs its real chart ships (the Gateway API with Envoy Gateway,
// cert-manager's, the Prometheus operator's, Argo CD's): orbos's own objects for a tool (a Gateway,
// ClusterIssuers, ServiceMonitors, Applications) find them there. Schemas are open: the benchmark
// measures orbos, not validation.
var toolCRDs = map[string][]benchCRD{
	"gateway": {
		{"gateway.networking.k8s.io", "v1", "GatewayClass", "gatewayclasses", true},
		{"gateway.networking.k8s.io", "v1", "Gateway", "gateways", false},
		{"gateway.networking.k8s.io", "v1", "HTTPRoute", "httproutes", false},
	},
	"certificates": {
		{"cert-manager.io", "v1", "ClusterIssuer", "clusterissuers", true},
		{"cert-manager.io", "v1", "Certificate", "certificates", false},
	},
	"metrics": {
		{"monitoring.coreos.com", "v1", "ServiceMonitor", "servicemonitors", false},
		{"monitoring.coreos.com", "v1", "PodMonitor", "podmonitors", false},
		{"monitoring.coreos.com", "v1", "PrometheusRule", "prometheusrules", false},
	},
	"reconciling": {
		{"argoproj.io", "v1alpha1", "Application", "applications", false},
		{"argoproj.io", "v1alpha1", "AppProject", "appprojects", false},
	},
}

// crdPath is the API path of a CRD, for the tests' cleanup.
func (c benchCRD) crdPath() string {
	return "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/" + c.plural + "." + c.group
}

// benchChartObjects is how many objects a generated chart renders with `objects` namespaced ones:
// those, a ClusterRole and its binding, and per CRD the CRD and one custom resource.
func benchChartObjects(objects int, crds []benchCRD) int { return objects + 2 + 2*len(crds) }

// benchChart returns the files of a chart named name at version, relative to dir.
func benchChart(dir, name, version string, crds []benchCRD) map[string]string {
	files := map[string]string{
		"Chart.yaml": fmt.Sprintf("apiVersion: v2\nname: %s\ndescription: Generated for orbos's BOOM benchmarks.\ntype: application\nversion: %s\nappVersion: %q\n", name, version, version),
		"values.yaml": "# How many namespaced objects the chart renders, of six kinds in turn.\nobjects: 12\nreplicas: 2\n" +
			"image: registry.example/bench:" + strings.TrimPrefix(version, "v") + "\n",
		"templates/objects.yaml": objectsTemplate,
		"templates/rbac.yaml":    rbacTemplate,
	}
	var custom strings.Builder
	for _, c := range crds {
		files["crds/"+c.plural+".yaml"] = crdYAML(c)
		custom.WriteString(customResourceYAML(c))
	}
	if custom.Len() > 0 {
		files["templates/custom.yaml"] = custom.String()
	}
	out := map[string]string{}
	for p, content := range files {
		out[path.Join(dir, p)] = content
	}
	return out
}

func crdYAML(c benchCRD) string {
	scope := "Namespaced"
	if c.cluster {
		scope = "Cluster"
	}
	// The API server refuses CRDs of *.k8s.io groups without the approval the real ones carry.
	approval := ""
	if strings.HasSuffix(c.group, ".k8s.io") {
		approval = "\n  annotations:\n    api-approved.kubernetes.io: https://github.com/kubernetes-sigs/gateway-api/pull/2466"
	}
	return fmt.Sprintf(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: %[4]s.%[1]s%[7]s
spec:
  group: %[1]s
  scope: %[5]s
  names:
    kind: %[3]s
    plural: %[4]s
    singular: %[6]s
    listKind: %[3]sList
  versions:
    - name: %[2]s
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              x-kubernetes-preserve-unknown-fields: true
`, c.group, c.version, c.kind, c.plural, scope, strings.ToLower(c.kind), approval)
}

// customResourceYAML is one object of the CRD; a cluster-scoped one is named after the release's
// namespace, so that two installs of the chart do not collide.
func customResourceYAML(c benchCRD) string {
	name := "{{ .Release.Name }}-bench"
	if c.cluster {
		name = "{{ .Release.Namespace }}-{{ .Release.Name }}-bench"
	}
	return fmt.Sprintf(`---
apiVersion: %s/%s
kind: %s
metadata:
  name: %s
  labels:
    app.kubernetes.io/part-of: {{ .Release.Name }}
spec:
  description: generated for the BOOM benchmarks
  replicas: {{ .Values.replicas }}
`, c.group, c.version, c.kind, name)
}

// rbacTemplate is the chart's cluster RBAC, named after the release's namespace.
const rbacTemplate = `{{- $full := printf "%s-%s" .Release.Namespace .Release.Name }}
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {{ $full }}
  labels:
    app.kubernetes.io/part-of: {{ .Release.Name }}
rules:
  - apiGroups: [""]
    resources: [nodes, namespaces, pods, services, endpoints]
    verbs: [get, list, watch]
  - apiGroups: [apps]
    resources: [deployments, daemonsets, statefulsets]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {{ $full }}
  labels:
    app.kubernetes.io/part-of: {{ .Release.Name }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {{ $full }}
subjects:
  - kind: ServiceAccount
    name: {{ .Release.Name }}-0
    namespace: {{ .Release.Namespace }}
`

// objectsTemplate renders .Values.objects namespaced objects: component i/6 gets, in turn, a
// ConfigMap, a ServiceAccount, a Service, a Deployment, a Role and a RoleBinding.
const objectsTemplate = `{{- $release := .Release.Name }}
{{- range $i := until (int $.Values.objects) }}
{{- $n := printf "%s-%d" $release (div $i 6) }}
{{- $kind := mod $i 6 }}
---
{{- if eq $kind 0 }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ $n }}
  labels:
    app.kubernetes.io/name: {{ $n }}
    app.kubernetes.io/part-of: {{ $release }}
data:
  config.yaml: |
    listen: 0.0.0.0:8080
    log:
      level: info
      format: json
    upstream: http://{{ $n }}.{{ $.Release.Namespace }}.svc:8080
{{- else if eq $kind 1 }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ $n }}
  labels:
    app.kubernetes.io/name: {{ $n }}
    app.kubernetes.io/part-of: {{ $release }}
{{- else if eq $kind 2 }}
apiVersion: v1
kind: Service
metadata:
  name: {{ $n }}
  labels:
    app.kubernetes.io/name: {{ $n }}
    app.kubernetes.io/part-of: {{ $release }}
spec:
  selector:
    app.kubernetes.io/name: {{ $n }}
  ports:
    - {name: http, port: 80, targetPort: http}
    - {name: metrics, port: 9090, targetPort: metrics}
{{- else if eq $kind 3 }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $n }}
  labels:
    app.kubernetes.io/name: {{ $n }}
    app.kubernetes.io/part-of: {{ $release }}
spec:
  replicas: {{ $.Values.replicas }}
  selector:
    matchLabels:
      app.kubernetes.io/name: {{ $n }}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {{ $n }}
        app.kubernetes.io/part-of: {{ $release }}
    spec:
      serviceAccountName: {{ $n }}
      securityContext: {runAsNonRoot: true, runAsUser: 65532}
      containers:
        - name: main
          image: {{ $.Values.image | quote }}
          args: [--config=/etc/bench/config.yaml]
          ports:
            - {name: http, containerPort: 8080}
            - {name: metrics, containerPort: 9090}
          env:
            - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
          readinessProbe: {httpGet: {path: /ready, port: http}, periodSeconds: 10}
          livenessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 20}
          resources:
            requests: {cpu: 50m, memory: 64Mi}
            limits: {memory: 256Mi}
          volumeMounts:
            - {name: config, mountPath: /etc/bench}
      volumes:
        - name: config
          configMap: {name: {{ $n }}}
{{- else if eq $kind 4 }}
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: {{ $n }}
  labels:
    app.kubernetes.io/part-of: {{ $release }}
rules:
  - apiGroups: [""]
    resources: [configmaps, secrets]
    verbs: [get, list, watch]
  - apiGroups: [coordination.k8s.io]
    resources: [leases]
    verbs: [get, create, update]
{{- else }}
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {{ $n }}
  labels:
    app.kubernetes.io/part-of: {{ $release }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: {{ $n }}
subjects:
  - kind: ServiceAccount
    name: {{ $n }}
    namespace: {{ $.Release.Namespace }}
{{- end }}
{{- end }}
`
