"""Cost guards: no extended-support fee, and instance classes within the tier's list (advisory)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from policies.rules.base import ResourceView, Rule
from policies.rules.shapes import eks_support_type

AREA = "cost"
PROD_CLASSES = ["c7g.large", "m7g.large", "m7g.xlarge", "cache.r6g.large", "cache.r7g.large", "kafka.m7g.large",
                "db.serverless", "db.r6g.large", "db.r7g.large"]  # fmt: skip
"""Production classes, no burstable family: the default list of instance-classes-in-tier. A stack that runs
smaller classes by choice (dev; a standby) is flagged (advisory) unless its policy config lists them, as the program
warns about a burstable class in a production tier. The same list as stacks/tiers.py PRODUCTION_CLASSES, which the
pack does not import (policies audit what a program registers); tests/test_tiers.py holds the two together."""


def _standard_support(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if eks_support_type(r) != "STANDARD":
        yield "upgrade policy is EXTENDED: an aging version bills the control plane at six times the price"


def _instance_classes(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    classes = {
        "aws:eks/nodeGroup:NodeGroup": r.get("instanceTypes") or ["t3.medium"],
        "aws:rds/clusterInstance:ClusterInstance": [r.get("instanceClass")],
        "aws:elasticache/replicationGroup:ReplicationGroup": [r.get("nodeType")],
        "aws:msk/cluster:Cluster": [r.get("brokerNodeGroupInfo.instanceType")],
    }.get(r.type, [])
    outside = [c for c in classes if c and c not in config["allowedClasses"]]
    if outside:
        yield f"instance class(es) {outside} are outside the tier's list {config['allowedClasses']}"


RULES = [
    Rule("eks-standard-support-only", AREA, "EKS clusters are on the STANDARD upgrade policy.", Severity.MEDIUM,
         "6.3.3", "Set upgradePolicy.supportType=STANDARD and keep the version in standard support.",
         ("eks:index:Cluster", "aws:eks/cluster:Cluster"), _standard_support),
    Rule("instance-classes-in-tier", AREA, "Instance classes come from the tier's list.", Severity.LOW, "12.5.1",
         "Use a class from the list, or add it to the policy config after a cost review.",
         ("aws:eks/nodeGroup:NodeGroup", "aws:rds/clusterInstance:ClusterInstance",
          "aws:elasticache/replicationGroup:ReplicationGroup", "aws:msk/cluster:Cluster"), _instance_classes,
         enforcement=EnforcementLevel.ADVISORY,
         config={"allowedClasses": {"type": "array", "items": {"type": "string"}, "default": PROD_CLASSES}}),
]  # fmt: skip
