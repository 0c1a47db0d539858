{{/* The real chart's full name: the release name when it contains the chart's name. */}}
{{- define "zitadel.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}{{ .Release.Name | trunc 63 | trimSuffix "-" }}{{ else }}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{ end }}
{{- end }}

{{- define "zitadel.image" -}}
"{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
{{- end }}

{{/* The masterkey, the database's certificates and the spec's Secrets reach every Zitadel
container as the real chart passes them. */}}
{{- define "zitadel.env" -}}
- name: ZITADEL_MASTERKEY
  valueFrom:
    secretKeyRef:
      name: {{ required "zitadel.masterkeySecretName" .Values.zitadel.masterkeySecretName }}
      key: masterkey
{{- with .Values.env }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "zitadel.volumeMounts" -}}
- {name: zitadel-config-yaml, mountPath: /config, readOnly: true}
{{- if .Values.zitadel.dbSslCaCrtSecret }}
- {name: db-ssl-ca-crt, mountPath: /db-ssl-ca-crt, readOnly: true}
{{- end }}
{{- if .Values.zitadel.dbSslAdminCrtSecret }}
- {name: db-ssl-admin-crt, mountPath: /db-ssl-admin-crt, readOnly: true}
{{- end }}
{{- if .Values.zitadel.dbSslUserCrtSecret }}
- {name: db-ssl-user-crt, mountPath: /db-ssl-user-crt, readOnly: true}
{{- end }}
{{- end }}

{{- define "zitadel.volumes" -}}
- name: zitadel-config-yaml
  configMap: {name: zitadel-config-yaml}
{{- with .Values.zitadel.dbSslCaCrtSecret }}
- name: db-ssl-ca-crt
  secret: {secretName: {{ . }}, defaultMode: 0440}
{{- end }}
{{- with .Values.zitadel.dbSslAdminCrtSecret }}
- name: db-ssl-admin-crt
  secret: {secretName: {{ . }}, defaultMode: 0440}
{{- end }}
{{- with .Values.zitadel.dbSslUserCrtSecret }}
- name: db-ssl-user-crt
  secret: {secretName: {{ . }}, defaultMode: 0440}
{{- end }}
{{- end }}
