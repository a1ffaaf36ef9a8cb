"""ElastiCache in both stacks: TLS required, AUTH from a generated secret, encryption, placement, logs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi.runtime import rpc

from components.cache import CacheArgs
from components.errors import InvalidArgumentError
from offline.engine import OfflineRun
from offline.plan import summarize
from tests.helpers import children, key_arn, one

GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"


def test_encrypted_at_rest_with_the_data_key_and_tls_required(stack_run: OfflineRun) -> None:
    group = one(stack_run, GROUP).inputs
    assert group["atRestEncryptionEnabled"] is True
    assert group["kmsKeyId"] == key_arn(stack_run, "data")
    assert group["transitEncryptionEnabled"] is True
    assert group["transitEncryptionMode"] == "required"
    assert (group["engine"], group["engineVersion"]) == ("valkey", "8.0")


def test_auth_token_is_the_generated_secret_and_never_plain(stack_run: OfflineRun) -> None:
    group = one(stack_run, GROUP).inputs
    assert rpc.is_rpc_secret(group["authToken"])
    token = rpc.unwrap_rpc_secret(group["authToken"])
    password = one(stack_run, "random:index/randomPassword:RandomPassword", "cache-auth-token")
    assert token == password.outputs["result"]
    assert password.inputs["length"] == 64 and password.inputs["special"] is False
    version = one(stack_run, "aws:secretsmanager/secretVersion:SecretVersion", "cache-auth-token")
    assert rpc.is_rpc_secret(version.inputs["secretString"])
    assert token not in json.dumps(summarize(stack_run))


def test_nodes_failover_and_snapshots_per_tier(stack_run: OfflineRun) -> None:
    group = one(stack_run, GROUP).inputs
    if stack_run.stack == "prod":
        assert group["numCacheClusters"] == 2
        assert group["automaticFailoverEnabled"] is True and group["multiAzEnabled"] is True
        assert len(set(group["preferredCacheClusterAzs"])) == 2
        assert group["snapshotRetentionLimit"] >= 7
        assert group["nodeType"] == "cache.m7g.large"
    else:
        assert group["numCacheClusters"] == 1
        assert group["automaticFailoverEnabled"] is False
        assert group["nodeType"] == "cache.t4g.micro"
        assert group["snapshotRetentionLimit"] >= 1


def test_slow_and_engine_logs_go_to_encrypted_log_groups(stack_run: OfflineRun) -> None:
    group = one(stack_run, GROUP).inputs
    deliveries = {d["logType"]: d for d in group["logDeliveryConfigurations"]}
    assert set(deliveries) == {"slow-log", "engine-log"}
    for kind, delivery in deliveries.items():
        log_group = one(stack_run, "aws:cloudwatch/logGroup:LogGroup", f"-{kind}")
        assert delivery["destinationType"] == "cloudwatch-logs"
        assert delivery["destination"] == log_group.inputs["name"]
        assert log_group.inputs["kmsKeyId"] == key_arn(stack_run, "logs")


def test_parameter_group_and_port(stack_run: OfflineRun) -> None:
    params = one(stack_run, "aws:elasticache/parameterGroup:ParameterGroup").inputs
    assert params["family"] == "valkey8"
    assert one(stack_run, GROUP).inputs["port"] == 6379


def test_alarms_and_protection_per_tier(stack_run: OfflineRun) -> None:
    alarms = {a.inputs["metricName"] for a in children(stack_run, "fintech:cache:Cache")
              if a.type == "aws:cloudwatch/metricAlarm:MetricAlarm"}  # fmt: skip
    expected = {"EngineCPUUtilization", "DatabaseMemoryUsagePercentage", "Evictions"}
    assert alarms == (expected | {"ReplicationLag"} if stack_run.stack == "prod" else expected)
    assert one(stack_run, GROUP).protect is (stack_run.stack == "prod")


def test_dev_warns_about_the_single_node(dev_run: OfflineRun, prod_run: OfflineRun) -> None:
    assert any("one cache node, no replica" in w for w in dev_run.warnings)
    assert not any("one cache node" in w for w in prod_run.warnings)


def _args(**changes: Any) -> CacheArgs:
    values: dict[str, Any] = {
        "vpc_id": "vpc", "subnet_group_name": "cache", "zone_names": ("a", "b", "c"), "data_kms_key_arn": "k",
        "logs_kms_key_arn": "k", "auth_token": "x" * 32, **changes,
    }  # fmt: skip
    return CacheArgs(**values)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"auth_token": None}, "auth_token: required; a cache without AUTH"),
        ({"node_count": 4}, "node_count: 4 nodes need as many distinct zones"),
        ({"engine_version": "6.2", "engine": "redis"}, "engine/engine_version: redis 6.2 is not one of"),
        ({"snapshot_retention_days": 40}, "snapshot_retention_days: 40 is outside 0-35"),
    ],
)
def test_bad_cache_arguments_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        _args(**changes)
