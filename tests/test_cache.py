"""ElastiCache in both stacks: TLS required, IAM-authenticated users, encryption, placement, logs, alarms."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.cache import DEFAULT_USER_ACCESS, CacheArgs, member_cluster_ids
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


def test_clients_authenticate_as_iam_users_and_no_static_token_exists(stack_run: OfflineRun) -> None:
    group = one(stack_run, GROUP).inputs
    assert "authToken" not in group and "authTokenUpdateStrategy" not in group
    user_group = one(stack_run, "aws:elasticache/userGroup:UserGroup").inputs
    assert group["userGroupIds"] == [user_group["userGroupId"]]
    users = {u.inputs["userId"]: u.inputs for u in stack_run.of_type("aws:elasticache/user:User")}
    assert sorted(user_group["userIds"]) == sorted(users)
    prefix = f"fintech-{stack_run.stack}"
    default = users.pop(f"{prefix}-default")
    assert default["userName"] == "default" and default["accessString"] == DEFAULT_USER_ACCESS == "off -@all"
    assert default["authenticationMode"] == {"type": "no-password-required"}
    assert set(users) == {f"{prefix}-validator", f"{prefix}-payments"}  # the workloads with "cache" in their spec
    for user_id, user in users.items():
        assert user["userName"] == user_id  # IAM authentication requires user name == user ID
        assert user["authenticationMode"] == {"type": "iam"}
        workload = user_id.removeprefix(f"{prefix}-")
        assert user["accessString"] == f"on ~{workload}:* +@all -@dangerous"
    assert {u.inputs["engine"] for u in stack_run.of_type("aws:elasticache/user:User")} == {user_group["engine"]}
    # The only generated password is prod's Aurora master credential (a global database member, issue 14).
    passwords = [r.name for r in stack_run.of_type("random:index/randomPassword:RandomPassword")]
    assert passwords == {"dev": [], "prod": ["fintech-prod-aurora-master"]}[stack_run.stack]
    assert not any("auth" in r.name for r in stack_run.of_type("aws:secretsmanager/secret:Secret"))
    assert "authToken" not in json.dumps(summarize(stack_run))


def test_final_snapshot_name_carries_a_suffix_drawn_with_the_cache(dev_run: OfflineRun) -> None:
    """A fixed '<name>-final' collides with the snapshot left by the previous deletion of the stack."""
    suffix = one(dev_run, "random:index/randomId:RandomId", "-cache-final-snapshot")
    cache = one(dev_run, "fintech:cache:Cache")
    assert suffix.parent == cache.urn and suffix.inputs["byteLength"] == 4
    identifier = one(dev_run, GROUP).inputs["finalSnapshotIdentifier"]
    assert identifier == f"fintech-dev-final-{suffix.outputs['hex']}"


def test_nodes_failover_and_snapshots_per_tier(stack_run: OfflineRun) -> None:
    group = one(stack_run, GROUP).inputs
    if stack_run.stack == "prod":
        assert group["numCacheClusters"] == 2
        assert group["automaticFailoverEnabled"] is True and group["multiAzEnabled"] is True
        assert len(set(group["preferredCacheClusterAzs"])) == 2
        assert group["snapshotRetentionLimit"] >= 7
        assert group["nodeType"] == "cache.r6g.large"
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


def test_alarms_watch_every_member_cluster_and_protection_per_tier(stack_run: OfflineRun) -> None:
    """ElastiCache publishes per CacheClusterId (a member '<group>-00N'), not per ReplicationGroupId."""
    group = one(stack_run, GROUP).inputs
    members = member_cluster_ids(group["replicationGroupId"], int(group["numCacheClusters"]))
    assert members == {"dev": ["fintech-dev-001"], "prod": ["fintech-prod-001", "fintech-prod-002"]}[stack_run.stack]
    alarms = [a.inputs for a in children(stack_run, "fintech:cache:Cache")
              if a.type == "aws:cloudwatch/metricAlarm:MetricAlarm"]  # fmt: skip
    expected = {"EngineCPUUtilization", "DatabaseMemoryUsagePercentage", "Evictions"}
    if stack_run.stack == "prod":
        expected.add("ReplicationLag")
    by_member = {m: {a["metricName"] for a in alarms if a["dimensions"] == {"CacheClusterId": m}} for m in members}
    assert by_member == {m: expected for m in members}
    assert len(alarms) == len(members) * len(expected)
    lag = [a for a in alarms if a["metricName"] == "ReplicationLag"]
    assert all(a["treatMissingData"] == "notBreaching" for a in lag)  # the primary publishes no lag
    assert one(stack_run, GROUP).protect is (stack_run.stack == "prod")


def test_dev_warns_about_the_single_node(dev_run: OfflineRun, prod_run: OfflineRun) -> None:
    assert any("one cache node, no replica" in w for w in dev_run.warnings)
    assert not any("one cache node" in w for w in prod_run.warnings)


def _args(**changes: Any) -> CacheArgs:
    values: dict[str, Any] = {
        "vpc_id": "vpc", "subnet_group_name": "cache", "zone_names": ("a", "b", "c"), "data_kms_key_arn": "k",
        "logs_kms_key_arn": "k", "iam_users": ("validator",), **changes,
    }  # fmt: skip
    return CacheArgs(**values)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"iam_users": ()}, "iam_users: at least one"),
        ({"iam_users": ("Validator",)}, "iam_users: .* must be unique lowercase names"),
        ({"iam_users": ("default",)}, "iam_users: .* not 'default'"),
        ({"iam_users": ("a", "a")}, "iam_users: .* must be unique"),
        ({"node_count": 4}, "node_count: 4 nodes need as many distinct zones"),
        ({"engine_version": "6.2", "engine": "redis"}, "engine/engine_version: redis 6.2 is not one of"),
        ({"snapshot_retention_days": 40}, "snapshot_retention_days: 40 is outside 0-35"),
    ],
)
def test_bad_cache_arguments_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        _args(**changes)
