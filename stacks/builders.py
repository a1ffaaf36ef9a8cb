"""How each area of the platform is built from the stack config: one function per area.

These functions translate StackConfig into component arguments; they hold no resources of their own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi_aws import Provider as AwsProvider
from pulumi_aws.secretsmanager import SecretVersion

from components import prometheus_config as prom
from components import slo
from components.alerts import AlarmTopic, AlarmTopicArgs
from components.audit_trail import AuditTrail, AuditTrailArgs
from components.aurora import POSTGRES_PORT, AuroraPostgres, AuroraPostgresArgs
from components.backup import BackupPlan, BackupPlanArgs
from components.cache import CACHE_PORT, Cache, CacheArgs
from components.cert_manager import CertManager, CertManagerArgs
from components.ci_runner import CiRunner, CiRunnerArgs
from components.cluster_addons import ClusterAddons, ClusterAddonsArgs
from components.continuous_compliance import ContinuousCompliance, ContinuousComplianceArgs
from components.database_users import DatabaseUsers, DatabaseUsersArgs
from components.dns_failover import FailoverRecord, FailoverRecordArgs
from components.edge import Edge, EdgeArgs, Route
from components.eks import PREVIEW_RENDER_GROUP, EksCluster, EksClusterArgs
from components.grafana import GrafanaWorkspace, GrafanaWorkspaceArgs, current_rotation_window
from components.kafka import SASL_IAM_PORT, KafkaCluster, KafkaClusterArgs
from components.kafka_topics import KafkaTopics, KafkaTopicsArgs
from components.kms import KeyDomain, PlatformKeys, PlatformKeysArgs
from components.metrics import (
    KafkaSource,
    MetricsCollection,
    MetricsCollectionArgs,
    MetricsWorkspace,
    MetricsWorkspaceArgs,
)
from components.network import DEFAULT_INTERFACE_ENDPOINT_SERVICES, Network, NetworkArgs
from components.registry_replication import RegistryReplication, RegistryReplicationArgs
from components.secret_rotation import DatabaseSecretRotation, DatabaseSecretRotationArgs
from components.secrets import AppSecrets, AppSecretsArgs, GeneratedCredential
from components.subnet_plan import plan_subnets
from components.threat_detection import ThreatDetection, ThreatDetectionArgs
from components.traces import TraceEncryption, TraceEncryptionArgs
from components.workload import CacheAccess, DatabaseAccess, KafkaAccess, Workload, WorkloadArgs, WorkloadRelease
from stacks.aws_context import AwsContext
from stacks.config import StackConfig
from stacks.config.observability import slo_targets
from stacks.names import MASTER_CREDENTIAL, global_database_name, primary_prefix, repository_name
from stacks.tiers import TIER_RULES
from stacks.workload_specs import WORKLOADS, WorkloadSpec, callers_of, database_users, platform_topics

HEALTH_WORKLOAD = "payments"
"""The public workload whose healthy targets decide a region's DNS health (payments: it takes the money)."""
WORKLOAD_PORT = 8443
"""The HTTPS port every workload pod serves on (its certificate comes from the in-cluster CA)."""
PUBLIC_ROUTES = (
    Route("validator", ("/v1/transactions/validate", "/v1/transactions/validate/*"), priority=10, port=WORKLOAD_PORT),
    Route("payments", ("/v1/payments", "/v1/payments/*"), priority=20, port=WORKLOAD_PORT),
)
"""Workloads the ALB exposes; the ledger stays internal."""


@dataclass(frozen=True)
class Context:
    """What every builder needs: the config, the AWS facts and the naming prefix."""

    config: StackConfig
    aws: AwsContext
    stack: str
    prefix: str
    dr_provider: AwsProvider | None = None
    """The AWS provider of drRegion, where the stack copies backups or replicates its secrets and images."""

    @property
    def required_dr_provider(self) -> AwsProvider:
        """The drRegion provider; a programming error when the stack copies nothing there."""
        if self.dr_provider is None:
            raise AssertionError("no drRegion provider: the stack copies nothing to drRegion")
        return self.dr_provider

    @property
    def options(self) -> pulumi.ResourceOptions:
        """Options that put a component on the stack's AWS provider."""
        return pulumi.ResourceOptions(providers={"aws": self.aws.provider})

    @property
    def primary_prefix(self) -> str:
        """Prefix of the region pair's primary stack: the standby's primary, else this stack's own."""
        return primary_prefix(self.stack, self.config.standby_for)


def region_copy_keys(ctx: Context) -> PlatformKeys | None:
    """Keys in drRegion for what this stack copies there: backup copies (crossRegionBackup) and, in a primary, the
    replicas of its secrets. None when it copies nothing. Named `<prefix>-dr`: the domains ('backup',
    'secret-replicas') are none of the default domains, so their aliases never meet those of a stack whose
    prefix is `<prefix>-dr` in the same region (the standby `prod-dr` of `prod`)."""
    config = ctx.config
    domains = []
    if config.cross_region_backup:
        # An Aurora recovery point is an RDS cluster snapshot: AWS Backup copies it across regions with an RDS snapshot
        # copy, and RDS uses the destination key as itself through rds.<drRegion> (AWS Backup Developer Guide,
        # "Encryption for backups in AWS Backup": for fully managed resource types the copy is encrypted by the
        # service that owns the resource). Admitting only AWS Backup makes every Aurora copy job fail (issue 20.7d).
        domains.append(KeyDomain("backup", "AWS Backup copies in the DR region", via_services=("backup", "rds")))
    if config.dr_stack:
        domains.append(
            KeyDomain("secret-replicas", "Replicas of the primary's secrets in the DR region",
                      via_services=("secretsmanager",))
        )  # fmt: skip
    if not domains:
        return None
    return PlatformKeys(
        f"{ctx.prefix}-dr",
        PlatformKeysArgs(
            account_id=ctx.aws.account_id,
            region=config.dr_region,
            partition=ctx.aws.partition,
            domains=tuple(domains),
            protect=config.protect_stateful,
        ),
        opts=pulumi.ResourceOptions(providers={"aws": ctx.required_dr_provider}),
    )


def keys(ctx: Context, metrics: MetricsWorkspace) -> PlatformKeys:
    """The platform's keys; the alerts key admits the stack's Prometheus workspace (its Alertmanager publishes to
    the encrypted alarm topic)."""
    return PlatformKeys(
        ctx.prefix,
        PlatformKeysArgs(
            account_id=ctx.aws.account_id,
            region=ctx.aws.region,
            partition=ctx.aws.partition,
            protect=ctx.config.protect_stateful,
            prometheus_workspace_arns=(metrics.arn,),
        ),
        opts=ctx.options,
    )


METRICS_KEY_DOMAIN = KeyDomain(
    "metrics", "Amazon Managed Service for Prometheus and Grafana workspaces and the Prometheus log group",
    via_services=("aps", "grafana"), direct_services=("logs",),
)  # fmt: skip
"""The workspace's key: a PlatformKeys of its own (`<prefix>-amp`), because the platform's alerts key must name the
workspace, which must exist first."""


def single_domain_keys(ctx: Context, name: str, domain: KeyDomain) -> PlatformKeys:
    """A PlatformKeys of one domain, in the stack's account and region, protected like the stack's stateful
    resources (a key that a service's data depends on from before the platform keys exist)."""
    return PlatformKeys(
        name,
        PlatformKeysArgs(
            account_id=ctx.aws.account_id,
            region=ctx.aws.region,
            partition=ctx.aws.partition,
            domains=(domain,),
            protect=ctx.config.protect_stateful,
        ),
        opts=ctx.options,
    )


def metrics_workspace(ctx: Context) -> MetricsWorkspace:
    """The Prometheus workspace under its own key, before the platform keys (whose alerts key names it)."""
    config = ctx.config
    key = single_domain_keys(ctx, f"{ctx.prefix}-amp", METRICS_KEY_DOMAIN)
    workspace = MetricsWorkspace(
        ctx.prefix,
        MetricsWorkspaceArgs(
            kms_key_arn=key.arn("metrics"), log_retention_days=config.log_retention_days,
            protect=config.protect_stateful,
        ),
        opts=ctx.options,
    )  # fmt: skip
    workspace.grafana = grafana(ctx, workspace, key.arn("metrics"))
    return workspace


TRACES_KEY_DOMAIN = KeyDomain("xray", "AWS X-Ray trace data of the workloads", via_services=("xray",))
"""X-Ray's key: account principals use it only through X-Ray (which takes a grant for the AWS resource when the
setting is made and decrypts for readers; X-Ray Developer Guide, "User permissions for encryption")."""


def trace_encryption(ctx: Context) -> TraceEncryption | None:
    """X-Ray encrypting the stack's traces with a key of its own (`alias/<prefix>-traces-xray`); None when
    traceEncryption is false (another stack in the account and region owns X-Ray's one setting)."""
    if not ctx.config.trace_encryption:
        return None
    key = single_domain_keys(ctx, f"{ctx.prefix}-traces", TRACES_KEY_DOMAIN)
    return TraceEncryption(ctx.prefix, TraceEncryptionArgs(kms_key_arn=key.arn("xray")), opts=ctx.options)


def grafana(ctx: Context, metrics: MetricsWorkspace, key_arn: pulumi.Input[str]) -> GrafanaWorkspace | None:
    """Amazon Managed Grafana on the Prometheus workspace, when grafanaWorkspace is on (its sign-in is validated)."""
    config = ctx.config
    if not config.grafana_workspace or not config.grafana_authentication:
        return None
    return GrafanaWorkspace(
        ctx.prefix,
        GrafanaWorkspaceArgs(
            prometheus_workspace_arn=metrics.arn, prometheus_endpoint=metrics.prometheus_endpoint,
            region=ctx.aws.region, kms_key_arn=key_arn, account_id=ctx.aws.account_id,
            authentication=config.grafana_authentication, token_window=current_rotation_window(),
            saml_metadata_url=config.grafana_saml_metadata_url, dashboards=dashboards(),
        ),
        opts=ctx.options,
    )  # fmt: skip


DASHBOARDS_DIR = Path(__file__).resolve().parent.parent / "observability" / "dashboards"
"""The dashboards loaded into the Grafana workspace (one grafana.oss.Dashboard each)."""


def dashboards() -> dict[str, dict[str, Any]]:
    """File stem -> dashboard JSON of every file in observability/dashboards/."""
    return {path.stem: json.loads(path.read_text()) for path in sorted(DASHBOARDS_DIR.glob("*.json"))}


RULES_DIR = Path(__file__).resolve().parent.parent / "observability" / "rules"
"""The rule files loaded into the workspace (one rule group namespace each)."""


def rule_groups(config: StackConfig) -> dict[str, str]:
    """Rule group namespace -> rule text: the repository's rule files plus the stack's SLO objectives."""
    groups = {path.stem: path.read_text() for path in sorted(RULES_DIR.glob("*.yaml"))}
    groups["slo-objectives"] = slo.dump(slo.objectives(slo_targets(config), config.slo_period_days))
    return groups


def metrics_collection(
    ctx: Context,
    metrics: MetricsWorkspace,
    net: Network,
    cluster: EksCluster,
    bus: KafkaCluster,
    topic: AlarmTopic,
) -> MetricsCollection:
    """The managed collectors of the cluster and of MSK, the rules and the Alertmanager; the exporter charts in
    deploy phase complete."""
    config = ctx.config
    aws_facts = ctx.aws
    return MetricsCollection(
        f"{ctx.prefix}-metrics",
        MetricsCollectionArgs(
            workspace_id=metrics.workspace_id,
            workspace_arn=metrics.arn,
            cluster_name=cluster.cluster_name,
            cluster_arn=f"arn:{aws_facts.partition}:eks:{aws_facts.region}:{aws_facts.account_id}:cluster/"
            f"{cluster.cluster_name}",
            cluster_security_group_id=cluster.cluster_security_group_id,
            vpc_id=net.vpc_id,
            subnet_ids=net.subnet_ids_by_tier["private"],
            region=aws_facts.region,
            alarm_topic_arn=topic.topic_arn,
            rule_groups=rule_groups(config),
            workload_namespaces=tuple(spec.name for spec in WORKLOADS),
            kafka=KafkaSource(
                cluster_name=bus.cluster_name,
                bootstrap_brokers=bus.bootstrap_brokers_sasl_iam,
                security_group_id=bus.security_group_id,
                subnet_ids=net.subnet_ids_by_tier["private"][: config.kafka_zones],
            ),
            scrape_interval_seconds=config.scrape_interval_seconds,
            kubernetes_version=config.kubernetes_version,
            kubernetes_provider=cluster.provider if config.kubernetes_layer else None,
            depends_on=cluster.ready,
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
            interface_endpoint_services=endpoint_services(rotates_master_secret(config))
            if config.interface_endpoints
            else (),
            interface_endpoint_zones=config.interface_endpoint_zones,
            flow_log_retention_days=config.log_retention_days,
        ),
        opts=ctx.options,
    )


def endpoint_services(rotation: bool = False) -> tuple[str, ...]:
    """The interface endpoints the VPC needs: the default set, plus Secrets Manager when a workload reads a secret
    (its pods may reach AWS APIs only inside the VPC when endpoints exist, see chart_values' awsApiCidrs) or when the
    master secret's rotation function runs in the VPC (`rotation`: it calls the Secrets Manager API)."""
    reads_secrets = any(spec.secrets for spec in WORKLOADS) or rotation
    return DEFAULT_INTERFACE_ENDPOINT_SERVICES + (("secretsmanager",) if reads_secrets else ())


def rotates_master_secret(config: StackConfig) -> bool:
    """Whether the stack rotates its Aurora master secret with Secrets Manager rotation: a region pair's primary,
    which generates the credential (RDS cannot manage a global member's password). A regional cluster's RDS-managed
    secret is rotated by RDS (every 7 days by default); a standby reads the primary's replica, which follows the
    primary's rotations. (The config's own predicate, which also decides where auroraMasterRotationDays is
    accepted.)"""
    return config.rotates_master_secret


def alarms(ctx: Context, platform_keys: PlatformKeys, metrics: MetricsWorkspace) -> AlarmTopic:
    return AlarmTopic(
        ctx.prefix,
        AlarmTopicArgs(
            kms_key_arn=platform_keys.arn("alerts"),
            account_id=ctx.aws.account_id,
            email=ctx.config.alarm_email,
            prometheus_workspace_arn=metrics.arn,
        ),
        opts=ctx.options,
    )


def secrets(ctx: Context, platform_keys: PlatformKeys, copy_keys: PlatformKeys | None) -> AppSecrets:
    """The stack's secrets. A region pair's primary generates the Aurora master credential (RDS cannot manage the
    password of a global database member, https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/
    rds-secrets-manager.html) and replicates every secret to drRegion under a key of that region, so the standby
    reads them when the primary's region is gone."""
    config = ctx.config
    primary = bool(config.dr_stack)
    return AppSecrets(
        ctx.prefix,
        AppSecretsArgs(
            kms_key_arn=platform_keys.arn("secrets"),
            account_id=ctx.aws.account_id,
            recovery_window_days=config.secret_recovery_days,
            protect=config.protect_stateful,
            credentials={
                MASTER_CREDENTIAL: GeneratedCredential(
                    "Aurora master user: break-glass and the Data API that creates the workloads' IAM users",
                    username=AuroraPostgresArgs.master_username,
                    rotated=rotates_master_secret(config),
                )
            }
            if primary
            else {},
            replica_region=config.dr_region if primary else "",
            replica_kms_key_arn=copy_keys.arn("secret-replicas") if primary and copy_keys else None,
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
            zone_ids=config.availability_zone_ids,
            account_id=ctx.aws.account_id,
            region=ctx.aws.region,
            partition=ctx.aws.partition,
            eks_kms_key_arn=platform_keys.arn("eks"),
            data_kms_key_arn=platform_keys.arn("data"),
            logs_kms_key_arn=platform_keys.arn("logs"),
            kubernetes_version=config.kubernetes_version,
            admin_role_arns=config.eks_admin_role_arns,
            deploy_role_arn=config.ci_deploy_role_arn,
            preview_role_arn=config.ci_preview_role_arn,
            public_access_cidrs=config.eks_public_access_cidrs,
            node_instance_type=config.node_instance_type,
            node_min_per_zone=config.node_split().mins,
            node_max_per_zone=config.node_split().maxes,
            node_disk_gib=config.node_disk_gib,
            log_retention_days=config.log_retention_days,
            deletion_protection=config.deletion_protection,
            protect=config.protect_stateful,
        ),
        opts=ctx.options,
    )


def ci_runner(ctx: Context, platform_keys: PlatformKeys, net: Network, cluster: EksCluster) -> CiRunner | None:
    """The in-VPC GitHub Actions runner that deploys the Kubernetes layer; none without a GitHub connection."""
    config = ctx.config
    if not config.ci_github_connection_arn:
        if not config.eks_public_access_cidrs:
            pulumi.log.warn(
                "no in-VPC CI runner (fintech-platform:ciGithubConnectionArn is empty) and the Kubernetes API is "
                "private: the complete phase must run from a host inside the VPC"
            )
        return None
    return CiRunner(
        ctx.prefix,
        CiRunnerArgs(
            vpc_id=net.vpc_id,
            subnet_ids=net.subnet_ids_by_tier["private"],
            cluster_security_group_id=cluster.cluster_security_group_id,
            github_connection_arn=config.ci_github_connection_arn,
            repository=config.ci_repository,
            encryption_kms_key_arn=platform_keys.arn("data"),
            logs_kms_key_arn=platform_keys.arn("logs"),
            account_id=ctx.aws.account_id,
            region=ctx.aws.region,
            partition=ctx.aws.partition,
            log_retention_days=config.log_retention_days,
        ),
        opts=ctx.options,
    )


def database(
    ctx: Context,
    platform_keys: PlatformKeys,
    net: Network,
    topic: AlarmTopic,
    clients: pulumi.Input[str],
    app_secrets: AppSecrets,
) -> AuroraPostgres:
    """Aurora: regional, or a member of the region pair's global database - its primary in the primary stack, a
    read-only secondary (under the standby region's own data key) in the standby."""
    config = ctx.config
    secondary = bool(config.standby_for)
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
            # A class change on a live cluster modifies each instance in place with an outage, "applied during the
            # next maintenance window, unless you specify ApplyImmediately" (RDS API ModifyDBInstance,
            # DBInstanceClass); the program leaves apply_immediately unset, so writer and reader change in the same
            # window. docs/tiers.md: change a live prod one instance at a time. Serverless v2 <-> provisioned also
            # adds or drops the cluster's ACU range (components/aurora.py).
            instance_class=config.aurora_instance_class,
            min_capacity=config.aurora_min_acu,
            max_capacity=config.aurora_max_acu,
            backup_retention_days=config.aurora_backup_retention_days,
            deletion_protection=config.deletion_protection,
            final_snapshot=config.deletion_protection and not secondary,
            monitoring_interval_seconds=config.aurora_monitoring_interval,
            log_retention_days=config.log_retention_days,
            alarm_topic_arn=topic.topic_arn,
            protect=config.protect_stateful,
            data_api=True,
            global_database=global_database_name(ctx.primary_prefix) if config.region_pair_role != "none" else "",
            global_role="secondary" if secondary else "primary",
            master_password=app_secrets.credential_passwords.get(MASTER_CREDENTIAL),
        ),
        opts=ctx.options,
    )


def cache(
    ctx: Context, platform_keys: PlatformKeys, net: Network, topic: AlarmTopic, clients: pulumi.Input[str]
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
            iam_users=tuple(spec.name for spec in WORKLOADS if "cache" in spec.data_stores),
            allowed_security_group_ids=(clients,),
            node_type=config.cache_node_type,
            node_count=config.cache_nodes,
            snapshot_retention_days=config.cache_snapshot_retention_days,
            log_retention_days=config.log_retention_days,
            alarm_topic_arn=topic.topic_arn,
            protect=config.protect_stateful,
            replicas_owned_elsewhere=bool(config.standby_for),  # the Region switch plan scales the standby's cache
        ),
        opts=ctx.options,
    )


def kafka(
    ctx: Context, platform_keys: PlatformKeys, net: Network, topic: AlarmTopic, clients: pulumi.Input[str]
) -> KafkaCluster:
    config = ctx.config
    replication, min_insync = kafka_replication(config)
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
            min_insync_replicas=min_insync,
            log_retention_days=config.log_retention_days,
            alarm_topic_arn=topic.topic_arn,
            protect=config.protect_stateful,
        ),
        opts=ctx.options,
    )


def kafka_replication(config: StackConfig) -> tuple[int, int]:
    """Replication factor (3, or every broker when fewer) and min.insync.replicas (one less, so one broker can
    be lost without stopping writes), for the cluster defaults and the platform topics alike."""
    replication = min(3, config.kafka_brokers)
    return replication, max(1, replication - 1)


def kafka_topics(ctx: Context, bus: KafkaCluster) -> KafkaTopics:
    """The topics the workloads produce (stacks/workload_specs.py), sized by the tier."""
    config = ctx.config
    replication, min_insync = kafka_replication(config)
    return KafkaTopics(
        ctx.prefix,
        KafkaTopicsArgs(
            cluster_arn=bus.cluster_arn,
            topics=platform_topics(),
            broker_count=config.kafka_brokers,
            partitions=config.kafka_topic_partitions,
            replication_factor=replication,
            min_insync_replicas=min_insync,
            retention_hours=config.kafka_topic_retention_hours,
            protect=config.protect_stateful,
        ),
        opts=ctx.options,
    )


def master_secret_arn(db: AuroraPostgres, app_secrets: AppSecrets) -> pulumi.Output[str]:
    """The secret of the Aurora master credential: the generated one of a global primary, else RDS's own."""
    return app_secrets.arns.get(MASTER_CREDENTIAL, db.master_secret_arn)


def master_credential_version(db: AuroraPostgres, app_secrets: AppSecrets) -> SecretVersion | None:
    """The first version of a rotated master credential, written once the cluster exists: its JSON holds what the
    rotation function connects with (engine 'postgres', host: this cluster's writer endpoint, port, dbname). None when
    the stack generates no rotated credential. The host is the cluster's own endpoint, not the global database's
    writer endpoint: the function runs in this region's VPC, which has no route to the other region's cluster, and this
    endpoint's certificate names it (the RDS CA; rds.force_ssl is on)."""
    if MASTER_CREDENTIAL not in app_secrets.pending_credentials:
        return None
    return app_secrets.connect(MASTER_CREDENTIAL, "postgres", db.endpoint, POSTGRES_PORT, db.database_name)


def master_rotation(
    ctx: Context,
    platform_keys: PlatformKeys,
    net: Network,
    db: AuroraPostgres,
    app_secrets: AppSecrets,
    topic: AlarmTopic,
    depends_on: Sequence[pulumi.Resource],
) -> DatabaseSecretRotation | None:
    """Secrets Manager rotation of the generated master credential (a region pair's primary), every
    auroraMasterRotationDays days, by AWS's function in the private subnets; None elsewhere. `depends_on`: the
    credential's first version and the database users, created before the first rotation runs."""
    config = ctx.config
    if not rotates_master_secret(config):
        return None
    # network() adds the secretsmanager endpoint whenever the master secret rotates (endpoint_services).
    endpoints = [net.interface_endpoints["secretsmanager"]] if config.interface_endpoints else []
    return DatabaseSecretRotation(
        ctx.prefix,
        DatabaseSecretRotationArgs(
            secret_arn=app_secrets.arns[MASTER_CREDENTIAL],
            secret_kms_key_arn=platform_keys.arn("secrets"),
            vpc_id=net.vpc_id,
            subnet_ids=net.subnet_ids_by_tier["private"],
            database_security_group_id=db.security_group_id,
            function_name=f"{ctx.prefix}-master-rotation",
            region=ctx.aws.region,
            # Secrets Manager through its interface endpoint (private DNS) when the VPC has endpoints, else through the
            # NAT gateways.
            https_cidr=config.vpc_cidr if config.interface_endpoints else "0.0.0.0/0",
            logs_kms_key_arn=platform_keys.arn("logs"),
            log_retention_days=config.log_retention_days,
            port=POSTGRES_PORT,
            rotation_days=config.aurora_master_rotation_days,
            alarm_topic_arn=topic.topic_arn,
            partition=ctx.aws.partition,
            # With https_cidr the VPC CIDR the function reaches Secrets Manager only through the interface
            # endpoint, and rotate_immediately starts the first rotation as soon as rotation is configured: the
            # endpoint (its private DNS name) exists first.
            depends_on=(db, *endpoints, *depends_on),
        ),
        opts=ctx.options,
    )


def db_users(
    ctx: Context, db: AuroraPostgres, app_secrets: AppSecrets, credential: SecretVersion | None = None
) -> DatabaseUsers | None:
    """The workloads' IAM database users (stacks/workload_specs.py), through the Data API. None in a standby: its
    secondary cluster is read-only and receives the users (PostgreSQL roles) with the rest of the data."""
    if ctx.config.standby_for:
        return None
    return DatabaseUsers(
        ctx.prefix,
        DatabaseUsersArgs(
            cluster_arn=db.cluster_arn,
            master_secret_arn=master_secret_arn(db, app_secrets),
            database_name=db.database_name,
            region=ctx.aws.region,
            users=database_users(),
            depends_on=[db, *([credential] if credential else [])],
            global_database=db.global_database,
        ),
        opts=ctx.options,
    )


def backup(
    ctx: Context, platform_keys: PlatformKeys, copy_keys: PlatformKeys, db: AuroraPostgres, topic: AlarmTopic
) -> BackupPlan:
    """Daily backups of the database, copied to the DR region under a key of that region.

    Both members of a region pair have one (issue 20.7c): after a switchover the standby's cluster is the writer,
    and a plan on the primary's stack alone would then back up a secondary. A standby's plan is named
    `<prefix>-standby`: its own vault in its region would otherwise be named like the primary's DR-copy vault there
    (`fintech-prod-dr-vault`)."""
    config = ctx.config
    return BackupPlan(
        f"{ctx.prefix}-standby" if config.standby_for else ctx.prefix,
        BackupPlanArgs(
            alarm_topic_arn=topic.topic_arn,
            resource_arns=[db.cluster_arn],
            vault_kms_key_arn=platform_keys.arn("data"),
            dr_vault_kms_key_arn=copy_keys.arn("backup"),
            dr_provider=ctx.required_dr_provider,
            account_id=ctx.aws.account_id,
            partition=ctx.aws.partition,
            protect=config.protect_stateful,
        ),
        opts=ctx.options,
    )


def image_replication(ctx: Context) -> RegistryReplication | None:
    """A primary's workload images, replicated to drRegion into the standby's repositories of the same names."""
    if not ctx.config.dr_stack:
        return None
    return RegistryReplication(
        ctx.prefix,
        RegistryReplicationArgs(
            source_region=ctx.aws.region,
            destination_region=ctx.config.dr_region,
            account_id=ctx.aws.account_id,
            repository_prefix=f"{ctx.prefix}/",
        ),
        opts=ctx.options,
    )


def failover_record(
    ctx: Context, front: Edge, switch_health_check_id: pulumi.Input[str] | None = None
) -> FailoverRecord | None:
    """The region pair's Route 53 failover record for dnsName: PRIMARY here in the primary, SECONDARY in the
    standby, each with a health check on the alarm that its payments targets are all unhealthy; the PRIMARY's
    also follows the Region switch plan's health check of its region (`switch_health_check_id`)."""
    config = ctx.config
    if config.region_pair_role == "none":
        return None
    return FailoverRecord(
        f"{ctx.prefix}-dns",
        FailoverRecordArgs(
            zone_id=config.dns_zone_id,
            record_name=config.dns_name,
            role="PRIMARY" if config.dr_stack else "SECONDARY",
            alb_dns_name=front.dns_name,
            alb_zone_id=front.zone_id,
            alarm_name=front.no_healthy_targets_alarm_names[HEALTH_WORKLOAD],
            alarm_region=ctx.aws.region,
            set_identifier=ctx.stack,
            switch_health_check_id=switch_health_check_id,
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
            log_lock_mode=config.log_lock_mode,
            log_lock_days=config.log_lock_days,
            deletion_protection=config.deletion_protection,
            log_bucket_force_destroy=not config.deletion_protection,
            protect=config.protect_stateful,
            alarm_topic_arn=topic.topic_arn,
        ),
        opts=ctx.options,
    )


def audit_trail(
    ctx: Context,
    platform_keys: PlatformKeys,
    topic: AlarmTopic,
    front: Edge,
    log_buckets: tuple[pulumi.Input[str], ...] = (),
) -> AuditTrail | None:
    """The account's CloudTrail trail, unless an organization trail already records the account. It records data
    events on every log bucket of the stack: the ALB's access logs and `log_buckets` (ARNs: the Region switch plan's
    reports, AWS Config's deliveries)."""
    config = ctx.config
    if config.organization_trail:
        return None
    return AuditTrail(
        ctx.prefix,
        AuditTrailArgs(
            account_id=ctx.aws.account_id,
            region=ctx.aws.region,
            partition=ctx.aws.partition,
            kms_key_arn=platform_keys.arn("logs"),
            alarm_topic_arn=topic.topic_arn,
            retention_days=config.log_retention_days,
            lock_mode=config.log_lock_mode,
            lock_days=config.log_lock_days,
            data_event_bucket_arns=(front.access_log_bucket_arn, *log_buckets),
            force_destroy=locked_logs_destroyable(config),
            multi_region=config.audit_trail_multi_region,
        ),
        opts=ctx.options,
    )


def locked_logs_destroyable(config: StackConfig) -> bool:
    """Whether the stack's Object Lock log buckets (trail, AWS Config) are emptied on destroy: only under GOVERNANCE
    locks in a stack that does not protect its stateful resources (COMPLIANCE locks cannot be lifted by anyone)."""
    return config.log_lock_mode == "GOVERNANCE" and not config.protect_stateful


def continuous_compliance(ctx: Context, platform_keys: PlatformKeys, topic: AlarmTopic) -> ContinuousCompliance | None:
    """AWS Config, the PCI DSS conformance pack and Security Hub, unless the organization runs them centrally
    (organizationCompliance)."""
    config = ctx.config
    if config.organization_compliance:
        return None
    return ContinuousCompliance(
        ctx.prefix,
        ContinuousComplianceArgs(
            account_id=ctx.aws.account_id,
            region=ctx.aws.region,
            partition=ctx.aws.partition,
            kms_key_arn=platform_keys.arn("logs"),
            alarm_topic_arn=topic.topic_arn,
            retention_days=config.log_retention_days,
            lock_mode=config.log_lock_mode,
            lock_days=config.log_lock_days,
            # Global types (IAM) once per account: a standby shares its primary's account (rule
            # region-pair-replication), and the primary records them in its region.
            record_global_types=not config.standby_for,
            force_destroy=locked_logs_destroyable(config),
        ),
        opts=ctx.options,
    )


def threat_detection(ctx: Context, topic: AlarmTopic) -> ThreatDetection | None:
    """GuardDuty with EKS protection where the tier (or the stack) turns it on."""
    if not ctx.config.guard_duty:
        return None
    return ThreatDetection(ctx.prefix, ThreatDetectionArgs(alarm_topic_arn=topic.topic_arn), opts=ctx.options)


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
            depends_on=cluster.ready,
            render_group=PREVIEW_RENDER_GROUP if ctx.config.ci_preview_role_arn else "",
        ),
        opts=ctx.options,
    )


def cert_manager(ctx: Context, cluster: EksCluster) -> CertManager:
    """cert-manager and the platform's private CA, which issues every workload's serving certificate."""
    return CertManager(
        f"{ctx.prefix}-cert-manager",
        CertManagerArgs(
            kubernetes_provider=cluster.provider,
            kubernetes_version=ctx.config.kubernetes_version,
            depends_on=cluster.ready,
        ),
        opts=ctx.options,
    )


def workloads(
    ctx: Context,
    platform_keys: PlatformKeys,
    cluster: EksCluster,
    addons: ClusterAddons | None,
    front: Edge,
    app_secrets: AppSecrets,
    db: AuroraPostgres,
    redis: Cache,
    bus: KafkaCluster,
    tls: CertManager | None,
    depends_on: list[pulumi.Resource],
) -> list[Workload]:
    """The validator, payments and ledger: each with its own role and repository and, when `addons` is given
    (deploy phase complete), its own namespace and release. `depends_on`: what the releases need first besides
    nodes and add-ons (the topics and database users the pods use at start)."""
    endpoints = {
        "aurora": {"DB_HOST": db.endpoint, "DB_READER_HOST": db.reader_endpoint, "DB_PORT": db.port,
                   "DB_NAME": db.database_name, "DB_IAM_AUTH": "true", "DB_SSLMODE": "verify-full"},
        "cache": {"REDIS_HOST": redis.primary_endpoint, "REDIS_PORT": redis.port, "REDIS_TLS": "true",
                  "REDIS_AUTH": "iam", "REDIS_CACHE_NAME": redis.replication_group_id},
        "kafka": {"KAFKA_BOOTSTRAP_SERVERS": bus.bootstrap_brokers_sasl_iam, "KAFKA_SECURITY": "SASL_SSL/AWS_MSK_IAM"},
    }  # fmt: skip
    return [
        Workload(
            f"{ctx.prefix}-{spec.name}",
            WorkloadArgs(
                namespace=spec.name,
                # A standby's repositories carry its primary's names: ECR replication keeps the name.
                repository_name=repository_name(ctx.primary_prefix, spec.name),
                oidc_provider_arn=cluster.oidc_provider_arn,
                oidc_issuer=cluster.oidc_issuer,
                account_id=ctx.aws.account_id,
                region=ctx.aws.region,
                partition=ctx.aws.partition,
                ecr_kms_key_arn=platform_keys.arn("data"),
                secrets_kms_key_arn=platform_keys.arn("secrets"),
                release=WorkloadRelease(
                    kubernetes_provider=cluster.provider,
                    chart_path=f"./app_charts/{spec.name}",
                    image_tag=ctx.config.image_tag(spec.name),
                    chart_values=chart_values(
                        ctx, spec, endpoints, front, cache_user=redis.user_names.get(spec.name, "")
                    )
                    | {"tls": tls_values(tls.issuer_name, tls.trust_bundle_name)},
                    behind_load_balancer=spec.public,
                    namespace_labels=tls.trust_namespace_labels,
                    depends_on=[*cluster.ready, *addons.charts.values(), *tls.ready, *depends_on],
                )
                if addons and tls
                else None,
                secret_arns=tuple(app_secrets.arns[name] for name in spec.secrets),
                database=DatabaseAccess(db.cluster_resource_id, spec.db_user) if spec.db_user else None,
                kafka=KafkaAccess(bus.cluster_arn, spec.produces, spec.consumes, spec.consumer_group)
                if "kafka" in spec.data_stores
                else None,
                cache=CacheAccess(redis.replication_group_arn, redis.user_arns[spec.name])
                if spec.name in redis.user_arns
                else None,
                # ECR's own deletion guard: a repository holding images refuses deletion unless forced. Tied to
                # deletionProtection (service-side guards), not protectStateful (Pulumi's guard): a protected-off
                # prod refactoring must still not lose the images that ran in production.
                force_delete_images=not ctx.config.deletion_protection,
            ),
            opts=ctx.options,
        )
        for spec in WORKLOADS
    ]


def chart_values(
    ctx: Context, spec: WorkloadSpec, endpoints: dict[str, dict[str, Any]], front: Edge, cache_user: str = ""
) -> dict[str, Any]:
    """The chart values of one workload: sizes from the tier, endpoints from stack outputs, no secrets.
    `cache_user` is its ElastiCache user, when it uses the cache."""
    config = ctx.config
    subnets = {tier: [str(cidr) for cidr in cidrs] for tier, cidrs in plan_subnets(config.vpc_cidr).items()}
    settings: dict[str, Any] = {"AWS_REGION": ctx.aws.region, "WORKLOAD": spec.name}
    for store in spec.data_stores:
        settings |= endpoints[store]
    if cache_user:
        # IAM authentication: the workload's own user signs a token for REDIS_CACHE_NAME and may touch only
        # keys under its own prefix (components/cache.py).
        settings |= {"REDIS_USER": cache_user, "REDIS_KEY_PREFIX": f"{spec.name}:"}
    if spec.db_user:
        settings["DB_USER"] = spec.db_user
    if spec.produces:
        settings["KAFKA_PRODUCE_TOPICS"] = ",".join(spec.produces)
    if spec.consumes:
        settings |= {"KAFKA_CONSUME_TOPICS": ",".join(spec.consumes), "KAFKA_CONSUMER_GROUP": spec.consumer_group}
    for callee in spec.calls:
        # The callee's certificate names this host; the caller verifies it against TLS_CA_FILE (docs/architecture.md).
        settings[f"{callee.upper()}_URL"] = f"https://{callee}.{callee}.svc.cluster.local:{WORKLOAD_PORT}"
    store_cidrs = {"aurora": subnets["database"], "cache": subnets["database"], "kafka": subnets["private"]}
    store_ports = {"aurora": POSTGRES_PORT, "cache": CACHE_PORT, "kafka": SASL_IAM_PORT}
    cpu, memory = spec.requests
    cpu_limit, memory_limit = spec.limits
    return {
        "containerPort": WORKLOAD_PORT,
        "replicas": {"min": config.hpa_min_replicas, "max": config.hpa_max_replicas},
        "resources": {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu_limit, "memory": memory_limit}},
        "autoscaling": {"cpuUtilization": 70, "memoryUtilization": 80, "scaleUpStabilizationSeconds": 0,
                        "scaleDownStabilizationSeconds": 300},
        "zoneSpread": "hard" if TIER_RULES[config.tier].high_availability else "soft",
        "config": settings,
        "exposure": {
            "targetGroupArn": front.target_group_arns[spec.name] if spec.public else "",
            "albSourceCidrs": subnets["public"] if spec.public else [],
        },
        "networkPolicy": {
            "ingressFromNamespaces": list(callers_of(spec.name)),
            "egressToNamespaces": [{"namespace": callee, "port": WORKLOAD_PORT} for callee in spec.calls],
            "dataStores": [{"name": store, "cidrs": store_cidrs[store], "port": store_ports[store]}
                           for store in spec.data_stores],
            "awsApiCidrs": [config.vpc_cidr] if config.interface_endpoints else ["0.0.0.0/0"],
        },
        "securityContext": {"uid": 10001},
        # The AMP collector's interfaces live in the private subnets (components/metrics.py): only they may scrape.
        "metrics": {"port": prom.WORKLOAD_METRICS_PORT, "path": prom.WORKLOAD_METRICS_PATH,
                    "scraperCidrs": subnets["private"]},
        "telemetry": telemetry_values(config.trace_sampling_ratio, ctx.stack),
        "terminationGracePeriodSeconds": 45,
        "preStopSleepSeconds": 10,
    }  # fmt: skip


TRACE_COLLECTOR = ("amazon-cloudwatch", "cloudwatch-agent", 4316)
"""Namespace, service and OTLP/HTTP port of the trace collector: the CloudWatch agent of the managed add-on
amazon-cloudwatch-observability (components/eks.py), whose Application Signals receiver takes OTLP on 4316 and sends
traces to AWS X-Ray (CloudWatch User Guide, "Enable Application Signals on Amazon EKS"; deploy-time claim). Chosen
over the ADOT managed add-on: the agent already runs with its IRSA role on every stack, while ADOT would add an
operator, its cert-manager webhook certificate and an OpenTelemetryCollector resource to run and patch."""


def telemetry_values(sampling_ratio: float, stack: str) -> dict[str, Any]:
    """The `telemetry` chart values: OTLP endpoint of the trace collector and the tier's sampling ratio."""
    namespace, service, port = TRACE_COLLECTOR
    return {"otlpEndpoint": f"http://{service}.{namespace}:{port}", "collectorNamespace": namespace,
            "collectorPort": port, "samplingRatio": sampling_ratio, "environment": stack}  # fmt: skip


def tls_values(cluster_issuer: str, trust_bundle: str) -> dict[str, Any]:
    """The `tls` chart values: the pod's serving certificate (90 days, renewed 30 days before) and its mount, and the
    trust bundle ConfigMap (trust-manager) the pod trusts, mounted apart."""
    return {"clusterIssuer": cluster_issuer, "durationHours": 2160, "renewBeforeHours": 720, "mountPath": "/etc/tls",
            "trustBundle": trust_bundle, "trustMountPath": "/etc/tls-trust"}  # fmt: skip
