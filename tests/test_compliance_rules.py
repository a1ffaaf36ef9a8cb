"""Cases of the continuous-compliance and companion-resource rules (policies/rules/compliance.py): each passes,
fails explicitly and fails by default; tests/test_policy_rules.py runs them with every other rule's cases. Here also:
an organization's Config and Security Hub stand in for the stack's, and the rules hold on the program's own plans."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.alerts import _topic_policy
from components.conformance_pack import template_body
from components.continuous_compliance import config_noncompliance_pattern, securityhub_finding_pattern
from offline.audit import views
from policies.rules.base import ResourceView
from policies.rules.compliance import CORE_MANAGED_RULES
from policies.rules.compliance import RULES as COMPLIANCE_RULES
from tests.conftest import offline_run
from tests.helpers import view as _r

RULES = {rule.name: rule for rule in COMPLIANCE_RULES}
KEY = "arn:aws:kms:us-east-1:111122223333:key/1234"


STACK = _r("pulumi:pulumi:Stack", "s")
RECORDER = _r("aws:cfg/recorder:Recorder", "rec", {"recordingGroup": {"allSupported": True,
                                                                      "includeGlobalResourceTypes": True}})  # fmt: skip
CHANNEL = _r("aws:cfg/deliveryChannel:DeliveryChannel", "ch", {"s3BucketName": "b", "s3KmsKeyArn": KEY})
HUB = _r("aws:securityhub/account:Account", "hub")
TOPIC = _r("aws:sns/topic:Topic", "topic")
TLS_POLICY = json.dumps({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                                        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})  # fmt: skip
ALLOW_ONLY = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]})


def _status(enabled: bool) -> ResourceView:
    return _r("aws:cfg/recorderStatus:RecorderStatus", "st", {"isEnabled": enabled}, {"name": [RECORDER.urn]})


def _pack(*identifiers: str) -> ResourceView:
    body = {"Resources": {i: {"Type": "AWS::Config::ConfigRule", "Properties": {"ConfigRuleName": i.lower(),
            "Source": {"Owner": "AWS", "SourceIdentifier": i}}} for i in identifiers}}  # fmt: skip
    return _r("aws:cfg/conformancePack:ConformancePack", "pack", {"templateBody": json.dumps(body)})


def _subscriptions(*paths: str) -> list[ResourceView]:
    return [_r("aws:securityhub/standardsSubscription:StandardsSubscription", f"s{i}",
               {"standardsArn": f"arn:aws:securityhub:us-east-1::{path}"}) for i, path in enumerate(paths)]  # fmt: skip


PCI, FSBP = "standards/pci-dss/v/4.0.1", "standards/aws-foundational-security-best-practices/v/1.0.0"
TOPIC_DOCUMENT = _topic_policy("arn:aws:sns:us-east-1:1:t", "1", "p")
TOPIC_POLICY = _r("aws:sns/topicPolicy:TopicPolicy", "tp", {"policy": TOPIC_DOCUMENT}, {"arn": [TOPIC.urn]})


def _routed(*patterns: dict[str, Any]) -> list[ResourceView]:
    routes: list[ResourceView] = [TOPIC, TOPIC_POLICY]
    for index, pattern in enumerate(patterns):
        rule = _r("aws:cloudwatch/eventRule:EventRule", f"rule{index}", {"eventPattern": json.dumps(pattern)})
        routes += [rule, _r("aws:cloudwatch/eventTarget:EventTarget", f"t{index}", {"arn": "arn:sns"},
                            {"rule": [rule.urn], "arn": [TOPIC.urn]})]  # fmt: skip
    return routes


HIGH_ONLY = securityhub_finding_pattern()
HIGH_ONLY["detail"]["findings"]["Severity"]["Label"] = ["CRITICAL"]
BUCKET = _r("aws:s3/bucket:Bucket", "b")
KMS_KEY = _r("aws:kms/key:Key", "k")
VAULT = _r("aws:backup/vault:Vault", "v")
LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
SECRET = _r("aws:secretsmanager/secret:Secret", "sec")
EKS = _r("eks:index:Cluster", "eks", {"name": "c", "enabledClusterLogTypes": ["audit"]})
GROUP = "aws:cloudwatch/logGroup:LogGroup"
MSK = "aws:msk/cluster:Cluster"
MSK_LOGS = {"loggingInfo": {"brokerLogs": {"cloudwatchLogs": {"enabled": True, "logGroup": "/msk/x"}}}}

RESOURCE_CASES: dict[str, tuple[str, dict[str, Any], dict[str, Any], dict[str, Any] | None]] = {
    "config-recorder-all-types": ("aws:cfg/recorder:Recorder", dict(RECORDER.props),
                                  {"recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": False}}, {}),
    "config-delivery-encrypted": ("aws:cfg/deliveryChannel:DeliveryChannel", dict(CHANNEL.props),
                                  {"s3BucketName": "b", "s3KmsKeyArn": ""}, {"s3BucketName": "b"}),
}  # fmt: skip

CORE = list(CORE_MANAGED_RULES)
STACK_CASES: dict[str, tuple[list[ResourceView], list[ResourceView], list[ResourceView]]] = {
    "config-recording-on": ([STACK, RECORDER, CHANNEL, _status(True)], [STACK, RECORDER, CHANNEL, _status(False)],
                            [STACK]),
    "pci-conformance-pack": ([STACK, _pack(*CORE)], [STACK, _pack(*CORE[1:])], [STACK]),
    "securityhub-standards": ([STACK, HUB, *_subscriptions(PCI, FSBP)], [STACK, HUB, *_subscriptions(FSBP)], [STACK]),
    "compliance-findings-routed": (
        [HUB, RECORDER, *_routed(securityhub_finding_pattern(), config_noncompliance_pattern())],
        [HUB, RECORDER, *_routed(HIGH_ONLY, config_noncompliance_pattern())],
        [HUB, RECORDER, TOPIC, TOPIC_POLICY]),
    "s3-bucket-policy-present": (
        [BUCKET, _r("aws:s3/bucketPolicy:BucketPolicy", "p", {"policy": TLS_POLICY}, {"bucket": [BUCKET.urn]})],
        [BUCKET, _r("aws:s3/bucketPolicy:BucketPolicy", "p", {"policy": ALLOW_ONLY}, {"bucket": [BUCKET.urn]})],
        [BUCKET]),
    "kms-key-policy-explicit": (
        [KMS_KEY, _r("aws:kms/key:Key", "k2", {"policy": "{}"}),
         _r("aws:kms/keyPolicy:KeyPolicy", "kp", {"policy": "{}"}, {"keyId": [KMS_KEY.urn]})],
        [_r("aws:kms/key:Key", "k2", {"policy": ""})], [KMS_KEY]),
    "backup-vault-locked": (
        [VAULT, _r(LOCK, "l", {}, {"backupVaultName": [VAULT.urn]})],
        [VAULT, _r(LOCK, "l", {}, {"backupVaultName": ["urn:x"]})],
        [VAULT]),
    "sns-topic-policy-present": ([TOPIC, TOPIC_POLICY],
                                 [TOPIC, _r("aws:sns/topicPolicy:TopicPolicy", "tp", {"policy": ALLOW_ONLY},
                                            {"arn": [TOPIC.urn]})], [TOPIC]),
    "secret-policy-present": (
        [SECRET, _r("aws:secretsmanager/secretPolicy:SecretPolicy", "p", {}, {"secretArn": [SECRET.urn]})],
        [SECRET, _r("aws:secretsmanager/secretPolicy:SecretPolicy", "p", {}, {"secretArn": ["urn:x"]})], [SECRET]),
    "log-group-per-destination": (
        [EKS, _r(GROUP, "g", {"name": "/aws/eks/c/cluster"}), _r(MSK, "m", MSK_LOGS, {"loggingInfo": ["urn:g2"]}),
         ResourceView(GROUP, "g2", "urn:g2", {"name": "/msk/x"})],
        [EKS, _r(GROUP, "g", {"name": "/aws/eks/other/cluster"})],
        [EKS, _r(MSK, "m", MSK_LOGS)]),
}  # fmt: skip


@pytest.mark.parametrize("name", ["config-recording-on", "pci-conformance-pack", "securityhub-standards"])
def test_an_organizations_config_and_security_hub_stand_in(name: str) -> None:
    rule = RULES[name]
    assert rule.evaluate_stack([STACK], {})
    assert rule.evaluate_stack([STACK], {"organizationCompliance": True}) == []


def test_a_standby_region_may_leave_global_types_to_the_home_region() -> None:
    recorder = _r("aws:cfg/recorder:Recorder", "r", {"recordingGroup": {"allSupported": True}})
    assert RULES["config-recorder-all-types"].evaluate(recorder, {})
    assert RULES["config-recorder-all-types"].evaluate(recorder, {"recordGlobalTypes": False}) == []
    partial = _r("aws:cfg/recorder:Recorder", "r", {"recordingGroup": {"allSupported": False}})
    assert RULES["config-recorder-all-types"].evaluate(partial, {"recordGlobalTypes": False})


def test_the_generated_conformance_pack_holds_the_core_rules_in_every_region() -> None:
    for record_global_types in (True, False):
        pack = _r("aws:cfg/conformancePack:ConformancePack", "p", {"templateBody": template_body(record_global_types)})
        assert RULES["pci-conformance-pack"].evaluate_stack([pack], {}) == []
    assert "IAM_PASSWORD_POLICY" in template_body(True) and "IAM_PASSWORD_POLICY" not in template_body(False)


@pytest.mark.parametrize("stack", ["dev", "prod", "prod-dr"])
def test_the_plans_build_config_security_hub_and_every_companion(stack: str) -> None:
    run = offline_run(stack)
    types = [r.type for r in run.resources]
    for token in ("aws:cfg/recorder:Recorder", "aws:cfg/deliveryChannel:DeliveryChannel",
                  "aws:cfg/recorderStatus:RecorderStatus", "aws:cfg/conformancePack:ConformancePack",
                  "aws:securityhub/account:Account"):  # fmt: skip
        assert types.count(token) == 1, token
    arns = sorted(r.inputs["standardsArn"] for r in run.resources if r.type.endswith("StandardsSubscription"))
    region = "us-west-2" if stack == "prod-dr" else "us-east-1"
    assert arns == [f"arn:aws:securityhub:{region}::{FSBP}", f"arn:aws:securityhub:{region}::{PCI}"]
    recorder = next(r for r in run.resources if r.type == "aws:cfg/recorder:Recorder")
    assert recorder.inputs["recordingGroup"] == {"allSupported": True,
                                                 "includeGlobalResourceTypes": stack != "prod-dr"}  # fmt: skip
    resources = views(run)
    for rule in COMPLIANCE_RULES:
        config = {"recordGlobalTypes": False} if rule.name == "config-recorder-all-types" and stack == "prod-dr" else {}
        assert [m for r in resources for m in rule.evaluate(r, config)] == [], rule.name
        assert rule.evaluate_stack(resources, config) == [], rule.name


def test_the_alarm_topic_admits_only_this_stacks_event_rules() -> None:
    policy = json.loads(_topic_policy("arn:aws:sns:us-east-1:111122223333:t", "111122223333", "fintech-prod"))
    (events,) = [s for s in policy["Statement"] if s["Principal"] == {"Service": "events.amazonaws.com"}]
    assert events["Condition"]["ArnLike"]["aws:SourceArn"] == "arn:aws:events:*:111122223333:rule/fintech-prod-*"


def test_continuous_compliance_is_priced_from_the_sourced_rows_and_the_tiers_usage() -> None:
    from offline.plan import summarize
    from pricing.model import load_prices, price_plan

    table = load_prices()
    report = price_plan(summarize(offline_run("prod")), table)
    assert report.unpriced == []
    usage = table.usage["prod"]
    expected = (usage["config_items"] * table.get("config_item")
                + usage["conformance_pack_evaluations"] * table.get("conformance_pack_evaluation")
                + usage["securityhub_checks"] * table.get("securityhub_check")
                + usage["config_bucket_gb"] * table.get("s3_standard"))  # fmt: skip
    assert report.by_component()["continuous_compliance"][0] == pytest.approx(expected, abs=0.01)
    for row in ("config_item", "config_rule_evaluation", "conformance_pack_evaluation", "securityhub_check"):
        assert table.prices[row].source and table.prices[row].date == "2026-12-05"


def test_organization_compliance_builds_none_and_the_pack_accepts_the_declared_organization() -> None:
    from offline.audit import evaluate, summary
    from offline.engine import PROJECT_DIR, run_stack

    run = run_stack("dev", {"fintech-platform:organizationCompliance": "true"})
    assert run.error is None
    assert not [r for r in run.resources if r.type.startswith(("aws:cfg/", "aws:securityhub/"))]
    config = json.loads((PROJECT_DIR / "policies" / "config" / "dev.json").read_text())
    failing = {r.name for r in evaluate(run, config) if r.status == "fail"}
    assert failing == {"config-recording-on", "pci-conformance-pack", "securityhub-standards"}
    declared = {name: {"organizationCompliance": True} for name in failing}
    assert summary(evaluate(run, {**config, **declared}))["mandatoryViolations"] == 0
