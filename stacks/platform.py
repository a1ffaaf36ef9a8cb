"""Composition: build the platform's components for the selected stack and export what users need.

Nothing here knows the words dev or prod: every difference between stacks comes from StackConfig.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.alerts import AlarmTopic
from components.audit_trail import AuditTrail
from components.aurora import AuroraPostgres
from components.backup import BackupPlan
from components.cache import Cache
from components.cert_manager import CertManager
from components.ci_runner import CiRunner
from components.cluster_addons import ClusterAddons
from components.continuous_compliance import ContinuousCompliance
from components.database_users import DatabaseUsers
from components.dns_failover import FailoverRecord
from components.edge import Edge
from components.eks import EksCluster
from components.kafka import KafkaCluster
from components.kafka_topics import KafkaTopics
from components.kms import PlatformKeys
from components.metrics import MetricsCollection, MetricsWorkspace
from components.network import Network
from components.region_switch import RegionSwitchPlan
from components.registry_replication import RegistryReplication
from components.secret_rotation import DatabaseSecretRotation
from components.secrets import AppSecrets
from components.threat_detection import ThreatDetection
from components.traces import TraceEncryption
from components.workload import Workload
from stacks import builders, region_switch
from stacks.aws_context import aws_context, make_provider
from stacks.config import StackConfig
from stacks.images import require_images
from stacks.names import resource_prefix
from stacks.workload_specs import WORKLOADS


@dataclass(frozen=True)
class Platform:
    """The components of one stack."""

    keys: PlatformKeys
    network: Network
    alarms: AlarmTopic
    secrets: AppSecrets
    cluster: EksCluster
    database: AuroraPostgres
    cache: Cache
    kafka: KafkaCluster
    backup: BackupPlan | None
    edge: Edge
    addons: ClusterAddons | None
    """None in deploy phase foundation."""
    workloads: list[Workload]
    config: StackConfig
    topics: KafkaTopics
    database_users: DatabaseUsers | None
    """None in a standby: its read-only secondary receives the users with the data."""
    audit_trail: AuditTrail | None = None
    threat_detection: ThreatDetection | None = None
    runner: CiRunner | None = None
    cert_manager: CertManager | None = None
    image_replication: RegistryReplication | None = None
    failover_record: FailoverRecord | None = None
    region_switch: RegionSwitchPlan | None = None
    """The region pair's ARC Region switch plan (in the primary only)."""
    compliance: ContinuousCompliance | None = None
    metrics: MetricsWorkspace | None = None
    metrics_collection: MetricsCollection | None = None
    master_rotation: DatabaseSecretRotation | None = None
    """Secrets Manager rotation of the generated master credential (a region pair's primary only)."""
    traces: TraceEncryption | None = None

    def outputs(self) -> dict[str, object]:
        """The stack outputs that workloads, operators and auditors need."""
        network = self.network
        kubeconfig: pulumi.Output[str] = pulumi.Output.secret(self.cluster.kubeconfig)
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
            "eksClusterName": self.cluster.cluster_name,
            "eksOidcProviderArn": self.cluster.oidc_provider_arn,
            "eksClusterSecurityGroupId": self.cluster.cluster_security_group_id,
            "kubeconfig": kubeconfig,
            "auroraEndpoint": self.database.endpoint,
            "auroraReaderEndpoint": self.database.reader_endpoint,
            "auroraPort": self.database.port,
            "auroraSecurityGroupId": self.database.security_group_id,
            "cacheEndpoint": self.cache.primary_endpoint,
            "cacheReaderEndpoint": self.cache.reader_endpoint,
            "cachePort": self.cache.port,
            "cacheSecurityGroupId": self.cache.security_group_id,
            "kafkaClusterArn": self.kafka.cluster_arn,
            "kafkaBootstrapBrokersSaslIam": self.kafka.bootstrap_brokers_sasl_iam,
            "kafkaPort": self.kafka.port,
            "kafkaSecurityGroupId": self.kafka.security_group_id,
            "albDnsName": self.edge.dns_name,
            "albArn": self.edge.alb_arn,
            "webAclArn": self.edge.web_acl_arn,
            "targetGroupArns": self.edge.target_group_arns,
            "workloadRoleArns": {w.namespace: w.role_arn for w in self.workloads},
            "imageRepositories": {w.namespace: w.repository_url for w in self.workloads},
            "kafkaTopicArns": self.topics.arns,
            "databaseUsers": sorted(self.database_users.users) if self.database_users else [],
            "deployPhase": self.config.deploy_phase,
            "monthlyBudgetUsd": self.config.monthly_budget_usd,
            "capacity": {fit.scale: {"nodesNeeded": fit.nodes_needed, "nodesAvailable": fit.nodes_available,
                                     "boundBy": fit.bound_by} for fit in self.config.capacity()},
        }  # fmt: skip
        config = self.config
        outputs["albZoneId"] = self.edge.zone_id
        if not config.standby_for:
            # A standby has no master credential of its own: it reads the primary's replica in its region.
            outputs["auroraMasterSecretArn"] = builders.master_secret_arn(self.database, self.secrets)
        if config.region_pair_role != "none":
            outputs["regionPairRole"] = config.region_pair_role
            outputs["drStack" if config.dr_stack else "standbyFor"] = config.dr_stack or config.standby_for
            outputs["auroraGlobalClusterId"] = self.database.global_database
        if self.failover_record:
            outputs["dnsName"] = config.dns_name
            outputs["dnsHealthCheckId"] = self.failover_record.health_check_id
        if self.region_switch:
            outputs["regionSwitchPlanArn"] = self.region_switch.plan_arn
            outputs["regionSwitchReportBucket"] = self.region_switch.report_bucket
        if self.master_rotation:
            outputs["auroraMasterRotationFunction"] = self.master_rotation.function_name
        if self.runner:
            outputs["ciRunnerProject"] = self.runner.project_name
            outputs["ciRunsOn"] = f"{self.runner.runs_on_prefix}-${{{{ github.run_id }}}}-${{{{ github.run_attempt }}}}"
        if self.backup:
            outputs["backupVaultArn"] = self.backup.vault_arn
            outputs["drBackupVaultArn"] = self.backup.dr_vault_arn
        outputs["auditTrailArn"] = self.audit_trail.trail_arn if self.audit_trail else self.config.organization_trail
        if self.audit_trail:
            outputs["auditTrailBucket"] = self.audit_trail.bucket_name
        if self.threat_detection:
            outputs["guardDutyDetectorId"] = self.threat_detection.detector_id
        if self.compliance:
            outputs["configRecorderName"] = self.compliance.recorder_name
            outputs["configBucket"] = self.compliance.bucket_name
            outputs["conformancePackName"] = self.compliance.conformance_pack_name
            outputs["securityHubStandards"] = self.compliance.standards_arns
        if self.metrics:
            outputs["prometheusWorkspaceId"] = self.metrics.workspace_id
            outputs["prometheusWorkspaceArn"] = self.metrics.arn
            outputs["prometheusEndpoint"] = self.metrics.prometheus_endpoint
            outputs["prometheusLogGroupName"] = self.metrics.log_group_name
            grafana = self.metrics.grafana
            if grafana is not None:
                outputs["grafanaEndpoint"] = grafana.endpoint  # type: ignore[attr-defined]
        if self.metrics_collection:
            outputs["prometheusScraperArns"] = self.metrics_collection.scraper_arns
            outputs["prometheusRuleGroups"] = self.metrics_collection.rule_group_names
        if self.traces:
            outputs["traceEncryptionKeyArn"] = self.traces.key_arn
        return outputs

    def export(self) -> None:
        """Export every stack output."""
        for name, value in self.outputs().items():
            pulumi.export(name, value)


def build_platform(config: StackConfig, stack: str) -> Platform:
    """Build every component of the stack, in dependency order. Deploy phase foundation stops short of every
    resource that needs the Kubernetes API (add-on and workload releases, namespaces); complete first checks that
    every workload image exists, so a release never waits for an image that cannot come."""
    facts = aws_context(config, stack)
    copies_to_dr_region = config.cross_region_backup or bool(config.dr_stack)
    dr_provider = make_provider("aws-dr", config.dr_region, config, stack) if copies_to_dr_region else None
    ctx = builders.Context(config, facts, stack, resource_prefix(stack), dr_provider)
    if config.kubernetes_layer:
        names = [spec.name for spec in WORKLOADS]
        require_images(config, ctx.primary_prefix, names, ctx.aws.provider, ctx.aws.account_id)
    metrics = builders.metrics_workspace(ctx)
    keys = builders.keys(ctx, metrics)
    network = builders.network(ctx, keys)
    alarms = builders.alarms(ctx, keys, metrics)
    copy_keys = builders.region_copy_keys(ctx)
    secrets = builders.secrets(ctx, keys, copy_keys)
    cluster = builders.kubernetes(ctx, keys, network)
    runner = builders.ci_runner(ctx, keys, network, cluster)
    clients = cluster.cluster_security_group_id
    database = builders.database(ctx, keys, network, alarms, clients, secrets)
    cache = builders.cache(ctx, keys, network, alarms, clients)
    kafka = builders.kafka(ctx, keys, network, alarms, clients)
    backs_up = config.cross_region_backup and copy_keys
    backup = builders.backup(ctx, keys, copy_keys, database, alarms) if backs_up and copy_keys else None
    edge = builders.edge(ctx, keys, network, cluster, alarms)
    topics = builders.kafka_topics(ctx, kafka)
    credential = builders.master_credential_version(database, secrets)
    database_users = builders.db_users(ctx, database, secrets, credential)
    rotation = builders.master_rotation(
        ctx, keys, network, database, secrets, alarms, [*([credential] if credential else []),
                                                        *([database_users] if database_users else [])]
    )  # fmt: skip
    replication = builders.image_replication(ctx)
    switch = None
    if config.region_pair_role != "none":
        _, switch = region_switch.build(stack, config, ctx.aws.account_id, ctx.aws.partition, keys, copy_keys,
                                        alarms.topic_arn, cluster.cluster_name, ctx.options)  # fmt: skip
    switch_check = region_switch.health_check_id(switch, config.region, ctx.aws.provider) if switch else None
    dns = builders.failover_record(ctx, edge, switch_check)
    addons = builders.cluster_addons(ctx, network, cluster, edge) if config.kubernetes_layer else None
    tls = builders.cert_manager(ctx, cluster) if config.kubernetes_layer else None
    workloads = builders.workloads(
        ctx,
        keys,
        cluster,
        addons,
        edge,
        secrets,
        database,
        cache,
        kafka,
        tls,
        depends_on=[topics, *([database_users] if database_users else [])],
    )
    compliance = builders.continuous_compliance(ctx, keys, alarms)
    report_buckets = (switch.report_bucket_arn,) if switch else ()
    compliance_buckets = (compliance.bucket_arn,) if compliance else ()
    trail = builders.audit_trail(ctx, keys, alarms, edge, (*report_buckets, *compliance_buckets))
    collection = builders.metrics_collection(ctx, metrics, network, cluster, kafka, alarms)
    traces = builders.trace_encryption(ctx)
    detection = builders.threat_detection(ctx, alarms)
    return Platform(
        keys, network, alarms, secrets, cluster, database, cache, kafka, backup, edge, addons, workloads, config,
        topics, database_users, audit_trail=trail, threat_detection=detection, runner=runner, cert_manager=tls,
        image_replication=replication, failover_record=dns, region_switch=switch, compliance=compliance,
        metrics=metrics, metrics_collection=collection, master_rotation=rotation, traces=traces,
    )  # fmt: skip
