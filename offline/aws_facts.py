"""What the offline engine answers for AWS look-ups: a snapshot of public facts, not live data.

Zone IDs per region as AWS publishes them (opt-in local zones excluded). The account used when a
stack pins none is the documentation account 123456789012.
"""

from __future__ import annotations

OFFLINE_ACCOUNT_ID = "123456789012"

REGION_ZONE_IDS: dict[str, tuple[str, ...]] = {
    "us-east-1": ("use1-az1", "use1-az2", "use1-az3", "use1-az4", "use1-az5", "use1-az6"),
    "us-east-2": ("use2-az1", "use2-az2", "use2-az3"),
    "us-west-2": ("usw2-az1", "usw2-az2", "usw2-az3", "usw2-az4"),
    "eu-west-1": ("euw1-az1", "euw1-az2", "euw1-az3"),
    "eu-central-1": ("euc1-az1", "euc1-az2", "euc1-az3"),
}

ALB_HOSTED_ZONE_IDS: dict[str, str] = {
    "us-east-1": "Z35SXDOTRQ7X7K", "us-east-2": "Z3AADJGX6KTTL2", "us-west-2": "Z1H1FL5HABSF5",
    "eu-west-1": "Z32O12XQLNTSW2", "eu-central-1": "Z215JYRZR1TBD5",
}  # fmt: skip
"""Canonical hosted zone of Application Load Balancers per region (AWS General Reference, "Elastic Load
Balancing endpoints and quotas"): what `LoadBalancer.zone_id` returns, the alias target zone of a record."""


def zone_names(region: str) -> list[str]:
    """Zone names of a region in the offline snapshot (a, b, c, ... in zone-ID order)."""
    return [f"{region}{chr(ord('a') + index)}" for index in range(len(REGION_ZONE_IDS.get(region, ())))]


def partition_of(region: str) -> str:
    """The AWS partition a region belongs to."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"
