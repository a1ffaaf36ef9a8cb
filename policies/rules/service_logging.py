"""Service logging: database sessions and DDL audited, cache logs delivered, alarms that notify someone."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from policies.rules.base import ResourceView, Rule

AREA = "logging"
AUDIT_PARAMETERS = {"log_connections": "1", "log_disconnections": "1"}
AUDITED_CLASSES = ("ddl", "role")


def _aurora_audit(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if not str(r.get("family", "")).startswith("aurora-postgresql"):
        return
    parameters = {p.get("name"): str(p.get("value")) for p in r.get("parameters") or []}
    off = sorted(name for name, value in AUDIT_PARAMETERS.items() if parameters.get(name) != value)
    if off:
        yield f"session logging is off: {off} must be 1"
    if "pgaudit" not in parameters.get("shared_preload_libraries", "").split(","):
        yield "pgaudit is not loaded (shared_preload_libraries)"
    classes = set(parameters.get("pgaudit.log", "").replace(" ", "").split(","))
    missing = sorted(c for c in AUDITED_CLASSES if c not in classes and "all" not in classes)
    if missing:
        yield f"pgaudit.log does not audit {missing}"
    if parameters.get("log_statement", "none") == "none":
        yield "log_statement is none: DDL is not logged"


def _cache_logs(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    delivered = {c.get("logType") for c in r.get("logDeliveryConfigurations") or []}
    missing = sorted({"engine-log", "slow-log"} - delivered)
    if missing:
        yield f"cache logs not delivered: {missing}"


def _alarm_notifies(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if r.get("actionsEnabled", True) is not True or not r.get("alarmActions"):
        yield "the alarm notifies no one (alarmActions empty or actions disabled)"


def _findings_published_promptly(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    # GuardDuty publishes updates of existing findings every 6 hours unless told otherwise (new findings go out
    # within about 5 minutes). https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings_cloudwatch.html
    frequency = r.get("findingPublishingFrequency") or "SIX_HOURS"
    if frequency not in config["allowedFrequencies"]:
        yield f"finding updates are published every {frequency}; {config['allowedFrequencies']} is required"


RULES = [
    Rule("aurora-audit-logging", AREA, "Aurora PostgreSQL logs sessions and audits DDL and role changes (pgaudit).",
         Severity.HIGH, "10.2.1", "Set log_connections/log_disconnections=1, load pgaudit, pgaudit.log ddl,role "
         "and log_statement ddl in the cluster parameter group.",
         ("aws:rds/clusterParameterGroup:ClusterParameterGroup",), _aurora_audit),
    Rule("cache-logs-delivered", AREA, "ElastiCache delivers its engine and slow logs.", Severity.MEDIUM, "10.2.1",
         "Add logDeliveryConfigurations for engine-log and slow-log.",
         ("aws:elasticache/replicationGroup:ReplicationGroup",), _cache_logs),
    Rule("alarms-notify", AREA, "Every CloudWatch alarm notifies through an action.", Severity.MEDIUM, "10.7.2",
         "Set alarmActions to the alarm topic.", ("aws:cloudwatch/metricAlarm:MetricAlarm",), _alarm_notifies),
    Rule("guardduty-findings-prompt", AREA, "GuardDuty publishes finding updates every 15 minutes.", Severity.MEDIUM,
         "10.7.2", "Set findingPublishingFrequency=FIFTEEN_MINUTES on the detector.",
         ("aws:guardduty/detector:Detector",), _findings_published_promptly,
         config={"allowedFrequencies": {"type": "array", "items": {"type": "string"}, "default": ["FIFTEEN_MINUTES"]}}),
]  # fmt: skip
