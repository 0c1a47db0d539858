{{/* The real chart's full name: the release name when it contains the chart's name. */}}
{{- define "cockroachdb.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}{{ .Release.Name | trunc 56 | trimSuffix "-" }}{{ else }}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 56 | trimSuffix "-" }}{{ end }}
{{- end }}

{{/* The certificates come from Secrets orbos makes; the chart's self-signer would make its own CA
in the cluster, which the stand-in refuses as orbos never asks for it. */}}
{{- define "cockroachdb.provided" -}}
{{- if or (not .Values.tls.enabled) .Values.tls.certs.selfSigner.enabled (not .Values.tls.certs.provided) (not .Values.tls.certs.tlsSecret) }}
{{- fail "orbos runs CockroachDB in secure mode with provided tls Secrets, without the self-signer" }}
{{- end }}
{{- end }}
