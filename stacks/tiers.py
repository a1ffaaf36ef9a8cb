"""The dev and prod cost tiers: every value a tier decides, in one place.

A tier changes size, redundancy, retention and protection - never the security baseline
(encryption, TLS, private placement, least privilege and logging are the same in both).
A stack file overrides any field here by setting the config key of the same name (camelCase).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

TierName = Literal["dev", "prod"]
NatStrategy = Literal["single", "one-per-az"]
KafkaMonitoring = Literal["DEFAULT", "PER_BROKER", "PER_TOPIC_PER_BROKER", "PER_TOPIC_PER_PARTITION"]
LogLockMode = Literal["GOVERNANCE", "COMPLIANCE"]


class TierPreset(BaseModel):
    """Values a tier sets; each is also a config key (camelCase) that a stack may override."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    nat_strategy: NatStrategy
    """NAT gateways: one shared gateway, or one per availability zone."""
    interface_endpoints: bool
    """Whether interface VPC endpoints (ecr.api, ecr.dkr, sts, logs) are created."""
    interface_endpoint_zones: int
    """Zones that hold an interface of each endpoint (2 survives the loss of any one zone)."""
    log_retention_days: int
    """Days CloudWatch keeps platform logs."""
    aurora_instances: int
    """Aurora instances: a writer plus readers in other zones."""
    aurora_min_acu: float
    """Aurora Serverless v2 minimum capacity per instance (ACUs)."""
    aurora_max_acu: float
    """Aurora Serverless v2 maximum capacity per instance (ACUs)."""
    aurora_backup_retention_days: int
    """Aurora point-in-time backup retention."""
    aurora_monitoring_interval: Literal[0, 1, 5, 10, 15, 30, 60]
    """Aurora enhanced monitoring interval in seconds; 0 turns it off."""
    cache_node_type: str
    """ElastiCache node type."""
    cache_nodes: int
    """ElastiCache nodes: a primary plus replicas in other zones."""
    cache_snapshot_retention_days: int
    """Days ElastiCache keeps daily snapshots."""
    kafka_broker_type: str
    """MSK broker instance type."""
    kafka_brokers: int
    """MSK brokers; a multiple of kafkaZones."""
    kafka_zones: int
    """Zones (private subnets) the MSK brokers spread over: 2 or 3."""
    kafka_volume_gib: int
    """MSK storage per broker at creation (GiB)."""
    kafka_volume_max_gib: int
    """MSK storage autoscaling ceiling per broker (GiB); 0 turns autoscaling off."""
    kafka_monitoring: KafkaMonitoring
    """MSK enhanced monitoring level."""
    kafka_topic_partitions: int
    """Partitions of each platform topic (replication and min ISR follow the broker count)."""
    kafka_topic_retention_hours: int
    """Hours each platform topic keeps records (retention.ms)."""
    secret_recovery_days: int
    """Days a deleted Secrets Manager secret can be restored."""
    node_instance_type: str
    """EKS node instance type (Graviton, arm64)."""
    node_min: int
    """EKS nodes at minimum (and at creation)."""
    node_max: int
    """EKS nodes the cluster autoscaler may reach."""
    node_disk_gib: int
    """Root volume per EKS node (GiB, gp3, encrypted)."""
    hpa_min_replicas: int
    """Pods of each workload at minimum (HPA minReplicas)."""
    hpa_max_replicas: int
    """Pods of each workload at most (HPA maxReplicas)."""
    monthly_budget_usd: int
    """Monthly budget of the stack; the cost check fails when the baseline exceeds it."""
    deletion_protection: bool
    """Service-side deletion protection: Aurora (with a final snapshot), EKS and the ALB."""
    protect_stateful: bool
    """Register stateful resources (databases, cache, Kafka, keys, vaults) with Pulumi protect."""
    cross_region_backup: bool
    """AWS Backup plan with a copy to the DR region."""
    log_lock_mode: LogLockMode
    """S3 Object Lock mode of the log buckets (ALB access logs, CloudTrail): GOVERNANCE or COMPLIANCE."""
    log_lock_days: int
    """Days each log object is locked against deletion and overwrite (1 to logRetentionDays)."""
    guard_duty: bool
    """GuardDuty detector with EKS protection, findings to the alarm topic."""
    slo_availability_target: float
    """Share of validator and payments requests answered without a server error (SLO target, in (0, 1))."""
    slo_latency_target: float
    """Share of validator and payments requests answered within their latency bound (SLO target, in (0, 1))."""
    slo_processing_target: float
    """Share of ledger postings processed without failure (SLO target, in (0, 1))."""
    scrape_interval_seconds: int
    """Scrape interval of the AMP managed collectors (30-75 s)."""
    trace_sampling_ratio: float
    """Share of traces the workloads sample, in (0, 1]."""


class TierRules(BaseModel):
    """Invariants of a tier that no stack override may break."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    high_availability: bool
    """True where every shared path must survive the loss of one availability zone."""
    requires_account_pin: bool
    """True where the stack must name its AWS account, so it can never deploy into another."""
    requires_cross_region_backup: bool
    """True where the database's backups must be copied to the DR region (crossRegionBackup cannot be off); a
    standby (standbyFor) is exempt: its data is the replica of a primary whose backups are copied."""
    requires_region_pair: bool
    """True where the stack must belong to a region pair: a primary with a standby (drStack) or a standby
    (standbyFor), so that a region failure meets the recovery objectives."""


TIER_PRESETS: dict[TierName, TierPreset] = {
    "dev": TierPreset(
        nat_strategy="single",
        interface_endpoints=False,
        interface_endpoint_zones=2,
        log_retention_days=30,
        aurora_instances=1,
        aurora_min_acu=0.5,
        aurora_max_acu=2,
        aurora_backup_retention_days=1,
        aurora_monitoring_interval=0,
        cache_node_type="cache.t4g.micro",
        cache_nodes=1,
        cache_snapshot_retention_days=1,
        kafka_broker_type="kafka.t3.small",
        kafka_brokers=2,
        kafka_zones=2,
        kafka_volume_gib=20,
        kafka_volume_max_gib=0,
        kafka_monitoring="PER_BROKER",
        kafka_topic_partitions=3,
        kafka_topic_retention_hours=24,
        secret_recovery_days=7,
        node_instance_type="t4g.medium",
        node_min=2,
        node_max=3,
        node_disk_gib=30,
        hpa_min_replicas=1,
        hpa_max_replicas=3,
        # 400 before observability; the AMP collectors, samples and key add about 71 USD (pricing.report dev).
        monthly_budget_usd=450,
        deletion_protection=False,
        protect_stateful=False,
        cross_region_backup=False,
        log_lock_mode="GOVERNANCE",
        log_lock_days=1,
        guard_duty=False,
        slo_availability_target=0.99,
        slo_latency_target=0.95,
        slo_processing_target=0.99,
        scrape_interval_seconds=60,
        trace_sampling_ratio=1.0,
    ),
    "prod": TierPreset(
        nat_strategy="one-per-az",
        interface_endpoints=True,
        interface_endpoint_zones=2,
        log_retention_days=365,
        aurora_instances=2,
        aurora_min_acu=0.5,
        aurora_max_acu=16,
        aurora_backup_retention_days=14,
        aurora_monitoring_interval=60,
        cache_node_type="cache.t4g.small",
        cache_nodes=2,
        cache_snapshot_retention_days=7,
        kafka_broker_type="kafka.m7g.large",
        kafka_brokers=3,
        kafka_zones=3,
        kafka_volume_gib=50,
        kafka_volume_max_gib=1000,
        kafka_monitoring="PER_TOPIC_PER_BROKER",
        kafka_topic_partitions=6,
        kafka_topic_retention_hours=168,
        secret_recovery_days=30,
        node_instance_type="t4g.medium",
        node_min=3,
        node_max=12,
        node_disk_gib=30,
        hpa_min_replicas=3,
        hpa_max_replicas=20,
        # 1,800 before observability (issue 14); the AMP collectors, samples and keys of prod and its standby add
        # about 168 USD a month to the pair (pricing.report prod).
        monthly_budget_usd=2000,
        deletion_protection=True,
        protect_stateful=True,
        cross_region_backup=True,
        log_lock_mode="COMPLIANCE",
        log_lock_days=365,
        guard_duty=True,
        slo_availability_target=0.999,
        slo_latency_target=0.99,
        slo_processing_target=0.999,
        scrape_interval_seconds=30,
        trace_sampling_ratio=0.1,
    ),
}

STANDBY_RELAXED: dict[str, str] = {
    "natStrategy": "egress of a standby carries only its own pulls and AWS calls until failover",
    "cacheNodes": "the cache is rebuilt from the database, and ops failover adds the replicas",
    "kafkaZones": "events are re-published from the database; the standby's brokers only have to be warm",
    "auroraInstances": "the standby's reader becomes the writer; ops failover adds the readers",
}
"""High-availability rules a standby (standbyFor) of a high-availability tier may relax, with why: until it takes
over, it serves no traffic, and `ops failover` scales what can be scaled in minutes. The security baseline, the
Kubernetes API rule and one node per zone stay."""

TIER_RULES: dict[TierName, TierRules] = {
    "dev": TierRules(
        high_availability=False,
        requires_account_pin=False,
        requires_cross_region_backup=False,
        requires_region_pair=False,
    ),
    "prod": TierRules(
        high_availability=True,
        requires_account_pin=True,
        requires_cross_region_backup=True,
        requires_region_pair=True,
    ),
}
