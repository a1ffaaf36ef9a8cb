{{/* The pod's serving certificate, issued by the platform CA (cert-manager ClusterIssuer, components/cert_manager.py).
The secret holds tls.crt, tls.key and ca.crt; the Deployment mounts it (see the TLS contract in the README). */}}
{{- define "platform-lib.tlsSecretName" -}}
{{- printf "%s-tls" (include "platform-lib.name" .) -}}
{{- end -}}

{{- define "platform-lib.certificate" -}}
{{- $name := include "platform-lib.name" . -}}
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: {{ include "platform-lib.tlsSecretName" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "platform-lib.labels" . | nindent 4 }}
spec:
  secretName: {{ include "platform-lib.tlsSecretName" . }}
  secretTemplate:
    labels:
      {{- include "platform-lib.selectorLabels" . | nindent 6 }}
  commonName: {{ printf "%s.%s.svc" $name .Release.Namespace | quote }}
  dnsNames:
    - {{ $name | quote }}
    - {{ printf "%s.%s" $name .Release.Namespace | quote }}
    - {{ printf "%s.%s.svc" $name .Release.Namespace | quote }}
    - {{ printf "%s.%s.svc.cluster.local" $name .Release.Namespace | quote }}
  duration: {{ printf "%dh" (int .Values.tls.durationHours) | quote }}
  renewBefore: {{ printf "%dh" (int .Values.tls.renewBeforeHours) | quote }}
  privateKey:
    algorithm: ECDSA
    size: 256
    rotationPolicy: Always
  usages: ["server auth", "digital signature"]
  issuerRef:
    name: {{ .Values.tls.clusterIssuer | quote }}
    kind: ClusterIssuer
    group: cert-manager.io
{{- end -}}

{{/* Where the app finds its certificate, key and the platform CA (the workload TLS contract). */}}
{{- define "platform-lib.tlsEnv" -}}
- name: TLS_CERT_FILE
  value: {{ printf "%s/tls.crt" .Values.tls.mountPath | quote }}
- name: TLS_KEY_FILE
  value: {{ printf "%s/tls.key" .Values.tls.mountPath | quote }}
- name: TLS_CA_FILE
  value: {{ printf "%s/ca.crt" .Values.tls.mountPath | quote }}
- name: TLS_PORT
  value: {{ .Values.containerPort | quote }}
{{- end -}}
