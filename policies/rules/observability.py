"""Observability: the Prometheus workspace encrypted and logged, a managed collector on every cluster that runs
workloads, and alerts routed to an encrypted topic.

PCI DSS v4.0.1 requirements: 3.5.1 (stored data rendered unreadable - the workspace holds the platform's
operational data, and X-Ray the workloads' traces (URLs, attributes), under a customer-managed key like every
other store here), 10.2.1 (audit logs enabled and
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
XRAY_ENCRYPTION = "aws:xray/encryptionConfig:EncryptionConfig"
XRAY_DESTINATION = "aws:xray/traceSegmentDestination:TraceSegmentDestination"
ADDON = "aws:eks/addon:Addon"
TRACE_COLLECTOR_ADDONS = ("amazon-cloudwatch-observability", "adot")
"""Managed EKS add-ons whose collector exports the workloads' traces to AWS X-Ray (CloudWatch agent, ADOT)."""
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


def _trace_export_encrypted(resources: Sequence[ResourceView], config: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    """X-Ray's setting, where the stack makes it, names a customer-managed key; a stack whose cluster exports traces
    makes it unless its policy config says another stack of the account and region owns it (`required` false)."""
    for destination in of_type(resources, XRAY_DESTINATION):
        # Transaction Search (CloudWatchLogs) stores spans in the log group aws/spans, outside X-Ray's encryption.
        if str(destination.get("destination") or "XRay") != "XRay":
            yield destination.urn, (f"X-Ray sends trace segments to '{destination.get('destination')}', which "
                                    "X-Ray's encryption setting does not cover")  # fmt: skip
    settings = of_type(resources, XRAY_ENCRYPTION)
    for setting in settings:
        key = setting.get("keyId")
        if str(setting.get("type") or "") != "KMS":
            yield setting.urn, f"X-Ray encrypts traces with its default key (type '{setting.get('type')}', not KMS)"
        elif not arn_or_id_set(key):
            yield setting.urn, f"X-Ray's key '{key or ''}' is not a customer-managed key of the platform"
    if settings or not config.get("required", True):
        return
    for addon in of_type(resources, ADDON):
        if str(addon.get("addonName") or "") in TRACE_COLLECTOR_ADDONS:
            yield addon.urn, (f"the {addon.get('addonName')} add-on exports traces to X-Ray, but the stack sets no "
                              "X-Ray encryption with a customer-managed key")  # fmt: skip


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
    Rule("trace-export-encrypted", AREA, "Exported traces are stored under a customer-managed key (X-Ray KMS "
         "encryption).", Severity.HIGH, "3.5.1", "Add an aws.xray.EncryptionConfig with type KMS and keyId the "
         "stack's key (traceEncryption=true), or, where another stack of the account and region owns X-Ray's one "
         "setting, set this rule's config required=false.", stack_check=_trace_export_encrypted,
         config={"required": {"type": "boolean", "default": True}}),
]  # fmt: skip
