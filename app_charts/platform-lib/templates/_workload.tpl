{{/* Every object of a platform workload, in one include: "platform-lib.workload". */}}
{{- define "platform-lib.workload" -}}
{{- include "platform-lib.validate" . }}
{{ include "platform-lib.serviceaccount" . }}
---
{{ include "platform-lib.configmap" . }}
---
{{ include "platform-lib.certificate" . }}
---
{{ include "platform-lib.deployment" . }}
---
{{ include "platform-lib.service" . }}
---
{{ include "platform-lib.hpa" . }}
---
{{ include "platform-lib.pdb" . }}
---
{{ include "platform-lib.networkpolicy" . }}
{{- if .Values.exposure.targetGroupArn }}
---
{{ include "platform-lib.targetgroupbinding" . }}
{{- end }}
{{- end -}}
