"""Patching: versions inside their vendor's standard support, minor upgrades applied, images scanned and
immutable."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from policies.rules.base import ResourceView, Rule
from policies.rules.shapes import eks_version

AREA = "patching"


def _version_tuple(version: str) -> tuple[int, ...]:
    parts: list[int] = []
    for part in str(version).split("."):
        if not part.isdigit():
            break
        parts.append(int(part))
    return tuple(parts)


def _eks_version(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    version = eks_version(r)
    if version is None:
        yield "the Kubernetes version is not pinned: EKS picks its default, which leaves standard support in time"
    elif _version_tuple(version) < _version_tuple(config["minVersion"]):
        yield f"Kubernetes {version} is out of EKS standard support (oldest supported: {config['minVersion']})"


def _aurora_engine(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    if not str(r.get("engine", "")).startswith("aurora-postgresql"):
        return
    version = r.get("engineVersion")
    if not version:
        yield "the engine version is not pinned"
    elif _version_tuple(version)[:1] < (int(config["minMajor"]),):
        yield f"Aurora PostgreSQL {version} is out of standard support (oldest supported major: {config['minMajor']})"


def _cache_minor_upgrades(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if r.get("autoMinorVersionUpgrade") is not True:
        yield "minor engine versions (security patches) are not applied automatically"


def _ecr_images(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if r.get("imageTagMutability") != "IMMUTABLE":
        yield "image tags can be overwritten (imageTagMutability must be IMMUTABLE)"
    if r.get("imageScanningConfiguration.scanOnPush") is not True:
        yield "images are not scanned for vulnerabilities on push"


# Standard support: EKS 1.34 ended 2026-12-02 (raised to 1.35, issue 20.6), 1.35 until 2027-03-27
# (https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html); Aurora PostgreSQL 14 until
# 2027-02-28 (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraPostgreSQLReleaseNotes/aurorapostgresql-release-calendar.html).
# Raise the defaults as those dates pass.
RULES = [
    Rule("eks-version-supported", AREA, "The EKS cluster runs a Kubernetes version in standard support.",
         Severity.HIGH, "6.3.3", "Upgrade the cluster (kubernetesVersion) to a version in standard support.",
         ("eks:index:Cluster", "aws:eks/cluster:Cluster"), _eks_version,
         config={"minVersion": {"type": "string", "default": "1.35"}}),
    Rule("aurora-engine-supported", AREA, "Aurora PostgreSQL runs a pinned major version in standard support.",
         Severity.HIGH, "6.3.3", "Upgrade engineVersion to a major version in standard support.",
         ("aws:rds/cluster:Cluster", "aws:rds/clusterInstance:ClusterInstance", "aws:rds/globalCluster:GlobalCluster"),
         _aurora_engine,
         config={"minMajor": {"type": "integer", "default": 14}}),
    Rule("cache-minor-upgrades", AREA, "ElastiCache applies minor engine versions automatically.", Severity.MEDIUM,
         "6.3.3", "Set autoMinorVersionUpgrade=true.", ("aws:elasticache/replicationGroup:ReplicationGroup",),
         _cache_minor_upgrades),
    Rule("ecr-images-immutable-scanned", AREA, "ECR repositories keep tags immutable and scan images on push.",
         Severity.HIGH, "6.3.1", "Set imageTagMutability=IMMUTABLE and imageScanningConfiguration.scanOnPush=true.",
         ("aws:ecr/repository:Repository",), _ecr_images),
]  # fmt: skip
