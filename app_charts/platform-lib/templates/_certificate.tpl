{{/* The pod's serving certificate, issued by the platform CA (cert-manager ClusterIssuer, components/cert_manager.py).
The secret holds tls.crt, tls.key and ca.crt; the Deployment mounts it for the certificate and key only. What the pod
trusts comes from the trust-manager bundle (ConfigMap tls.trustBundle, key ca.crt), never from this secret's ca.crt:
that ca.crt is the CA that signed this one leaf, so after a CA re-key a pod trusting it rejects every peer whose
leaf is still signed by the other CA (cert-manager docs, "Trust": distribute trust separately). See docs/day2.md. */}}
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
  annotations:
    {{- /* Pulumi awaits a custom resource only with this annotation (pulumi-kubernetes metadata.ReadyCondition). */}}
    pulumi.com/waitFor: {{ `jsonpath={.status.conditions[?(@.type=="Ready")].status}=True` | quote }}
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

{{/* Where the app finds its certificate, key and the platform CA bundle it trusts (the workload TLS contract). */}}
{{- define "platform-lib.tlsEnv" -}}
- name: TLS_CERT_FILE
  value: {{ printf "%s/tls.crt" .Values.tls.mountPath | quote }}
- name: TLS_KEY_FILE
  value: {{ printf "%s/tls.key" .Values.tls.mountPath | quote }}
- name: TLS_CA_FILE
  value: {{ printf "%s/ca.crt" .Values.tls.trustMountPath | quote }}
- name: TLS_PORT
  value: {{ .Values.containerPort | quote }}
{{- end -}}
