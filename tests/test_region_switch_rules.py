"""Cases of the Region switch rules (policies/rules/region_switch.py): each passes, fails explicitly and fails by
default; tests/test_policy_rules.py runs them with every other rule's cases."""

from __future__ import annotations

import json
from typing import Any

from policies.rules import ALL_RULES
from policies.rules.base import ResourceView
from policies.rules.region_switch import BUCKET, LOCK, PLAN, SSE
from tests.helpers import view as _r

RULES = {rule.name: rule for rule in ALL_RULES}
ROLE = "arn:aws:iam::111122223333:role/fintech-prod-switch"
READERS = "arn:aws:rds:us-west-2:111122223333:db:fintech-prod-dr-switch-reader-*"
CLUSTER = "arn:aws:rds:us-west-2:111122223333:cluster:fintech-prod-dr"


def _workflow(region: str) -> dict[str, Any]:
    return {"workflowTargetAction": "activate", "workflowTargetRegion": region,
            "steps": [{"name": "promote-database", "executionBlockType": "AuroraGlobalDatabase"}]}  # fmt: skip


PAIR = {"regions": ["us-east-1", "us-west-2"], "primaryRegion": "us-east-1", "recoveryApproach": "activePassive",
        "workflows": [_workflow("us-west-2"), _workflow("us-east-1")]}  # fmt: skip

RESOURCE_CASES: dict[str, tuple[str, dict[str, Any], dict[str, Any], dict[str, Any] | None]] = {
    "region-switch-plan-regions": (PLAN, PAIR, {**PAIR, "workflows": [_workflow("us-west-2")]}, {}),
    "region-switch-execution-role": (PLAN, {"executionRole": ROLE}, {"executionRole": "fintech-prod-switch"},
                                     {}),
    "region-switch-rto": (PLAN, {"recoveryTimeObjectiveMinutes": 30}, {"recoveryTimeObjectiveMinutes": 45}, {}),
    "db-instances-created-and-deleted-scoped": (
        "aws:iam/rolePolicy:RolePolicy",
        {"policy": json.dumps({"Statement": [
            {"Sid": "Create", "Effect": "Allow", "Action": "rds:CreateDBInstance", "Resource": [READERS, CLUSTER],
             "Condition": {"StringEquals": {"aws:RequestTag/region-switch-reader": "fintech-prod-dr"}}},
            {"Sid": "Delete", "Effect": "Allow", "Action": "rds:DeleteDBInstance", "Resource": READERS,
             "Condition": {"StringEquals": {"aws:ResourceTag/region-switch-reader": "fintech-prod-dr"}}}]})},
        {"policy": json.dumps({"Statement": [
            {"Sid": "Any", "Effect": "Allow", "Action": "rds:*DBInstance", "Resource": "*",
             "Condition": {"StringEquals": {"aws:RequestTag/x": "y", "aws:ResourceTag/x": "y"}}}]})},
        # conditions left unset
        {"policy": json.dumps({"Statement": [
            {"Sid": "Delete", "Effect": "Allow", "Action": "rds:DeleteDBInstance", "Resource": READERS}]})},
    ),
}  # fmt: skip


REPORTS = {"reportConfigurations": [{"reportOutputs": [{"s3Configurations": [
    {"bucketOwner": "111122223333", "bucketPath": "reports-1/region-switch"}]}]}]}  # fmt: skip
REPORT_BUCKET = _r(BUCKET, "reports", {})
KMS = _r(SSE, "reports", {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]},
         {"bucket": [REPORT_BUCKET.urn]})  # fmt: skip
AES = _r(SSE, "reports", {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]},
         {"bucket": [REPORT_BUCKET.urn]})  # fmt: skip
LOCKED = _r(LOCK, "reports", {"objectLockEnabled": "Enabled"}, {"bucket": [REPORT_BUCKET.urn]})
WITH_REPORTS = _r(PLAN, "plan", REPORTS, {"reportConfigurations": [REPORT_BUCKET.urn]})

STACK_CASES: dict[str, tuple[list[ResourceView], list[ResourceView], list[ResourceView]]] = {
    "region-switch-reports-encrypted": ([WITH_REPORTS, REPORT_BUCKET, KMS, LOCKED],
                                        [WITH_REPORTS, REPORT_BUCKET, AES, LOCKED],
                                        [_r(PLAN, "plan", {}), REPORT_BUCKET, KMS, LOCKED]),
}  # fmt: skip


def _plan(props: dict[str, Any]) -> ResourceView:
    return _r(PLAN, "plan", props)


def test_a_plan_of_one_region_or_another_approach_fails() -> None:
    rule = RULES["region-switch-plan-regions"]
    assert "names 1 region(s)" in rule.evaluate(_plan({**PAIR, "regions": ["us-east-1", "us-east-1"]}), {})[0]
    assert "active/passive" in " ".join(rule.evaluate(_plan({**PAIR, "recoveryApproach": "activeActive"}), {}))
    empty = {**PAIR, "workflows": [{**_workflow("us-east-1"), "steps": []}, _workflow("us-west-2")]}
    assert "activates us-east-1" in rule.evaluate(_plan(empty), {})[0]


def test_the_rto_limit_comes_from_the_pack_config() -> None:
    rule = RULES["region-switch-rto"]
    assert rule.evaluate(_plan({"recoveryTimeObjectiveMinutes": 30}), {"maxMinutes": 20})
    assert rule.defaults() == {"maxMinutes": 30}


def test_reports_must_be_object_locked_and_in_the_stack() -> None:
    rule = RULES["region-switch-reports-encrypted"]
    unlocked = rule.evaluate_stack([WITH_REPORTS, REPORT_BUCKET, KMS], {})
    assert unlocked and "no Object Lock" in unlocked[0][1]
    elsewhere = rule.evaluate_stack([_r(PLAN, "plan", REPORTS), REPORT_BUCKET, KMS, LOCKED], {})
    assert elsewhere and "does not manage" in elsewhere[0][1]
