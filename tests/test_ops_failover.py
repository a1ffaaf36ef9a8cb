"""`ops failover` / `ops failback` and the cross-region DR drill, against moto.

moto 5.2.5 implements the global cluster's members, DB instances, EKS node groups, ElastiCache
replication groups, Route 53 records and health checks, Secrets Manager replicas, CloudWatch metrics and
target health. It does not implement switchover_global_cluster, failover_global_cluster,
stop_replication_to_replica, increase_replica_count and decrease_replica_count: `Fake` records those
calls (and, for the promotions, makes the target cluster the writer in moto's state, as AWS does when the
operation completes). moto's get_health_check_status always reports healthy; the failing-primary case
fakes the status.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from moto.elasticache.models import elasticache_backends
from moto.rds.models import rds_backends

from offline.engine import PROJECT_DIR
from ops import common, failover
from ops.__main__ import main
from ops.common import Clients, OpsError, load_config
from ops.dr_drill import dr_drill
from ops.failover import EXPECTED_SECONDS, RTO_SECONDS, Pair, pair_stacks, run_runbook
from ops.recovery_budget import rto_total
from tests.helpers import PROD_ACCOUNT, isolate_aws_credentials

EAST, WEST = "us-east-1", "us-west-2"
GLOBAL = "fintech-prod-global"
SECRET = "fintech-prod/aurora-master-a1b2c3"
STEP_KEYS = ("checks", "promote-database", "promote-secret", "scale-standby", "move-traffic", "verify-standby")


class Fake:
    """A moto client with the operations moto lacks: each call is recorded in `calls`."""

    def __init__(self, client: Any, calls: list[tuple[str, str, dict[str, Any]]], **methods: Callable[..., Any]):
        self._client, self._calls, self._methods = client, calls, methods

    def __getattr__(self, name: str) -> Any:
        if name in self._methods:
            region = self._client.meta.region_name

            def call(**kwargs: Any) -> Any:
                self._calls.append((name, region, kwargs))
                return self._methods[name](**kwargs)

            return call
        return getattr(self._client, name)


def _make_writer(**kwargs: Any) -> dict[str, Any]:
    """What AWS does when a switchover or failover completes: the target cluster becomes the writer."""
    cluster = rds_backends[PROD_ACCOUNT][EAST].global_clusters[kwargs["GlobalClusterIdentifier"]]
    for member in cluster.members:
        member.is_writer = member.db_cluster_arn == kwargs["TargetDbClusterIdentifier"]
        if not member.is_writer:  # the old writer, now a secondary, reports its lag in its region
            _lag(800, member.region, member.db_cluster_identifier)
    return {"GlobalCluster": {"GlobalClusterIdentifier": kwargs["GlobalClusterIdentifier"]}}


def _replicas(region: str) -> Callable[..., dict[str, Any]]:
    """What AWS does when IncreaseReplicaCount/DecreaseReplicaCount completes: the group has that many replicas."""

    def change(**kwargs: Any) -> dict[str, Any]:
        group = elasticache_backends[PROD_ACCOUNT][region].replication_groups[kwargs["ReplicationGroupId"]]
        count = kwargs["NewReplicaCount"] + 1
        group.member_clusters[:] = [f"{group.replication_group_id}-{index:03d}" for index in range(1, count + 1)]
        return {"ReplicationGroup": {"ReplicationGroupId": group.replication_group_id}}

    return change


def _cluster(region: str, name: str, zone: str) -> str:
    rds = boto3.client("rds", region_name=region)
    arn: str = rds.create_db_cluster(DBClusterIdentifier=name, Engine="aurora-postgresql", MasterUsername="admin_user",
                                     MasterUserPassword="not-used-1234", GlobalClusterIdentifier=GLOBAL,
                                     StorageEncrypted=True)["DBCluster"]["DBClusterArn"]  # fmt: skip
    rds.create_db_instance(DBInstanceIdentifier=f"{name}-1", DBClusterIdentifier=name, Engine="aurora-postgresql",
                           DBInstanceClass="db.serverless", AvailabilityZone=zone)  # fmt: skip
    return arn


def _lag(milliseconds: float, region: str = WEST, cluster: str = "fintech-prod-dr") -> None:
    """A replication lag datapoint of a secondary cluster, as Aurora reports it (milliseconds)."""
    boto3.client("cloudwatch", region_name=region).put_metric_data(Namespace="AWS/RDS", MetricData=[{
        "MetricName": "AuroraGlobalDBReplicationLag", "Value": milliseconds, "Unit": "Milliseconds",
        "Timestamp": datetime.datetime.now(datetime.UTC),
        "Dimensions": [{"Name": "DBClusterIdentifier", "Value": cluster}]}])  # fmt: skip


def _standby_platform() -> None:
    """prod-dr at standby size: three one-node groups, a one-node cache, a healthy public target group each."""
    eks = boto3.client("eks", region_name=WEST)
    eks.create_cluster(name="fintech-prod-dr", roleArn=f"arn:aws:iam::{PROD_ACCOUNT}:role/eks",
                       resourcesVpcConfig={"subnetIds": ["subnet-1"]})  # fmt: skip
    for zone in ("usw2-az1", "usw2-az2", "usw2-az3"):
        eks.create_nodegroup(clusterName="fintech-prod-dr", nodegroupName=f"fintech-prod-dr-{zone}",
                             subnets=["subnet-1"], nodeRole=f"arn:aws:iam::{PROD_ACCOUNT}:role/node",
                             scalingConfig={"minSize": 1, "maxSize": 1, "desiredSize": 1})  # fmt: skip
    boto3.client("elasticache", region_name=WEST).create_replication_group(
        ReplicationGroupId="fintech-prod-dr", ReplicationGroupDescription="standby cache", NumCacheClusters=1,
        Engine="valkey", CacheNodeType="cache.m7g.large")  # fmt: skip
    for region, stack, cidr in ((WEST, "prod-dr", "10.41"), (EAST, "prod", "10.40")):
        ec2, elbv2 = boto3.client("ec2", region_name=region), boto3.client("elbv2", region_name=region)
        vpc = ec2.create_vpc(CidrBlock=f"{cidr}.0.0/16")["Vpc"]["VpcId"]
        for workload in ("validator", "payments", "ledger"):
            tags = [{"Key": "environment", "Value": stack}, {"Key": "project", "Value": "fintech-platform"},
                    {"Key": "workload", "Value": workload}]  # fmt: skip
            group = elbv2.create_target_group(Name=f"fintech-{stack}-{workload}", Protocol="HTTPS", Port=8443,
                                              VpcId=vpc, TargetType="ip", Tags=tags)["TargetGroups"][0]  # fmt: skip
            elbv2.register_targets(TargetGroupArn=group["TargetGroupArn"], Targets=[{"Id": f"{cidr}.1.10"}])


def _dns() -> tuple[str, str]:
    """The hosted zone with the PRIMARY (health-checked) and SECONDARY failover records of the platform name."""
    route53 = boto3.client("route53")
    zone = route53.create_hosted_zone(Name="fintech.example.com", CallerReference="zone")["HostedZone"]["Id"]
    zone = zone.split("/")[-1]
    check = route53.create_health_check(CallerReference="primary", HealthCheckConfig={
        "Type": "HTTPS", "FullyQualifiedDomainName": "fintech-prod-alb.us-east-1.elb.amazonaws.com",
        "ResourcePath": "/healthz", "Port": 443})["HealthCheck"]["Id"]  # fmt: skip
    changes = [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": "api.fintech.example.com", "Type": "CNAME", "TTL": 60, "SetIdentifier": role.lower(), "Failover": role,
        "ResourceRecords": [{"Value": f"fintech-{stack}-alb.{region}.elb.amazonaws.com"}],
        **({"HealthCheckId": check} if role == "PRIMARY" else {})}}
        for role, stack, region in (("PRIMARY", "prod", EAST), ("SECONDARY", "prod-dr", WEST))]  # fmt: skip
    route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": changes})
    return zone, check


def _world() -> tuple[Pair, str]:
    """prod the writer of the global cluster, prod-dr its secondary in us-west-2 with a warm small platform,
    the master secret replicated to us-west-2, the DNS failover records; the pair (with moto's zone id) and
    the primary's health check id."""
    boto3.client("rds", region_name=EAST).create_global_cluster(GlobalClusterIdentifier=GLOBAL,
                                                                Engine="aurora-postgresql")  # fmt: skip
    _cluster(EAST, "fintech-prod", "us-east-1a")
    _cluster(WEST, "fintech-prod-dr", "us-west-2a")
    _lag(1200)
    boto3.client("secretsmanager", region_name=EAST).create_secret(Name=SECRET, SecretString="{}",
                                                                   AddReplicaRegions=[{"Region": WEST}])  # fmt: skip
    _standby_platform()
    zone, check = _dns()
    primary = load_config("prod").model_copy(update={"dns_zone_id": zone, "node_min": 6})
    standby = load_config("prod-dr").model_copy(update={"dns_zone_id": zone, "aurora_instances": 1, "cache_nodes": 1,
                                                        "node_min": 3, "node_max": 3})  # fmt: skip
    return pair_stacks("prod", primary, "prod-dr", standby), check


class _Unreachable(Clients):
    """A region whose endpoints do not answer; Route 53 (a global service) is served by `route53_from`."""

    route53_from: Clients | None = None

    def __call__(self, service: str) -> Any:
        if service == "route53" and self.route53_from is not None:
            return self.route53_from(service)
        raise EndpointConnectionError(endpoint_url=f"https://{service}.{self.region}.amazonaws.com")


def _clients(calls: list[tuple[str, str, dict[str, Any]]], monkeypatch: pytest.MonkeyPatch,
             route53: dict[str, Callable[..., Any]] | None = None, primary_down: bool = False,
             route53_down: bool = False) -> Clients:  # fmt: skip
    """Clients of both regions with the fakes for what moto lacks; `primary_down`: us-east-1 does not answer
    (nor the Route 53 control plane with `route53_down`)."""
    regions = {region: Clients(region) for region in (EAST, WEST)}
    for region, clients in regions.items():
        clients._cache["rds"] = Fake(
            boto3.client("rds", region_name=region),
            calls,
            switchover_global_cluster=_make_writer,
            failover_global_cluster=_make_writer,
        )
        clients._cache["secretsmanager"] = Fake(
            boto3.client("secretsmanager", region_name=region),
            calls,
            stop_replication_to_replica=lambda **kw: {"ARN": kw["SecretId"]},
        )
        clients._cache["elasticache"] = Fake(boto3.client("elasticache", region_name=region), calls,
                                             increase_replica_count=_replicas(region),
                                             decrease_replica_count=_replicas(region))  # fmt: skip
        clients._cache["route53"] = Fake(boto3.client("route53", region_name=region), calls, **(route53 or {}))
    if primary_down:
        down = _Unreachable(EAST)
        down.route53_from = None if route53_down else regions[EAST]
        regions[EAST] = down
    monkeypatch.setattr(failover, "regional", lambda clients, region: regions[region])
    return regions[WEST]


def _statuses(report: Any) -> dict[str, str]:
    return {result.key: result.status for result in report.results}


def _checks(report: Any) -> dict[str, str]:
    return {finding.check: finding.status for finding in report.findings}


def _find(report: Any, check: str) -> Any:
    (finding,) = [f for f in report.findings if f.check == check]
    return finding


def _writer() -> str:
    (cluster,) = boto3.client("rds", region_name=WEST).describe_global_clusters()["GlobalClusters"]
    (writer,) = [m["DBClusterArn"] for m in cluster["GlobalClusterMembers"] if m["IsWriter"]]
    return str(writer)


def _quiet(_: str) -> None:
    pass


def _run(pair: Pair, direction: str, clients: Clients, mode: str = "switchover") -> Any:
    ticks = iter(range(0, 100_000, 5))
    return run_runbook(pair, direction, clients, mode, progress=_quiet, clock=lambda: float(next(ticks)),  # type: ignore[arg-type]
                       sleep=lambda _: None, poll_seconds=1)  # fmt: skip


def test_switchover_runs_every_step_and_moves_writer_and_traffic(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    pair, check = _world()
    calls: list[tuple[str, str, dict[str, Any]]] = []
    report = _run(pair, "failover", _clients(calls, monkeypatch))
    assert not report.failed, report.text()
    assert _statuses(report) == {"checks": "pass", "promote-database": "pass", "promote-secret": "skipped",
                                 "scale-standby": "pass", "move-traffic": "pass", "verify-standby": "pass"}  # fmt: skip
    standby_arn = f"arn:aws:rds:{WEST}:{PROD_ACCOUNT}:cluster:fintech-prod-dr"
    assert ("switchover_global_cluster", WEST, {"GlobalClusterIdentifier": GLOBAL,
                                                "TargetDbClusterIdentifier": standby_arn}) in calls  # fmt: skip
    assert _writer() == standby_arn
    assert not any(name == "stop_replication_to_replica" for name, _, _ in calls)
    # scaled to prod's sizes: nodeMin 6 over three zones, nodeMax 12; a second Aurora instance; one cache replica
    eks = boto3.client("eks", region_name=WEST)
    for group in eks.list_nodegroups(clusterName="fintech-prod-dr")["nodegroups"]:
        scaling = eks.describe_nodegroup(clusterName="fintech-prod-dr", nodegroupName=group)["nodegroup"][
            "scalingConfig"
        ]
        assert (scaling["minSize"], scaling["desiredSize"], scaling["maxSize"]) == (2, 2, 4)
    (cluster,) = boto3.client("rds", region_name=WEST).describe_db_clusters(DBClusterIdentifier="fintech-prod-dr")[
        "DBClusters"]  # fmt: skip
    assert len(cluster["DBClusterMembers"]) == 2
    added = boto3.client("rds", region_name=WEST).describe_db_instances(
        DBInstanceIdentifier="fintech-prod-dr-failover-1"
    )
    assert added["DBInstances"][0]["AvailabilityZone"] != "us-west-2a"
    assert ("increase_replica_count", WEST, {"ReplicationGroupId": "fintech-prod-dr", "NewReplicaCount": 1,
                                             "ApplyImmediately": True}) in calls  # fmt: skip
    health = boto3.client("route53").get_health_check(HealthCheckId=check)["HealthCheck"]["HealthCheckConfig"]
    assert health["Inverted"] is True
    checks = _checks(report)
    assert checks["move-traffic: dns-answer"] == "pass" and "SECONDARY" in report.text()
    assert checks["verify-standby: targets-payments"] == "pass"
    document = json.loads(report.json())
    assert [s["key"] for s in document["steps"]] == list(STEP_KEYS)
    assert all(s["measuredSeconds"] is not None for s in document["steps"])


def test_a_second_run_finds_everything_at_size(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    pair, _ = _world()
    calls: list[tuple[str, str, dict[str, Any]]] = []
    clients = _clients(calls, monkeypatch)
    _run(pair, "failover", clients)
    calls.clear()
    report = _run(pair, "failover", clients)
    assert not report.failed, report.text()
    assert _statuses(report)["promote-database"] == "skipped"
    assert not [name for name, _, _ in calls]  # nothing changed: the writer, sizes and the health check are there
    assert "already at size" in report.text() and "already inverted" in report.text()


def test_failover_mode_allows_data_loss_promotes_the_secret_and_needs_no_primary_region(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    pair, check = _world()
    calls: list[tuple[str, str, dict[str, Any]]] = []
    failing = {"get_health_check_status": lambda **_: {"HealthCheckObservations": [
        {"Region": region, "StatusReport": {"Status": "Failure: Connection timed out."}}
        for region in ("us-east-1", "us-west-1", "eu-west-1")]}}  # fmt: skip
    report = _run(pair, "failover", _clients(calls, monkeypatch, route53=failing, primary_down=True), "failover")
    assert not report.failed, report.text()
    standby_arn = f"arn:aws:rds:{WEST}:{PROD_ACCOUNT}:cluster:fintech-prod-dr"
    assert ("failover_global_cluster", WEST, {"GlobalClusterIdentifier": GLOBAL, "TargetDbClusterIdentifier":
                                              standby_arn, "AllowDataLoss": True}) in calls  # fmt: skip
    (stop,) = [(region, kwargs) for name, region, kwargs in calls if name == "stop_replication_to_replica"]
    assert stop[0] == WEST and stop[1]["SecretId"].startswith(f"arn:aws:secretsmanager:{WEST}:")
    # the primary's check already fails: DNS answers with the SECONDARY without touching the check
    health = boto3.client("route53").get_health_check(HealthCheckId=check)["HealthCheck"]["HealthCheckConfig"]
    assert health["Inverted"] is False
    assert "already fails" in report.text()
    assert _checks(report)["checks: replication-lag"] == "pass"


def test_failover_mode_inverts_a_primary_check_that_still_passes(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    pair, check = _world()
    report = _run(pair, "failover", _clients([], monkeypatch, primary_down=True), "failover")
    assert not report.failed, report.text()
    assert "partial outage" in report.text()
    assert boto3.client("route53").get_health_check(HealthCheckId=check)["HealthCheck"]["HealthCheckConfig"]["Inverted"]


def test_failover_mode_goes_on_when_the_route53_control_plane_does_not_answer(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    pair, _ = _world()
    report = _run(pair, "failover", _clients([], monkeypatch, primary_down=True, route53_down=True), "failover")
    assert not report.failed, report.text()
    assert _checks(report)["move-traffic: route53"] == "warn"
    assert "DNS follows the data-plane health checks" in report.text()
    assert _statuses(report)["verify-standby"] == "pass"


def test_switchover_refuses_when_the_primary_region_does_not_answer(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    pair, _ = _world()
    with pytest.raises(OpsError, match=r"us-east-1 .* does not answer .* rerun with --mode failover"):
        _run(pair, "failover", _clients([], monkeypatch, primary_down=True))


def test_failback_returns_writer_and_traffic_and_scales_the_standby_down(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    pair, check = _world()
    calls: list[tuple[str, str, dict[str, Any]]] = []
    clients = _clients(calls, monkeypatch)
    assert not _run(pair, "failover", clients).failed
    calls.clear()
    report = _run(pair, "failback", clients)
    assert not report.failed, report.text()
    assert [r.key for r in report.results] == ["checks", "promote-database", "move-traffic", "verify-standby",
                                               "promote-secret", "scale-standby"]  # fmt: skip
    primary_arn = f"arn:aws:rds:{EAST}:{PROD_ACCOUNT}:cluster:fintech-prod"
    assert ("switchover_global_cluster", EAST, {"GlobalClusterIdentifier": GLOBAL,
                                                "TargetDbClusterIdentifier": primary_arn}) in calls  # fmt: skip
    assert _writer() == primary_arn
    assert not boto3.client("route53").get_health_check(HealthCheckId=check)["HealthCheck"]["HealthCheckConfig"][
        "Inverted"]  # fmt: skip
    (cluster,) = boto3.client("rds", region_name=WEST).describe_db_clusters(DBClusterIdentifier="fintech-prod-dr")[
        "DBClusters"]  # fmt: skip
    assert [m["DBInstanceIdentifier"] for m in cluster["DBClusterMembers"]] == ["fintech-prod-dr-1"]
    eks = boto3.client("eks", region_name=WEST)
    for group in eks.list_nodegroups(clusterName="fintech-prod-dr")["nodegroups"]:
        scaling = eks.describe_nodegroup(clusterName="fintech-prod-dr", nodegroupName=group)["nodegroup"][
            "scalingConfig"
        ]
        assert (scaling["minSize"], scaling["desiredSize"], scaling["maxSize"]) == (1, 1, 1)
    assert "prod-dr" not in _find(report, "verify-standby: targets-payments").resource  # the primary's targets
    assert ("decrease_replica_count", WEST, {"ReplicationGroupId": "fintech-prod-dr", "NewReplicaCount": 0,
                                             "ApplyImmediately": True}) in calls  # fmt: skip


def test_checks_stop_the_runbook_without_a_global_cluster(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _cluster_free = load_config("prod")
    boto3.client("rds").create_db_cluster(DBClusterIdentifier="fintech-prod", Engine="aurora-postgresql",
                                          MasterUsername="admin_user", MasterUserPassword="not-used-1234")  # fmt: skip
    pair = pair_stacks("prod", _cluster_free, "prod-dr", load_config("prod-dr"))
    calls: list[tuple[str, str, dict[str, Any]]] = []
    report = _run(pair, "failover", _clients(calls, monkeypatch))
    assert report.failed and _statuses(report) == {"checks": "fail"}
    assert "fintech-prod-global not found" in report.text()
    assert "promote-database  not run" in report.text()
    assert not calls


def test_checks_fail_without_a_replication_lag_metric_and_over_the_rpo(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    pair, _ = _world()
    monkeypatch.setattr(failover, "replication_lag", lambda clients, cluster: None)
    report = _run(pair, "failover", _clients([], monkeypatch))
    assert _statuses(report) == {"checks": "fail"} and "is fintech-prod-dr replicating?" in report.text()
    monkeypatch.setattr(failover, "replication_lag", lambda clients, cluster: 420.0)
    report = _run(pair, "failover", _clients([], monkeypatch))
    assert _statuses(report) == {"checks": "fail"} and "420.0 s (RPO 300 s)" in report.text()


def test_replication_lag_is_read_in_seconds_from_the_standby_region(aws: None) -> None:
    _lag(2500)
    assert failover.replication_lag(Clients(WEST), "fintech-prod-dr") == 2.5  # right after the datapoint
    assert failover.replication_lag(Clients(EAST), "fintech-prod-dr") is None
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=failover.LAG_WINDOW_SECONDS + 120)
    assert failover.replication_lag(Clients(WEST), "fintech-prod-dr", later) is None  # too old


def test_a_failing_promotion_is_reported_and_stops(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import ClientError

    pair, _ = _world()
    clients = _clients([], monkeypatch)

    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "InvalidGlobalClusterStateFault", "Message": "busy"}},
                          "SwitchoverGlobalCluster")  # fmt: skip

    clients._cache["rds"]._methods["switchover_global_cluster"] = refuse
    report = _run(pair, "failover", clients)
    assert _statuses(report) == {"checks": "pass", "promote-database": "fail"}
    assert "InvalidGlobalClusterStateFault: busy" in report.text()


def test_the_writer_wait_is_bounded(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    pair, _ = _world()
    clients = _clients([], monkeypatch)
    clients._cache["rds"]._methods["switchover_global_cluster"] = lambda **_: {}  # accepted, never completes
    ticks = iter(range(0, 100_000, 100))
    report = run_runbook(pair, "failover", clients, timeout_seconds=600, progress=_quiet,
                         clock=lambda: float(next(ticks)), sleep=lambda _: None)  # fmt: skip
    assert _statuses(report)["promote-database"] == "fail"
    assert "not the writer after the 600 s timeout" in report.text()


# --- the command line ---------------------------------------------------------------------------------


def test_dry_run_prints_every_step_and_the_sum_without_credentials(tmp_path: Path) -> None:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment |= {"AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_CONFIG_FILE": str(tmp_path / "none"),
                    "AWS_EC2_METADATA_DISABLED": "true"}  # fmt: skip
    command = [sys.executable, "-m", "ops", "failover", "--stack", "prod", "--to", "prod-dr", "--dry-run"]
    result = subprocess.run(command, cwd=PROJECT_DIR, env=environment, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for number, key in enumerate(STEP_KEYS, 1):
        assert f"{number}. {key} " in result.stdout
    total = sum(EXPECTED_SECONDS.values())
    assert f"expected total {total} s" in result.stdout and f"RTO of {RTO_SECONDS} s" in result.stdout
    assert "rds:SwitchoverGlobalCluster" in result.stdout


def test_dry_run_json_and_the_failover_and_failback_plans(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["failover", "--stack", "prod", "--to", "prod-dr", "--dry-run", "--mode", "failover", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["dryRun"] and document["mode"] == "failover"
    assert [s["key"] for s in document["steps"]] == list(STEP_KEYS)
    assert "AllowDataLoss" in document["steps"][1]["calls"]
    assert "StopReplicationToReplica" in document["steps"][2]["calls"]
    assert document["expectedTotalSeconds"] == sum(EXPECTED_SECONDS.values())
    assert main(["failover", "--stack", "prod", "--to", "prod-dr", "--dry-run", "--mode", "failover"]) == 0
    out = capsys.readouterr().out
    # A region failure's plan adds detection and decision: the whole cited budget against the RTO.
    assert "before the command: detect 210 s, decide 600 s" in out
    assert f"expected total {rto_total()} s" in out and rto_total() <= RTO_SECONDS
    assert main(["failback", "--stack", "prod", "--from", "prod-dr", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "failback of stack 'prod' from 'prod-dr'" in out and "un-invert" in out and "rds:DeleteDBInstance" in out


PAIRLESS = {
    # dev-tier stacks that pair but pin no account: a destructive command must refuse them
    "blue": "config:\n  fintech-platform:tier: dev\n  fintech-platform:drStack: green\n",
    "green": "config:\n  fintech-platform:tier: dev\n  fintech-platform:region: us-west-2\n"
    "  fintech-platform:drRegion: us-east-1\n  fintech-platform:standbyFor: blue\n",
}
DEV_EXTRA = ("  fintech-platform:dnsZoneId: Z0123456789ABCDEFGHIJ\n  fintech-platform:dnsName: api.example.com\n"
             "  fintech-platform:certificateArn: arn:aws:acm:{region}:111122223333:certificate/"
             "3b8f2d61-9c4e-4a7b-8e05-d2c6a1f7b934\n  fintech-platform:validatorImageTag: 1.0.0\n"
             "  fintech-platform:paymentsImageTag: 1.0.0\n  fintech-platform:ledgerImageTag: 1.0.0\n")  # fmt: skip


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The project's stack files plus an unpinned pair, as the directory ops reads."""
    for path in PROJECT_DIR.glob("Pulumi*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    for stack, text in PAIRLESS.items():
        region = "us-west-2" if stack == "green" else "us-east-1"
        (tmp_path / f"Pulumi.{stack}.yaml").write_text(text + DEV_EXTRA.format(region=region))
    monkeypatch.setattr(common, "PROJECT_DIR", tmp_path)
    return tmp_path


@pytest.mark.parametrize(("args", "account", "words"), [
    (["failover", "--stack", "staging-x", "--to", "prod-dr"], PROD_ACCOUNT, "invalid choice: 'staging-x'"),
    (["failover", "--stack", "prod"], PROD_ACCOUNT, "the following arguments are required: --to"),
    (["failover", "--stack", "prod", "--to", "prod-dr", "--mode", "auto"], PROD_ACCOUNT, "invalid choice: 'auto'"),
    (["failover", "--stack", "prod", "--to", "prod"], PROD_ACCOUNT, "--to prod is the stack itself"),
    (["failback", "--stack", "prod", "--from", "prod"], PROD_ACCOUNT, "--from prod is the stack itself"),
    (["failover", "--stack", "prod", "--to", "dev"], PROD_ACCOUNT,
     "stacks 'prod' and 'dev' are not a primary and its standby: Pulumi.prod.yaml sets fintech-platform:drStack = "
     "'prod-dr', not 'dev'"),
    (["failover", "--stack", "prod-dr", "--to", "prod"], PROD_ACCOUNT, "Pulumi.prod-dr.yaml sets "
     "fintech-platform:drStack = '', not 'prod'"),
    (["failover", "--stack", "prod", "--to", "prod-dr"], "999988887777",
     "pinned to account 111122223333 (fintech-platform:accountId), but the credentials in use belong to account "
     "999988887777"),
    (["failover", "--stack", "blue", "--to", "green"], "123456789012", "stack 'blue' pins no account"),
    (["failback", "--stack", "blue", "--from", "green"], "123456789012", "stack 'blue' pins no account"),
], ids=["unknown stack", "no standby", "unknown mode", "--to is --stack", "--from is --stack", "not paired",
        "standby as primary", "another account", "unpinned failover", "unpinned failback"])  # fmt: skip
def test_bad_input_is_one_message_and_exit_2(
    args: list[str], account: str, words: str, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    from moto import mock_aws

    isolate_aws_credentials(monkeypatch, tmp_path)
    for key, value in {"MOTO_ACCOUNT_ID": account, "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing"}.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    with mock_aws():
        try:
            code = main(args)
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    assert code == 2, out + err
    assert "Traceback" not in out + err and words in err, err
    messages = [line for line in err.splitlines() if line.startswith(f"ops {args[0]} ") or ": error: " in line]
    assert len(messages) == 1, err


def test_an_unpinned_pair_may_still_print_its_plan(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["failover", "--stack", "blue", "--to", "green", "--dry-run"]) == 0
    assert "expected total" in capsys.readouterr().out


# --- dr-drill -----------------------------------------------------------------------------------------


def test_dr_drill_dry_run_reports_the_cross_region_rpo(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    pair, _ = _world()
    _clients([], monkeypatch)
    monkeypatch.setattr("ops.dr_drill.load_config", lambda stack: pair.standby_config)
    report = dr_drill("prod", pair.primary_config, Clients(EAST), dry_run=True, progress=_quiet)
    assert _checks(report)["cross-region-rpo"] == "pass" and "1.2 s (RPO 300 s)" in report.text()
    assert _writer().endswith(":cluster:fintech-prod")  # nothing moved


def test_dr_drill_switches_over_and_back_with_measured_times(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    pair, check = _world()
    calls: list[tuple[str, str, dict[str, Any]]] = []
    _clients(calls, monkeypatch)
    monkeypatch.setattr("ops.dr_drill.load_config", lambda stack: pair.standby_config)
    monkeypatch.setattr("ops.dr_drill._restore", lambda *args: None)  # the same-region restore is tested elsewhere
    ticks = iter(range(0, 100_000, 5))
    report = dr_drill("prod", pair.primary_config, Clients(EAST), dry_run=False, progress=_quiet,
                      clock=lambda: float(next(ticks)), sleep=lambda _: None)  # fmt: skip
    assert not report.failed, report.text()
    checks = _checks(report)
    for direction in ("failover", "failback"):
        assert checks[f"{direction}-rto"] == "pass"
        assert checks[f"{direction}-time promote-database"] == "pass"
    assert "expected 300 s" in report.text()
    assert [name for name, _, _ in calls].count("switchover_global_cluster") == 2
    assert _writer().endswith(":cluster:fintech-prod")
    assert not boto3.client("route53").get_health_check(HealthCheckId=check)["HealthCheck"]["HealthCheckConfig"][
        "Inverted"]  # fmt: skip
