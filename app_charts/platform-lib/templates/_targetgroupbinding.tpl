{{/* Registers the pods into the ALB target group the platform created (AWS Load Balancer Controller). */}}
{{- define "platform-lib.targetgroupbinding" -}}
apiVersion: elbv2.k8s.aws/v1beta1
kind: TargetGroupBinding
metadata:
  name: {{ include "platform-lib.name" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "platform-lib.labels" . | nindent 4 }}
spec:
  targetGroupARN: {{ .Values.exposure.targetGroupArn | quote }}
  targetType: ip
  serviceRef:
    name: {{ include "platform-lib.name" . }}
    port: {{ .Values.containerPort }}
{{- end -}}
