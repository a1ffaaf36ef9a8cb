"""ElastiCache (Valkey by default): TLS required, AUTH token, encrypted at rest, logs and alarms.

With two or more nodes the group is Multi-AZ with automatic failover, each node in its own zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.errors import InvalidArgumentError
from components.shared import AlarmSpec, create_alarms, encrypted_log_group, service_security_group

CACHE_PORT = 6379
_FAMILIES = {("valkey", "8"): "valkey8", ("valkey", "7"): "valkey7", ("redis", "7"): "redis7"}


@dataclass(frozen=True)
class CacheArgs:
    """Arguments of Cache."""

    vpc_id: pulumi.Input[str]
    """VPC of the cache. Required."""
    subnet_group_name: pulumi.Input[str]
    """ElastiCache subnet group over the database subnets. Required."""
    zone_names: tuple[str, ...]
    """Zones for the nodes, in order (primary in the first). Required."""
    data_kms_key_arn: pulumi.Input[str]
    """Key for data at rest and snapshots. Required."""
    logs_kms_key_arn: pulumi.Input[str]
    """Key for the slow-log and engine-log groups. Required."""
    auth_token: pulumi.Input[str] | None
    """AUTH token (a secret Output, 16-128 characters); None is refused: auth cannot be turned off. Required."""
    allowed_security_group_ids: tuple[pulumi.Input[str], ...] = ()
    """Security groups admitted on 6379; no CIDR is ever admitted. Default: none."""
    engine: Literal["valkey", "redis"] = "valkey"
    """Engine. Default: valkey (about 20% cheaper than Redis OSS per node)."""
    engine_version: str = "8.0"
    """Engine version, pinned. Default: 8.0."""
    node_type: str = "cache.t4g.micro"
    """Node type. Default: cache.t4g.micro."""
    node_count: int = 2
    """Nodes: a primary plus replicas, each in another zone. Default: 2."""
    snapshot_retention_days: int = 7
    """Days daily snapshots are kept (0-35). Default: 7."""
    snapshot_window: str = "02:00-03:00"
    """Daily snapshot window, UTC. Default: 02:00-03:00."""
    maintenance_window: str = "sun:05:30-sun:06:30"
    """Weekly maintenance window, UTC. Default: sun:05:30-sun:06:30."""
    log_retention_days: int = 365
    """Days the log groups keep logs. Default: 365."""
    alarm_topic_arn: pulumi.Input[str] | None = None
    """Topic the alarms notify; None creates no alarms. Default: None."""
    protect: bool = False
    """Register the replication group with protect=True. Default: False."""

    def __post_init__(self) -> None:
        if self.auth_token is None:
            raise InvalidArgumentError(
                "auth_token: required; a cache without AUTH admits any client that reaches its port"
            )
        if (self.engine, self.engine_version.split(".")[0]) not in _FAMILIES:
            raise InvalidArgumentError(
                f"engine/engine_version: {self.engine} {self.engine_version} is not one of "
                f"{sorted(f'{e} {v}' for e, v in _FAMILIES)} (major versions with TLS and AUTH support)"
            )
        if not 1 <= self.node_count <= 6:
            raise InvalidArgumentError(f"node_count: {self.node_count} is outside 1-6")
        if self.node_count > len(set(self.zone_names)):
            raise InvalidArgumentError(
                f"node_count: {self.node_count} nodes need as many distinct zones; zone_names has "
                f"{len(set(self.zone_names))}"
            )
        if not 0 <= self.snapshot_retention_days <= 35:
            raise InvalidArgumentError(f"snapshot_retention_days: {self.snapshot_retention_days} is outside 0-35")

    @property
    def family(self) -> str:
        """Parameter group family of the engine version."""
        return _FAMILIES[(self.engine, self.engine_version.split(".")[0])]


class Cache(pulumi.ComponentResource):
    """An ElastiCache replication group with its parameter group, logs, security group and alarms."""

    primary_endpoint: pulumi.Output[str]
    reader_endpoint: pulumi.Output[str]
    port: int
    security_group_id: pulumi.Output[str]
    replication_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:cache:Cache", name, None, opts)
        if args.node_count == 1:
            pulumi.log.warn(f"{name}: one cache node, no replica: a node or zone failure empties the cache", self)
        child = pulumi.ResourceOptions(parent=self)
        logs = {
            kind: encrypted_log_group(
                f"{name}-{kind}", f"/elasticache/{name}/{kind}", args.log_retention_days, args.logs_kms_key_arn, self
            )
            for kind in ("slow-log", "engine-log")
        }
        parameters = aws.elasticache.ParameterGroup(
            f"{name}-params",
            family=args.family,
            description=f"{name}: {args.engine} {args.engine_version}",
            parameters=[aws.elasticache.ParameterGroupParameterArgs(name="slowlog-log-slower-than", value="10000")],
            opts=child,
        )
        security_group = service_security_group(
            f"{name}-cache",
            args.vpc_id,
            CACHE_PORT,
            args.allowed_security_group_ids,
            f"{name}: {args.engine} from allowed client groups only",
            parent=self,
        )
        replicated = args.node_count > 1
        group = aws.elasticache.ReplicationGroup(
            f"{name}-cache",
            replication_group_id=name,
            description=f"{name}: {args.engine} {args.engine_version}",
            engine=args.engine,
            engine_version=args.engine_version,
            node_type=args.node_type,
            num_cache_clusters=args.node_count,
            preferred_cache_cluster_azs=list(args.zone_names[: args.node_count]),
            automatic_failover_enabled=replicated,
            multi_az_enabled=replicated,
            port=CACHE_PORT,
            parameter_group_name=parameters.name,
            subnet_group_name=args.subnet_group_name,
            security_group_ids=[security_group.id],
            at_rest_encryption_enabled=True,
            kms_key_id=args.data_kms_key_arn,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            auth_token=args.auth_token,
            auth_token_update_strategy="ROTATE",
            auto_minor_version_upgrade=True,
            snapshot_retention_limit=args.snapshot_retention_days,
            snapshot_window=args.snapshot_window,
            maintenance_window=args.maintenance_window,
            final_snapshot_identifier=f"{name}-final" if args.snapshot_retention_days else None,
            apply_immediately=False,
            log_delivery_configurations=[
                aws.elasticache.ReplicationGroupLogDeliveryConfigurationArgs(
                    destination=log_group.name, destination_type="cloudwatch-logs", log_format="json", log_type=kind
                )
                for kind, log_group in logs.items()
            ],
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, additional_secret_outputs=["authToken"]),
        )
        create_alarms(name, _alarms(name, args), args.alarm_topic_arn, parent=self)
        self.replication_group_id = group.id
        self.primary_endpoint = group.primary_endpoint_address
        self.reader_endpoint = group.reader_endpoint_address
        self.port = CACHE_PORT
        self.security_group_id = security_group.id
        self.register_outputs(
            {
                "primary_endpoint": self.primary_endpoint,
                "reader_endpoint": self.reader_endpoint,
                "security_group_id": self.security_group_id,
            }
        )


def _alarms(name: str, args: CacheArgs) -> list[AlarmSpec]:
    group = {"ReplicationGroupId": name}
    specs = [
        AlarmSpec("engine-cpu", "AWS/ElastiCache", "EngineCPUUtilization", group, "GreaterThanThreshold", 80,
                  "Cache engine CPU above 80%: the single-threaded engine is saturating"),
        AlarmSpec("memory", "AWS/ElastiCache", "DatabaseMemoryUsagePercentage", group, "GreaterThanThreshold", 80,
                  "Cache memory above 80%: evictions follow"),
        AlarmSpec("evictions", "AWS/ElastiCache", "Evictions", group, "GreaterThanThreshold", 100,
                  "Cache evicting keys: the working set no longer fits", statistic="Sum"),
    ]  # fmt: skip
    if args.node_count > 1:
        specs.append(
            AlarmSpec("replication-lag", "AWS/ElastiCache", "ReplicationLag", group, "GreaterThanThreshold", 1,
                      "Cache replica more than 1 s behind: a failover would lose writes",
                      statistic="Maximum", period_seconds=60, evaluation_periods=5)
        )  # fmt: skip
    return specs
