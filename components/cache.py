"""ElastiCache (Valkey by default): TLS required, IAM-authenticated users, encrypted at rest, logs and alarms.

With two or more nodes the group is Multi-AZ with automatic failover, each node in its own zone.

Clients authenticate with IAM, not with a static AUTH token: each workload has its own RBAC user
(authentication mode `iam`, user ID equal to user name, keys limited to `<workload>:*`), the group's
mandatory `default` user is disabled, and the workload's role needs `elasticache:Connect` on the
replication group and on its user. Source: ElastiCache "Authenticating with IAM" (Valkey 7.2+ and
Redis OSS 7.0+, TLS required, "the user name and user id properties must be identical",
https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/auth-iam.html) and "Role-Based Access
Control" (a user group must contain a user named `default`; a group of engine VALKEY admits only
users that authenticate with a password or IAM, so the group and its users use the engine `redis`,
which Valkey caches accept, and the disabled default user needs no password:
https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Clusters.RBAC.html).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.errors import InvalidArgumentError
from components.shared import (
    AlarmSpec,
    create_alarms,
    encrypted_log_group,
    final_snapshot_identifier,
    service_security_group,
)

CACHE_PORT = 6379
_FAMILIES = {("valkey", "8"): "valkey8", ("valkey", "7"): "valkey7", ("redis", "7"): "redis7"}
"""Parameter group family per engine and major version; every one supports IAM authentication."""
IDENTIFIER_MAX = 40
"""Longest replication group, user and user group ID this component creates (the replication group
limit; member clusters add '-00N' within the 50 characters of a cache cluster ID)."""
RBAC_ENGINE = "redis"
"""Engine of the RBAC users and user group (see the module docstring)."""
DEFAULT_USER_ACCESS = "off -@all"
"""The mandatory 'default' user: disabled, no command, no key."""
_USER_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def member_cluster_ids(replication_group_id: str, node_count: int) -> list[str]:
    """IDs of the clusters (one node each) of a cluster-mode-disabled replication group created with
    num_cache_clusters: ElastiCache names them '<replication-group-id>-001', '-002', ... (the IDs
    DescribeReplicationGroups returns in MemberClusters; the API reference shows the pattern in its
    examples without stating it as a rule, so after a deploy compare them with the replication group's
    `memberClusters` output). Alarms need them at plan time, before that output exists."""
    return [f"{replication_group_id}-{index:03d}" for index in range(1, node_count + 1)]


def user_access_string(user: str) -> str:
    """A workload's ACL: its own key prefix, every command but the dangerous ones (FLUSHALL, CONFIG, KEYS, ...)."""
    return f"on ~{user}:* +@all -@dangerous"


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
    iam_users: tuple[str, ...]
    """Workloads that connect, one IAM-authenticated user '<name>-<user>' each (lowercase letters, digits,
    hyphens); at least one, since authentication cannot be turned off. Required."""
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
    replicas_owned_elsewhere: bool = False
    """Another engine changes the replica count (a region pair's standby: the Region switch plan's custom action
    adds replicas on failover and removes them on failback), so the program ignores numCacheClusters after
    creation. Default: False."""

    def __post_init__(self) -> None:
        if not self.iam_users:
            raise InvalidArgumentError("iam_users: at least one; a cache without users admits no client")
        bad = [user for user in self.iam_users if not _USER_PATTERN.match(user) or user == "default"]
        if bad or len(set(self.iam_users)) != len(self.iam_users):
            raise InvalidArgumentError(
                f"iam_users: {list(self.iam_users)} must be unique lowercase names (letters, digits, single "
                "hyphens; not 'default')"
            )
        if (self.engine, self.engine_version.split(".")[0]) not in _FAMILIES:
            raise InvalidArgumentError(
                f"engine/engine_version: {self.engine} {self.engine_version} is not one of "
                f"{sorted(f'{e} {v}' for e, v in _FAMILIES)} (major versions with TLS and IAM authentication)"
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
    replication_group_arn: pulumi.Output[str]
    user_names: dict[str, str]
    """RBAC user name (equal to its user ID) of each IAM user, by workload."""
    user_arns: dict[str, pulumi.Output[str]]
    """ARN of each IAM user, by workload (with the replication group ARN, the resources of elasticache:Connect)."""

    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:cache:Cache", name, None, opts)
        longest = max([f"{name}-users", f"{name}-default", *(f"{name}-{user}" for user in args.iam_users)], key=len)
        if len(longest) > IDENTIFIER_MAX:
            raise InvalidArgumentError(
                f"name: '{longest}' is longer than the {IDENTIFIER_MAX} characters of an ElastiCache ID"
            )
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
        users = self._users(name, args)
        final_snapshot = (
            final_snapshot_identifier(name, f"{name}-cache", self) if args.snapshot_retention_days else None
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
            user_group_ids=[users.user_group_id],
            auto_minor_version_upgrade=True,
            snapshot_retention_limit=args.snapshot_retention_days,
            snapshot_window=args.snapshot_window,
            maintenance_window=args.maintenance_window,
            final_snapshot_identifier=final_snapshot,
            apply_immediately=False,
            log_delivery_configurations=[
                aws.elasticache.ReplicationGroupLogDeliveryConfigurationArgs(
                    destination=log_group.name, destination_type="cloudwatch-logs", log_format="json", log_type=kind
                )
                for kind, log_group in logs.items()
            ],
            # numCacheClusters ignored when the Region switch plan owns the replica count (replicas_owned_elsewhere):
            # a `pulumi up` during a failover must not remove the replicas the failover added.
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                ignore_changes=["numCacheClusters"] if args.replicas_owned_elsewhere else None,
            ),
        )
        create_alarms(name, _alarms(name, args), args.alarm_topic_arn, parent=self)
        self.replication_group_id = group.replication_group_id
        self.replication_group_arn = group.arn
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

    def _users(self, name: str, args: CacheArgs) -> aws.elasticache.UserGroup:
        """The disabled default user, one IAM user per workload, and the group of them all."""
        child = pulumi.ResourceOptions(parent=self)
        default = aws.elasticache.User(
            f"{name}-default",
            user_id=f"{name}-default",
            user_name="default",
            engine=RBAC_ENGINE,
            access_string=DEFAULT_USER_ACCESS,
            authentication_mode=aws.elasticache.UserAuthenticationModeArgs(type="no-password-required"),
            opts=child,
        )
        self.user_names = {}
        self.user_arns = {}
        members: list[pulumi.Input[str]] = [default.user_id]
        for user in args.iam_users:
            user_id = f"{name}-{user}"
            resource = aws.elasticache.User(
                user_id,
                user_id=user_id,
                user_name=user_id,
                engine=RBAC_ENGINE,
                access_string=user_access_string(user),
                authentication_mode=aws.elasticache.UserAuthenticationModeArgs(type="iam"),
                opts=child,
            )
            self.user_names[user] = user_id
            self.user_arns[user] = resource.arn
            members.append(resource.user_id)
        return aws.elasticache.UserGroup(
            f"{name}-users", user_group_id=f"{name}-users", engine=RBAC_ENGINE, user_ids=members, opts=child
        )


def _alarms(name: str, args: CacheArgs) -> list[AlarmSpec]:
    """Alarms per member cluster: ElastiCache publishes its host and engine metrics per node, with the
    dimensions CacheClusterId (+ CacheNodeId), never per replication group; an alarm on a
    ReplicationGroupId dimension would wait in INSUFFICIENT_DATA forever. Source: "Metrics for Valkey
    and Redis OSS" ("each metric is calculated at the cache node level") and "Host-Level Metrics",
    https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheMetrics.Redis.html."""
    specs: list[AlarmSpec] = []
    for member in member_cluster_ids(name, args.node_count):
        node = {"CacheClusterId": member}
        index = member.rsplit("-", 1)[1]
        specs += [
            AlarmSpec(f"engine-cpu-{index}", "AWS/ElastiCache", "EngineCPUUtilization", node, "GreaterThanThreshold",
                      80, f"Cache node {member}: engine CPU above 80%, the single-threaded engine is saturating"),
            AlarmSpec(f"memory-{index}", "AWS/ElastiCache", "DatabaseMemoryUsagePercentage", node,
                      "GreaterThanThreshold", 80, f"Cache node {member}: memory above 80%, evictions follow"),
            AlarmSpec(f"evictions-{index}", "AWS/ElastiCache", "Evictions", node, "GreaterThanThreshold", 100,
                      f"Cache node {member} evicting keys: the working set no longer fits", statistic="Sum"),
        ]  # fmt: skip
        if args.node_count > 1:
            # Only a replica publishes ReplicationLag; a failover swaps roles, so every member has the alarm
            # and the primary's missing data is not a breach.
            specs.append(
                AlarmSpec(f"replication-lag-{index}", "AWS/ElastiCache", "ReplicationLag", node,
                          "GreaterThanThreshold", 1, f"Cache replica {member} more than 1 s behind: a failover "
                          "would lose writes", statistic="Maximum", period_seconds=60, evaluation_periods=5,
                          treat_missing_data="notBreaching")
            )  # fmt: skip
    return specs
