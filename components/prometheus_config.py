"""What the metrics workspace is told, as text: the managed collectors' scrape configurations, the Alertmanager
definition, and the catalog of metric names each scrape job yields (which the rules and dashboards may use).

Managed collector limits (AMP User Guide, "Set up managed collectors for Amazon EKS", section "Scraper
configuration" and "Scraper limitations", https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-collector-how-to.html):
an EKS-source scraper discovers only through `kubernetes_sd_configs`; the only host name it resolves is
`kubernetes.default.svc`; authorization, when present, is the collector's service-account token; the scrape
interval is at least 30 s. kubelet and cAdvisor metrics are read through the API server's node proxy (as the
guide's sample does), so the collector needs no route to the kubelet port. MSK brokers are scraped by a second,
VPC-source collector through DNS discovery of the broker names on the open-monitoring ports
(AMP User Guide, "Set up managed Prometheus collectors for Amazon MSK").

One collector for both (issue 21's cost lever, about 29 USD a month per stack) was looked at and not built: the MSK
jobs need `dns_sd_configs` (or `static_configs` of broker addresses), which the CloudWatch User Guide's "Scraper
configuration" documents for VPC-source collectors, while an EKS-source collector discovers through
`kubernetes_sd_configs` only (above). A selector-less Service with EndpointSlices of the broker IPs would let the EKS
collector find the brokers through Kubernetes discovery; it would have to track broker IP changes and exist only in
deploy phase complete, so it is left as a later option (docs/observability.md, "Life cycle").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml

MIN_SCRAPE_INTERVAL_SECONDS = 30
"""The managed collector refuses a scrape interval below 30 s."""
MAX_SCRAPE_INTERVAL_SECONDS = 75
"""Above 75 s the shortest rule window (rate over 5 minutes) holds fewer than 4 samples (Prometheus's advice for
rate(); with fewer than 2 it is empty and the fast-burn alert can never fire)."""
WORKLOAD_METRICS_PORT = 9464
"""Port of every workload's Prometheus endpoint (the OpenTelemetry Prometheus exporter's default port)."""
WORKLOAD_METRICS_PATH = "/metrics"
"""Path of every workload's Prometheus endpoint."""
NODE_EXPORTER_PORT = 9100
"""prometheus-node-exporter's port (host network: the node's address)."""
KUBE_STATE_METRICS_PORT = 8080
"""kube-state-metrics' metrics port."""
API_SERVER_PORT = 443
"""The API server's port: the collector reads kubelet and cAdvisor metrics through its node proxy."""
MSK_JMX_EXPORTER_PORT = 11001
"""MSK open monitoring: the JMX exporter on every broker."""
MSK_NODE_EXPORTER_PORT = 11002
"""MSK open monitoring: the node exporter on every broker."""
TOKEN_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/token"
"""The only credentials file the managed collector accepts."""

SCRAPED_METRICS: Mapping[str, tuple[str, ...]] = {
    "kubelet": ("kubelet_running_pods", "kubelet_node_name"),
    "kubelet-cadvisor": ("container_cpu_usage_seconds_total", "container_memory_working_set_bytes",
                         "container_cpu_cfs_throttled_periods_total", "container_cpu_cfs_periods_total"),
    "kube-state-metrics": ("kube_node_status_condition", "kube_node_labels", "kube_pod_status_phase",
                           "kube_pod_container_status_waiting_reason", "kube_pod_container_status_restarts_total",
                           "kube_pod_container_resource_requests", "kube_deployment_status_replicas_available",
                           "kube_horizontalpodautoscaler_status_current_replicas",
                           "kube_horizontalpodautoscaler_spec_max_replicas",
                           "kube_horizontalpodautoscaler_spec_min_replicas"),
    "node-exporter": ("node_cpu_seconds_total", "node_memory_MemAvailable_bytes", "node_memory_MemTotal_bytes",
                      "node_filesystem_avail_bytes", "node_filesystem_size_bytes"),
    "workloads": ("http_server_request_duration_seconds_bucket", "http_server_request_duration_seconds_count",
                  "http_server_request_duration_seconds_sum", "ledger_postings_total",
                  "kafka_consumer_records_lag_max"),
    "msk-jmx": ("kafka_server_ReplicaManager_Value", "kafka_controller_KafkaController_Value",
                "kafka_server_BrokerTopicMetrics_Count", "kafka_server_BrokerTopicMetrics_MeanRate"),
    "msk-node": ("node_cpu_seconds_total", "node_filesystem_avail_bytes", "node_filesystem_size_bytes"),
}  # fmt: skip
"""Metric names each scrape job yields that the rules and dashboards use (plus `up` for every job). The workloads'
names are their metrics contract; the others are the exporters' documented names (kube-state-metrics docs/metrics,
node_exporter, cAdvisor, and the MSK open-monitoring JMX exporter,
https://docs.aws.amazon.com/msk/latest/developerguide/open-monitoring.html)."""
SERIES_PER_TARGET: Mapping[str, int] = {
    "kubelet": 10, "kubelet-cadvisor": 150, "kube-state-metrics": 800, "node-exporter": 40,
    "workloads": 150, "msk-jmx": 120, "msk-node": 40,
}  # fmt: skip
"""Active series one target of each job keeps after its keep-list (only SCRAPED_METRICS), as planning figures for
the cost model (pricing/usage.yaml sums them per tier; measure with `count by (job) ({__name__=~".+"})` on a live
workspace and update both)."""


def keep_only(job: str) -> list[dict[str, Any]]:
    """metric_relabel_configs that keep only the job's SCRAPED_METRICS: every other series an exporter offers is
    dropped before it is ingested (and billed)."""
    return [{"source_labels": ["__name__"], "regex": "|".join(SCRAPED_METRICS[job]), "action": "keep"}]


def _node_proxy_job(name: str, path_suffix: str) -> dict[str, Any]:
    """kubelet metrics of every node through the API server's node proxy (nodes/proxy RBAC)."""
    return {
        "job_name": name,
        "metric_relabel_configs": keep_only(name),
        "scheme": "https",
        "authorization": {"type": "Bearer", "credentials_file": TOKEN_FILE},
        "kubernetes_sd_configs": [{"role": "node"}],
        "relabel_configs": [
            {"target_label": "__address__", "replacement": f"kubernetes.default.svc:{API_SERVER_PORT}"},
            {"source_labels": ["__meta_kubernetes_node_name"], "regex": "(.+)", "target_label": "__metrics_path__",
             "replacement": f"/api/v1/nodes/$1/proxy/metrics{path_suffix}"},
            {"source_labels": ["__meta_kubernetes_node_name"], "target_label": "node"},
            {"source_labels": ["__meta_kubernetes_node_label_topology_kubernetes_io_zone"], "target_label": "zone"},
        ],
    }  # fmt: skip


def _pod_job(name: str, keep: Sequence[dict[str, Any]], port: int, path: str = "/metrics") -> dict[str, Any]:
    """Pods matched by `keep`, scraped on `port` at their own address over plain HTTP inside the VPC."""
    return {
        "job_name": name,
        "metric_relabel_configs": keep_only(name),
        "metrics_path": path,
        "kubernetes_sd_configs": [{"role": "pod"}],
        "relabel_configs": [
            *keep,
            {"source_labels": ["__meta_kubernetes_pod_phase"], "regex": "Running", "action": "keep"},
            {"source_labels": ["__meta_kubernetes_pod_ip"], "regex": "(.+)", "target_label": "__address__",
             "replacement": f"$1:{port}"},
            {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
            {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
            {"source_labels": ["__meta_kubernetes_pod_node_name"], "target_label": "node"},
        ],
    }  # fmt: skip


def eks_scrape_config(interval_seconds: int, cluster_name: str, workload_namespaces: Sequence[str]) -> str:
    """The EKS collector's configuration: kubelet, cAdvisor, kube-state-metrics, node-exporter and the workloads'
    pods that declare `prometheus.io/scrape: "true"` (their chart sets it, with the port and path)."""
    _check_interval(interval_seconds)
    app_label = "__meta_kubernetes_pod_label_app_kubernetes_io_name"
    workloads = "|".join(workload_namespaces)
    config = {
        "global": {"scrape_interval": f"{interval_seconds}s", "external_labels": {"cluster": cluster_name}},
        "scrape_configs": [
            _node_proxy_job("kubelet", ""),
            _node_proxy_job("kubelet-cadvisor", "/cadvisor"),
            _pod_job("kube-state-metrics", [{"source_labels": [app_label], "regex": "kube-state-metrics",
                                             "action": "keep"}], KUBE_STATE_METRICS_PORT),
            _pod_job("node-exporter", [{"source_labels": [app_label], "regex": "prometheus-node-exporter",
                                        "action": "keep"}], NODE_EXPORTER_PORT),
            _pod_job("workloads", [
                {"source_labels": ["__meta_kubernetes_namespace"], "regex": workloads, "action": "keep"},
                {"source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"], "regex": "true",
                 "action": "keep"},
            ], WORKLOAD_METRICS_PORT, WORKLOAD_METRICS_PATH),
        ],
    }  # fmt: skip
    return yaml.safe_dump(config, sort_keys=False)


def broker_hosts(bootstrap_brokers: str) -> list[str]:
    """The broker host names of an MSK bootstrap string ('b-1.x.kafka.region.amazonaws.com:9098,...')."""
    hosts = sorted({entry.strip().rsplit(":", 1)[0] for entry in bootstrap_brokers.split(",") if entry.strip()})
    if not hosts:
        raise ValueError("bootstrap_brokers: no broker in an empty bootstrap string")
    return hosts


def msk_scrape_config(interval_seconds: int, cluster_name: str, bootstrap_brokers: str) -> str:
    """The MSK collector's configuration: the JMX and node exporters of every broker, found by DNS."""
    _check_interval(interval_seconds)
    hosts = broker_hosts(bootstrap_brokers)

    def job(name: str, port: int) -> dict[str, Any]:
        return {
            "job_name": name,
            "metric_relabel_configs": keep_only(name),
            "dns_sd_configs": [{"names": hosts, "type": "A", "port": port}],
            "relabel_configs": [{"source_labels": ["__meta_dns_name"], "target_label": "broker"}],
        }

    config = {
        "global": {"scrape_interval": f"{interval_seconds}s", "external_labels": {"kafka_cluster": cluster_name}},
        "scrape_configs": [job("msk-jmx", MSK_JMX_EXPORTER_PORT), job("msk-node", MSK_NODE_EXPORTER_PORT)],
    }
    return yaml.safe_dump(config, sort_keys=False)


def _check_interval(interval_seconds: int) -> None:
    if not MIN_SCRAPE_INTERVAL_SECONDS <= interval_seconds <= MAX_SCRAPE_INTERVAL_SECONDS:
        raise ValueError(
            f"interval_seconds: {interval_seconds} is outside {MIN_SCRAPE_INTERVAL_SECONDS}-"
            f"{MAX_SCRAPE_INTERVAL_SECONDS} (the collector's floor; 4 samples in the 5-minute rule window)"
        )


def alertmanager_definition(topic_arn: str, region: str) -> str:
    """The workspace's Alertmanager configuration: pages and tickets to the alarm topic, told apart by the SNS
    message attribute `severity` (subscriptions filter on it) and by how often they repeat; a fast burn inhibits
    the slow and long burns of the same SLO.

    AMP's Alertmanager sends to SNS only, signing with SigV4 in the workspace's region (AMP User Guide,
    "Alert manager configuration", sns_config; https://docs.aws.amazon.com/prometheus/latest/userguide/
    AMP-alertmanager-config.html); the topic's key and policy must admit aps.amazonaws.com."""

    def receiver(severity: str) -> dict[str, Any]:
        return {
            "name": severity,
            "sns_configs": [{
                "topic_arn": topic_arn,
                "sigv4": {"region": region},
                "subject": f"[{severity}] {{{{ .GroupLabels.alertname }}}} {{{{ .GroupLabels.slo }}}}",
                "attributes": {"severity": severity, "source": "prometheus"},
            }],
        }  # fmt: skip

    config = {
        "route": {
            "receiver": "ticket",
            "group_by": ["alertname", "slo"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "12h",
            "routes": [
                {"matchers": ['severity="page"'], "receiver": "page", "repeat_interval": "1h"},
                {"matchers": ['severity="ticket"'], "receiver": "ticket", "repeat_interval": "12h"},
            ],
        },
        "inhibit_rules": [
            {"source_matchers": ['burn="fast"'], "target_matchers": ['burn=~"slow|long"'], "equal": ["slo"]},
            {"source_matchers": ['burn="slow"'], "target_matchers": ['burn="long"'], "equal": ["slo"]},
        ],
        "receivers": [receiver("page"), receiver("ticket")],
    }
    return yaml.safe_dump({"alertmanager_config": yaml.safe_dump(config, sort_keys=False)}, sort_keys=False)
