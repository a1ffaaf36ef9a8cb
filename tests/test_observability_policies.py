"""Cases of the observability rules (policies/rules/observability.py): each passes, fails explicitly and fails by
default; tests/test_policy_rules.py runs them with every other rule's cases. Here also: the rules judge the
program's own registrations."""

from __future__ import annotations

from typing import Any

import yaml

from components.prometheus_config import alertmanager_definition
from offline.audit import views
from offline.engine import OfflineRun
from policies.rules.base import ResourceView
from policies.rules.observability import RULES
from tests.helpers import view as _r

KEY = "arn:aws:kms:us-east-1:111122223333:key/1234"
WORKSPACE = "aws:amp/workspace:Workspace"
LOGS = {"logGroupArn": "arn:aws:logs:us-east-1:111122223333:log-group:/aws/prometheus/x:*"}
TOPIC_ARN = "arn:aws:sns:us-east-1:111122223333:alarms"

RESOURCE_CASES: dict[str, tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    "amp-workspace-cmk": (WORKSPACE, {"kmsKeyArn": KEY}, {"kmsKeyArn": ""}, {}),
    "amp-workspace-logging": (WORKSPACE, {"loggingConfiguration": LOGS},
                              {"loggingConfiguration": {"logGroupArn": LOGS["logGroupArn"][:-2]}}, {}),
}  # fmt: skip


CLUSTER = _r("eks:index:Cluster", "c", {"name": "fintech-prod"})
SCRAPER = _r(
    "aws:amp/scraper:Scraper",
    "s",
    {"source": {"eks": {"clusterArn": "arn:aws:eks:us-east-1:111122223333:cluster/fintech-prod"}}},
)
OTHER_SCRAPER = _r(
    "aws:amp/scraper:Scraper",
    "s",
    {"source": {"eks": {"clusterArn": "arn:aws:eks:us-east-1:111122223333:cluster/other"}}},
)
TOPIC = _r("aws:sns/topic:Topic", "alarms", {"kmsMasterKeyId": KEY})
PLAIN_TOPIC = _r("aws:sns/topic:Topic", "alarms", {})
WS = _r(WORKSPACE, "w", {"kmsKeyArn": KEY})


def _alertmanager(definition: str, topic: ResourceView | None = TOPIC) -> ResourceView:
    deps = {"definition": [topic.urn] if topic else [], "workspaceId": [WS.urn]}
    return _r("aws:amp/alertManagerDefinition:AlertManagerDefinition", "am", {"definition": definition}, deps)


ROUTED = alertmanager_definition(TOPIC_ARN, "us-east-1")
TRACE_ADDON = _r("aws:eks/addon:Addon", "cw", {"addonName": "amazon-cloudwatch-observability"})
XRAY = "aws:xray/encryptionConfig:EncryptionConfig"
NO_RECEIVER = yaml.safe_dump({"alertmanager_config": yaml.safe_dump({"route": {"receiver": "x"},
                                                                      "receivers": [{"name": "x"}]})})  # fmt: skip

STACK_CASES: dict[str, tuple[list[ResourceView], list[ResourceView], list[ResourceView]]] = {
    "metrics-collector-per-cluster": ([CLUSTER, SCRAPER], [CLUSTER, OTHER_SCRAPER], [CLUSTER]),
    "alerts-to-encrypted-topic": ([TOPIC, _alertmanager(ROUTED)], [PLAIN_TOPIC, _alertmanager(ROUTED, PLAIN_TOPIC)],
                                  [TOPIC, _alertmanager(NO_RECEIVER)]),
    "amp-workspace-alerting": ([WS, _alertmanager(ROUTED)], [WS, _r("aws:sns/topic:Topic", "t")], [WS]),
    "trace-export-encrypted": ([TRACE_ADDON, _r(XRAY, "x", {"type": "KMS", "keyId": KEY})],
                               [TRACE_ADDON, _r(XRAY, "x", {"type": "NONE"})], [TRACE_ADDON]),
}  # fmt: skip


def test_every_observability_rule_has_cases() -> None:
    assert {rule.name for rule in RULES} == set(RESOURCE_CASES) | set(STACK_CASES)


def test_a_topic_outside_the_stack_cannot_be_judged_and_fails() -> None:
    rule = next(rule for rule in RULES if rule.name == "alerts-to-encrypted-topic")
    violations = rule.evaluate_stack([TOPIC, _alertmanager(ROUTED, None)], {})
    assert [message for _, message in violations] == [
        "the alert topic is not a topic of this stack: its encryption cannot be checked"
    ]


def test_trace_encryption_refuses_the_aws_managed_key_and_may_be_owned_by_another_stack() -> None:
    rule = next(rule for rule in RULES if rule.name == "trace-export-encrypted")
    managed = rule.evaluate_stack([TRACE_ADDON, _r(XRAY, "x", {"type": "KMS", "keyId": "alias/aws/xray"})], {})
    assert [message for _, message in managed] == [
        "X-Ray's key 'alias/aws/xray' is not a customer-managed key of the platform"
    ]
    assert rule.evaluate_stack([TRACE_ADDON], {"required": False}) == []
    search = _r("aws:xray/traceSegmentDestination:TraceSegmentDestination", "d", {"destination": "CloudWatchLogs"})
    assert [
        m for _, m in rule.evaluate_stack([TRACE_ADDON, _r(XRAY, "x", {"type": "KMS", "keyId": KEY}), search], {})
    ] == ["X-Ray sends trace segments to 'CloudWatchLogs', which X-Ray's encryption setting does not cover"]
    assert rule.evaluate_stack([_r("aws:eks/addon:Addon", "cni", {"addonName": "vpc-cni"})], {}) == []


def test_the_programs_workspace_collectors_and_alertmanager_pass(stack_run: OfflineRun) -> None:
    resources = views(stack_run)
    assert {r.type for r in resources} >= {WORKSPACE, "aws:amp/scraper:Scraper", "aws:sns/topic:Topic",
                                            "aws:amp/alertManagerDefinition:AlertManagerDefinition"}  # fmt: skip
    for rule in RULES:
        violations = rule.evaluate_stack(resources, {}) + [
            (r.urn, message) for r in resources for message in rule.evaluate(r, {})
        ]
        assert violations == [], rule.name
