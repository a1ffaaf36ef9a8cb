"""Network keys: the VPC's CIDR and zones, and the interface endpoints' zones (natStrategy,
interfaceEndpoints and interfaceEndpointZones are tier preset fields, stacks/tiers.py)."""

from __future__ import annotations

import ipaddress

from pydantic import field_validator

from components.errors import InvalidArgumentError
from components.subnet_plan import ZONE_COUNT, parse_vpc_cidr
from stacks.aws_limits import ZONE_ID_PATTERN
from stacks.config.base import ConfigBase, check_one_per_zone


def check_cidr_list(value: tuple[str, ...]) -> tuple[str, ...]:
    """Each item an IPv4 or IPv6 network without host bits (eksPublicAccessCidrs, albIngressCidrs)."""
    for cidr in value:
        if not isinstance(cidr, str) or not cidr.isascii() or cidr != cidr.strip():
            raise ValueError(f"{cidr!r} is not a CIDR such as 203.0.113.0/24")
        try:
            ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            raise ValueError(f"'{cidr}' is not a CIDR such as 203.0.113.0/24 (no host bits set)") from None
    return value


class NetworkConfig(ConfigBase):
    """The VPC: address range and availability zones."""

    vpc_cidr: str = "10.0.0.0/16"
    """IPv4 CIDR of the VPC, /16 to /20, private range. Default: 10.0.0.0/16."""
    availability_zone_ids: tuple[str, ...]
    """Exactly three distinct zone IDs. Default: the region's set in stacks/zones.py."""

    @field_validator("vpc_cidr")
    @classmethod
    def _vpc_cidr_fits_plan(cls, value: str) -> str:
        try:
            parse_vpc_cidr(value, argument="vpcCidr")
        except InvalidArgumentError as err:
            raise ValueError(str(err).removeprefix(f"vpcCidr: '{value}' ")) from None
        return value

    @field_validator("availability_zone_ids")
    @classmethod
    def _three_distinct_zone_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(value) != ZONE_COUNT or len(set(value)) != ZONE_COUNT:
            raise ValueError(f"must list exactly {ZONE_COUNT} distinct zone IDs")
        bad = [zone for zone in value if not ZONE_ID_PATTERN.fullmatch(zone)]
        if bad:
            raise ValueError(f"{bad} are not zone IDs; use IDs such as use1-az1, not names such as us-east-1a")
        return value

    @field_validator("interface_endpoint_zones")
    @classmethod
    def _endpoint_zones(cls, value: int) -> int:
        return check_one_per_zone(value)
