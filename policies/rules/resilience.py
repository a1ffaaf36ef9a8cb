"""Resilience: redundancy across zones, backups and protection against deletion (relaxed for dev by config)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity

from policies.rules.base import ResourceView, Rule, of_type

AREA = "resilience"
STATEFUL_TYPES = (
    "aws:rds/cluster:Cluster", "aws:elasticache/replicationGroup:ReplicationGroup", "aws:msk/cluster:Cluster",
    "aws:kms/key:Key", "aws:backup/vault:Vault", "aws:msk/topic:Topic", "aws:rds/globalCluster:GlobalCluster",
    "aws:secretsmanager/secret:Secret", "aws:amp/workspace:Workspace",
)  # fmt: skip
"""Types that hold data or keys (a Prometheus workspace holds the stored metrics, which a replacement loses).
Aurora instances are not among them: the data lives in the cluster volume, and protecting an instance makes its
routine replacement (zone, identifier) fail (issue 11.11). A secret holds a credential that
exists nowhere else (the generated Aurora master password of a global database)."""


def _secondary(cluster: ResourceView) -> bool:
    """A secondary of an Aurora global database (no master user of its own): its storage is the primary's replica,
    so the primary's stack keeps the final snapshot and the cross-region backup copies (issue 14)."""
    return bool(cluster.get("globalClusterIdentifier")) and not cluster.get("masterUsername")


def _aurora_multi_az(resources: Sequence[ResourceView], config: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    instances = of_type(resources, "aws:rds/clusterInstance:ClusterInstance")
    for cluster in of_type(resources, "aws:rds/cluster:Cluster"):
        members = [i for i in instances if cluster.urn in i.depends_on("clusterIdentifier")]
        zones = {i.get("availabilityZone") for i in members}
        if len(members) < config["minInstances"] or len(zones) < config["minInstances"]:
            yield cluster.urn, (f"{len(members)} instance(s) in {len(zones)} zone(s); at least "
                                f"{config['minInstances']} in distinct zones are required")  # fmt: skip


def _cache_multi_az(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    if int(r.get("numCacheClusters") or 1) < config["minNodes"]:
        yield f"{r.get('numCacheClusters') or 1} node(s); at least {config['minNodes']} are required"
    if config["minNodes"] > 1 and not (r.get("automaticFailoverEnabled") is True and r.get("multiAzEnabled") is True):
        yield "automatic failover and Multi-AZ must both be on"


def _msk_multi_az(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    subnets = r.get("brokerNodeGroupInfo.clientSubnets") or []
    if len(subnets) < config["minZones"]:
        yield f"brokers span {len(subnets)} zone(s); {config['minZones']} are required"


def _nat_per_az(resources: Sequence[ResourceView], config: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    gateways = of_type(resources, "aws:ec2/natGateway:NatGateway")
    for vpc in of_type(resources, "aws:ec2/vpc:Vpc"):
        if len(gateways) < config["minNatGateways"]:
            yield vpc.urn, f"{len(gateways)} NAT gateway(s); {config['minNatGateways']} (one per zone) are required"


def _backup_retention(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    days = r.get("backupRetentionPeriod")
    days = 1 if days is None else int(days)  # AWS default when unset: 1 day
    if days < config["minDays"]:
        yield f"backups kept {days} day(s); at least {config['minDays']} are required"


def _cache_snapshots(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    days = int(r.get("snapshotRetentionLimit") or 0)
    if days < config["minDays"]:
        yield f"snapshots kept {days} day(s); at least {config['minDays']} are required"


def _deletion_protection(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    if not config["required"]:
        return
    field = "enableDeletionProtection" if r.type == "aws:lb/loadBalancer:LoadBalancer" else "deletionProtection"
    if r.type == "aws:lb/loadBalancer:LoadBalancer" and r.get("internal") is True:
        return
    if r.get(field) is not True:
        yield f"{field} is not true"


def _final_snapshot(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    if not config["required"] or _secondary(r):
        return
    if r.get("skipFinalSnapshot") is not False or not r.get("finalSnapshotIdentifier"):
        yield "no final snapshot would be taken on deletion (skipFinalSnapshot=false and an identifier are required)"


# The EKS control plane (aws:eks/cluster:Cluster) is protected, not pulumi-eks' Cluster component: protect on a
# component is inherited by all its children (roles, OIDC provider, Kubernetes provider), so routine replacements
# would fail. The leaf exists only in a real preview (an offline plan holds the component alone).
def _protected(resources: Sequence[ResourceView], config: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    if not config["required"]:
        return
    for resource in resources:
        if (resource.type in STATEFUL_TYPES or resource.type in config["extraTypes"]) and not resource.protect:
            yield resource.urn, "stateful resource is not registered with protect=True"


def _cross_region_copy(resources: Sequence[ResourceView], config: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    """Every Aurora cluster is selected by a Backup plan whose rule copies each recovery point to another vault
    (the DR region's): a regional outage must not take the backups with it."""
    if not config["required"]:
        return
    copying = {
        plan.urn for plan in of_type(resources, "aws:backup/plan:Plan")
        if any(copy.get("destinationVaultArn")
               for rule in plan.get("rules") or [] for copy in rule.get("copyActions") or [])
    }  # fmt: skip
    selected: set[str] = set()
    for selection in of_type(resources, "aws:backup/selection:Selection"):
        if selection.depends_on("planId") & copying:
            selected |= selection.depends_on("resources")
    for cluster in of_type(resources, "aws:rds/cluster:Cluster"):
        if cluster.urn not in selected and not _secondary(cluster):
            yield cluster.urn, "no AWS Backup plan copies this database's backups to the DR region"


RULES = [
    Rule("aurora-multi-az", AREA, "Aurora has a writer and readers in distinct zones.", Severity.HIGH, "12.10.1",
         "Add a reader instance in another zone (auroraInstances >= 2).", stack_check=_aurora_multi_az,
         config={"minInstances": {"type": "integer", "default": 2}}),
    Rule("cache-multi-az", AREA, "ElastiCache has replicas in other zones with automatic failover.", Severity.HIGH,
         "12.10.1", "Set numCacheClusters >= 2, automaticFailoverEnabled and multiAzEnabled.",
         ("aws:elasticache/replicationGroup:ReplicationGroup",), _cache_multi_az,
         config={"minNodes": {"type": "integer", "default": 2}}),
    Rule("msk-multi-az", AREA, "MSK brokers span three zones.", Severity.HIGH, "12.10.1",
         "Use three client subnets (kafkaZones=3).", ("aws:msk/cluster:Cluster",), _msk_multi_az,
         config={"minZones": {"type": "integer", "default": 3}}),
    Rule("nat-per-az", AREA, "Each zone has its own NAT gateway.", Severity.MEDIUM, "12.10.1",
         "Set natStrategy=one-per-az.", stack_check=_nat_per_az,
         config={"minNatGateways": {"type": "integer", "default": 3}}),
    Rule("aurora-backup-retention", AREA, "Aurora keeps point-in-time backups long enough.", Severity.HIGH,
         "12.10.1", "Raise backupRetentionPeriod.", ("aws:rds/cluster:Cluster",), _backup_retention,
         config={"minDays": {"type": "integer", "default": 14}}),
    Rule("cache-snapshot-retention", AREA, "ElastiCache keeps daily snapshots long enough.", Severity.MEDIUM,
         "12.10.1", "Raise snapshotRetentionLimit.", ("aws:elasticache/replicationGroup:ReplicationGroup",),
         _cache_snapshots, config={"minDays": {"type": "integer", "default": 7}}),
    Rule("deletion-protection", AREA, "Databases, the cluster and internet-facing load balancers have deletion "
         "protection.", Severity.HIGH, "12.10.1", "Set deletionProtection / enableDeletionProtection=true.",
         ("aws:rds/cluster:Cluster", "aws:lb/loadBalancer:LoadBalancer", "eks:index:Cluster",
          "aws:eks/cluster:Cluster", "aws:rds/globalCluster:GlobalCluster"),
         _deletion_protection, config={"required": {"type": "boolean", "default": True}}),
    Rule("aurora-final-snapshot", AREA, "Deleting Aurora takes a final snapshot.", Severity.HIGH, "12.10.1",
         "Set skipFinalSnapshot=false and a deterministic finalSnapshotIdentifier.", ("aws:rds/cluster:Cluster",),
         _final_snapshot, config={"required": {"type": "boolean", "default": True}}),
    Rule("aurora-cross-region-backup", AREA, "Aurora backups are copied to the DR region.", Severity.HIGH, "12.10.1",
         "Set crossRegionBackup=true: an AWS Backup plan selecting the cluster with a copy action to the DR vault.",
         stack_check=_cross_region_copy, config={"required": {"type": "boolean", "default": True}}),
    Rule("stateful-resources-protected", AREA, "Stateful resources are registered with Pulumi protect.",
         Severity.HIGH, "12.10.1", "Pass protect=True (protectStateful) so pulumi destroy cannot delete them.",
         stack_check=_protected, config={"required": {"type": "boolean", "default": True},
                                         "extraTypes": {"type": "array", "items": {"type": "string"},
                                                        "default": ["aws:eks/cluster:Cluster"]}}),
]  # fmt: skip
