"""Composition: build the platform's components for the selected stack and export what users need.

Nothing here knows the words dev or prod: every difference between stacks comes from StackConfig.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.alerts import AlarmTopic, AlarmTopicArgs
from components.aurora import AuroraPostgres, AuroraPostgresArgs
from components.backup import BackupPlan, BackupPlanArgs
from components.cache import Cache, CacheArgs
from components.kafka import KafkaCluster, KafkaClusterArgs
from components.kms import KeyDomain, PlatformKeys, PlatformKeysArgs
from components.network import DEFAULT_INTERFACE_ENDPOINT_SERVICES, Network, NetworkArgs
from components.secrets import AppSecrets, AppSecretsArgs, GeneratedSecret
from stacks.aws_context import AwsContext, aws_context, make_provider
from stacks.config import StackConfig

CACHE_AUTH_SECRET = "cache-auth-token"


def resource_prefix(stack: str) -> str:
    """Prefix of every component name and AWS resource name of a stack, e.g. 'fintech-dev'."""
    return f"fintech-{stack}"


@dataclass(frozen=True)
class Platform:
    """The components of one stack."""

    keys: PlatformKeys
    network: Network
    alarms: AlarmTopic
    secrets: AppSecrets
    database: AuroraPostgres
    cache: Cache
    kafka: KafkaCluster
    backup: BackupPlan | None

    def export(self) -> None:
        """Export the stack outputs that later components, workloads and users need."""
        network = self.network
        outputs: dict[str, object] = {
            "vpcId": network.vpc_id,
            "availabilityZoneIds": network.zone_ids,
            "publicSubnetIds": network.public_subnet_ids,
            "privateSubnetIds": network.private_subnet_ids,
            "databaseSubnetIds": network.database_subnet_ids,
            "dbSubnetGroupName": network.db_subnet_group_name,
            "cacheSubnetGroupName": network.cache_subnet_group_name,
            "flowLogGroupName": network.flow_log_group_name,
            "kmsKeyArns": self.keys.key_arns,
            "kmsAliases": self.keys.alias_names,
            "alarmTopicArn": self.alarms.topic_arn,
            "secretArns": self.secrets.arns,
            "auroraEndpoint": self.database.endpoint,
            "auroraReaderEndpoint": self.database.reader_endpoint,
            "auroraPort": self.database.port,
            "auroraMasterSecretArn": self.database.master_secret_arn,
            "auroraSecurityGroupId": self.database.security_group_id,
            "cacheEndpoint": self.cache.primary_endpoint,
            "cacheReaderEndpoint": self.cache.reader_endpoint,
            "cachePort": self.cache.port,
            "cacheSecurityGroupId": self.cache.security_group_id,
            "kafkaClusterArn": self.kafka.cluster_arn,
            "kafkaBootstrapBrokersSaslIam": self.kafka.bootstrap_brokers_sasl_iam,
            "kafkaPort": self.kafka.port,
            "kafkaSecurityGroupId": self.kafka.security_group_id,
        }
        if self.backup:
            outputs["backupVaultArn"] = self.backup.vault_arn
            outputs["drBackupVaultArn"] = self.backup.dr_vault_arn
        for name, value in outputs.items():
            pulumi.export(name, value)


def build_platform(config: StackConfig, stack: str) -> Platform:
    """Build every component of the stack."""
    context = aws_context(config, stack)
    prefix = resource_prefix(stack)
    options = pulumi.ResourceOptions(providers={"aws": context.provider})
    keys = PlatformKeys(
        prefix,
        PlatformKeysArgs(
            account_id=context.account_id,
            region=context.region,
            partition=context.partition,
            protect=config.protect_stateful,
        ),
        opts=options,
    )
    network = Network(
        prefix,
        NetworkArgs(
            vpc_cidr=config.vpc_cidr,
            zone_ids=config.availability_zone_ids,
            region=context.region,
            account_id=context.account_id,
            partition=context.partition,
            logs_kms_key_arn=keys.arn("logs"),
            nat_strategy=config.nat_strategy,
            interface_endpoint_services=DEFAULT_INTERFACE_ENDPOINT_SERVICES if config.interface_endpoints else (),
            flow_log_retention_days=config.log_retention_days,
        ),
        opts=options,
    )
    alarms = AlarmTopic(
        prefix,
        AlarmTopicArgs(kms_key_arn=keys.arn("alerts"), account_id=context.account_id, email=config.alarm_email),
        opts=options,
    )
    secrets = AppSecrets(
        prefix,
        AppSecretsArgs(
            kms_key_arn=keys.arn("secrets"),
            account_id=context.account_id,
            generated={CACHE_AUTH_SECRET: GeneratedSecret("AUTH token of the platform cache (ElastiCache)")},
            recovery_window_days=config.secret_recovery_days,
        ),
        opts=options,
    )
    database, cache, kafka = _data_services(prefix, config, context, keys, network, alarms, secrets, options)
    backup = _backup(prefix, config, context, stack, keys, database) if config.cross_region_backup else None
    return Platform(keys, network, alarms, secrets, database, cache, kafka, backup)


def _data_services(
    prefix: str,
    config: StackConfig,
    context: AwsContext,
    keys: PlatformKeys,
    network: Network,
    alarms: AlarmTopic,
    secrets: AppSecrets,
    options: pulumi.ResourceOptions,
) -> tuple[AuroraPostgres, Cache, KafkaCluster]:
    database = AuroraPostgres(
        prefix,
        AuroraPostgresArgs(
            vpc_id=network.vpc_id,
            db_subnet_group_name=network.db_subnet_group_name,
            zone_names=context.zone_names,
            data_kms_key_arn=keys.arn("data"),
            secrets_kms_key_arn=keys.arn("secrets"),
            logs_kms_key_arn=keys.arn("logs"),
            account_id=context.account_id,
            partition=context.partition,
            instance_count=config.aurora_instances,
            min_capacity=config.aurora_min_acu,
            max_capacity=config.aurora_max_acu,
            backup_retention_days=config.aurora_backup_retention_days,
            deletion_protection=config.deletion_protection,
            final_snapshot=config.deletion_protection,
            performance_insights=True,
            monitoring_interval_seconds=config.aurora_monitoring_interval,
            log_retention_days=config.log_retention_days,
            alarm_topic_arn=alarms.topic_arn,
            protect=config.protect_stateful,
        ),
        opts=options,
    )
    cache = Cache(
        prefix,
        CacheArgs(
            vpc_id=network.vpc_id,
            subnet_group_name=network.cache_subnet_group_name,
            zone_names=context.zone_names,
            data_kms_key_arn=keys.arn("data"),
            logs_kms_key_arn=keys.arn("logs"),
            auth_token=secrets.value(CACHE_AUTH_SECRET),
            node_type=config.cache_node_type,
            node_count=config.cache_nodes,
            snapshot_retention_days=config.cache_snapshot_retention_days,
            log_retention_days=config.log_retention_days,
            alarm_topic_arn=alarms.topic_arn,
            protect=config.protect_stateful,
        ),
        opts=options,
    )
    kafka = KafkaCluster(
        prefix,
        KafkaClusterArgs(
            vpc_id=network.vpc_id,
            subnet_ids=network.subnet_ids_by_tier["private"][: config.kafka_zones],
            data_kms_key_arn=keys.arn("data"),
            logs_kms_key_arn=keys.arn("logs"),
            broker_instance_type=config.kafka_broker_type,
            broker_count=config.kafka_brokers,
            volume_size_gib=config.kafka_volume_gib,
            volume_max_gib=config.kafka_volume_max_gib,
            enhanced_monitoring=config.kafka_monitoring,
            replication_factor=min(3, config.kafka_brokers),
            min_insync_replicas=max(1, min(3, config.kafka_brokers) - 1),
            log_retention_days=config.log_retention_days,
            alarm_topic_arn=alarms.topic_arn,
            protect=config.protect_stateful,
        ),
        opts=options,
    )
    return database, cache, kafka


def _backup(
    prefix: str, config: StackConfig, context: AwsContext, stack: str, keys: PlatformKeys, database: AuroraPostgres
) -> BackupPlan:
    """Daily backups of the database, copied to the DR region under a key of that region."""
    dr_provider = make_provider("aws-dr", config.dr_region, config, stack)
    dr_keys = PlatformKeys(
        f"{prefix}-dr",
        PlatformKeysArgs(
            account_id=context.account_id,
            region=config.dr_region,
            partition=context.partition,
            domains=(KeyDomain("backup", "AWS Backup copies in the DR region", via_services=("backup",)),),
            protect=config.protect_stateful,
        ),
        opts=pulumi.ResourceOptions(providers={"aws": dr_provider}),
    )
    return BackupPlan(
        prefix,
        BackupPlanArgs(
            resource_arns=[database.cluster_arn],
            vault_kms_key_arn=keys.arn("data"),
            dr_vault_kms_key_arn=dr_keys.arn("backup"),
            dr_provider=dr_provider,
            account_id=context.account_id,
            partition=context.partition,
            protect=config.protect_stateful,
        ),
        opts=pulumi.ResourceOptions(providers={"aws": context.provider}),
    )
