"""The operations commands on the two stacks of a region pair (moto): preflight checks that a standby's global
database exists before its first deploy, a standby's images come by replication (never pushed to it), and verify
reads the database users with the pair's generated credential - or says why a standby's secondary cannot answer."""

from __future__ import annotations

import boto3

from ops.common import Clients, Report, load_config
from ops.images import check_images
from ops.preflight import _global_database
from ops.verify import check_database_users, credential_prefix
from tests.helpers import PROD_ACCOUNT


def _finding(report: Report, check: str) -> tuple[str, str]:
    finding = next(f for f in report.findings if f.check == check)
    return finding.status, finding.detail


def test_a_standby_needs_its_primarys_global_database_first(aws: None) -> None:
    standby = load_config("prod-dr")
    report = Report("preflight", "prod-dr")
    _global_database(report, "prod-dr", standby, Clients("us-west-2"))
    status, detail = _finding(report, "global-database")
    assert status == "fail" and "deploy stack prod first" in detail

    rds = boto3.client("rds", region_name="us-east-1")
    rds.create_global_cluster(GlobalClusterIdentifier="fintech-prod-global", Engine="aurora-postgresql",
                              StorageEncrypted=True)  # fmt: skip
    rds.create_db_cluster(DBClusterIdentifier="fintech-prod", Engine="aurora-postgresql", MasterUsername="admin",
                          MasterUserPassword="x" * 40, GlobalClusterIdentifier="fintech-prod-global")  # fmt: skip
    report = Report("preflight", "prod-dr")
    _global_database(report, "prod-dr", standby, Clients("us-east-1"))
    status, detail = _finding(report, "global-database")
    assert status == "pass" and "cluster:fintech-prod" in detail


def test_a_primary_creates_its_global_database_itself(aws: None) -> None:
    report = Report("preflight", "prod")
    _global_database(report, "prod", load_config("prod"), Clients("us-east-1"))
    assert _finding(report, "global-database") == ("pass", "created by this stack's next up")
    report = Report("preflight", "dev")
    _global_database(report, "dev", load_config("dev"), Clients("us-east-1"))
    assert report.findings == []


def test_a_standbys_images_are_looked_up_under_the_primarys_names_and_never_pushed_there(aws: None) -> None:
    report = Report("preflight", "prod-dr")
    check_images(report, "prod-dr", load_config("prod-dr"), Clients("us-west-2"), PROD_ACCOUNT)
    findings = [f for f in report.findings if f.check.startswith("image-")]
    assert len(findings) == 3 and all(f.status == "fail" for f in findings)
    for finding in findings:
        assert "/fintech-prod/" in finding.resource and ".us-west-2." in finding.resource
        assert "replication from stack prod" in finding.detail and finding.remedy == ""


def test_verify_reads_the_users_with_the_pairs_generated_credential(aws: None) -> None:
    assert credential_prefix("prod", load_config("prod")) == "fintech-prod/aurora-master-"
    assert credential_prefix("prod-dr", load_config("prod-dr")) == "fintech-prod/aurora-master-"
    assert credential_prefix("dev", load_config("dev")) == ""
    rds = boto3.client("rds")
    # moto models the Data API only on Serverless v1 (see tests/test_ops_verify.py): the shape only switches it on.
    rds.create_db_cluster(DBClusterIdentifier="fintech-prod", Engine="aurora-postgresql", EngineMode="serverless",
                          EngineVersion="10.14", MasterUsername="admin", MasterUserPassword="x" * 40,
                          EnableHttpEndpoint=True)  # fmt: skip
    report = Report("verify", "prod")
    check_database_users(report, Clients("us-east-1"), "fintech-prod", "fintech-prod/aurora-master-")
    status, detail = _finding(report, "database-users")
    assert status == "warn" and "master secret was not found" in detail  # no credential secret yet

    boto3.client("secretsmanager").create_secret(Name="fintech-prod/aurora-master-20261123", SecretString="{}")
    report = Report("verify", "prod")
    check_database_users(report, Clients("us-east-1"), "fintech-prod", "fintech-prod/aurora-master-")
    checks = {f.check: f.status for f in report.findings}
    # The credential was found and the Data API asked: moto returns no rows, so every workload user is missing.
    assert "database-users" not in checks
    assert checks == {"database": "pass", "database-user-payments_app": "fail", "database-user-ledger_app": "fail"}


def test_a_standbys_secondary_is_reported_not_failed(aws: None) -> None:
    east, west = boto3.client("rds", region_name="us-east-1"), boto3.client("rds", region_name="us-west-2")
    east.create_global_cluster(GlobalClusterIdentifier="fintech-prod-global", Engine="aurora-postgresql")
    # moto insists on a master user even for a secondary (AWS does not).
    for client, name in ((east, "fintech-prod"), (west, "fintech-prod-dr")):
        client.create_db_cluster(DBClusterIdentifier=name, Engine="aurora-postgresql", EnableHttpEndpoint=True,
                                 MasterUsername="admin", MasterUserPassword="x" * 40,
                                 GlobalClusterIdentifier="fintech-prod-global")  # fmt: skip
    report = Report("verify", "prod-dr")
    check_database_users(report, Clients("us-west-2"), "fintech-prod-dr", "fintech-prod/aurora-master-",
                         "fintech-prod-global")  # fmt: skip
    status, detail = _finding(report, "database-users")
    assert status == "warn" and "secondary has no writer" in detail and not report.failed
