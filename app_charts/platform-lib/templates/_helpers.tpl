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

{{/* The OpenTelemetry SDK's standard environment (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/):
traces by OTLP/HTTP to the CloudWatch agent (X-Ray), sampled by trace ID ratio under the parent's decision; metrics on
the Prometheus exporter's port for the AMP collector. */}}
{{- define "platform-lib.otelEnv" -}}
- name: OTEL_SERVICE_NAME
  value: {{ include "platform-lib.name" . | quote }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ printf "service.namespace=fintech-platform,deployment.environment.name=%s,k8s.namespace.name=%s" .Values.telemetry.environment .Release.Namespace | quote }}
- name: OTEL_TRACES_EXPORTER
  value: {{ ternary "otlp" "none" (ne .Values.telemetry.otlpEndpoint "") | quote }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ .Values.telemetry.otlpEndpoint | quote }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: "http/protobuf"
- name: OTEL_TRACES_SAMPLER
  value: "parentbased_traceidratio"
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ .Values.telemetry.samplingRatio | toString | quote }}
- name: OTEL_PROPAGATORS
  value: "tracecontext,baggage,xray"
- name: OTEL_METRICS_EXPORTER
  value: "prometheus"
- name: OTEL_EXPORTER_PROMETHEUS_HOST
  value: "0.0.0.0"
- name: OTEL_EXPORTER_PROMETHEUS_PORT
  value: {{ .Values.metrics.port | quote }}
- name: OTEL_LOGS_EXPORTER
  value: "none"
{{- end -}}
