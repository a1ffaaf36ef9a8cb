{{- define "platform-lib.deployment" -}}
{{- $spread := ternary "DoNotSchedule" "ScheduleAnyway" (eq .Values.zoneSpread "hard") -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "platform-lib.name" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "platform-lib.labels" . | nindent 4 }}
  annotations:
    {{- /* Create order inside the release (helm.v4.Chart honours config.kubernetes.io/depends-on; pulumi-kubernetes
    Chart v4 docs, "Resource Ordering"): the serving certificate is issued first (its waitFor), and behind the ALB the
    Service and the TargetGroupBinding exist before the first pod, because the load balancer controller's webhook injects
    the target-health readiness gate only into pods created after their TargetGroupBinding
    (https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/deploy/pod_readiness_gate/). */}}
    config.kubernetes.io/depends-on: {{ include "platform-lib.deploymentDependsOn" . | quote }}
spec:
  {{- /* No .spec.replicas: the HPA (always rendered, minReplicas = replicas.min) owns the count. Setting it here
  would make the next server-side apply after a scale-out fail with a field-manager conflict, or reset the scale.
  https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#migrating-deployments-and-statefulsets-to-horizontal-autoscaling */}}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "platform-lib.selectorLabels" . | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 25%
  template:
    metadata:
      labels:
        {{- include "platform-lib.labels" . | nindent 8 }}
      annotations:
        checksum/config: {{ toJson .Values.config | sha256sum }}
        {{- /* The AMP managed collector keeps pods with these annotations (components/prometheus_config.py). */}}
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ .Values.metrics.port | quote }}
        prometheus.io/path: {{ .Values.metrics.path | quote }}
    spec:
      serviceAccountName: {{ include "platform-lib.name" . }}
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
      securityContext:
        runAsNonRoot: true
        runAsUser: {{ .Values.securityContext.uid }}
        runAsGroup: {{ .Values.securityContext.uid }}
        fsGroup: {{ .Values.securityContext.uid }}
        seccompProfile:
          type: RuntimeDefault
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: topology.kubernetes.io/zone
          whenUnsatisfiable: {{ $spread }}
          labelSelector:
            matchLabels:
              {{- include "platform-lib.selectorLabels" . | nindent 14 }}
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "platform-lib.selectorLabels" . | nindent 14 }}
      containers:
        - name: {{ include "platform-lib.name" . }}
          image: {{ include "platform-lib.image" . | quote }}
          imagePullPolicy: IfNotPresent
          ports:
            - name: https
              containerPort: {{ .Values.containerPort }}
              protocol: TCP
            - name: metrics
              containerPort: {{ .Values.metrics.port }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ include "platform-lib.name" . }}
          env:
            {{- include "platform-lib.tlsEnv" . | nindent 12 }}
            {{- include "platform-lib.otelEnv" . | nindent 12 }}
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
          securityContext:
            runAsNonRoot: true
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            privileged: false
            capabilities:
              drop: ["ALL"]
          startupProbe:
            httpGet: {path: /healthz/live, port: https, scheme: HTTPS}
            periodSeconds: 5
            failureThreshold: 30
          readinessProbe:
            httpGet: {path: /healthz/ready, port: https, scheme: HTTPS}
            periodSeconds: 5
            failureThreshold: 3
          livenessProbe:
            httpGet: {path: /healthz/live, port: https, scheme: HTTPS}
            periodSeconds: 10
            failureThreshold: 3
          lifecycle:
            preStop:
              sleep:
                seconds: {{ .Values.preStopSleepSeconds }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            - name: tls
              mountPath: {{ .Values.tls.mountPath }}
              readOnly: true
            - name: trust
              mountPath: {{ .Values.tls.trustMountPath }}
              readOnly: true
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
        - name: tls
          secret:
            secretName: {{ include "platform-lib.tlsSecretName" . }}
            defaultMode: 0440
            items:
              - {key: tls.crt, path: tls.crt}
              - {key: tls.key, path: tls.key}
        - name: trust
          configMap:
            name: {{ .Values.tls.trustBundle }}
            defaultMode: 0444
            items:
              - {key: ca.crt, path: ca.crt}
{{- end -}}

{{/* The objects the Deployment waits for: its Certificate and, behind the ALB, its Service and TargetGroupBinding. */}}
{{- define "platform-lib.deploymentDependsOn" -}}
{{- $name := include "platform-lib.name" . -}}
{{- $ns := .Release.Namespace -}}
{{- $refs := list (printf "cert-manager.io/namespaces/%s/Certificate/%s" $ns (include "platform-lib.tlsSecretName" .)) -}}
{{- if .Values.exposure.targetGroupArn -}}
{{- $refs = append $refs (printf "/namespaces/%s/Service/%s" $ns $name) -}}
{{- $refs = append $refs (printf "elbv2.k8s.aws/namespaces/%s/TargetGroupBinding/%s" $ns $name) -}}
{{- end -}}
{{- join "," $refs -}}
{{- end -}}
