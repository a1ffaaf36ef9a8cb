"""Observability: the Prometheus workspace encrypted and logged, a managed collector on every cluster that runs
workloads, and alerts routed to an encrypted topic.

PCI DSS v4.0.1 requirements: 3.5.1 (stored data rendered unreadable - the workspace holds the platform's
operational data, under a customer-managed key like every other store here), 10.2.1 (audit logs enabled and
active - the workspace's own log), 10.4.1 (security events and logs reviewed: the collector feeds the alert rules
that review them) and 10.7.2 (failures of critical security control systems detected, alerted and addressed
promptly: alerts reach an encrypted topic)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import yaml
from pulumi_policy import Severity

from policies.rules.base import ResourceView, Rule, arn_or_id_set, of_type

AREA = "logging"
"""PCI DSS requirement 10 (log and monitor): the area of the logging rules."""
WORKSPACE = "aws:amp/workspace:Workspace"
SCRAPER = "aws:amp/scraper:Scraper"
ALERTMANAGER = "aws:amp/alertManagerDefinition:AlertManagerDefinition"
TOPIC = "aws:sns/topic:Topic"
CLUSTERS = ("eks:index:Cluster", "aws:eks/cluster:Cluster")
"""An EKS cluster as the offline plan (pulumi-eks component inputs) and a real preview (its control plane) show it."""


def _workspace_cmk(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if not arn_or_id_set(r.get("kmsKeyArn")):
        yield "the workspace's samples are encrypted with an AWS-owned key (kmsKeyArn is unset)"


def _workspace_logging(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    target = str(r.get("loggingConfiguration.logGroupArn") or "")
    if not target:
        yield "the workspace logs nothing (loggingConfiguration.logGroupArn is unset)"
    elif not target.endswith(":*"):
        yield f"loggingConfiguration.logGroupArn '{target}' must be a log group ARN ending with ':*'"


def _collector_per_cluster(resources: Sequence[ResourceView], _: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    scrapers = of_type(resources, SCRAPER)
    scraped = {str(s.get("source.eks.clusterArn") or "").rsplit(":cluster/", 1)[-1] for s in scrapers}
    scraped_deps = {urn for s in of_type(resources, SCRAPER) for urn in s.depends_on("source")}
    for cluster in of_type(resources, *CLUSTERS):
        name = str(cluster.get("name") or "")
        if name not in scraped and cluster.urn not in scraped_deps:
            yield cluster.urn, f"no AMP managed collector scrapes cluster '{name}' (no aws:amp/scraper with its ARN)"


def _alert_topics(definition: str) -> list[str]:
    """The SNS topic ARNs of an Alertmanager definition's receivers ([] when it does not parse)."""
    try:
        outer = yaml.safe_load(definition) or {}
        config = yaml.safe_load(outer.get("alertmanager_config") or "") or {}
    except yaml.YAMLError:
        return []
    return [
        str(sns.get("topic_arn") or "")
        for receiver in config.get("receivers") or []
        for sns in receiver.get("sns_configs") or []
    ]


def _alerts_to_encrypted_topic(resources: Sequence[ResourceView], _: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    topics = {t.urn: t for t in of_type(resources, TOPIC)}
    for definition in of_type(resources, ALERTMANAGER):
        arns = _alert_topics(str(definition.get("definition") or ""))
        if not arns or not all(arns):
            yield definition.urn, "the Alertmanager definition has no receiver with an SNS topic: alerts reach no one"
            continue
        sources = [topics[urn] for urn in definition.depends_on("definition") if urn in topics]
        if not sources:
            yield definition.urn, "the alert topic is not a topic of this stack: its encryption cannot be checked"
        for topic in sources:
            if not arn_or_id_set(topic.get("kmsMasterKeyId")):
                yield definition.urn, f"alerts go to topic {topic.name}, not encrypted with a customer-managed key"


def _alertmanager_required(resources: Sequence[ResourceView], _: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    for workspace in of_type(resources, WORKSPACE):
        routed = any(workspace.urn in d.depends_on("workspaceId") for d in of_type(resources, ALERTMANAGER))
        if not routed:
            yield workspace.urn, "the workspace has no Alertmanager definition: its alert rules notify no one"


RULES = [
    Rule("amp-workspace-cmk", AREA, "Prometheus workspaces encrypt samples with a customer-managed key.",
         Severity.HIGH, "3.5.1", "Set kmsKeyArn on the aws.amp.Workspace (it forces a new workspace).",
         (WORKSPACE,), _workspace_cmk),
    Rule("amp-workspace-logging", AREA, "Prometheus workspaces log to a CloudWatch log group.", Severity.MEDIUM,
         "10.2.1", "Set loggingConfiguration.logGroupArn to '<log group ARN>:*'.", (WORKSPACE,), _workspace_logging),
    Rule("metrics-collector-per-cluster", AREA, "Every EKS cluster has an AMP managed collector.", Severity.MEDIUM,
         "10.4.1", "Add an aws.amp.Scraper whose source.eks.clusterArn is the cluster's ARN.",
         stack_check=_collector_per_cluster),
    Rule("alerts-to-encrypted-topic", AREA, "Alertmanager sends alerts to an SNS topic encrypted with a CMK.",
         Severity.MEDIUM, "10.7.2", "Give the Alertmanager definition an sns_configs receiver whose topic_arn is the "
         "stack's encrypted alarm topic.", stack_check=_alerts_to_encrypted_topic),
    Rule("amp-workspace-alerting", AREA, "Every Prometheus workspace has an Alertmanager definition.",
         Severity.MEDIUM, "10.7.2", "Add an aws.amp.AlertManagerDefinition for the workspace.",
         stack_check=_alertmanager_required),
]  # fmt: skip
