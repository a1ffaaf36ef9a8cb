{{/* Common labels and names of a platform workload. */}}
{{- define "platform-lib.name" -}}
{{- .Chart.Name -}}
{{- end -}}

{{- define "platform-lib.selectorLabels" -}}
app.kubernetes.io/name: {{ include "platform-lib.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "platform-lib.labels" -}}
{{ include "platform-lib.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default (.Values.image.digest | trunc 19) | quote }}
app.kubernetes.io/part-of: fintech-platform
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The image reference: pinned by digest when given, else by tag; never latest. */}}
{{- define "platform-lib.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository .Values.image.tag -}}
{{- end -}}
{{- end -}}

{{/* Fails the render on values a schema cannot compare. */}}
{{- define "platform-lib.validate" -}}
{{- if gt (int .Values.replicas.min) (int .Values.replicas.max) -}}
{{- fail (printf "replicas.min (%d) is above replicas.max (%d)" (int .Values.replicas.min) (int .Values.replicas.max)) -}}
{{- end -}}
{{- if ge (int .Values.tls.renewBeforeHours) (int .Values.tls.durationHours) -}}
{{- fail (printf "tls.renewBeforeHours (%d) must be below tls.durationHours (%d)" (int .Values.tls.renewBeforeHours) (int .Values.tls.durationHours)) -}}
{{- end -}}
{{- if eq .Values.tls.mountPath .Values.tls.trustMountPath -}}
{{- fail (printf "tls.trustMountPath (%s) must differ from tls.mountPath" .Values.tls.trustMountPath) -}}
{{- end -}}
{{- if and (not .Values.image.tag) (not .Values.image.digest) -}}
{{- fail "image.tag or image.digest is required: images are pinned, never latest" -}}
{{- end -}}
{{- end -}}
