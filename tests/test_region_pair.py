"""The region pair prod / prod-dr: how config makes one stack the primary and the other its standby, and what each
then builds (an Aurora global database, replicated secrets and images, DNS failover) - from the same components."""

from __future__ import annotations

import json
from functools import cache

import pytest

from offline.engine import OfflineRun, run_stack, stack_config
from stacks.config import CONFIG_NAMESPACE, ConfigError, StackConfig, parse_stack_config
from stacks.names import global_database_name, master_credential_prefix, primary_prefix
from stacks.tiers import STANDBY_RELAXED
from tests.helpers import PROD_ACCOUNT, one

NS = CONFIG_NAMESPACE


@cache
def _values(stack: str) -> dict[str, object]:
    raw, _ = stack_config(stack)
    return {key[len(NS) + 1 :]: value for key, value in raw.items() if key.startswith(f"{NS}:")}


def _parse(stack: str, **overrides: object) -> StackConfig:
    values = {key: value for key, value in _values(stack).items() if key not in overrides}
    values |= {key: value for key, value in overrides.items() if value is not None}
    return parse_stack_config(values)


def _refused(stack: str, **overrides: object) -> str:
    with pytest.raises(ConfigError) as raised:
        _parse(stack, **overrides)
    return str(raised.value)


def test_the_stack_files_pair_prod_with_prod_dr() -> None:
    prod, standby = _parse("prod"), _parse("prod-dr")
    assert (prod.region_pair_role, prod.dr_stack) == ("primary", "prod-dr")
    assert (standby.region_pair_role, standby.standby_for) == ("standby", "prod")
    assert standby.region == prod.dr_region and standby.dr_region == prod.region
    assert (standby.account_id, standby.dns_zone_id, standby.dns_name) == (
        prod.account_id, prod.dns_zone_id, prod.dns_name
    )  # fmt: skip
    assert standby.tier == prod.tier == "prod"


def test_prod_must_belong_to_a_region_pair() -> None:
    message = _refused("prod", drStack="")
    assert f"{NS}:drStack must be set for tier 'prod'" in message


def test_a_stack_cannot_be_primary_and_standby() -> None:
    assert "both set" in _refused("prod", standbyFor="prod-dr")


@pytest.mark.parametrize("missing", ["dnsZoneId", "dnsName"])
def test_a_pair_needs_its_dns_record(missing: str) -> None:
    message = _refused("prod-dr", **{missing: ""})
    assert f"{NS}:{missing}" in message and "failover record" in message


def test_dns_without_a_pair_is_refused() -> None:
    message = _refused("dev", dnsName="api.fintech.example.com")
    assert "dnsName = 'api.fintech.example.com': set without" in message and "belongs to a region pair" in message


@pytest.mark.parametrize(
    ("key", "value"),
    [("dnsName", "API.example.com"), ("dnsName", "api..example.com"), ("dnsName", "-api.example.com"),
     ("dnsName", "api.example.com."), ("dnsZoneId", "z0123"), ("dnsZoneId", "Z" + "1" * 32),
     ("drStack", "Prod-DR"), ("drStack", "prod_dr"), ("standbyFor", "a-very-long-name")],
)  # fmt: skip
def test_malformed_pair_values_are_refused(key: str, value: str) -> None:
    stack = "prod-dr" if key != "drStack" else "prod"
    assert f"{NS}:{key}" in _refused(stack, **{key: value})


def test_the_other_region_of_a_pair_is_another_region() -> None:
    assert "own region" in _refused("prod-dr", drRegion="us-west-2")


def test_a_standby_may_relax_only_the_listed_rules() -> None:
    standby = _parse("prod-dr")
    assert (standby.nat_strategy, standby.cache_nodes, standby.kafka_zones, standby.aurora_instances) == (
        "single", 1, 2, 1
    )  # fmt: skip
    assert set(STANDBY_RELAXED) == {"natStrategy", "cacheNodes", "kafkaZones", "auroraInstances"}
    # The same values in the primary are refused, and the standby keeps the rules that are not listed.
    assert "natStrategy" in _refused("prod", natStrategy="single")
    assert "eksPublicAccessCidrs" in _refused("prod-dr", eksPublicAccessCidrs=["0.0.0.0/0"])


def test_a_standby_keeps_one_aurora_reader_to_promote() -> None:
    assert "auroraInstances = 0: must be 1 to 3" in _refused("prod-dr", auroraInstances=0)


@cache
def _run(stack: str) -> OfflineRun:
    run = run_stack(stack)
    assert run.error is None, run.error
    return run


def test_prod_is_the_primary_of_an_encrypted_global_database() -> None:
    prod = _run("prod")
    database = one(prod, "aws:rds/globalCluster:GlobalCluster")
    cluster = one(prod, "aws:rds/cluster:Cluster")
    assert database.inputs["globalClusterIdentifier"] == "fintech-prod-global"
    assert (database.inputs["storageEncrypted"], database.inputs["deletionProtection"], database.protect) == (
        True, True, True
    )  # fmt: skip
    assert cluster.inputs["globalClusterIdentifier"] == "fintech-prod-global"
    assert database.urn in cluster.dependencies
    assert {"replicationSourceIdentifier", "engineVersion"} <= set(cluster.ignore_changes)
    assert prod.outputs["auroraGlobalClusterId"] == "fintech-prod-global"


def test_prod_dr_joins_it_as_a_secondary_under_its_own_regions_key() -> None:
    standby = _run("prod-dr")
    cluster = one(standby, "aws:rds/cluster:Cluster").inputs
    data_key = one(standby, "aws:kms/key:Key", "fintech-prod-dr-data").outputs["arn"]
    assert cluster["globalClusterIdentifier"] == "fintech-prod-global"
    assert cluster["kmsKeyId"] == data_key and data_key.startswith("arn:aws:kms:us-west-2:")
    assert cluster["storageEncrypted"] is True
    assert not {"masterUsername", "masterPasswordWo", "manageMasterUserPassword", "databaseName"} & set(cluster)
    assert standby.of_type("aws:rds/globalCluster:GlobalCluster") == []
    assert standby.of_type("pulumi-python:dynamic/aurora:DatabaseUser") == []  # the roles replicate with the data
    (instance,) = standby.of_type("aws:rds/clusterInstance:ClusterInstance")
    assert instance.inputs["instanceClass"] == "db.serverless"
    lag = one(standby, "aws:cloudwatch/metricAlarm:MetricAlarm", "global-replication-lag").inputs
    assert (lag["metricName"], lag["threshold"]) == ("AuroraGlobalDBReplicationLag", 60_000)


def test_images_replicate_into_the_standbys_own_encrypted_repositories() -> None:
    prod, standby = _run("prod"), _run("prod-dr")
    (rule,) = one(prod, "aws:ecr/replicationConfiguration:ReplicationConfiguration").inputs["replicationConfiguration"][
        "rules"
    ]
    assert rule["destinations"] == [{"region": "us-west-2", "registryId": PROD_ACCOUNT}]
    assert rule["repositoryFilters"] == [{"filter": "fintech-prod/", "filterType": "PREFIX_MATCH"}]
    standby_key = one(standby, "aws:kms/key:Key", "fintech-prod-dr-data").outputs["arn"]
    repositories = {r.inputs["name"]: r.inputs for r in standby.of_type("aws:ecr/repository:Repository")}
    assert set(repositories) == {"fintech-prod/validator", "fintech-prod/payments", "fintech-prod/ledger"}
    assert {r["encryptionConfigurations"][0]["kmsKey"] for r in repositories.values()} == {standby_key}
    assert standby.of_type("aws:ecr/replicationConfiguration:ReplicationConfiguration") == []


def test_dns_fails_over_from_prod_to_prod_dr_on_health_checks() -> None:
    records = {}
    for stack in ("prod", "prod-dr"):
        run = _run(stack)
        record = one(run, "aws:route53/record:Record").inputs
        check = one(run, "aws:route53/healthCheck:HealthCheck", "-dns-health").inputs
        alarm = one(run, "aws:cloudwatch/metricAlarm:MetricAlarm", "payments-no-healthy-targets").outputs
        assert (check["type"], check["cloudwatchAlarmName"], check["insufficientDataHealthStatus"]) == (
            "CLOUDWATCH_METRIC", alarm["name"], "Unhealthy"
        )  # fmt: skip
        assert check["cloudwatchAlarmRegion"] == run.outputs["albArn"].split(":")[3]
        assert record["aliases"][0]["name"] == run.outputs["albDnsName"]
        records[stack] = (record["name"], record["failoverRoutingPolicies"][0]["type"], record["setIdentifier"])
    assert records == {
        "prod": ("api.fintech.example.com", "PRIMARY", "prod"),
        "prod-dr": ("api.fintech.example.com", "SECONDARY", "prod-dr"),
    }


def test_the_standby_has_the_same_security_baseline_at_standby_size() -> None:
    prod, standby = _run("prod"), _run("prod-dr")
    for run in (prod, standby):
        keys = {r.name for r in run.of_type("aws:kms/key:Key")}
        assert {f"fintech-{run.stack}-{domain}" for domain in ("data", "secrets", "logs", "eks", "alerts")} <= keys
        (group,) = run.of_type("aws:elasticache/replicationGroup:ReplicationGroup")
        assert group.inputs["transitEncryptionEnabled"] is True and group.inputs["atRestEncryptionEnabled"] is True
        assert one(run, "aws:guardduty/detector:Detector").inputs["enable"] is True
    trail = one(standby, "aws:cloudtrail/trail:Trail").inputs
    assert trail["isMultiRegionTrail"] is False and trail["enableLogFileValidation"] is True
    assert one(prod, "aws:cloudtrail/trail:Trail").inputs["isMultiRegionTrail"] is True
    nodes = standby.of_type("aws:eks/nodeGroup:NodeGroup")
    assert len(nodes) == 3 and {n.inputs["scalingConfig"]["minSize"] for n in nodes} == {1}
    assert len(standby.of_type("aws:ec2/natGateway:NatGateway")) == 1


def test_the_ops_commands_compute_the_names_the_program_gives() -> None:
    prod = _run("prod")
    (secret,) = prod.of_type("aws:secretsmanager/secret:Secret")
    assert secret.inputs["namePrefix"] == master_credential_prefix(primary_prefix("prod-dr", "prod"))
    assert prod.outputs["auroraGlobalClusterId"] == global_database_name(primary_prefix("prod", ""))


def test_backups_and_the_lag_alarm_follow_the_writer_role() -> None:
    """Issue 20.7c/d: after a switchover the standby's cluster is the writer. Both members therefore have a backup plan
    of their own cluster, copied to the other region under a key that admits the RDS snapshot copy, with alarms on
    failed backup and copy jobs, and both have the global replication-lag alarm (which fires on whichever is the
    secondary at the time). Vault names stay unique per region across the pair."""
    vaults: dict[tuple[str, str], str] = {}
    for stack, other_region in (("prod", "us-west-2"), ("prod-dr", "us-east-1")):
        run = _run(stack)
        (cluster,) = run.of_type("aws:rds/cluster:Cluster")
        (selection,) = run.of_type("aws:backup/selection:Selection")
        assert selection.inputs["resources"] == [cluster.outputs["arn"]]
        for vault in run.of_type("aws:backup/vault:Vault"):
            region = other_region if vault.name.endswith("-dr-vault") else run.config["fintech-platform:region"]
            assert (region, vault.inputs["name"]) not in vaults, f"{vault.inputs['name']} in {region} twice"
            vaults[(region, vault.inputs["name"])] = stack
        key = next(k for k in run.of_type("aws:kms/key:Key") if k.name.endswith("-dr-backup"))
        statements = json.loads(key.inputs["policy"])["Statement"]
        via = next(s for s in statements if s["Sid"] == "UseThroughDomainServices")["Condition"]["StringEquals"]
        assert set(via["kms:ViaService"]) == {
            f"backup.{other_region}.amazonaws.com",
            f"rds.{other_region}.amazonaws.com",
        }
        alarms = {a.inputs.get("metricName"): a.inputs for a in run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
        for metric in ("NumberOfCopyJobsFailed", "NumberOfBackupJobsFailed"):
            assert alarms[metric]["namespace"] == "AWS/Backup" and alarms[metric]["threshold"] == 0
            assert alarms[metric]["dimensions"]["BackupVaultName"].endswith("-vault")
        lag = alarms["AuroraGlobalDBReplicationLag"]
        assert lag["dimensions"] == {"DBClusterIdentifier": cluster.inputs["clusterIdentifier"]}
        assert lag["treatMissingData"] == "notBreaching" and lag["alarmActions"]
