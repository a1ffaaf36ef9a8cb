"""Region pair keys: the DR region (backup copies, the other stack of a pair), the pair's two sides and the
Route 53 failover record that moves traffic between them."""

from __future__ import annotations

from typing import Literal

from pydantic import ValidationInfo, field_validator
from pydantic.alias_generators import to_snake

from stacks.aws_limits import DNS_NAME_MAX, DNS_NAME_PATTERN, HOSTED_ZONE_ID_PATTERN, partition_of
from stacks.config.base import ConfigBase, check_region_name, ns_key
from stacks.name_limits import MAX_STACK_NAME_LENGTH, STACK_NAME_PATTERN
from stacks.tiers import TIER_RULES

FAILOVER_READERS_MAX = 3
"""Readers the Region switch plan may add (one or more per zone other than the writer's; a bounded failover cost)."""


class RegionPairConfig(ConfigBase):
    """The DR region and this stack's side of a region pair."""

    dr_region: str = "us-west-2"
    """Region that receives backup copies when crossRegionBackup is on. Default: us-west-2."""
    dr_stack: str = ""
    """Primary side of a region pair: the name of this stack's standby stack in drRegion. Aurora becomes the primary
    of a global database, the master credential and the workload images replicate to drRegion, and dnsName fails
    over to the standby. Default: empty (no standby)."""
    standby_for: str = ""
    """Standby side of a region pair: the name of the primary stack. Aurora joins the primary's global database as
    a secondary, the workload repositories receive the primary's images, and dnsName's SECONDARY record points
    here; the zone-redundancy rules a standby may relax are in STANDBY_RELAXED. Default: empty (not a standby)."""
    dns_zone_id: str = ""
    """Route 53 public hosted zone holding dnsName; required in a region pair. Default: empty."""
    dns_name: str = ""
    """The platform's public name, answered by a Route 53 failover record (PRIMARY in the primary stack, SECONDARY
    in its standby); required in a region pair, the same in both stacks. Default: empty."""

    @property
    def region_pair_role(self) -> Literal["primary", "standby", "none"]:
        """This stack's side of a region pair: primary (drStack set), standby (standbyFor set) or none."""
        if self.dr_stack:
            return "primary"
        return "standby" if self.standby_for else "none"

    @property
    def rotates_master_secret(self) -> bool:
        """Whether the stack rotates its Aurora master secret with Secrets Manager rotation (auroraMasterRotationDays):
        a region pair's primary, which generates the credential (RDS cannot manage a global member's password). A
        regional cluster's RDS-managed secret is rotated by RDS (every 7 days by default); a standby reads the
        primary's replica, which follows the primary's rotations."""
        return self.region_pair_role == "primary"

    def _check_failover_readers_read(self, info: ValidationInfo) -> None:
        """failoverAuroraReaders is read by a standby only (stacks/region_switch.py gives a primary's plan no readers;
        a stack outside a pair has no plan): set in another stack's file, it would do nothing, so it is refused."""
        if self.region_pair_role != "standby" and "failoverAuroraReaders" in (info.context or {}).get("set_keys", ()):
            where = "a region pair's primary" if self.region_pair_role == "primary" else "a stack outside a region pair"
            raise ValueError(
                f"{ns_key('failoverAuroraReaders')} = {self._v('failoverAuroraReaders')} has no effect on {where}: "
                f"only a standby ({ns_key('standbyFor')} set) reads it, to size the readers its Region switch plan "
                "adds when it activates the standby's region; set it in the standby's stack file (allowed here: "
                "leave it unset)"
            )

    @field_validator("failover_aurora_readers")
    @classmethod
    def _failover_readers(cls, value: int) -> int:
        if not 0 <= value <= FAILOVER_READERS_MAX:
            raise ValueError(f"must be 0 to {FAILOVER_READERS_MAX} readers (0: the plan adds none)")
        return value

    @field_validator("dr_region")
    @classmethod
    def _dr_region_shape(cls, value: str) -> str:
        return check_region_name(value)

    @field_validator("dr_stack", "standby_for")
    @classmethod
    def _stack_name(cls, value: str) -> str:
        if value and (not STACK_NAME_PATTERN.match(value) or len(value) > MAX_STACK_NAME_LENGTH):
            raise ValueError(
                f"must be the name of another stack of this project (lowercase letters, digits and single hyphens, "
                f"at most {MAX_STACK_NAME_LENGTH} characters), or empty"
            )
        return value

    @field_validator("dns_zone_id")
    @classmethod
    def _zone_id(cls, value: str) -> str:
        if value and not HOSTED_ZONE_ID_PATTERN.fullmatch(value):
            raise ValueError("must be a Route 53 hosted zone ID such as Z0123456789ABCDEFGHIJ, or empty")
        return value

    @field_validator("dns_name")
    @classmethod
    def _dns_name(cls, value: str) -> str:
        if value and (len(value) > DNS_NAME_MAX or not DNS_NAME_PATTERN.fullmatch(value)):
            raise ValueError(
                f"must be a fully qualified lowercase DNS name such as api.fintech.example.com (labels of letters, "
                f"digits and inner hyphens, at most {DNS_NAME_MAX} characters), or empty"
            )
        return value

    def _check_region_pair(self) -> None:
        """One side at most; a pair needs dnsZoneId and dnsName, which mean nothing outside a pair."""
        if self.dr_stack and self.standby_for:
            raise ValueError(
                f"{ns_key('drStack')} = {self._v('drStack')} and {ns_key('standbyFor')} = {self._v('standbyFor')} "
                "are both set: a stack is either the primary of a region pair (drStack) or its standby (standbyFor)"
            )
        if self.region_pair_role != "none":
            pair_key = "drStack" if self.dr_stack else "standbyFor"
            missing = [key for key in ("dnsZoneId", "dnsName") if not getattr(self, to_snake(key))]
            if missing:
                raise ValueError(
                    f"{ns_key(pair_key)} = {self._v(pair_key)} needs {' and '.join(ns_key(k) for k in missing)}: "
                    "traffic moves between the two stacks of a region pair through a Route 53 failover record"
                )
        elif (self.dns_zone_id or self.dns_name) and not TIER_RULES[self.tier].requires_region_pair:
            # (a tier that requires a pair says so first, in StackConfig._check_tier_rules)
            set_keys = [key for key in ("dnsZoneId", "dnsName") if getattr(self, to_snake(key))]
            shown = ", ".join(f"{ns_key(key)} = {self._v(key)}" for key in set_keys)
            raise ValueError(
                f"{shown}: set without {ns_key('drStack')} or {ns_key('standbyFor')}; the failover record belongs to "
                "a region pair (leave both empty outside one)"
            )

    def _check_dr_region(self) -> None:
        """Where backups are copied or a pair replicates, drRegion is another region of the same partition."""
        uses_dr_region = self.cross_region_backup or self.region_pair_role != "none"
        if uses_dr_region and partition_of(self.dr_region) != self.partition:
            raise ValueError(
                f"{ns_key('drRegion')} = {self._v('drRegion')} is in partition '{partition_of(self.dr_region)}'; "
                f"backups are copied, and a region pair replicates, only within partition '{self.partition}' of "
                f"{self.region}"
            )
        if uses_dr_region and self.dr_region == self.region:
            raise ValueError(
                f"{ns_key('drRegion')} = {self._v('drRegion')} is the stack's own region: a regional outage would "
                "take the copies (and the other stack of a region pair) with it"
            )
