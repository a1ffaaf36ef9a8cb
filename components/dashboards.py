"""Grafana dashboards as code, built with Grafana's own typed builders (grafana-foundation-sdk): one per workload
(traffic, errors, latency, saturation, SLOs and error budget), one for the platform (nodes per zone, pods, HPAs,
autoscaling) and one for Kafka. Queries read only series the collectors keep or the rules record (a test checks
every name, and promtool parses every query).

The JSON lives in observability/dashboards/ (a test proves it equals this rendering). Regenerate after a change:

    .venv/bin/python -m components.dashboards
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from grafana_foundation_sdk.builders import dashboard, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef

from components.grafana import DATASOURCE_PLUGIN

DASHBOARD_DIR = Path(__file__).resolve().parent.parent / "observability" / "dashboards"
DATASOURCE = DataSourceRef(type_val=DATASOURCE_PLUGIN, uid="${datasource}")
"""Every panel reads the data source chosen on import (the stack's Amazon Managed Service for Prometheus
workspace)."""
WORKLOADS = ("validator", "payments", "ledger")


def _panel(title: str, queries: Sequence[tuple[str, str]], unit: str, width: int = 12) -> timeseries.Panel:
    panel = timeseries.Panel().title(title).unit(unit).datasource(DATASOURCE).height(8).span(width)
    for index, (expr, legend) in enumerate(queries):
        panel = panel.with_target(prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(chr(65 + index)))
    return panel


def _stat(title: str, expr: str, unit: str) -> stat.Panel:
    query = prometheus.Dataquery().expr(expr).instant().ref_id("A")
    return stat.Panel().title(title).unit(unit).datasource(DATASOURCE).height(4).span(6).with_target(query)


def _board(uid: str, title: str, tags: list[str]) -> dashboard.Dashboard:
    source = dashboard.DatasourceVariable("datasource").label("Prometheus").type(DATASOURCE_PLUGIN)
    board = dashboard.Dashboard(title).uid(uid).tags(["fintech-platform", *tags]).refresh("1m").time("now-6h", "now")
    return board.with_variable(source)


def workload_dashboard(workload: str) -> dashboard.Dashboard:
    """Traffic, errors, latency, saturation, SLO and error budget of one workload."""
    ns = f'namespace="{workload}"'
    board = _board(f"fintech-{workload}", f"Workload: {workload}", ["workload", workload])
    board = board.with_row(dashboard.Row("Service level"))
    board = board.with_panel(
        _panel(
            "SLI: good events (1h)",
            [
                (f'1 - slo:sli_error:ratio_rate1h{{workload="{workload}"}}', "{{slo}}"),
                (
                    f'slo:objective:ratio and on (slo) slo:sli_error:ratio_rate1h{{workload="{workload}"}}',
                    "{{slo}} objective",
                ),
            ],
            "percentunit",
        )
    )
    board = board.with_panel(
        _panel(
            "Error budget left after the last 3 days' burn (share of the period)",
            [
                (
                    f'1 - (slo:sli_error:ratio_rate3d{{workload="{workload}"}} / on (slo) group_left () '
                    f'slo:error_ratio:threshold{{window="3d"}}) / 10',
                    "{{slo}}",
                ),
            ],
            "percentunit",
        )
    )
    board = board.with_row(dashboard.Row("Traffic, errors, latency, saturation"))
    if workload == "ledger":
        board = board.with_panel(
            _panel("Postings", [(f"workload:ledger_postings:rate5m{{{ns}}}", "{{outcome}}")], "ops")
        )
        board = board.with_panel(
            _panel("Consumer lag (records)", [(f"workload:kafka_consumer_lag:max{{{ns}}}", "{{topic}}")], "short")
        )
    board = board.with_panel(_panel("Requests", [(f"workload:http_requests:rate5m{{{ns}}}", "requests/s")], "reqps"))
    board = board.with_panel(
        _panel("Server errors (5xx share)", [(f"workload:http_errors:ratio_rate5m{{{ns}}}", "5xx")], "percentunit")
    )
    board = board.with_panel(
        _panel(
            "Latency",
            [(f"workload:http_request_duration_seconds:p{q}_5m{{{ns}}}", f"p{q}") for q in ("50", "90", "99")],
            "s",
        )
    )
    board = board.with_panel(
        _panel(
            "Saturation",
            [
                (f"workload:cpu_usage:ratio_requests{{{ns}}}", "CPU / requests"),
                (
                    f'sum(container_memory_working_set_bytes{{job="kubelet-cadvisor",{ns},container!=""}}) / '
                    f'sum(kube_pod_container_resource_requests{{job="kube-state-metrics",{ns},resource="memory"}})',
                    "memory / requests",
                ),
            ],
            "percentunit",
        )
    )
    return board


def platform_dashboard() -> dashboard.Dashboard:
    """Nodes per zone, pods, HPAs, autoscaling, restarts and node CPU."""
    board = _board("fintech-platform", "Platform", ["platform"])
    board = board.with_panel(
        _stat(
            "Nodes not Ready",
            'sum(kube_node_status_condition{job="kube-state-metrics",condition="Ready",status="true"} == bool 0)',
            "short",
        )
    )
    board = board.with_panel(
        _stat(
            "Pods not running",
            'sum(kube_pod_status_phase{job="kube-state-metrics",phase=~"Pending|Failed|Unknown"})',
            "short",
        )
    )
    board = board.with_panel(
        _panel(
            "Nodes per zone (the autoscaler's work)",
            [('count by (zone) (kubelet_node_name{job="kubelet"})', "{{zone}}")],
            "short",
        )
    )
    board = board.with_panel(
        _panel(
            "HPA replicas: current and maximum",
            [
                (
                    'kube_horizontalpodautoscaler_status_current_replicas{job="kube-state-metrics"}',
                    "{{namespace}} current",
                ),
                ('kube_horizontalpodautoscaler_spec_max_replicas{job="kube-state-metrics"}', "{{namespace}} max"),
            ],
            "short",
        )
    )
    board = board.with_panel(
        _panel(
            "Pods by phase",
            [('sum by (phase) (kube_pod_status_phase{job="kube-state-metrics"})', "{{phase}}")],
            "short",
        )
    )
    board = board.with_panel(
        _panel(
            "Container restarts (1h)",
            [
                (
                    'sum by (namespace) (increase(kube_pod_container_status_restarts_total{job="kube-state-metrics"}'
                    "[1h]))",
                    "{{namespace}}",
                )
            ],
            "short",
        )
    )
    board = board.with_panel(
        _panel(
            "Node CPU busy",
            [('1 - avg by (node) (rate(node_cpu_seconds_total{job="node-exporter",mode="idle"}[5m]))', "{{node}}")],
            "percentunit",
        )
    )
    board = board.with_panel(
        _panel(
            "Node memory available",
            [
                (
                    'node_memory_MemAvailable_bytes{job="node-exporter"} / '
                    'node_memory_MemTotal_bytes{job="node-exporter"}',
                    "{{node}}",
                )
            ],
            "percentunit",
        )
    )
    return board


def kafka_dashboard() -> dashboard.Dashboard:
    """Partitions, throughput per topic, the ledger's lag and broker disks."""
    board = _board("fintech-kafka", "Kafka", ["kafka"])
    board = board.with_panel(
        _stat(
            "Offline partitions",
            'sum(kafka_controller_KafkaController_Value{job="msk-jmx",name="OfflinePartitionsCount"})',
            "short",
        )
    )
    board = board.with_panel(
        _stat(
            "Under-replicated partitions",
            'sum(kafka_server_ReplicaManager_Value{job="msk-jmx",name="UnderReplicatedPartitions"})',
            "short",
        )
    )
    board = board.with_panel(
        _panel(
            "Bytes in per topic",
            [
                (
                    'sum by (topic) (kafka_server_BrokerTopicMetrics_MeanRate{job="msk-jmx",name="BytesInPerSec",'
                    'topic!=""})',
                    "{{topic}}",
                )
            ],
            "Bps",
        )
    )
    board = board.with_panel(
        _panel(
            "Messages in per topic",
            [
                (
                    'sum by (topic) (kafka_server_BrokerTopicMetrics_MeanRate{job="msk-jmx",name="MessagesInPerSec",'
                    'topic!=""})',
                    "{{topic}}",
                )
            ],
            "short",
        )
    )
    board = board.with_panel(
        _panel(
            "Ledger consumer lag (records)",
            [('workload:kafka_consumer_lag:max{namespace="ledger"}', "{{topic}}")],
            "short",
        )
    )
    board = board.with_panel(
        _panel(
            "Broker data disk free",
            [
                (
                    'min by (broker) (node_filesystem_avail_bytes{job="msk-node"} / '
                    'node_filesystem_size_bytes{job="msk-node"})',
                    "{{broker}}",
                )
            ],
            "percentunit",
        )
    )
    return board


def dashboards() -> dict[str, str]:
    """File name -> dashboard JSON of every dashboard."""
    boards = {f"workload-{w}.json": workload_dashboard(w) for w in WORKLOADS}
    boards |= {"platform.json": platform_dashboard(), "kafka.json": kafka_dashboard()}
    return {name: json.dumps(board.build(), cls=JSONEncoder, indent=2, sort_keys=True) + "\n"
            for name, board in boards.items()}  # fmt: skip


def queries(document: dict[str, object]) -> list[str]:
    """Every PromQL expression of a dashboard's JSON."""
    panels = document.get("panels") or []
    assert isinstance(panels, list)
    return [str(target["expr"]) for panel in panels for target in panel.get("targets") or [] if "expr" in target]


if __name__ == "__main__":
    DASHBOARD_DIR.mkdir(parents=True, exist_ok=True)
    for file_name, text in dashboards().items():
        (DASHBOARD_DIR / file_name).write_text(text)
        print(DASHBOARD_DIR / file_name)
