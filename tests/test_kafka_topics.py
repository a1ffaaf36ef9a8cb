"""The platform's Kafka topics: created by the stack from the workload specs, sized per tier, and the exact
resources the workloads' IAM grants name."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.errors import InvalidArgumentError
from components.kafka_topics import KafkaTopicsArgs
from offline.engine import OfflineRun, run_stack
from stacks.workload_specs import WORKLOADS, WorkloadSpec, platform_topics
from tests.helpers import one

TIERS = {  # partitions, replication factor, min ISR, retention hours
    "dev": (3, 2, 1, 24),
    "prod": (6, 3, 2, 168),
}


def _topics(run: OfflineRun) -> dict[str, Any]:
    return {r.inputs["name"]: r for r in run.of_type("aws:msk/topic:Topic")}


def _grants(run: OfflineRun, workload: str) -> dict[str, Any]:
    policy = one(run, "aws:iam/rolePolicy:RolePolicy", f"-{workload}-workload").inputs["policy"]
    return {statement["Sid"]: statement for statement in json.loads(policy)["Statement"]}


def test_every_produced_topic_is_created_once(stack_run: OfflineRun) -> None:
    topics = _topics(stack_run)
    assert sorted(topics) == sorted(t for spec in WORKLOADS for t in spec.produces)
    assert sorted(topics) == ["ledger.posted", "payments.initiated", "transactions.validated"]
    assert all(t.inputs["clusterArn"] == stack_run.outputs["kafkaClusterArn"] for t in topics.values())
    assert all(t.protect is (stack_run.stack == "prod") for t in topics.values())


def test_topics_are_sized_and_kept_per_tier(stack_run: OfflineRun) -> None:
    partitions, replication, min_isr, hours = TIERS[stack_run.stack]
    brokers = one(stack_run, "aws:msk/cluster:Cluster").inputs["numberOfBrokerNodes"]
    for topic in _topics(stack_run).values():
        configs = json.loads(topic.inputs["configs"])
        assert topic.inputs["partitionCount"] == partitions
        assert topic.inputs["replicationFactor"] == replication <= brokers
        assert configs["min.insync.replicas"] == str(min_isr)
        assert configs["retention.ms"] == str(hours * 3_600_000)
        assert configs["cleanup.policy"] == "delete"
        if stack_run.stack == "prod":
            assert min_isr < replication, "losing one broker must not stop writes"


def test_iam_grants_name_exactly_the_created_topics(stack_run: OfflineRun) -> None:
    arns = {name: topic.outputs["arn"] for name, topic in _topics(stack_run).items()}
    assert stack_run.outputs["kafkaTopicArns"] == arns
    granted: set[str] = set()
    for spec in WORKLOADS:
        grants = _grants(stack_run, spec.name)
        writes = grants["WriteOwnTopics"]["Resource"] if spec.produces else []
        reads = grants["ReadOwnTopics"]["Resource"] if spec.consumes else []
        assert writes == [arns[topic] for topic in spec.produces]
        assert reads == [arns[topic] for topic in spec.consumes]
        if spec.consumes:
            group = stack_run.outputs["kafkaClusterArn"].replace(":cluster/", ":group/") + f"/{spec.consumer_group}"
            assert grants["UseOwnConsumerGroup"]["Resource"] == group
        granted |= set(writes) | set(reads)
    assert granted == set(arns.values())


def test_the_workloads_are_told_the_topics_and_group_they_are_granted(stack_run: OfflineRun) -> None:
    for spec in WORKLOADS:
        chart = one(stack_run, "kubernetes:helm.sh/v4:Chart", f"-{spec.name}-chart")
        settings = chart.inputs["values"]["config"]
        assert settings["KAFKA_PRODUCE_TOPICS"].split(",") == list(spec.produces)
        assert settings.get("KAFKA_CONSUME_TOPICS", "") == ",".join(spec.consumes)
        assert settings.get("KAFKA_CONSUMER_GROUP", "") == spec.consumer_group


def _spec(name: str, produces: tuple[str, ...] = (), consumes: tuple[str, ...] = ()) -> WorkloadSpec:
    return WorkloadSpec(name, public=False, requests=("1", "1Gi"), limits=("1", "1Gi"), data_stores=("kafka",),
                        produces=produces, consumes=consumes)  # fmt: skip


def test_specs_that_would_drift_are_refused() -> None:
    with pytest.raises(ValueError, match=r"topics \['orders'\] are consumed but no workload produces them"):
        platform_topics((_spec("a", produces=("x",)), _spec("b", consumes=("orders",))))
    with pytest.raises(ValueError, match=r"topics \['x'\] have more than one producer"):
        platform_topics((_spec("a", produces=("x",)), _spec("b", produces=("x",))))
    assert platform_topics((_spec("a", produces=("x",)), _spec("b", consumes=("x",)))) == ("x",)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"replication_factor": 4}, "replication_factor: 4 must be 1 to broker_count \\(3\\)"),
        ({"min_insync_replicas": 3}, "min_insync_replicas: 3 must be at least 1 and below replication_factor"),
        ({"topics": ("a", "a")}, "lists a topic twice"),
        ({"topics": ("bad topic",)}, "are not Kafka topic names"),
        ({"topics": ()}, "topics: at least one topic is required"),
        ({"partitions": 0}, "partitions: 0 must be at least 1"),
        ({"retention_hours": 0}, "retention_hours: 0 must be at least 1"),
    ],
)
def test_bad_topic_arguments_are_refused(changes: dict[str, Any], message: str) -> None:
    values: dict[str, Any] = {"cluster_arn": "arn", "topics": ("a",), "broker_count": 3, **changes}
    with pytest.raises(InvalidArgumentError, match=message):
        KafkaTopicsArgs(**values)
    assert KafkaTopicsArgs(cluster_arn="arn", topics=("a",), broker_count=1, replication_factor=1,
                           min_insync_replicas=1).configs()["min.insync.replicas"] == "1"  # fmt: skip


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [("kafkaTopicPartitions", "0", "must be 1 to 200 partitions per topic"),
     ("kafkaTopicRetentionHours", "9000", "must be 1 to 8760 hours")],
)  # fmt: skip
def test_bad_topic_config_registers_nothing(key: str, value: str, message: str) -> None:
    run = run_stack("dev", {f"fintech-platform:{key}": value})
    assert run.error is not None and f"fintech-platform:{key} = '{value}'" in run.error and message in run.error
    assert run.resources == []
