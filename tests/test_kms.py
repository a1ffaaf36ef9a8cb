"""KMS: one rotating key per domain, explicit least-privilege policies pinned to account and region."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.errors import InvalidArgumentError
from components.kms import ADMIN_ACTIONS, DEFAULT_KEY_DOMAINS, USE_ACTIONS, PlatformKeysArgs, key_policy
from offline.engine import OfflineRun, Registration

DOMAINS = {"data", "secrets", "logs", "eks", "alerts"}


def _keys(run: OfflineRun) -> dict[str, dict[str, Any]]:
    """The platform keys of the stack's own region (prod also has a DR-region key for backup copies)."""
    return {key.inputs["tags"]["key-domain"]: key.inputs for key in _platform(run, "aws:kms/key:Key")}


def _platform(run: OfflineRun, type_token: str) -> list[Registration]:
    (component,) = [c for c in run.of_type("fintech:kms:PlatformKeys") if c.name == f"fintech-{run.stack}"]
    return [r for r in run.of_type(type_token) if r.parent == component.urn]


def _statements(key_inputs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {statement["Sid"]: statement for statement in json.loads(key_inputs["policy"])["Statement"]}


def _account_and_region(run: OfflineRun) -> tuple[str, str]:
    arn = run.outputs["kmsKeyArns"]["data"]
    _, _, _, region, account, _ = arn.split(":")
    return account, region


def test_one_key_per_domain_rotating_with_a_30_day_deletion_window(stack_run: OfflineRun) -> None:
    keys = _keys(stack_run)
    assert set(keys) == DOMAINS
    for key in keys.values():
        assert key["enableKeyRotation"] is True
        assert key["rotationPeriodInDays"] == 365
        assert key["deletionWindowInDays"] == 30
        assert key["customerMasterKeySpec"] == "SYMMETRIC_DEFAULT"


def test_every_key_has_an_alias(stack_run: OfflineRun) -> None:
    aliases = {alias.inputs["name"] for alias in _platform(stack_run, "aws:kms/alias:Alias")}
    assert aliases == {f"alias/fintech-{stack_run.stack}-{domain}" for domain in DOMAINS}
    key_ids = {key.outputs["keyId"] for key in _platform(stack_run, "aws:kms/key:Key")}
    assert {alias.inputs["targetKeyId"] for alias in _platform(stack_run, "aws:kms/alias:Alias")} == key_ids


def test_the_account_administers_but_cannot_use_any_key_directly(stack_run: OfflineRun) -> None:
    account, _ = _account_and_region(stack_run)
    for key in _keys(stack_run).values():
        admin = _statements(key)["AccountAdministration"]
        assert admin["Principal"] == {"AWS": [f"arn:aws:iam::{account}:root"]}
        assert set(admin["Action"]) == set(ADMIN_ACTIONS)
        assert not set(admin["Action"]) & {"kms:*", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*"}
        assert "Condition" not in admin


@pytest.mark.parametrize(
    ("domain", "services"),
    [("data", {"rds", "elasticache", "kafka", "ec2", "backup", "ecr"}), ("secrets", {"secretsmanager"}),
     ("eks", {"eks"}), ("alerts", {"sns"})],
)  # fmt: skip
def test_use_is_only_through_the_domain_services_of_this_account_and_region(
    stack_run: OfflineRun, domain: str, services: set[str]
) -> None:
    account, region = _account_and_region(stack_run)
    statements = _statements(_keys(stack_run)[domain])
    use = statements["UseThroughDomainServices"]
    assert set(use["Action"]) == set(USE_ACTIONS)
    assert use["Condition"]["StringEquals"]["kms:CallerAccount"] == account
    assert set(use["Condition"]["StringEquals"]["kms:ViaService"]) == {
        f"{service}.{region}.amazonaws.com" for service in services
    }
    grants = statements["GrantsForDomainServiceResources"]
    assert grants["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    assert grants["Condition"]["StringEquals"] == use["Condition"]["StringEquals"]
    direct = {sid for sid, statement in statements.items() if "Service" in statement["Principal"]}
    alerts = {"CloudWatchAlarmsOfThisAccount", "EventBridgeRulesOfThisAccount", "PrometheusAlertmanagerOfThisStack"}
    assert direct == (alerts if domain == "alerts" else set())


def test_only_the_logs_key_admits_cloudwatch_logs_for_this_accounts_log_groups(stack_run: OfflineRun) -> None:
    account, region = _account_and_region(stack_run)
    keys = _keys(stack_run)
    logs = _statements(keys["logs"])
    # UseThroughDomainServices (and its grants): account principals through S3 only - the AWS Config recorder's role
    # writes SSE-KMS deliveries (components/continuous_compliance.py)
    assert set(logs) == {"AccountAdministration", "CloudWatchLogsOfThisAccount", "CloudTrailEncryptsLogFiles",
                         "CloudTrailDescribesKey", "AccountReadsTrailLogFiles", "UseThroughDomainServices",
                         "GrantsForDomainServiceResources"}  # fmt: skip
    via = logs["UseThroughDomainServices"]["Condition"]["StringEquals"]["kms:ViaService"]
    assert via == [f"s3.{region}.amazonaws.com"]
    statement = logs["CloudWatchLogsOfThisAccount"]
    assert statement["Principal"] == {"Service": f"logs.{region}.amazonaws.com"}
    assert statement["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:{account}:log-group:*"}
    }
    for domain in DOMAINS - {"logs"}:
        assert "CloudWatchLogsOfThisAccount" not in _statements(keys[domain])


def test_only_the_alerts_key_admits_cloudwatch_alarms_of_this_account(stack_run: OfflineRun) -> None:
    account, region = _account_and_region(stack_run)
    statement = _statements(_keys(stack_run)["alerts"])["CloudWatchAlarmsOfThisAccount"]
    assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert set(statement["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": account},
        "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{region}:{account}:alarm:*"},
    }


def test_only_the_logs_key_admits_cloudtrail_for_this_accounts_trails(stack_run: OfflineRun) -> None:
    account, region = _account_and_region(stack_run)
    keys = _keys(stack_run)
    logs = _statements(keys["logs"])
    context = {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{account}:trail/*"}
    encrypt = logs["CloudTrailEncryptsLogFiles"]
    assert encrypt["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert encrypt["Action"] == "kms:GenerateDataKey*"
    assert encrypt["Condition"] == {
        "StringEquals": {"aws:SourceAccount": account},
        "ArnLike": {"aws:SourceArn": f"arn:aws:cloudtrail:{region}:{account}:trail/*"},
        "StringLike": context,
    }
    assert logs["CloudTrailDescribesKey"]["Action"] == "kms:DescribeKey"
    read = logs["AccountReadsTrailLogFiles"]
    assert set(read["Action"]) == {"kms:Decrypt", "kms:ReEncryptFrom"}
    assert read["Condition"] == {"StringEquals": {"kms:CallerAccount": account}, "StringLike": context}
    for domain in DOMAINS - {"logs"}:
        assert not {"CloudTrailEncryptsLogFiles", "AccountReadsTrailLogFiles"} & set(_statements(keys[domain]))


def test_only_the_alerts_key_admits_eventbridge_rules_of_this_account(stack_run: OfflineRun) -> None:
    account, region = _account_and_region(stack_run)
    keys = _keys(stack_run)
    statement = _statements(keys["alerts"])["EventBridgeRulesOfThisAccount"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert set(statement["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": account},
        "ArnLike": {"aws:SourceArn": f"arn:aws:events:{region}:{account}:rule/*"},
    }
    for domain in DOMAINS - {"alerts"}:
        assert "EventBridgeRulesOfThisAccount" not in _statements(keys[domain])


def test_prod_keys_live_in_the_pinned_account(prod_run: OfflineRun) -> None:
    assert _account_and_region(prod_run) == ("111122223333", "us-east-1")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"account_id": "12345"}, "account_id: '12345' is not a 12-digit"),
        ({"deletion_window_in_days": 3}, "deletion_window_in_days: 3 is outside 7-30"),
        ({"rotation_period_in_days": 30}, "rotation_period_in_days: 30 is outside 90-2560"),
        ({"domains": (*DEFAULT_KEY_DOMAINS, DEFAULT_KEY_DOMAINS[0])}, "domains: names must be unique"),
    ],
)
def test_bad_key_arguments_are_refused(changes: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"account_id": "123456789012", "region": "us-east-1", **changes}
    with pytest.raises(InvalidArgumentError, match=message):
        PlatformKeysArgs(**args)


def test_policy_uses_the_given_partition() -> None:
    args = PlatformKeysArgs(account_id="123456789012", region="us-gov-west-1", partition="aws-us-gov")
    policy = key_policy(args, DEFAULT_KEY_DOMAINS[2])
    assert "arn:aws-us-gov:iam::123456789012:root" in json.dumps(policy)
    assert "arn:aws-us-gov:logs:us-gov-west-1:123456789012:log-group:*" in json.dumps(policy)
