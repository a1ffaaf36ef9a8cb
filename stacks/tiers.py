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
    aurora_instance_class: str
    """Aurora instance class: db.serverless (Serverless v2, sized by the ACU range) or a provisioned class."""
    aurora_min_acu: float
    """Aurora Serverless v2 minimum capacity per instance (ACUs), when auroraInstanceClass is db.serverless; a
    provisioned cluster has no Serverless v2 scaling configuration (components/aurora.py)."""
    aurora_max_acu: float
    """Aurora Serverless v2 maximum capacity per instance (ACUs)."""
    aurora_backup_retention_days: int
    """Aurora point-in-time backup retention."""
    aurora_monitoring_interval: Literal[0, 1, 5, 10, 15, 30, 60]
    """Aurora enhanced monitoring interval in seconds; 0 turns it off."""
    failover_aurora_readers: int
    """Aurora readers the region pair's Region switch plan adds to a standby's (standbyFor) cluster when it activates
    the standby's region - the writer's class, in other zones - and removes on failback; read by a standby only."""
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
    production_classes: bool
    """True where nodes, cache, brokers and Aurora run on production classes (PRODUCTION_CLASSES, no burstable
    family) and Serverless v2 at or above AWS's recommended minimum: a stack may still choose otherwise by config,
    and the program warns (stacks/tier_checks.py)."""
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
        aurora_instance_class="db.serverless",
        aurora_min_acu=0.5,
        aurora_max_acu=2,
        aurora_backup_retention_days=1,
        aurora_monitoring_interval=0,
        failover_aurora_readers=0,
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
        monthly_budget_usd=400,
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
        aurora_instance_class="db.r6g.large",
        aurora_min_acu=8,
        aurora_max_acu=16,
        aurora_backup_retention_days=14,
        aurora_monitoring_interval=60,
        # A promoted standby gets prod's reader count: a writer plus auroraInstances - 1 = 1 reader.
        failover_aurora_readers=1,
        cache_node_type="cache.r6g.large",
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
        node_instance_type="c7g.large",
        node_min=3,
        node_max=12,
        node_disk_gib=30,
        hpa_min_replicas=3,
        hpa_max_replicas=20,
        # The design's figure for prod (issue 21): each stack is judged against its own budget; docs/tiers.md
        # shows what fits and the levers.
        monthly_budget_usd=1800,
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

BURSTABLE_FAMILIES = ("t2", "t3", "t3a", "t4g")
"""Burstable instance families (CPU credits): fine for dev, not for sustained production load."""

ServiceName = Literal["nodes", "cache", "brokers", "aurora"]

CLASS_KEYS: dict[ServiceName, str] = {
    "nodes": "nodeInstanceType",
    "cache": "cacheNodeType",
    "brokers": "kafkaBrokerType",
    "aurora": "auroraInstanceClass",
}
"""The config key that chooses each service's instance class."""

PRODUCTION_CLASSES: dict[ServiceName, tuple[str, ...]] = {
    "nodes": ("c7g.large", "m7g.large", "m7g.xlarge"),
    "cache": ("cache.r6g.large", "cache.r7g.large"),
    "brokers": ("kafka.m7g.large",),
    "aurora": ("db.serverless", "db.r6g.large", "db.r7g.large"),
}
"""Production classes per service (priced in pricing/prices.yaml): Graviton general purpose (m7g), memory (r6g/r7g)
or compute (c7g) classes, never a burstable family. The policy pack's advisory class list for a production tier
(policies/rules/cost.py PROD_CLASSES) is these, flattened (tests/test_tiers.py holds them together)."""

AURORA_MIN_ACU_PERFORMANCE_INSIGHTS = 2.0
"""ACUs AWS recommends at least for a Serverless v2 instance with Performance Insights (on in every stack)."""
AURORA_MIN_ACU_GLOBAL_PRIMARY = 8.0
"""ACUs AWS recommends at least for Serverless v2 in an Aurora global database, applying to the primary Region only.
Both: Aurora User Guide, 'Choosing the minimum Aurora Serverless v2 capacity setting for a cluster'
(https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.setting-capacity.html
#aurora-serverless-v2.min_capacity_considerations): "Performance Insights - 2 ACUs; Aurora global databases -
8 ACUs (applies only to the primary AWS Region)". The same section maps a provisioned class to ACUs by memory
(1 ACU ~ 2 GiB): db.r6g.large (16 GiB) is the 8-ACU floor, held all the time."""

AURORA_CLASS_MEMORY_GIB: dict[str, int] = {
    "db.t4g.medium": 4,
    "db.t4g.large": 8,
    "db.r6g.large": 16,
    "db.r7g.large": 16,
}
"""Memory of the provisioned Aurora classes priced here (Aurora User Guide, 'Hardware specifications for DB instance
classes for Aurora'); at about 2 GiB per ACU, a class holds memory/2 ACUs all the time."""


PRESET_REASONS: dict[TierName, dict[ServiceName, str]] = {
    "dev": {
        "nodes": "burstable Graviton: idle most of the day, credits cover the bursts of tests and deploys",
        "cache": "smallest Valkey node: a dev cache holds little and is rebuilt from the database",
        "brokers": "smallest MSK broker: dev topics carry test traffic only",
        "aurora": "Serverless v2 from 0.5 ACU: scales down when idle, Performance Insights on as everywhere",
    },
    "prod": {
        "nodes": "compute-optimised Graviton, no CPU credits: the capacity model (stacks/capacity.py) is CPU-bound "
        "at both scales, so m7g's extra memory would be paid and not used",
        "cache": "memory-optimised Valkey (13 GiB): sustained load without credits; r6g is the cheaper of the "
        "r6g/r7g production classes",
        "brokers": "the smallest non-burstable MSK broker, 3 brokers over 3 zones (replication factor 3, min ISR 2)",
        "aurora": "provisioned db.r6g.large (16 GiB: AWS's 8-ACU floor for a global database's primary, held all "
        "the time); its saving against Serverless v2 held at 8 ACUs is prod's first lever (pricing.levers)",
    },
}
"""Why each tier runs the class it does (docs/tiers.md shows these next to the classes; tests/test_tiers.py checks
that the page matches)."""


STANDBY_RELAXED: dict[str, str] = {
    "natStrategy": "egress of a standby carries only its own pulls and AWS calls until failover",
    "cacheNodes": "the cache is rebuilt from the database, and ops failover adds the replicas",
    "kafkaZones": "events are re-published from the database; the standby's brokers only have to be warm",
    "auroraInstances": "the standby's reader becomes the writer; the Region switch plan adds failoverAuroraReaders "
    "readers",
}
"""High-availability rules a standby (standbyFor) of a high-availability tier may relax, with why: until it takes
over, it serves no traffic, and `ops failover` scales what can be scaled in minutes. The security baseline, the
Kubernetes API rule and one node per zone stay."""

STANDBY_SIZES: dict[str, str] = {
    "nodeInstanceType": "t4g.medium: three idle nodes, one per zone, hold the warm workloads; burstable (warned) until "
    "failover, when they carry prod's traffic on credits until the class is changed",
    "hpaMinReplicas": "1: one pod per workload answers health checks; ops failover raises it to prod's",
    "auroraInstanceClass": "db.serverless: the secondary scales with its ACUs, cheap while it only replays prod's "
    "writes, and scales up on promotion",
    "auroraMinAcu": "0.5: below the 2 ACUs AWS recommends with Performance Insights (warned); the 8-ACU global "
    "database floor applies to the primary Region only",
    "interfaceEndpoints": "false: the idle standby's few AWS API calls go through its NAT gateway",
    "cacheNodeType": "cache.t4g.micro: burstable (warned); the cache is rebuilt from the database after failover",
    "kafkaBrokerType": "kafka.t3.small: burstable (warned); the brokers only have to be warm until failover",
    "kafkaBrokers": "2: one per zone of its two zones (kafkaZones is relaxed)",
    "kafkaVolumeGib": "20: an idle standby's topics hold little; storage autoscaling grows it",
    "kafkaVolumeMaxGib": "100: the autoscaling ceiling of an idle standby",
    "monthlyBudgetUsd": "540: its own budget, at most 30% of prod's (issue 21)",
}
"""Preset values a standby (standbyFor) sets below its tier by config, with why: sizes, not HA rules (those are
STANDBY_RELAXED) and never the security baseline. tests/test_tiers.py checks that the standby's stack file differs
from its tier only in these keys and STANDBY_RELAXED, and that each value named here is the one it sets."""


TIER_RULES: dict[TierName, TierRules] = {
    "dev": TierRules(
        high_availability=False,
        requires_account_pin=False,
        requires_cross_region_backup=False,
        production_classes=False,
        requires_region_pair=False,
    ),
    "prod": TierRules(
        high_availability=True,
        requires_account_pin=True,
        requires_cross_region_backup=True,
        production_classes=True,
        requires_region_pair=True,
    ),
}
