"""Logging: every layer leaves an audit trail, kept long enough."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity

from policies.rules.base import ResourceView, Rule, of_type
from policies.rules.shapes import eks_log_types

AREA = "logging"
CONTROL_PLANE_LOG_TYPES = {"api", "audit", "authenticator", "controllerManager", "scheduler"}


def _flow_logs(resources: Sequence[ResourceView], _: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    logged = set().union(*(f.depends_on("vpcId") for f in of_type(resources, "aws:ec2/flowLog:FlowLog")
                           if f.get("trafficType") == "ALL"))  # fmt: skip
    for vpc in of_type(resources, "aws:ec2/vpc:Vpc"):
        if vpc.urn not in logged:
            yield vpc.urn, "the VPC has no flow log capturing ALL traffic"


def _eks_logs(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    missing = sorted(CONTROL_PLANE_LOG_TYPES - eks_log_types(r))
    if missing:
        yield f"control-plane log types not sent to CloudWatch: {missing}"


def _alb_access_logs(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if r.get("loadBalancerType", "application") == "application" and r.get("accessLogs.enabled") is not True:
        yield "access logs are off"


def _waf_logging(resources: Sequence[ResourceView], _: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    logging_type = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
    logged = set().union(*(c.depends_on("resourceArn") for c in of_type(resources, logging_type)))
    for acl in of_type(resources, "aws:wafv2/webAcl:WebAcl"):
        if acl.urn not in logged:
            yield acl.urn, "the web ACL has no logging configuration"


def _msk_logs(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    brokers = r.get("loggingInfo.brokerLogs") or {}
    if not any((brokers.get(target) or {}).get("enabled") for target in ("cloudwatchLogs", "firehose", "s3")):
        yield "broker logs are not delivered anywhere"


def _aurora_logs(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if "postgresql" not in (r.get("enabledCloudwatchLogsExports") or []):
        yield "PostgreSQL logs are not exported to CloudWatch"


def _retention(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    days = r.get("retentionInDays")
    if not days:
        yield "the log group keeps logs forever without a retention decision; set retentionInDays"
    elif int(days) < config["minDays"]:
        yield f"logs kept {days} days; at least {config['minDays']} are required"


RULES = [
    Rule("vpc-flow-logs", AREA, "Every VPC logs all traffic.", Severity.HIGH, "10.2.1",
         "Add an aws.ec2.FlowLog with trafficType ALL.", stack_check=_flow_logs),
    Rule("eks-control-plane-logs", AREA, "EKS sends all control-plane logs to CloudWatch.", Severity.HIGH, "10.2.1",
         "Enable api, audit, authenticator, controllerManager and scheduler logs.",
         ("eks:index:Cluster", "aws:eks/cluster:Cluster"), _eks_logs),
    Rule("alb-access-logs", AREA, "Application load balancers write access logs.", Severity.HIGH, "10.2.1",
         "Set accessLogs.enabled=true with the access-log bucket.", ("aws:lb/loadBalancer:LoadBalancer",),
         _alb_access_logs),
    Rule("waf-logging", AREA, "Every web ACL logs its requests.", Severity.HIGH, "10.2.1",
         "Add a WebAclLoggingConfiguration to an aws-waf-logs-* log group.", stack_check=_waf_logging),
    Rule("msk-broker-logs", AREA, "MSK delivers broker logs.", Severity.MEDIUM, "10.2.1",
         "Enable loggingInfo.brokerLogs.cloudwatchLogs with a log group.", ("aws:msk/cluster:Cluster",), _msk_logs),
    Rule("aurora-log-export", AREA, "Aurora exports PostgreSQL logs.", Severity.HIGH, "10.2.1",
         "Set enabledCloudwatchLogsExports to ['postgresql'].", ("aws:rds/cluster:Cluster",), _aurora_logs),
    Rule("log-retention", AREA, "Log groups keep logs at least the required time.", Severity.HIGH, "10.5.1",
         "Raise retentionInDays (logRetentionDays).", ("aws:cloudwatch/logGroup:LogGroup",), _retention,
         config={"minDays": {"type": "integer", "default": 365}}),
]  # fmt: skip
