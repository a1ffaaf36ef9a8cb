{{- define "platform-lib.configmap" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "platform-lib.name" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "platform-lib.labels" . | nindent 4 }}
data:
  {{- range $key, $value := .Values.config }}
  {{ $key }}: {{ $value | toString | quote }}
  {{- end }}
{{- end -}}
