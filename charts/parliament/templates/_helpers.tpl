{{- define "parliament.labels" -}}
app.kubernetes.io/name: parliament
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{- define "parliament.operatorName" -}}
{{ printf "%s-parliament-operator" .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "parliament.operatorServiceAccount" -}}
{{ default (include "parliament.operatorName" .) .Values.serviceAccount.name }}
{{- end }}

{{- define "parliament.sidecarName" -}}
{{ printf "%s-parliament-sidecar" .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "parliament.sidecarServiceAccount" -}}
{{ default (include "parliament.sidecarName" .) .Values.sidecar.serviceAccount.name }}
{{- end }}
