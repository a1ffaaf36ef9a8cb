{{/* Default deny in both directions; then only what the workload needs. */}}
{{- define "platform-lib.networkpolicy" -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "platform-lib.labels" . | nindent 4 }}
spec:
  podSelector: {}
  policyTypes: ["Ingress", "Egress"]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "platform-lib.name" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "platform-lib.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "platform-lib.selectorLabels" . | nindent 6 }}
  policyTypes: ["Ingress", "Egress"]
  ingress:
    {{- if .Values.exposure.targetGroupArn }}
    - from:
        {{- range .Values.exposure.albSourceCidrs }}
        - ipBlock: {cidr: {{ . | quote }}}
        {{- end }}
      ports:
        - {protocol: TCP, port: {{ .Values.containerPort }}}
    {{- end }}
    {{- if .Values.metrics.scraperCidrs }}
    - from:
        {{- range .Values.metrics.scraperCidrs }}
        - ipBlock: {cidr: {{ . | quote }}}
        {{- end }}
      ports:
        - {protocol: TCP, port: {{ .Values.metrics.port }}}
    {{- end }}
    {{- range .Values.networkPolicy.ingressFromNamespaces }}
    - from:
        - namespaceSelector:
            matchLabels: {kubernetes.io/metadata.name: {{ . | quote }}}
      ports:
        - {protocol: TCP, port: {{ $.Values.containerPort }}}
    {{- end }}
  egress:
    - to:
        - namespaceSelector:
            matchLabels: {kubernetes.io/metadata.name: kube-system}
          podSelector:
            matchLabels: {k8s-app: kube-dns}
      ports:
        - {protocol: UDP, port: 53}
        - {protocol: TCP, port: 53}
    {{- range .Values.networkPolicy.dataStores }}
    - to:
        {{- range .cidrs }}
        - ipBlock: {cidr: {{ . | quote }}}
        {{- end }}
      ports:
        - {protocol: TCP, port: {{ .port }}}
    {{- end }}
    {{- if .Values.telemetry.otlpEndpoint }}
    - to:
        - namespaceSelector:
            matchLabels: {kubernetes.io/metadata.name: {{ .Values.telemetry.collectorNamespace | quote }}}
      ports:
        - {protocol: TCP, port: {{ .Values.telemetry.collectorPort }}}
    {{- end }}
    {{- range .Values.networkPolicy.egressToNamespaces }}
    - to:
        - namespaceSelector:
            matchLabels: {kubernetes.io/metadata.name: {{ .namespace | quote }}}
      ports:
        - {protocol: TCP, port: {{ .port }}}
    {{- end }}
    - to:
        {{- range .Values.networkPolicy.awsApiCidrs }}
        - ipBlock:
            cidr: {{ . | quote }}
            {{- if eq . "0.0.0.0/0" }}
            except: ["169.254.169.254/32"]
            {{- end }}
        {{- end }}
      ports:
        - {protocol: TCP, port: 443}
{{- end -}}
