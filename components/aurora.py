"""Aurora PostgreSQL: encrypted, TLS-only, IAM-authenticated, with logs, backups and alarms.

The master password is generated and kept by RDS in Secrets Manager (encrypted with the secrets key):
it never passes through config, code or state. Instances are placed in distinct zones (writer first);
readers have promotion tier 1 so that Serverless v2 readers scale with the writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.errors import InvalidArgumentError
from components.iam import service_trust_policy
from components.shared import (
    AlarmSpec,
    create_alarms,
    encrypted_log_group,
    final_snapshot_identifier,
    service_security_group,
)

POSTGRES_PORT = 5432
SERVERLESS_INSTANCE_CLASS = "db.serverless"

CLUSTER_PARAMETERS: dict[str, tuple[str, Literal["immediate", "pending-reboot"]]] = {
    "rds.force_ssl": ("1", "immediate"),
    "ssl_min_protocol_version": ("TLSv1.2", "immediate"),
    "log_connections": ("1", "immediate"),
    "log_disconnections": ("1", "immediate"),
    "log_min_duration_statement": ("1000", "immediate"),
    "log_lock_waits": ("1", "immediate"),
    "log_statement": ("ddl", "immediate"),
    "shared_preload_libraries": ("pg_stat_statements,pgaudit", "pending-reboot"),
    "pgaudit.log": ("ddl,role", "immediate"),
}
"""Cluster parameters: TLS only (1.2+), connection and slow-statement (>1 s) logging, pgaudit of DDL and roles."""

INSTANCE_PARAMETERS: dict[str, tuple[str, Literal["immediate", "pending-reboot"]]] = {
    "log_temp_files": ("10240", "immediate"),
}
"""Instance parameters: log temporary files over 10 MB (sorts spilling to disk)."""


@dataclass(frozen=True)
class AuroraPostgresArgs:
    """Arguments of AuroraPostgres."""

    vpc_id: pulumi.Input[str]
    """VPC of the cluster. Required."""
    db_subnet_group_name: pulumi.Input[str]
    """DB subnet group over the database subnets. Required."""
    zone_names: tuple[str, ...]
    """Zones to place instances in, in order (writer in the first). Required."""
    data_kms_key_arn: pulumi.Input[str]
    """Key for storage and Performance Insights. Required."""
    secrets_kms_key_arn: pulumi.Input[str]
    """Key for the RDS-managed master secret. Required."""
    logs_kms_key_arn: pulumi.Input[str]
    """Key for the PostgreSQL log group. Required."""
    account_id: str
    """Account of the cluster, to pin the monitoring role's trust. Required."""
    partition: str = "aws"
    """AWS partition for ARNs. Default: aws."""
    allowed_security_group_ids: tuple[pulumi.Input[str], ...] = ()
    """Security groups admitted on 5432; no CIDR is ever admitted. Default: none."""
    engine_version: str = "17.7"
    """aurora-postgresql version, pinned; minor upgrades go through a change here. Default: 17.7."""
    database_name: str = "platform"
    """Initial database. Default: platform."""
    master_username: str = "platform_admin"
    """Master user (password managed by RDS). Default: platform_admin."""
    instance_count: int = 2
    """Instances: one writer plus readers, each in another zone. Default: 2."""
    instance_class: str = SERVERLESS_INSTANCE_CLASS
    """db.serverless (Serverless v2) or a provisioned class such as db.r7g.large. Default: db.serverless."""
    min_capacity: float = 0.5
    """Serverless v2 minimum ACUs (0.5-256). Default: 0.5."""
    max_capacity: float = 4
    """Serverless v2 maximum ACUs (1-256). Default: 4."""
    backup_retention_days: int = 14
    """Automated backup (point-in-time) retention, 1-35 days. Default: 14."""
    backup_window: str = "03:00-04:00"
    """Daily backup window, UTC. Default: 03:00-04:00."""
    maintenance_window: str = "sun:04:30-sun:05:30"
    """Weekly maintenance window, UTC. Default: sun:04:30-sun:05:30."""
    deletion_protection: bool = True
    """RDS deletion protection. Default: True."""
    final_snapshot: bool = True
    """Take a final snapshot named '<cluster>-final-<random suffix>' on deletion. Default: True."""
    performance_insights: bool = True
    """Performance Insights (encrypted with the data key, 7 days free tier). Default: True."""
    monitoring_interval_seconds: Literal[0, 1, 5, 10, 15, 30, 60] = 60
    """Enhanced monitoring interval; 0 turns it off. Default: 60."""
    log_retention_days: int = 365
    """Days the PostgreSQL log group keeps logs. Default: 365."""
    alarm_topic_arn: pulumi.Input[str] | None = None
    """Topic the alarms notify; None creates no alarms. Default: None."""
    protect: bool = False
    """Register the cluster (it holds the data) with protect=True; instances stay replaceable. Default: False."""
    global_database: str = ""
    """Identifier of the Aurora global database this cluster belongs to (see global_role); empty: a regional
    cluster. Default: empty."""
    global_role: Literal["primary", "secondary"] = "primary"
    """primary: create the global database around this cluster, its writer; secondary: join the existing global
    database read-only, replicated by Aurora storage from the primary's region. Default: primary."""
    master_password: pulumi.Input[str] | None = None
    """Master password, a secret Output, passed as the write-only `master_password_wo`; required for a global
    primary, whose password RDS cannot manage; None lets RDS manage it in Secrets Manager. Default: None.
    Write-only is not "never in state" here: the bridged provider still writes the value, encrypted as a secret, to
    the resource's state inputs (pulumi/pulumi-terraform-bridge#3201, open; #3215 marks the field secret for that
    reason). Sent to RDS only on create and when master_password_wo_version changes (fixed at 1: the first password
    only; Secrets Manager rotation owns it afterwards; docs/day2.md, "What is in state" and "Rotating the master
    credential")."""
    data_api: bool = False
    """Enable the RDS Data API (HTTP endpoint: IAM-authorised SQL with a Secrets Manager secret, no network path to
    the database), used to create the workloads' IAM database users. Default: False."""

    def __post_init__(self) -> None:
        if self.instance_count < 1:
            raise InvalidArgumentError(f"instance_count: {self.instance_count} must be at least 1")
        if self.instance_count > len(set(self.zone_names)):
            raise InvalidArgumentError(
                f"instance_count: {self.instance_count} instances need as many distinct zones; "
                f"zone_names has {len(set(self.zone_names))}"
            )
        if self.instance_class == SERVERLESS_INSTANCE_CLASS:
            if not 0.5 <= self.min_capacity <= 256 or not 1 <= self.max_capacity <= 256:
                raise InvalidArgumentError(
                    f"min_capacity/max_capacity: {self.min_capacity}/{self.max_capacity} outside 0.5-256 / 1-256 ACUs"
                )
            if self.min_capacity > self.max_capacity:
                raise InvalidArgumentError(
                    f"min_capacity: {self.min_capacity} ACUs is above max_capacity {self.max_capacity}"
                )
        if self.global_database and self.global_role == "primary" and self.master_password is None:
            raise InvalidArgumentError(
                "master_password: required for the primary of global database "
                f"'{self.global_database}': RDS cannot manage the master password of a global database member "
                "(https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-secrets-manager.html)"
            )
        if self.secondary and self.master_password is not None:
            raise InvalidArgumentError(
                "master_password: a secondary cluster has no master user of its own (it replicates the primary's)"
            )
        if self.secondary and self.final_snapshot:
            raise InvalidArgumentError(
                "final_snapshot: a secondary cluster's data is the primary's; the primary keeps the final snapshot"
            )
        if not 1 <= self.backup_retention_days <= 35:
            raise InvalidArgumentError(f"backup_retention_days: {self.backup_retention_days} is outside 1-35")

    @property
    def secondary(self) -> bool:
        """Whether the cluster joins a global database as a read-only secondary."""
        return bool(self.global_database) and self.global_role == "secondary"

    @property
    def rds_managed_password(self) -> bool:
        """Whether RDS generates the master password and keeps it in Secrets Manager (not for global members)."""
        return not self.secondary and self.master_password is None

    @property
    def serverless(self) -> bool:
        """Whether the instances are Serverless v2."""
        return self.instance_class == SERVERLESS_INSTANCE_CLASS


class AuroraPostgres(pulumi.ComponentResource):
    """An Aurora PostgreSQL cluster with its instances, parameter groups, logs, security group and alarms."""

    cluster_identifier: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    reader_endpoint: pulumi.Output[str]
    port: int
    master_secret_arn: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    cluster_arn: pulumi.Output[str]
    cluster_resource_id: pulumi.Output[str]
    database_name: str
    global_database: str
    """The global database the cluster belongs to; empty for a regional cluster."""

    def __init__(self, name: str, args: AuroraPostgresArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:aurora:AuroraPostgres", name, None, opts)
        if args.instance_count == 1 and not args.secondary:
            pulumi.log.warn(f"{name}: one Aurora instance, no reader: losing its zone stops the database", self)
        family = f"aurora-postgresql{args.engine_version.split('.')[0]}"
        child = pulumi.ResourceOptions(parent=self)
        identifier = name
        log_group = encrypted_log_group(
            f"{name}-postgresql",
            f"/aws/rds/cluster/{identifier}/postgresql",
            args.log_retention_days,
            args.logs_kms_key_arn,
            parent=self,
        )
        cluster_parameters = aws.rds.ClusterParameterGroup(
            f"{name}-cluster",
            family=family,
            description=f"{name}: TLS only, connection/slow-statement logging, pgaudit",
            parameters=[
                aws.rds.ClusterParameterGroupParameterArgs(name=key, value=value, apply_method=method)
                for key, (value, method) in CLUSTER_PARAMETERS.items()
            ],
            opts=child,
        )
        instance_parameters = aws.rds.ParameterGroup(
            f"{name}-instance",
            family=family,
            description=f"{name}: instance parameters",
            parameters=[
                aws.rds.ParameterGroupParameterArgs(name=key, value=value, apply_method=method)
                for key, (value, method) in INSTANCE_PARAMETERS.items()
            ],
            opts=child,
        )
        security_group = service_security_group(
            f"{name}-db",
            args.vpc_id,
            POSTGRES_PORT,
            args.allowed_security_group_ids,
            f"{name}: PostgreSQL from allowed client groups only",
            parent=self,
        )
        global_database = self._global_database(name, args)
        cluster = aws.rds.Cluster(
            f"{name}-cluster",
            cluster_identifier=identifier,
            engine="aurora-postgresql",
            engine_mode="provisioned",
            engine_version=args.engine_version,
            global_cluster_identifier=global_database.id if global_database else args.global_database or None,
            # Master user: none for a secondary (it replicates the primary's); a given password goes write-only, sent
            # to RDS on create only: version 1 stays, because Secrets Manager rotation changes the password from then
            # on (components/secret_rotation.py) and a bumped version would send the first, rotated-away value back
            # and split the database from its secret; else RDS generates it and keeps (and rotates) it in Secrets
            # Manager under the secrets key.
            database_name=None if args.secondary else args.database_name,
            master_username=None if args.secondary else args.master_username,
            master_password_wo=args.master_password,
            master_password_wo_version=None if args.master_password is None else 1,
            manage_master_user_password=True if args.rds_managed_password else None,
            master_user_secret_kms_key_id=args.secrets_kms_key_arn if args.rds_managed_password else None,
            iam_database_authentication_enabled=True,
            storage_encrypted=True,
            kms_key_id=args.data_kms_key_arn,
            db_subnet_group_name=args.db_subnet_group_name,
            vpc_security_group_ids=[security_group.id],
            db_cluster_parameter_group_name=cluster_parameters.name,
            port=POSTGRES_PORT,
            backup_retention_period=args.backup_retention_days,
            preferred_backup_window=args.backup_window,
            preferred_maintenance_window=args.maintenance_window,
            copy_tags_to_snapshot=True,
            deletion_protection=args.deletion_protection,
            skip_final_snapshot=not args.final_snapshot,
            final_snapshot_identifier=final_snapshot_identifier(identifier, f"{name}-cluster", self)
            if args.final_snapshot
            else None,
            enabled_cloudwatch_logs_exports=["postgresql"],
            # Data API for Aurora PostgreSQL Serverless v2 and provisioned, 17.4+ in most regions; enabled in place
            # (EnableHttpEndpoint): https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_EnableHttpEndpoint.html
            # A global secondary may have it on; its queries succeed once it is promoted and has a writer
            # (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/data-api.limitations.html).
            enable_http_endpoint=args.data_api,
            serverlessv2_scaling_configuration=aws.rds.ClusterServerlessv2ScalingConfigurationArgs(
                min_capacity=args.min_capacity, max_capacity=args.max_capacity
            )
            if args.serverless
            else None,
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                depends_on=[log_group],
                # A global member's replication source moves with every switchover or failover, and its engine
                # version is upgraded through the global database: neither is this program's to set again
                # (pulumi-aws rds.GlobalCluster docs, "New PostgreSQL Global Cluster" and "Upgrading Engine Versions").
                # On delete the provider first removes a member from its global database (terraform-provider-aws
                # rds resourceClusterDelete, "Automatically remove from global cluster"): the standby's stack can
                # be destroyed on its own; the primary's needs its global database empty of other members.
                ignore_changes=["replicationSourceIdentifier", "engineVersion"] if args.global_database else None,
            ),
        )
        monitoring_role = self._monitoring_role(name, args) if args.monitoring_interval_seconds else None
        for index in range(args.instance_count):
            aws.rds.ClusterInstance(
                f"{name}-{index}",
                aws.rds.ClusterInstanceArgs(
                    identifier=f"{identifier}-{index}",
                    cluster_identifier=cluster.id,
                    engine=aws.rds.EngineType.AURORA_POSTGRESQL,
                    engine_version=args.engine_version,
                    instance_class=args.instance_class,
                    availability_zone=args.zone_names[index],
                    promotion_tier=0 if index == 0 else 1,
                    db_parameter_group_name=instance_parameters.name,
                    publicly_accessible=False,
                    auto_minor_version_upgrade=False,
                    ca_cert_identifier="rds-ca-rsa2048-g1",
                    performance_insights_enabled=args.performance_insights,
                    performance_insights_kms_key_id=args.data_kms_key_arn if args.performance_insights else None,
                    performance_insights_retention_period=7 if args.performance_insights else None,
                    monitoring_interval=args.monitoring_interval_seconds,
                    monitoring_role_arn=monitoring_role.arn if monitoring_role else None,
                    copy_tags_to_snapshot=True,
                ),
                # Not protected: the data lives in the cluster volume, and an instance is replaced by routine
                # changes (its zone, its identifier); protect is for the cluster.
                opts=child,
            )
        create_alarms(name, _alarms(identifier, args), args.alarm_topic_arn, parent=self)

        self.cluster_identifier = cluster.cluster_identifier
        self.cluster_arn = cluster.arn
        self.cluster_resource_id = cluster.cluster_resource_id
        self.database_name = args.database_name
        self.global_database = args.global_database
        self.endpoint = cluster.endpoint
        self.reader_endpoint = cluster.reader_endpoint
        self.port = POSTGRES_PORT
        self.master_secret_arn = cluster.master_user_secrets.apply(
            lambda secrets: (secrets[0].secret_arn or "") if secrets else ""
        )
        self.security_group_id = security_group.id
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "reader_endpoint": self.reader_endpoint,
                "master_secret_arn": self.master_secret_arn,
                "security_group_id": self.security_group_id,
            }
        )

    def _global_database(self, name: str, args: AuroraPostgresArgs) -> aws.rds.GlobalCluster | None:
        """The global database, created around the primary (before it, empty: the primary then joins it as its first
        member, as in the pulumi-aws 'New PostgreSQL Global Cluster' example); None for a secondary or a regional
        cluster. Storage encryption is required of every member, each with a key of its own region."""
        if not args.global_database or args.secondary:
            return None
        return aws.rds.GlobalCluster(
            f"{name}-global",
            global_cluster_identifier=args.global_database,
            engine="aurora-postgresql",
            engine_version=args.engine_version,
            database_name=args.database_name,
            storage_encrypted=True,
            deletion_protection=args.deletion_protection,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )

    def _monitoring_role(self, name: str, args: AuroraPostgresArgs) -> aws.iam.Role:
        """Role that RDS enhanced monitoring assumes, trusted only for this account."""
        role = aws.iam.Role(
            f"{name}-monitoring",
            assume_role_policy=service_trust_policy("monitoring.rds.amazonaws.com", args.account_id),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-monitoring",
            role=role.name,
            policy_arn=f"arn:{args.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
            opts=pulumi.ResourceOptions(parent=self),
        )
        return role


def _alarms(identifier: str, args: AuroraPostgresArgs) -> list[AlarmSpec]:
    """Cluster-wide alarms: Aurora publishes instance metrics (CPUUtilization, FreeableMemory,
    ACUUtilization, AuroraReplicaLagMaximum) also aggregated under the DBClusterIdentifier dimension.
    Source: "Amazon CloudWatch dimensions for Aurora" and "Amazon CloudWatch metrics for Amazon Aurora",
    https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/dimensions.html."""
    cluster = {"DBClusterIdentifier": identifier}
    specs = [
        AlarmSpec("cpu", "AWS/RDS", "CPUUtilization", cluster, "GreaterThanThreshold", 80,
                  "Aurora CPU above 80% for 15 minutes: queries slow down; check Performance Insights"),
        AlarmSpec("freeable-memory", "AWS/RDS", "FreeableMemory", cluster, "LessThanThreshold", 256 * 1024**2,
                  "Aurora freeable memory under 256 MiB: the buffer cache is starved"),
    ]  # fmt: skip
    if args.serverless:
        specs.append(
            AlarmSpec("acu-utilization", "AWS/RDS", "ACUUtilization", cluster, "GreaterThanThreshold", 90,
                      "Aurora Serverless v2 above 90% of its maximum ACUs: raise the maximum or tune queries")
        )  # fmt: skip
    if args.global_database:
        # On every member, not only the configured secondary: after a switchover or failover the roles swap while the
        # program's config does not, and the metric is published by whichever cluster is the secondary at the time
        # ("Monitoring Aurora global databases", AuroraGlobalDBReplicationLag is a secondary-cluster metric). On the
        # writer the metric is absent, so missing data is not breaching (issue 20.7c).
        specs.append(
            AlarmSpec("global-replication-lag", "AWS/RDS", "AuroraGlobalDBReplicationLag", cluster,
                      "GreaterThanThreshold", 60_000,
                      "Aurora global database replication lag above 60 s (RPO objective 300 s): a region failure now "
                      "would lose more than a minute of writes", statistic="Maximum", period_seconds=60,
                      evaluation_periods=3, treat_missing_data="notBreaching")
        )  # fmt: skip
    if args.instance_count > 1:
        specs.append(
            AlarmSpec("replica-lag", "AWS/RDS", "AuroraReplicaLagMaximum", cluster, "GreaterThanThreshold", 1000,
                      "Aurora replica lag above 1 s: readers serve stale data and failover loses time",
                      statistic="Maximum", period_seconds=60, evaluation_periods=5)
        )  # fmt: skip
    return specs
