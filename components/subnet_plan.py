"""Deterministic carving of a VPC CIDR into per-zone subnets.

The VPC is cut into four quarters. Quarters 0-2 are the large private (workload) subnets, one per
zone: EKS gives every pod a VPC address, so they get the room. Quarter 3 is a pool of 16 small slots;
each small tier owns four fixed slots (three zones and one spare). Every tier's place depends only on
its own slot numbers, so adding a tier in a free slot never renumbers an existing subnet.

For a /16: private /18 (16,384 addresses each), public and database /22 (1,024 each).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal

from components.errors import InvalidArgumentError

ZONE_COUNT = 3
LARGEST_VPC_PREFIX = 16
"""AWS allows no VPC CIDR larger than a /16."""
SMALLEST_VPC_PREFIX = 20
"""The plan needs at least a /20: three /22 private subnets and /26 public and database subnets."""
_LARGE_POOL_NEWBITS = 2
_SMALL_POOL_INDEX = 3
_SMALL_SLOT_NEWBITS = 4

Pool = Literal["large", "small"]


@dataclass(frozen=True)
class SubnetTier:
    """Where one subnet tier sits in the VPC."""

    name: str
    """Tier name, used in resource names and the `tier` tag."""
    pool: Pool
    """'large' (a quarter of the VPC per zone) or 'small' (a slot of the last quarter)."""
    first_slot: int
    """Index of the tier's zone-0 block in its pool; zones 1 and 2 follow it."""


SUBNET_TIERS: tuple[SubnetTier, ...] = (
    SubnetTier("private", "large", 0),
    SubnetTier("public", "small", 0),
    SubnetTier("database", "small", 4),
    # Small slots 8-15 are free for future tiers (for example an isolated 'intra' tier).
)


def parse_vpc_cidr(vpc_cidr: str, argument: str = "vpc_cidr") -> ipaddress.IPv4Network:
    """Parse and check a VPC CIDR: strict IPv4 network, private range, /16 to /20."""
    try:
        network = ipaddress.IPv4Network(vpc_cidr, strict=True)
    except ValueError as err:
        raise InvalidArgumentError(
            f"{argument}: '{vpc_cidr}' is not a valid IPv4 CIDR ({err}); expected a network such as 10.0.0.0/16"
        ) from None
    if not network.is_private:
        raise InvalidArgumentError(
            f"{argument}: '{vpc_cidr}' is not a private range; use RFC 1918 space (10/8, 172.16/12, 192.168/16)"
        )
    if network.prefixlen < LARGEST_VPC_PREFIX:
        raise InvalidArgumentError(
            f"{argument}: '{vpc_cidr}' is larger than AWS allows for a VPC; use a /{LARGEST_VPC_PREFIX} "
            f"to /{SMALLEST_VPC_PREFIX}"
        )
    if network.prefixlen > SMALLEST_VPC_PREFIX:
        raise InvalidArgumentError(
            f"{argument}: '{vpc_cidr}' is too small for the subnet plan (3 zones x private, public and "
            f"database subnets); use a /{LARGEST_VPC_PREFIX} to /{SMALLEST_VPC_PREFIX}"
        )
    return network


def plan_subnets(
    vpc_cidr: str, tiers: tuple[SubnetTier, ...] = SUBNET_TIERS
) -> dict[str, tuple[ipaddress.IPv4Network, ...]]:
    """Return, per tier name, its subnet CIDRs in zone order (3 each). Raises on a bad CIDR or layout."""
    network = parse_vpc_cidr(vpc_cidr)
    quarters = list(network.subnets(prefixlen_diff=_LARGE_POOL_NEWBITS))
    small_slots = list(quarters[_SMALL_POOL_INDEX].subnets(prefixlen_diff=_SMALL_SLOT_NEWBITS))
    pools = {"large": quarters[:_SMALL_POOL_INDEX], "small": small_slots}
    plan: dict[str, tuple[ipaddress.IPv4Network, ...]] = {}
    taken: dict[tuple[str, int], str] = {}
    for tier in tiers:
        slots = pools[tier.pool]
        indexes = range(tier.first_slot, tier.first_slot + ZONE_COUNT)
        if tier.first_slot < 0 or indexes[-1] >= len(slots):
            raise InvalidArgumentError(
                f"tiers: '{tier.name}' needs {tier.pool} slots {indexes[0]}-{indexes[-1]}, "
                f"but the {tier.pool} pool has slots 0-{len(slots) - 1}"
            )
        for index in indexes:
            owner = taken.setdefault((tier.pool, index), tier.name)
            if owner != tier.name:
                raise InvalidArgumentError(f"tiers: '{tier.name}' and '{owner}' both claim {tier.pool} slot {index}")
        plan[tier.name] = tuple(slots[index] for index in indexes)
    return plan
