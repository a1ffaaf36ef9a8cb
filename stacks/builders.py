"""How each area of the platform is built from the stack config: one function per area.

These functions translate StackConfig into component arguments; they hold no resources of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.alerts import AlarmTopic, AlarmTopicArgs
from components.aurora import AuroraPostgres, AuroraPostgresArgs
from components.backup import BackupPlan, BackupPlanArgs
from components.cache import Cache, CacheArgs
from components.cluster_addons import ClusterAddons, ClusterAddonsArgs
from components.edge import Edge, EdgeArgs, Route
from components.eks import EksCluster, EksClusterArgs
from components.kafka import KafkaCluster, KafkaClusterArgs
from components.kms import KeyDomain, PlatformKeys, PlatformKeysArgs
from components.network import DEFAULT_INTERFACE_ENDPOINT_SERVICES, Network, NetworkArgs
from components.secrets import AppSecrets, AppSecretsArgs, GeneratedSecret
from stacks.aws_context import AwsContext, make_provider
from stacks.config import StackConfig

CACHE_AUTH_SECRET = "cache-auth-token"
PUBLIC_ROUTES = (
    Route("validator", ("/v1/transactions/validate", "/v1/transactions/validate/*"), priority=10),
    Route("payments", ("/v1/payments", "/v1/payments/*"), priority=20),
)
"""Workloads the ALB exposes; the ledger stays internal."""


@dataclass(frozen=True)
class Context:
    """What every builder needs: the config, the AWS facts and the naming prefix."""

    config: StackConfig
    aws: AwsContext
    stack: str
    prefix: str

    @property
    def options(self) -> pulumi.ResourceOptions:
        """Options that put a component on the stack's AWS provider."""
        return pulumi.ResourceOptions(providers={"aws": self.aws.provider})


def keys(ctx: Context) -> PlatformKeys:
    return PlatformKeys(
        ctx.prefix,
        PlatformKeysArgs(
            account_id=ctx.aws.account_id,
            region=ctx.aws.region,
            partition=ctx.aws.partition,
            protect=ctx.config.protect_stateful,
        ),
        opts=ctx.options,
    )


def network(ctx: Context, platform_keys: PlatformKeys) -> Network:
    config = ctx.config
    return Network(
        ctx.prefix,
        NetworkArgs(
            vpc_cidr=config.vpc_cidr,
            zone_ids=config.availability_zone_ids,
            region=ctx.aws.region,
            account_id=ctx.aws.account_id,
            partition=ctx.aws.partition,
            logs_kms_key_arn=platform_keys.arn("logs"),
            nat_strategy=config.nat_strategy,
            interface_endpoint_services=DEFAULT_INTERFACE_ENDPOINT_SERVICES if config.interface_endpoints else (),
            flow_log_retention_days=config.log_retention_days,
        ),
        opts=ctx.options,
    )


def alarms(ctx: Context, platform_keys: PlatformKeys) -> AlarmTopic:
    return AlarmTopic(
        ctx.prefix,
        AlarmTopicArgs(
            kms_key_arn=platform_keys.arn("alerts"), account_id=ctx.aws.account_id, email=ctx.config.alarm_email
        ),
        opts=ctx.options,
    )


def secrets(ctx: Context, platform_keys: PlatformKeys) -> AppSecrets:
    return AppSecrets(
        ctx.prefix,
        AppSecretsArgs(
            kms_key_arn=platform_keys.arn("secrets"),
            account_id=ctx.aws.account_id,
            generated={CACHE_AUTH_SECRET: GeneratedSecret("AUTH token of the platform cache (ElastiCache)")},
            recovery_window_days=ctx.config.secret_recovery_days,
        ),
        opts=ctx.options,
    )


def kubernetes(ctx: Context, platform_keys: PlatformKeys, net: Network) -> EksCluster:
    config = ctx.config
    return EksCluster(
        ctx.prefix,
        EksClusterArgs(
            vpc_id=net.vpc_id,
            private_subnet_ids=net.subnet_ids_by_tier["private"],
            account_id=ctx.aws.account_id,
            region=ctx.aws.region,
            partition=ctx.aws.partition,
            eks_kms_key_arn=platform_keys.arn("eks"),
            data_kms_key_arn=platform_keys.arn("data"),
            logs_kms_key_arn=platform_keys.arn("logs"),
            kubernetes_version=config.kubernetes_version,
            admin_role_arns=config.eks_admin_role_arns,
            public_access_cidrs=config.eks_public_access_cidrs,
            node_instance_type=config.node_instance_type,
            node_min=config.node_min,
            node_max=config.node_max,
            node_disk_gib=config.node_disk_gib,
            log_retention_days=config.log_retention_days,
            deletion_protection=config.deletion_protection,
            protect=config.protect_stateful,
        ),
        opts=ctx.options,
    )


def database(
    ctx: Context, platform_keys: PlatformKeys, net: Network, topic: AlarmTopic, clients: pulumi.Input[str]
) -> AuroraPostgres:
    config = ctx.config
    return AuroraPostgres(
        ctx.prefix,
        AuroraPostgresArgs(
            vpc_id=net.vpc_id,
            db_subnet_group_name=net.db_subnet_group_name,
            zone_names=ctx.aws.zone_names,
            data_kms_key_arn=platform_keys.arn("data"),
            secrets_kms_key_arn=platform_keys.arn("secrets"),
            logs_kms_key_arn=platform_keys.arn("logs"),
            account_id=ctx.aws.account_id,
            partition=ctx.aws.partition,
            allowed_security_group_ids=(clients,),
            instance_count=config.aurora_instances,
            min_capacity=config.aurora_min_acu,
            max_capacity=config.aurora_max_acu,
            backup_retention_days=config.aurora_backup_retention_days,
            deletion_protection=config.deletion_protection,
            final_snapshot=config.deletion_protection,
            monitoring_interval_seconds=config.aurora_monitoring_interval,
            log_retention_days=config.log_retention_days,
            alarm_topic_arn=topic.topic_arn,
            protect=config.protect_stateful,
        ),
        opts=ctx.options,
    )


def cache(
    ctx: Context,
    platform_keys: PlatformKeys,
    net: Network,
    topic: AlarmTopic,
    app_secrets: AppSecrets,
    clients: pulumi.Input[str],
) -> Cache:
    config = ctx.config
    return Cache(
        ctx.prefix,
        CacheArgs(
            vpc_id=net.vpc_id,
            subnet_group_name=net.cache_subnet_group_name,
            zone_names=ctx.aws.zone_names,
            data_kms_key_arn=platform_keys.arn("data"),
            logs_kms_key_arn=platform_keys.arn("logs"),
            auth_token=app_secrets.value(CACHE_AUTH_SECRET),
            allowed_security_group_ids=(clients,),
            node_type=config.cache_node_type,
            node_count=config.cache_nodes,
            snapshot_retention_days=config.cache_snapshot_retention_days,
            log_retention_days=config.log_retention_days,
            alarm_topic_arn=topic.topic_arn,
            protect=config.protect_stateful,
        ),
        opts=ctx.options,
    )


def kafka(
    ctx: Context, platform_keys: PlatformKeys, net: Network, topic: AlarmTopic, clients: pulumi.Input[str]
) -> KafkaCluster:
    config = ctx.config
    replication = min(3, config.kafka_brokers)
    return KafkaCluster(
        ctx.prefix,
        KafkaClusterArgs(
            vpc_id=net.vpc_id,
            subnet_ids=net.subnet_ids_by_tier["private"][: config.kafka_zones],
            data_kms_key_arn=platform_keys.arn("data"),
            logs_kms_key_arn=platform_keys.arn("logs"),
            allowed_security_group_ids=(clients,),
            broker_instance_type=config.kafka_broker_type,
            broker_count=config.kafka_brokers,
            volume_size_gib=config.kafka_volume_gib,
            volume_max_gib=config.kafka_volume_max_gib,
            enhanced_monitoring=config.kafka_monitoring,
            replication_factor=replication,
            min_insync_replicas=max(1, replication - 1),
            log_retention_days=config.log_retention_days,
            alarm_topic_arn=topic.topic_arn,
            protect=config.protect_stateful,
        ),
        opts=ctx.options,
    )


def backup(ctx: Context, platform_keys: PlatformKeys, db: AuroraPostgres) -> BackupPlan:
    """Daily backups of the database, copied to the DR region under a key of that region."""
    config = ctx.config
    dr_provider = make_provider("aws-dr", config.dr_region, config, ctx.stack)
    dr_keys = PlatformKeys(
        f"{ctx.prefix}-dr",
        PlatformKeysArgs(
            account_id=ctx.aws.account_id,
            region=config.dr_region,
            partition=ctx.aws.partition,
            domains=(KeyDomain("backup", "AWS Backup copies in the DR region", via_services=("backup",)),),
            protect=config.protect_stateful,
        ),
        opts=pulumi.ResourceOptions(providers={"aws": dr_provider}),
    )
    return BackupPlan(
        ctx.prefix,
        BackupPlanArgs(
            resource_arns=[db.cluster_arn],
            vault_kms_key_arn=platform_keys.arn("data"),
            dr_vault_kms_key_arn=dr_keys.arn("backup"),
            dr_provider=dr_provider,
            account_id=ctx.aws.account_id,
            partition=ctx.aws.partition,
            protect=config.protect_stateful,
        ),
        opts=ctx.options,
    )


def edge(ctx: Context, platform_keys: PlatformKeys, net: Network, cluster: EksCluster, topic: AlarmTopic) -> Edge:
    config = ctx.config
    return Edge(
        ctx.prefix,
        EdgeArgs(
            vpc_id=net.vpc_id,
            public_subnet_ids=net.subnet_ids_by_tier["public"],
            certificate_arn=config.certificate_arn,
            target_security_group_id=cluster.cluster_security_group_id,
            account_id=ctx.aws.account_id,
            region=ctx.aws.region,
            partition=ctx.aws.partition,
            logs_kms_key_arn=platform_keys.arn("logs"),
            routes=PUBLIC_ROUTES,
            ingress_cidrs=config.alb_ingress_cidrs,
            waf_rate_limit=config.waf_rate_limit,
            log_retention_days=config.log_retention_days,
            deletion_protection=config.deletion_protection,
            alarm_topic_arn=topic.topic_arn,
        ),
        opts=ctx.options,
    )


def cluster_addons(ctx: Context, net: Network, cluster: EksCluster, front: Edge) -> ClusterAddons:
    return ClusterAddons(
        ctx.prefix,
        ClusterAddonsArgs(
            cluster_name=cluster.cluster_name,
            kubernetes_version=ctx.config.kubernetes_version,
            region=ctx.aws.region,
            account_id=ctx.aws.account_id,
            partition=ctx.aws.partition,
            vpc_id=net.vpc_id,
            oidc_provider_arn=cluster.oidc_provider_arn,
            oidc_issuer=cluster.oidc_issuer,
            kubernetes_provider=cluster.provider,
            target_group_arns=list(front.target_group_arns.values()),
            node_group_name=cluster.node_group_name,
            depends_on=cluster.ready,
        ),
        opts=ctx.options,
    )
