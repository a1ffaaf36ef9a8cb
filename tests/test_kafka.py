"""MSK in both stacks: SASL/IAM only, TLS, encryption, brokers per zone, logs, monitoring, autoscaling."""

from __future__ import annotations

from typing import Any

import pytest

from components.errors import InvalidArgumentError
from components.kafka import AUTOSCALED_VOLUME_PATH, KafkaClusterArgs
from offline.engine import OfflineRun
from tests.helpers import children, key_arn, one

CLUSTER = "aws:msk/cluster:Cluster"


def test_only_iam_authenticated_clients_over_tls(stack_run: OfflineRun) -> None:
    cluster = one(stack_run, CLUSTER).inputs
    assert cluster["clientAuthentication"] == {"sasl": {"iam": True, "scram": False}, "unauthenticated": False}
    assert cluster["encryptionInfo"]["encryptionInTransit"] == {"clientBroker": "TLS", "inCluster": True}
    assert cluster["encryptionInfo"]["encryptionAtRestKmsKeyArn"] == key_arn(stack_run, "data")
    assert cluster["brokerNodeGroupInfo"]["connectivityInfo"]["publicAccess"] == {"type": "DISABLED"}


def test_brokers_per_tier_spread_over_private_subnets(stack_run: OfflineRun) -> None:
    cluster = one(stack_run, CLUSTER).inputs
    private = stack_run.outputs["privateSubnetIds"]
    brokers, zones, kind = {"dev": (2, 2, "kafka.t3.small"), "prod": (3, 3, "kafka.m7g.large")}[stack_run.stack]
    assert cluster["numberOfBrokerNodes"] == brokers
    assert cluster["brokerNodeGroupInfo"]["clientSubnets"] == private[:zones]
    assert cluster["brokerNodeGroupInfo"]["instanceType"] == kind
    assert cluster["kafkaVersion"] == "3.9.x"


def test_configuration_forbids_implicit_topics_and_sets_durability(stack_run: OfflineRun) -> None:
    properties = dict(
        line.split("=", 1) for line in one(stack_run, "aws:msk/configuration:Configuration").inputs[
            "serverProperties"].splitlines()
    )  # fmt: skip
    assert properties["auto.create.topics.enable"] == "false"
    assert properties["unclean.leader.election.enable"] == "false"
    expected = {"dev": ("2", "1"), "prod": ("3", "2")}[stack_run.stack]
    assert (properties["default.replication.factor"], properties["min.insync.replicas"]) == expected


def test_logs_and_monitoring(stack_run: OfflineRun) -> None:
    cluster = one(stack_run, CLUSTER).inputs
    log_group = one(stack_run, "aws:cloudwatch/logGroup:LogGroup", "-brokers")
    assert cluster["loggingInfo"]["brokerLogs"]["cloudwatchLogs"] == {
        "enabled": True,
        "logGroup": log_group.inputs["name"],
    }
    assert log_group.inputs["kmsKeyId"] == key_arn(stack_run, "logs")
    assert cluster["enhancedMonitoring"] == {"dev": "PER_BROKER", "prod": "PER_TOPIC_PER_BROKER"}[stack_run.stack]
    prometheus = cluster["openMonitoring"]["prometheus"]
    assert prometheus["jmxExporter"]["enabledInBroker"] is True
    assert prometheus["nodeExporter"]["enabledInBroker"] is True


def test_storage_autoscaling_in_prod_only(stack_run: OfflineRun) -> None:
    targets = stack_run.of_type("aws:appautoscaling/target:Target")
    if stack_run.stack == "dev":
        assert targets == []
        return
    (target,) = targets
    assert target.inputs["scalableDimension"] == "kafka:broker-storage:VolumeSize"
    assert target.inputs["maxCapacity"] == 1000
    policy = one(stack_run, "aws:appautoscaling/policy:Policy").inputs
    tracking = policy["targetTrackingScalingPolicyConfiguration"]
    assert tracking["predefinedMetricSpecification"]["predefinedMetricType"] == "KafkaBrokerStorageUtilization"


def test_autoscaled_volume_size_drift_is_ignored(stack_run: OfflineRun) -> None:
    """Autoscaling grows the volumes; an update back to the configured size would try to shrink them."""
    cluster = one(stack_run, "aws:msk/cluster:Cluster")
    if stack_run.stack == "dev":  # no autoscaling: the program owns the size
        assert cluster.ignore_changes == []
        return
    assert cluster.ignore_changes == [AUTOSCALED_VOLUME_PATH]
    value: Any = cluster.inputs
    for part in AUTOSCALED_VOLUME_PATH.split("."):  # the path names a property the cluster really sets
        value = value[part]
    assert value == 50


def test_alarms_cover_disk_replication_and_offline_partitions(stack_run: OfflineRun) -> None:
    alarms = [a.inputs for a in children(stack_run, "fintech:kafka:KafkaCluster")
              if a.type == "aws:cloudwatch/metricAlarm:MetricAlarm"]  # fmt: skip
    brokers = one(stack_run, CLUSTER).inputs["numberOfBrokerNodes"]
    by_metric: dict[str, int] = {}
    for alarm in alarms:
        by_metric[alarm["metricName"]] = by_metric.get(alarm["metricName"], 0) + 1
    assert by_metric == {
        "OfflinePartitionsCount": 1,
        "KafkaDataLogsDiskUsed": brokers,
        "UnderReplicatedPartitions": brokers,
    }


def test_security_group_port_and_protection(stack_run: OfflineRun) -> None:
    group = one(stack_run, "aws:ec2/securityGroup:SecurityGroup", "-kafka")
    assert one(stack_run, CLUSTER).inputs["brokerNodeGroupInfo"]["securityGroups"] == [group.id]
    assert one(stack_run, CLUSTER).protect is (stack_run.stack == "prod")


def _args(**changes: Any) -> KafkaClusterArgs:
    values: dict[str, Any] = {
        "vpc_id": "vpc", "subnet_ids": ["a", "b", "c"], "data_kms_key_arn": "k", "logs_kms_key_arn": "k", **changes
    }  # fmt: skip
    return KafkaClusterArgs(**values)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"broker_count": 4}, "broker_count: 4 is not a multiple of the 3 subnets"),
        ({"subnet_ids": ["a"]}, "subnet_ids: MSK takes 2 or 3 client subnets, got 1"),
        ({"min_insync_replicas": 3}, "min_insync_replicas: 3 must be at least 1 and below replication_factor"),
        ({"replication_factor": 4}, "replication_factor: 4 must be 1 to broker_count"),
        ({"volume_max_gib": 50}, "the ceiling must be above the initial size"),
    ],
)
def test_bad_kafka_arguments_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        _args(**changes)
