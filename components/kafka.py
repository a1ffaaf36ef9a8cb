"""Amazon MSK (provisioned): SASL/IAM only, TLS everywhere, encrypted, logged and monitored.

Brokers spread evenly over the given private subnets (one zone each). No topic is created
implicitly (`auto.create.topics.enable=false`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.errors import InvalidArgumentError
from components.shared import AlarmSpec, create_alarms, encrypted_log_group, service_security_group

SASL_IAM_PORT = 9098
AUTOSCALED_VOLUME_PATH = "brokerNodeGroupInfo.storageInfo.ebsStorageInfo.volumeSize"
"""Property path of the broker volume size (aws.msk.Cluster, pulumi-aws 7), which storage autoscaling owns."""


@dataclass(frozen=True)
class KafkaClusterArgs:
    """Arguments of KafkaCluster."""

    vpc_id: pulumi.Input[str]
    """VPC of the cluster. Required."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """Private client subnets, 2 or 3, one per zone. Required."""
    data_kms_key_arn: pulumi.Input[str]
    """Key for data at rest. Required."""
    logs_kms_key_arn: pulumi.Input[str]
    """Key for the broker log group. Required."""
    allowed_security_group_ids: tuple[pulumi.Input[str], ...] = ()
    """Security groups admitted on 9098 (SASL/IAM over TLS); no CIDR is ever admitted. Default: none."""
    kafka_version: str = "3.9.x"
    """Kafka version, pinned (MSK applies patch releases). Default: 3.9.x."""
    broker_instance_type: str = "kafka.m7g.large"
    """Broker instance type. Default: kafka.m7g.large (Graviton)."""
    broker_count: int = 3
    """Brokers; a multiple of the subnet count. Default: 3."""
    volume_size_gib: int = 100
    """EBS storage per broker at creation. Default: 100."""
    volume_max_gib: int = 0
    """Storage autoscaling ceiling per broker; 0 turns autoscaling off. Default: 0."""
    enhanced_monitoring: Literal["DEFAULT", "PER_BROKER", "PER_TOPIC_PER_BROKER", "PER_TOPIC_PER_PARTITION"] = (
        "PER_TOPIC_PER_BROKER"
    )
    """CloudWatch metric level. Default: PER_TOPIC_PER_BROKER."""
    replication_factor: int = 3
    """default.replication.factor. Default: 3."""
    min_insync_replicas: int = 2
    """min.insync.replicas; below replication_factor so one broker can be lost. Default: 2."""
    log_retention_days: int = 365
    """Days the broker log group keeps logs. Default: 365."""
    alarm_topic_arn: pulumi.Input[str] | None = None
    """Topic the alarms notify; None creates no alarms. Default: None."""
    protect: bool = False
    """Register the cluster with protect=True. Default: False."""

    def __post_init__(self) -> None:
        subnets = len(self.subnet_ids)
        if subnets not in (2, 3):
            raise InvalidArgumentError(f"subnet_ids: MSK takes 2 or 3 client subnets, got {subnets}")
        if self.broker_count < subnets or self.broker_count % subnets:
            raise InvalidArgumentError(
                f"broker_count: {self.broker_count} is not a multiple of the {subnets} subnets; "
                f"MSK spreads brokers evenly over zones"
            )
        if not 1 <= self.replication_factor <= self.broker_count:
            raise InvalidArgumentError(
                f"replication_factor: {self.replication_factor} must be 1 to broker_count ({self.broker_count})"
            )
        if not 1 <= self.min_insync_replicas < max(self.replication_factor, 2):
            raise InvalidArgumentError(
                f"min_insync_replicas: {self.min_insync_replicas} must be at least 1 and below "
                f"replication_factor ({self.replication_factor}), or one broker loss stops all writes"
            )
        if self.volume_size_gib < 1 or (self.volume_max_gib and self.volume_max_gib <= self.volume_size_gib):
            raise InvalidArgumentError(
                f"volume_size_gib/volume_max_gib: {self.volume_size_gib}/{self.volume_max_gib}: the ceiling must "
                "be above the initial size (or 0 for no autoscaling)"
            )

    def server_properties(self) -> str:
        """The broker configuration MSK applies."""
        return "\n".join(
            [
                "auto.create.topics.enable=false",
                f"default.replication.factor={self.replication_factor}",
                f"min.insync.replicas={self.min_insync_replicas}",
                "unclean.leader.election.enable=false",
                "allow.everyone.if.no.acl.found=false",
                f"num.partitions={max(self.broker_count, 3)}",
            ]
        )


class KafkaCluster(pulumi.ComponentResource):
    """An MSK cluster with its configuration, logs, security group, storage autoscaling and alarms."""

    cluster_arn: pulumi.Output[str]
    cluster_name: str
    bootstrap_brokers_sasl_iam: pulumi.Output[str]
    port: int
    security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: KafkaClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:kafka:KafkaCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        log_group = encrypted_log_group(
            f"{name}-brokers", f"/msk/{name}/brokers", args.log_retention_days, args.logs_kms_key_arn, self
        )
        configuration = aws.msk.Configuration(
            f"{name}-config",
            name=f"{name}-config",
            kafka_versions=[args.kafka_version],
            server_properties=args.server_properties(),
            description=f"{name}: no implicit topics, RF {args.replication_factor}, min ISR {args.min_insync_replicas}",
            opts=child,
        )
        security_group = service_security_group(
            f"{name}-kafka",
            args.vpc_id,
            SASL_IAM_PORT,
            args.allowed_security_group_ids,
            f"{name}: Kafka SASL/IAM over TLS from allowed client groups only",
            parent=self,
        )
        cluster = aws.msk.Cluster(
            f"{name}-kafka",
            cluster_name=name,
            kafka_version=args.kafka_version,
            number_of_broker_nodes=args.broker_count,
            broker_node_group_info=aws.msk.ClusterBrokerNodeGroupInfoArgs(
                instance_type=args.broker_instance_type,
                client_subnets=list(args.subnet_ids),
                security_groups=[security_group.id],
                storage_info=aws.msk.ClusterBrokerNodeGroupInfoStorageInfoArgs(
                    ebs_storage_info=aws.msk.ClusterBrokerNodeGroupInfoStorageInfoEbsStorageInfoArgs(
                        volume_size=args.volume_size_gib
                    )
                ),
                connectivity_info=aws.msk.ClusterBrokerNodeGroupInfoConnectivityInfoArgs(
                    public_access=aws.msk.ClusterBrokerNodeGroupInfoConnectivityInfoPublicAccessArgs(type="DISABLED")
                ),
            ),
            client_authentication=aws.msk.ClusterClientAuthenticationArgs(
                sasl=aws.msk.ClusterClientAuthenticationSaslArgs(iam=True, scram=False), unauthenticated=False
            ),
            encryption_info=aws.msk.ClusterEncryptionInfoArgs(
                encryption_at_rest_kms_key_arn=args.data_kms_key_arn,
                encryption_in_transit=aws.msk.ClusterEncryptionInfoEncryptionInTransitArgs(
                    client_broker="TLS", in_cluster=True
                ),
            ),
            configuration_info=aws.msk.ClusterConfigurationInfoArgs(
                arn=configuration.arn, revision=configuration.latest_revision
            ),
            enhanced_monitoring=args.enhanced_monitoring,
            open_monitoring=aws.msk.ClusterOpenMonitoringArgs(
                prometheus=aws.msk.ClusterOpenMonitoringPrometheusArgs(
                    jmx_exporter=aws.msk.ClusterOpenMonitoringPrometheusJmxExporterArgs(enabled_in_broker=True),
                    node_exporter=aws.msk.ClusterOpenMonitoringPrometheusNodeExporterArgs(enabled_in_broker=True),
                )
            ),
            logging_info=aws.msk.ClusterLoggingInfoArgs(
                broker_logs=aws.msk.ClusterLoggingInfoBrokerLogsArgs(
                    cloudwatch_logs=aws.msk.ClusterLoggingInfoBrokerLogsCloudwatchLogsArgs(
                        enabled=True, log_group=log_group.name
                    )
                )
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                # Storage autoscaling grows the volumes behind Pulumi's back; MSK cannot shrink a volume, so an
                # update back to volume_size_gib would fail. Ignore that one field when autoscaling owns it.
                # Source: MSK "Automatic scaling for Amazon MSK storage" (scale-in is not supported),
                # https://docs.aws.amazon.com/msk/latest/developerguide/msk-autoexpand.html; the path uses
                # the schema (camelCase) property names, as ResourceOptions.ignore_changes documents.
                ignore_changes=[AUTOSCALED_VOLUME_PATH] if args.volume_max_gib else None,
            ),
        )
        if args.volume_max_gib:
            self._storage_autoscaling(name, cluster, args)
        create_alarms(name, _alarms(name, args), args.alarm_topic_arn, parent=self)
        self.cluster_arn = cluster.arn
        self.cluster_name = name
        self.bootstrap_brokers_sasl_iam = cluster.bootstrap_brokers_sasl_iam
        self.port = SASL_IAM_PORT
        self.security_group_id = security_group.id
        self.register_outputs(
            {
                "cluster_arn": self.cluster_arn,
                "bootstrap_brokers_sasl_iam": self.bootstrap_brokers_sasl_iam,
                "security_group_id": self.security_group_id,
            }
        )

    def _storage_autoscaling(self, name: str, cluster: aws.msk.Cluster, args: KafkaClusterArgs) -> None:
        child = pulumi.ResourceOptions(parent=self)
        target = aws.appautoscaling.Target(
            f"{name}-storage",
            service_namespace="kafka",
            scalable_dimension="kafka:broker-storage:VolumeSize",
            resource_id=cluster.arn,
            min_capacity=1,
            max_capacity=args.volume_max_gib,
            opts=child,
        )
        aws.appautoscaling.Policy(
            f"{name}-storage",
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            target_tracking_scaling_policy_configuration=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                target_value=60,
                disable_scale_in=True,
                predefined_metric_specification=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                    predefined_metric_type="KafkaBrokerStorageUtilization"
                ),
            ),
            opts=child,
        )


def _alarms(name: str, args: KafkaClusterArgs) -> list[AlarmSpec]:
    """MSK publishes OfflinePartitionsCount per "Cluster Name", and KafkaDataLogsDiskUsed and
    UnderReplicatedPartitions per "Cluster Name" and "Broker ID" (broker IDs 1..N), all at the DEFAULT
    monitoring level. Source: "Amazon MSK metrics for monitoring Standard brokers with CloudWatch",
    https://docs.aws.amazon.com/msk/latest/developerguide/metrics-details.html."""
    specs = [
        AlarmSpec("offline-partitions", "AWS/Kafka", "OfflinePartitionsCount", {"Cluster Name": name},
                  "GreaterThanThreshold", 0, "Kafka partitions offline: producers and consumers of them are down",
                  statistic="Maximum", period_seconds=60, evaluation_periods=1),
    ]  # fmt: skip
    for broker in range(1, args.broker_count + 1):
        dimensions: dict[str, pulumi.Input[str]] = {"Cluster Name": name, "Broker ID": str(broker)}
        specs += [
            AlarmSpec(f"disk-used-{broker}", "AWS/Kafka", "KafkaDataLogsDiskUsed", dimensions, "GreaterThanThreshold",
                      80, f"Kafka broker {broker} data disk above 80%"),
            AlarmSpec(f"under-replicated-{broker}", "AWS/Kafka", "UnderReplicatedPartitions", dimensions,
                      "GreaterThanThreshold", 0, f"Kafka broker {broker} has under-replicated partitions",
                      statistic="Maximum", period_seconds=60, evaluation_periods=5),
        ]  # fmt: skip
    return specs
