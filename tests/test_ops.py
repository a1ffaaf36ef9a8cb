"""Operations commands against moto: preflight, live audit and DR drill, success and failure paths,
and one run through a moto server on 127.0.0.1 so the real HTTP path is exercised."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from moto.server import ThreadedMotoServer

from components.eks import ADDON_VERSIONS
from offline.engine import PROJECT_DIR
from ops.common import Clients, OpsError, load_config
from ops.dr_drill import dr_drill
from ops.live_audit import live_audit
from ops.preflight import preflight
from stacks.config import StackConfig
from stacks.names import repository_name
from tests.helpers import PROD_ACCOUNT

ACCOUNT = PROD_ACCOUNT
TAGS = [{"Key": "environment", "Value": "prod"}, {"Key": "project", "Value": "fintech-platform"}]


def _issued_certificate(region: str = "us-east-1") -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pay.example.com")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=90))
                   .sign(key, hashes.SHA256()))  # fmt: skip
    arn: str = boto3.client("acm", region_name=region).import_certificate(
        Certificate=certificate.public_bytes(serialization.Encoding.PEM),
        PrivateKey=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )["CertificateArn"]
    return arn


def _config(**changes: Any) -> StackConfig:
    return load_config("prod").model_copy(update=changes)


def _stub_addons(clients: Clients, versions: dict[str, str]) -> Stubber:
    stubber = Stubber(clients("eks"))
    for addon, version in versions.items():
        stubber.add_response(
            "describe_addon_versions",
            {"addons": [{"addonName": addon, "addonVersions": [{"addonVersion": version}]}]},
            {"addonName": addon, "kubernetesVersion": "1.35"},
        )
    stubber.activate()
    return stubber


def _checks(report: Any) -> dict[str, str]:
    return {finding.check: finding.status for finding in report.findings}


def _push_images(config: StackConfig) -> None:
    """Each workload's repository, holding the image the stack pins."""
    ecr = boto3.client("ecr")
    for workload in ("validator", "payments", "ledger"):
        repository = repository_name("fintech-prod", workload)
        ecr.create_repository(repositoryName=repository)
        manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                               "config": {"digest": f"sha256:{workload}"}})  # fmt: skip
        ecr.put_image(repositoryName=repository, imageManifest=manifest, imageTag=config.image_tag(workload))


def test_preflight_passes_in_the_right_account(aws: None) -> None:
    _push_images(_config())
    clients = Clients("us-east-1")
    _stub_addons(clients, ADDON_VERSIONS["1.35"])
    report = preflight("prod", _config(certificate_arn=_issued_certificate()), clients, charts={})
    assert not report.failed, report.text()
    assert set(_checks(report)) >= {"account", "availability-zones", "pinned-zones", "certificate", "elastic-ip-quota",
                                     "vpc-quota", "addon-vpc-cni", "image-validator", "image-payments",
                                     "image-ledger"}  # fmt: skip


def test_preflight_refuses_the_wrong_account(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    clients = Clients("us-east-1")
    _stub_addons(clients, ADDON_VERSIONS["1.35"])
    with pytest.raises(OpsError, match=r"pinned to account 999988887777 .* belong to account 111122223333"):
        preflight("prod", _config(account_id="999988887777", certificate_arn=_issued_certificate()), clients, charts={})


def test_preflight_fails_with_too_few_zones(aws: None) -> None:
    clients = Clients("us-west-1")
    _stub_addons(clients, ADDON_VERSIONS["1.35"])
    config = _config(region="us-west-1", availability_zone_ids=("usw1-az1", "usw1-az2", "usw1-az3"),
                     certificate_arn=_issued_certificate("us-west-1"))  # fmt: skip
    checks = _checks(preflight("prod", config, clients, charts={}))
    assert checks["availability-zones"] == "fail" and checks["pinned-zones"] == "fail"


def test_preflight_fails_on_a_missing_or_pending_certificate(aws: None) -> None:
    clients = Clients("us-east-1")
    _stub_addons(clients, ADDON_VERSIONS["1.35"])
    missing = preflight("prod", _config(certificate_arn=f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/"
                                        "00000000-0000-4000-8000-000000000000"), clients)  # fmt: skip
    assert _checks(missing)["certificate"] == "fail"
    pending = boto3.client("acm").request_certificate(DomainName="pay.example.com")["CertificateArn"]
    clients = Clients("us-east-1")
    _stub_addons(clients, ADDON_VERSIONS["1.35"])
    report = preflight("prod", _config(certificate_arn=pending), clients, charts={})
    assert _checks(report)["certificate"] == "fail"
    assert "PENDING_VALIDATION" in report.text()


def test_preflight_fails_when_elastic_ips_would_exceed_the_quota(aws: None) -> None:
    ec2 = boto3.client("ec2")
    for _ in range(4):
        ec2.allocate_address(Domain="vpc")
    clients = Clients("us-east-1")
    _stub_addons(clients, ADDON_VERSIONS["1.35"])
    report = preflight("prod", _config(certificate_arn=_issued_certificate()), clients, charts={})
    assert _checks(report)["elastic-ip-quota"] == "fail"
    assert "4 Elastic IPs in use + 3 for NAT gateways vs quota 5" in report.text()


def test_preflight_fails_on_an_addon_version_eks_does_not_offer(aws: None) -> None:
    clients = Clients("us-east-1")
    offered = dict(ADDON_VERSIONS["1.35"], coredns="v9.9.9-eksbuild.1")
    _stub_addons(clients, offered)
    report = preflight("prod", _config(certificate_arn=_issued_certificate()), clients, charts={})
    assert _checks(report)["addon-coredns"] == "fail"


def _healthy_database(encrypted: bool = True, global_database: bool = False) -> None:
    rds = boto3.client("rds")
    key = boto3.client("kms").create_key()["KeyMetadata"]["Arn"]
    encryption: dict[str, Any] = {"StorageEncrypted": encrypted} | ({"KmsKeyId": key} if encrypted else {})
    if global_database:
        rds.create_global_cluster(GlobalClusterIdentifier="fintech-prod-global", Engine="aurora-postgresql",
                                  StorageEncrypted=encrypted)  # fmt: skip
        encryption["GlobalClusterIdentifier"] = "fintech-prod-global"
    rds.create_db_cluster(DBClusterIdentifier="fintech-prod", Engine="aurora-postgresql", MasterUsername="admin_user",
                          MasterUserPassword="not-used-1234", EnableIAMDatabaseAuthentication=True,
                          BackupRetentionPeriod=14, DeletionProtection=True, Tags=TAGS, **encryption)  # fmt: skip


def _registry_replication(account: str = ACCOUNT, region: str = "us-west-2") -> None:
    boto3.client("ecr").put_replication_configuration(
        replicationConfiguration={"rules": [{"destinations": [{"region": region, "registryId": account}]}]}
    )


def test_live_audit_passes_a_compliant_stack(aws: None) -> None:
    _healthy_database(global_database=True)
    _registry_replication()
    report = live_audit("prod", _config(), Clients("us-east-1"))
    assert not report.failed, report.text()
    checks = _checks(report)
    assert checks["aurora-encrypted"] == checks["aurora-global-encrypted"] == checks["aurora-global-member"] == "pass"
    assert checks["ecr-replication-destination"] == "pass"


def test_live_audit_checks_the_region_pair_of_a_primary(aws: None) -> None:
    """prod is a primary (policies/config/prod.json): a regional database and images copied to another account
    fail. moto answers a secret replica's KmsKeyId with the AWS-managed alias whatever key was given, so the
    replica check fails here as it would on AWS for a replica under aws/secretsmanager."""
    _healthy_database()
    _registry_replication(account="444455556666")
    west_key = boto3.client("kms", region_name="us-west-2").create_key()["KeyMetadata"]["Arn"]
    replica = {"Region": "us-west-2", "KmsKeyId": west_key}
    boto3.client("secretsmanager").create_secret(Name="fintech-prod/aurora-master", SecretString="{}", Tags=TAGS,
                                                 AddReplicaRegions=[replica])  # fmt: skip
    checks = _checks(live_audit("prod", _config(), Clients("us-east-1")))
    assert checks["aurora-global-member"] == "fail"
    assert checks["ecr-replication-destination"] == "fail"
    assert checks["secret-replicated"] == "pass" and checks["secret-replicas-cmk"] == "fail"


def test_live_audit_accepts_a_replica_under_a_key_of_its_region() -> None:
    """The answer AWS gives for a replica under a customer-managed key (moto cannot produce it: see above)."""
    from ops.common import Report
    from ops.live_audit import _secret, thresholds

    key = f"arn:aws:kms:us-west-2:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    arn = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:fintech-prod/aurora-master-AbCdEf"
    answer = {"Name": "fintech-prod/aurora-master", "ReplicationStatus": [{"Region": "us-west-2", "KmsKeyId": key}]}

    class _SecretsManager:
        def describe_secret(self, SecretId: str) -> dict[str, Any]:  # noqa: N803 - the boto3 keyword
            assert SecretId == arn
            return answer

    report = Report("live audit", "prod")
    _secret(report, arn, lambda _: _SecretsManager(), thresholds("prod"))  # type: ignore[arg-type]
    assert _checks(report) == {"secret-replicas-cmk": "pass", "secret-replicated": "pass"}


def test_live_audit_finds_an_unencrypted_database_and_an_alb_without_waf(aws: None) -> None:
    rds = boto3.client("rds")
    rds.create_db_cluster(DBClusterIdentifier="fintech-prod", Engine="aurora-postgresql", MasterUsername="admin_user",
                          MasterUserPassword="not-used-1234", StorageEncrypted=False, Tags=TAGS)  # fmt: skip
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{zone}")["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate("ab")
    ]
    boto3.client("elbv2").create_load_balancer(
        Name="fintech-prod-alb", Subnets=subnets, Scheme="internet-facing", Tags=TAGS
    )
    report = live_audit("prod", _config(), Clients("us-east-1"))
    checks = _checks(report)
    assert report.failed
    assert checks["aurora-encrypted"] == "fail"
    assert checks["alb-has-waf"] == "fail"
    assert checks["aurora-backup-retention"] == "fail"


def test_dr_drill_dry_run_reports_rpo_and_snapshots_and_changes_nothing(aws: None) -> None:
    _healthy_database()
    report = dr_drill("prod", _config(), Clients("us-east-1"), dry_run=True, progress=lambda _: None)
    checks = _checks(report)
    assert checks["rpo"] == "pass" and checks["snapshots"] == "pass"
    assert "restore" not in checks and "rto" not in checks
    assert [c["DBClusterIdentifier"] for c in boto3.client("rds").describe_db_clusters()["DBClusters"]] == [
        "fintech-prod"
    ]


def test_dr_drill_restores_times_and_deletes_the_temporary_cluster(aws: None) -> None:
    _healthy_database()
    ticks = iter(range(0, 10_000, 400))
    messages: list[str] = []
    # The Aurora restore alone: without drStack the drill takes no cross-region path (tests/test_ops_failover.py).
    report = dr_drill("prod", _config(dr_stack=""), Clients("us-east-1"), dry_run=False, progress=messages.append,
                      clock=lambda: float(next(ticks)), sleep=lambda _: None)  # fmt: skip
    checks = _checks(report)
    assert checks["rto"] == "pass" and checks["cleanup"] == "pass", report.text()
    assert any("restoring fintech-prod" in m for m in messages)
    remaining = [c["DBClusterIdentifier"] for c in boto3.client("rds").describe_db_clusters()["DBClusters"]]
    assert remaining == ["fintech-prod"]


def test_dr_drill_reports_a_restore_that_fails(aws: None) -> None:
    _healthy_database()
    clients = Clients("us-east-1")
    rds = clients("rds")

    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "InsufficientDBClusterCapacityFault", "Message": "no capacity"}},
                          "RestoreDBClusterToPointInTime")  # fmt: skip

    rds.restore_db_cluster_to_point_in_time = refuse
    report = dr_drill("prod", _config(dr_stack=""), clients, dry_run=False, progress=lambda _: None)
    assert _checks(report)["restore"] == "fail"
    assert "InsufficientDBClusterCapacityFault" in report.text()


def test_dr_drill_without_a_cluster_fails_clearly(aws: None) -> None:
    report = dr_drill("prod", _config(), Clients("us-east-1"), dry_run=True, progress=lambda _: None)
    assert report.failed and "fintech-prod not found" in report.text()


def test_live_audit_command_through_a_moto_server_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", ACCOUNT)  # the server answers as the prod stack's pinned account
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        environment = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}  # fmt: skip
        rds = boto3.client("rds", region_name="us-east-1", endpoint_url=endpoint,
                           aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
        rds.create_db_cluster(DBClusterIdentifier="fintech-prod", Engine="aurora-postgresql",
                              MasterUsername="admin_user", MasterUserPassword="not-used-1234", StorageEncrypted=False,
                              Tags=TAGS)  # fmt: skip
        command = [sys.executable, "-m", "ops", "audit", "--stack", "prod", "--json", "--endpoint-url", endpoint]
        result = subprocess.run(command, cwd=PROJECT_DIR, env=environment, capture_output=True, text=True, timeout=120)
    finally:
        server.stop()
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    failing = {f["check"] for f in report["findings"] if f["status"] == "fail"}
    assert "aurora-encrypted" in failing
