"""`ops verify` master secret rotation (ops/verify_rotation.py), against botocore's Stubber with the real Secrets
Manager and RDS service models: moto's RotateSecret needs a Lambda function it can run, and a replica or a promoted
secret's DescribeSecret (PrimaryRegion) is what this check reads."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from botocore.stub import Stubber

from ops.common import Clients, Report
from ops.verify_rotation import check_master_rotation, schedule_days

NOW = datetime.datetime(2026, 12, 5, 12, 0, tzinfo=datetime.UTC)
PREFIX = "fintech-prod/aurora-master-"
EAST = "arn:aws:secretsmanager:us-east-1:111122223333:secret:fintech-prod/aurora-master-abc-XyZ123"
WEST = EAST.replace("us-east-1", "us-west-2")
RDS_SECRET = "arn:aws:secretsmanager:us-east-1:111122223333:secret:rds!cluster-1234-AbC123"


def _clients(region: str, arn: str, described: dict[str, Any] | None, listed: bool = True) -> Clients:
    clients = Clients(region)
    secrets = Stubber(clients("secretsmanager"))
    if listed:
        secrets.add_response("list_secrets", {"SecretList": [{"ARN": arn, "Name": PREFIX + "abc"}]},
                             {"Filters": [{"Key": "name", "Values": [PREFIX]}]})  # fmt: skip
    if described is not None:
        secrets.add_response("describe_secret", {"ARN": arn, "Name": PREFIX + "abc", **described}, {"SecretId": arn})
    secrets.activate()
    return clients


def _check(clients: Clients, credential: str = PREFIX, max_days: int = 30, standby: bool = False) -> Report:
    report = Report("verify", "prod")
    check_master_rotation(report, clients, "fintech-prod", credential, max_days, standby=standby, now=NOW)
    assert len(report.findings) == 1
    return report


def _rotating(days_ago: float, every: int = 30) -> dict[str, Any]:
    return {"RotationEnabled": True, "RotationRules": {"AutomaticallyAfterDays": every},
            "LastRotatedDate": NOW - datetime.timedelta(days=days_ago)}  # fmt: skip


def test_a_secret_rotated_within_its_schedule_passes() -> None:
    report = _check(_clients("us-east-1", EAST, _rotating(12)))
    (finding,) = report.findings
    assert finding.status == "pass" and "rotated 12 days ago (schedule every 30 days)" in finding.detail


def test_one_day_of_grace_then_overdue() -> None:
    assert not _check(_clients("us-east-1", EAST, _rotating(30.9))).failed
    report = _check(_clients("us-east-1", EAST, _rotating(31.5)))
    assert report.failed and "overdue: rotations are failing" in report.findings[0].detail


@pytest.mark.parametrize(
    ("described", "words"),
    [
        ({"RotationEnabled": False}, "rotation is not enabled"),
        ({"RotationEnabled": True, "RotationRules": {"AutomaticallyAfterDays": 60}}, "every 60 days; at most every 30"),
        ({"RotationEnabled": True, "RotationRules": {"ScheduleExpression": "cron(0 4 1 * ? *)"}}, "no readable"),
        ({"RotationEnabled": True, "RotationRules": {"AutomaticallyAfterDays": 30}}, "never rotated"),
    ],
)
def test_what_fails(described: dict[str, Any], words: str) -> None:
    report = _check(_clients("us-east-1", EAST, described))
    assert report.failed and words in report.findings[0].detail


def test_the_standby_reads_a_replica_and_judges_its_primary_elsewhere() -> None:
    report = _check(_clients("us-west-2", WEST, {"PrimaryRegion": "us-east-1"}), standby=True)
    (finding,) = report.findings
    assert finding.status == "pass" and "a replica of the secret in us-east-1" in finding.detail


def test_a_promoted_replica_has_no_rotation_and_says_to_fail_back() -> None:
    report = _check(_clients("us-west-2", WEST, {"RotationEnabled": False, "PrimaryRegion": "us-west-2"}),
                    standby=True)  # fmt: skip
    (finding,) = report.findings
    assert finding.status == "fail" and "Fail back" in finding.remedy and "promoted it in a failover" in finding.remedy


def test_a_missing_secret_fails() -> None:
    clients = Clients("us-east-1")
    stub = Stubber(clients("secretsmanager"))
    stub.add_response("list_secrets", {"SecretList": []}, {"Filters": [{"Key": "name", "Values": [PREFIX]}]})
    stub.activate()
    report = _check(clients)
    assert report.failed and f"no single secret named {PREFIX}*" in report.findings[0].detail


def test_outside_a_pair_the_rds_managed_secret_is_checked_with_its_own_schedule() -> None:
    clients = _clients("us-east-1", RDS_SECRET, _rotating(3, every=7), listed=False)
    rds = Stubber(clients("rds"))
    rds.add_response("describe_db_clusters", {"DBClusters": [{"MasterUserSecret": {"SecretArn": RDS_SECRET}}]},
                     {"DBClusterIdentifier": "fintech-prod"})  # fmt: skip
    rds.activate()
    report = _check(clients, credential="")
    assert not report.failed and "every 7 days" in report.findings[0].detail


@pytest.mark.parametrize(
    ("rules", "days"),
    [({"AutomaticallyAfterDays": 30}, 30), ({"ScheduleExpression": "rate(4 hours)"}, 1 / 6),
     ({"ScheduleExpression": "rate(10 days)"}, 10), ({}, None)],
)  # fmt: skip
def test_schedule_days(rules: dict[str, Any], days: float | None) -> None:
    assert schedule_days(rules) == days


def test_a_replica_that_is_not_in_sync_fails_with_its_region_and_message() -> None:
    replicas = [
        {"Region": "us-west-2", "KmsKeyId": "arn:aws:kms:us-west-2:111122223333:key/k", "Status": "Failed",
         "StatusMessage": "Access to KMS is not allowed"},
        {"Region": "eu-west-1", "Status": "InSync"},
    ]  # fmt: skip
    report = Report("verify", "prod")
    clients = _clients("us-east-1", EAST, {**_rotating(3), "ReplicationStatus": replicas})
    check_master_rotation(report, clients, "fintech-prod", PREFIX, 30, now=NOW)
    by_check = {f.check: f for f in report.findings}
    assert by_check["master-secret-rotation"].status == "pass"
    replication = by_check["master-secret-replication"]
    assert replication.status == "fail" and report.failed
    assert replication.detail == "replica not in sync: us-west-2: Failed (Access to KMS is not allowed)"
    # all in sync passes
    report = Report("verify", "prod")
    in_sync = [{"Region": "us-west-2", "Status": "InSync"}]
    check_master_rotation(report, _clients("us-east-1", EAST, {**_rotating(3), "ReplicationStatus": in_sync}),
                          "fintech-prod", PREFIX, 30, now=NOW)  # fmt: skip
    assert not report.failed and {f.detail for f in report.findings} >= {"replicas in sync: us-west-2"}


def _denied(service: str, operation: str, code: str, clients: Clients | None = None) -> Clients:
    clients = clients or Clients("us-east-1")
    stub = Stubber(clients(service))
    stub.add_client_error(operation, code, f"{code} on {operation}", 400 if code == "ThrottlingException" else 403)
    stub.activate()
    return clients


@pytest.mark.parametrize("code", ["AccessDeniedException", "ThrottlingException"])
def test_an_api_error_listing_the_secret_is_a_failed_finding_not_an_exception(code: str) -> None:
    report = _check(_denied("secretsmanager", "list_secrets", code))
    (finding,) = report.findings
    assert (finding.check, finding.status) == ("master-secret-rotation", "fail")
    assert finding.detail == (f"could not read the master secret (secrets named {PREFIX}*) in us-east-1: "
                              f"{code}: {code} on list_secrets")  # fmt: skip


@pytest.mark.parametrize("code", ["AccessDeniedException", "ThrottlingException"])
def test_an_api_error_describing_the_secret_is_a_failed_finding(code: str) -> None:
    clients = Clients("us-east-1")
    secrets = Stubber(clients("secretsmanager"))
    secrets.add_response("list_secrets", {"SecretList": [{"ARN": EAST, "Name": PREFIX + "abc"}]},
                         {"Filters": [{"Key": "name", "Values": [PREFIX]}]})  # fmt: skip
    secrets.add_client_error("describe_secret", code, "no", 403, expected_params={"SecretId": EAST})
    secrets.activate()
    report = _check(clients)
    (finding,) = report.findings
    assert finding.status == "fail" and finding.detail == f"could not read the master secret {EAST}: {code}: no"


def test_an_api_error_reading_the_rds_cluster_is_a_failed_finding() -> None:
    report = _check(_denied("rds", "describe_db_clusters", "AccessDenied"), credential="")
    (finding,) = report.findings
    assert finding.status == "fail"
    assert "could not read the master secret (the RDS master secret of fintech-prod) in us-east-1: AccessDenied" in (
        finding.detail
    )


@pytest.mark.parametrize(("stack", "days"), [("dev", 7), ("prod", 30), ("prod-dr", 30)])
def test_the_bound_is_the_key_only_where_the_stack_rotates_with_the_function(stack: str, days: int) -> None:
    from ops.common import load_config
    from ops.verify import master_rotation_days

    config = load_config(stack)
    assert master_rotation_days(config) == days
    if stack == "prod":  # the primary's own value is the bound
        assert master_rotation_days(config.model_copy(update={"aurora_master_rotation_days": 5})) == 5
