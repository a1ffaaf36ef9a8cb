"""The platform's Kafka topics on one MSK cluster, created through the MSK topic API.

The cluster runs with `auto.create.topics.enable=false`, so a producer fails until its topic exists.
`aws.msk.Topic` calls the MSK control-plane API (CreateTopic/UpdateTopic/DeleteTopic), which needs no network
path to the brokers: `pulumi up` can create topics from anywhere with AWS credentials, in deploy phase
foundation. https://docs.aws.amazon.com/msk/latest/developerguide/msk-create-topic.html (the topic API takes a
partition count, a replication factor and topic configs; a replication factor change replaces the topic, a
partition count may only grow: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-msk-topic.html).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.errors import InvalidArgumentError

_TOPIC_NAME = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
HOUR_MS = 3_600_000


def topic_arn(cluster_arn: str, topic: str) -> str:
    """ARN of a topic of an MSK cluster, as IAM policies and the topic API name it:
    arn:aws:kafka:<region>:<account>:topic/<cluster-name>/<cluster-uuid>/<topic>
    (https://docs.aws.amazon.com/msk/latest/developerguide/iam-access-control.html#msk-iam-resources)."""
    return cluster_scoped_arn(cluster_arn, "topic", topic)


def cluster_scoped_arn(cluster_arn: str, kind: str, name: str) -> str:
    """ARN of a `kind` resource (topic, group, transactional-id) named `name` in an MSK cluster."""
    return cluster_arn.replace(":cluster/", f":{kind}/", 1) + f"/{name}"


@dataclass(frozen=True)
class KafkaTopicsArgs:
    """Arguments of KafkaTopics."""

    cluster_arn: pulumi.Input[str]
    """ARN of the MSK cluster. Required."""
    topics: tuple[str, ...]
    """Topic names, unique. Required."""
    broker_count: int
    """Brokers of the cluster; the replication factor may not exceed it. Required."""
    partitions: int = 3
    """Partitions per topic. Default: 3."""
    replication_factor: int = 3
    """Replicas of each partition, at most broker_count. Default: 3."""
    min_insync_replicas: int = 2
    """min.insync.replicas; below replication_factor (unless it is 1) so one broker can be lost. Default: 2."""
    retention_hours: int = 168
    """retention.ms of each topic, in hours. Default: 168 (7 days)."""
    protect: bool = False
    """Register the topics with protect=True (deleting a topic deletes its records). Default: False."""

    def __post_init__(self) -> None:
        if not self.topics:
            raise InvalidArgumentError("topics: at least one topic is required")
        bad = [topic for topic in self.topics if not _TOPIC_NAME.match(topic) or topic in (".", "..")]
        if bad:
            raise InvalidArgumentError(f"topics: {bad} are not Kafka topic names ([A-Za-z0-9._-], 1-249 chars)")
        if len(set(self.topics)) != len(self.topics):
            raise InvalidArgumentError(f"topics: {list(self.topics)} lists a topic twice")
        if self.partitions < 1:
            raise InvalidArgumentError(f"partitions: {self.partitions} must be at least 1")
        if not 1 <= self.replication_factor <= self.broker_count:
            raise InvalidArgumentError(
                f"replication_factor: {self.replication_factor} must be 1 to broker_count ({self.broker_count})"
            )
        if not 1 <= self.min_insync_replicas < max(self.replication_factor, 2):
            raise InvalidArgumentError(
                f"min_insync_replicas: {self.min_insync_replicas} must be at least 1 and below "
                f"replication_factor ({self.replication_factor}), or one broker loss stops all writes"
            )
        if self.retention_hours < 1:
            raise InvalidArgumentError(f"retention_hours: {self.retention_hours} must be at least 1")

    def configs(self) -> dict[str, str]:
        """The topic configuration MSK applies to every topic (the keys of the provider's documented example;
        unclean leader election is already off cluster-wide)."""
        return {
            "min.insync.replicas": str(self.min_insync_replicas),
            "retention.ms": str(self.retention_hours * HOUR_MS),
            "cleanup.policy": "delete",
        }


class KafkaTopics(pulumi.ComponentResource):
    """One `aws.msk.Topic` per platform topic."""

    arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: KafkaTopicsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:kafka:KafkaTopics", name, None, opts)
        configs = json.dumps(args.configs(), sort_keys=True)
        self.arns = {
            topic: aws.msk.Topic(
                f"{name}-{topic.replace('.', '-')}",
                cluster_arn=args.cluster_arn,
                name=topic,
                partition_count=args.partitions,
                replication_factor=args.replication_factor,
                configs=configs,
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            ).arn
            for topic in args.topics
        }
        self.register_outputs({"arns": self.arns})
