"""Aurora PostgreSQL in both stacks: encryption, TLS, IAM auth, placement, backups, logs, protection."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.aurora import AuroraPostgresArgs
from components.errors import InvalidArgumentError
from offline.engine import OfflineRun
from tests.helpers import children, key_arn, one, plain

CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
EXPECTED = {
    "dev": {"instances": 1, "acu": {"minCapacity": 0.5, "maxCapacity": 2}, "retention": 1, "protected": False},
    "prod": {"instances": 2, "acu": {"minCapacity": 0.5, "maxCapacity": 16}, "retention": 14, "protected": True},
}


def test_storage_and_master_secret_use_customer_keys(stack_run: OfflineRun) -> None:
    cluster = one(stack_run, CLUSTER).inputs
    assert cluster["storageEncrypted"] is True
    assert cluster["kmsKeyId"] == key_arn(stack_run, "data")
    assert "masterPassword" not in cluster
    if stack_run.stack == "dev":
        assert cluster["manageMasterUserPassword"] is True
        assert cluster["masterUserSecretKmsKeyId"] == key_arn(stack_run, "secrets")
        assert "masterPasswordWo" not in cluster
    else:
        # A global database member: RDS cannot manage its password, so prod generates the credential, keeps it in
        # Secrets Manager under the secrets key and sends the password write-only (never kept in state).
        assert "manageMasterUserPassword" not in cluster
        assert (plain(cluster["masterPasswordWo"]), cluster["masterPasswordWoVersion"]) == ("[secret]", 1)
        (credential,) = stack_run.of_type("aws:secretsmanager/secret:Secret")
        assert credential.inputs["kmsKeyId"] == key_arn(stack_run, "secrets")


def test_iam_authentication_and_pinned_engine(stack_run: OfflineRun) -> None:
    cluster = one(stack_run, CLUSTER).inputs
    assert cluster["iamDatabaseAuthenticationEnabled"] is True
    assert (cluster["engine"], cluster["engineVersion"]) == ("aurora-postgresql", "17.7")


def test_tls_is_forced_and_logging_is_useful(stack_run: OfflineRun) -> None:
    group = one(stack_run, "aws:rds/clusterParameterGroup:ClusterParameterGroup").inputs
    parameters = {p["name"]: p["value"] for p in group["parameters"]}
    assert group["family"] == "aurora-postgresql17"
    assert parameters["rds.force_ssl"] == "1"
    assert parameters["ssl_min_protocol_version"] == "TLSv1.2"
    assert parameters["log_min_duration_statement"] == "1000"
    assert parameters["log_connections"] == parameters["log_disconnections"] == "1"
    assert "pgaudit" in parameters["shared_preload_libraries"]


def test_postgresql_logs_go_to_a_log_group_created_first(stack_run: OfflineRun) -> None:
    cluster = one(stack_run, CLUSTER)
    log_group = one(stack_run, "aws:cloudwatch/logGroup:LogGroup", "-postgresql")
    assert cluster.inputs["enabledCloudwatchLogsExports"] == ["postgresql"]
    assert log_group.inputs["name"] == f"/aws/rds/cluster/{cluster.inputs['clusterIdentifier']}/postgresql"
    assert log_group.urn in cluster.dependencies
    assert log_group.inputs["kmsKeyId"] == key_arn(stack_run, "logs")
    assert log_group.inputs["retentionInDays"] == {"dev": 30, "prod": 365}[stack_run.stack]


def test_instances_per_tier_in_distinct_zones_and_private(stack_run: OfflineRun) -> None:
    instances = sorted(stack_run.of_type(INSTANCE), key=lambda i: str(i.inputs["identifier"]))
    expected = EXPECTED[stack_run.stack]
    assert len(instances) == expected["instances"]
    assert len({i.inputs["availabilityZone"] for i in instances}) == len(instances)
    assert [i.inputs["promotionTier"] for i in instances] == [0] + [1] * (len(instances) - 1)
    for instance in instances:
        assert instance.inputs["instanceClass"] == "db.serverless"
        assert instance.inputs["publiclyAccessible"] is False
        assert instance.inputs["performanceInsightsEnabled"] is True
        assert instance.inputs["performanceInsightsKmsKeyId"] == key_arn(stack_run, "data")
    assert one(stack_run, CLUSTER).inputs["serverlessv2ScalingConfiguration"] == expected["acu"]


def test_enhanced_monitoring_in_prod_with_a_pinned_role(prod_run: OfflineRun, dev_run: OfflineRun) -> None:
    role = one(prod_run, "aws:iam/role:Role", "-monitoring")
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "111122223333"}}
    assert all(i.inputs["monitoringInterval"] == 60 for i in prod_run.of_type(INSTANCE))
    assert all(i.inputs["monitoringInterval"] == 0 for i in dev_run.of_type(INSTANCE))
    assert not [r for r in dev_run.of_type("aws:iam/role:Role") if r.name.endswith("-monitoring")]


def test_backups_and_deletion_rules_per_tier(stack_run: OfflineRun) -> None:
    cluster = one(stack_run, CLUSTER).inputs
    assert cluster["backupRetentionPeriod"] == EXPECTED[stack_run.stack]["retention"]
    assert cluster["preferredBackupWindow"] and cluster["preferredMaintenanceWindow"]
    assert cluster["copyTagsToSnapshot"] is True
    if stack_run.stack == "prod":
        assert cluster["deletionProtection"] is True
        assert cluster["skipFinalSnapshot"] is False
        # Drawn with the cluster: a fixed '<cluster>-final' collides with the previous deletion's snapshot.
        suffix = one(stack_run, "random:index/randomId:RandomId", "-cluster-final-snapshot")
        assert suffix.parent == one(stack_run, "fintech:aurora:AuroraPostgres").urn
        assert cluster["finalSnapshotIdentifier"] == f"fintech-prod-final-{suffix.outputs['hex']}"
    else:
        assert cluster["deletionProtection"] is False
        assert cluster["skipFinalSnapshot"] is True


def test_protect_on_the_cluster_in_prod_only_and_never_on_instances(stack_run: OfflineRun) -> None:
    """The cluster holds the data; an instance is replaced by routine changes (zone, identifier)."""
    assert one(stack_run, CLUSTER).protect is EXPECTED[stack_run.stack]["protected"]
    assert [r.protect for r in stack_run.of_type(INSTANCE)] == [False] * len(stack_run.of_type(INSTANCE))


def test_security_group_admits_no_cidr_and_no_egress(stack_run: OfflineRun) -> None:
    group = one(stack_run, "aws:ec2/securityGroup:SecurityGroup", "-db")
    assert one(stack_run, CLUSTER).inputs["vpcSecurityGroupIds"] == [group.id]
    assert "ingress" not in group.inputs and "egress" not in group.inputs
    rules = [r for r in stack_run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
             if r.inputs["securityGroupId"] == group.id]  # fmt: skip
    assert all("cidrIpv4" not in r.inputs and r.inputs["fromPort"] == 5432 for r in rules)


def test_alarms_per_tier(stack_run: OfflineRun) -> None:
    alarms = {a.inputs["metricName"] for a in children(stack_run, "fintech:aurora:AuroraPostgres")
              if a.type == "aws:cloudwatch/metricAlarm:MetricAlarm"}  # fmt: skip
    expected = {"CPUUtilization", "FreeableMemory", "ACUUtilization"}
    if stack_run.stack == "prod":
        # a global member: the lag alarm is on every member, the primary too (it fires after a role swap)
        expected |= {"AuroraReplicaLagMaximum", "AuroraGlobalDBReplicationLag"}
    assert alarms == expected


def _args(**changes: Any) -> AuroraPostgresArgs:
    values: dict[str, Any] = {
        "vpc_id": "vpc", "db_subnet_group_name": "db", "zone_names": ("a", "b", "c"), "data_kms_key_arn": "k",
        "secrets_kms_key_arn": "k", "logs_kms_key_arn": "k", "account_id": "123456789012", **changes,
    }  # fmt: skip
    return AuroraPostgresArgs(**values)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"min_capacity": 8, "max_capacity": 4}, "min_capacity: 8 ACUs is above max_capacity 4"),
        ({"instance_count": 4}, "instance_count: 4 instances need as many distinct zones"),
        ({"instance_count": 0}, "instance_count: 0 must be at least 1"),
        ({"backup_retention_days": 0}, "backup_retention_days: 0 is outside 1-35"),
    ],
)
def test_bad_aurora_arguments_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        _args(**changes)
