"""The dev and prod cost tiers: every value a tier decides, in one place.

A tier changes size, redundancy, retention and protection - never the security baseline
(encryption, TLS, private placement, least privilege and logging are the same in both).
A stack file overrides any field here by setting the config key of the same name.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

TierName = Literal["dev", "prod"]
NatStrategy = Literal["single", "one-per-az"]


class TierPreset(BaseModel):
    """Values a tier sets; each is also a config key (camelCase) that a stack may override."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    nat_strategy: NatStrategy
    """NAT gateways: one shared gateway, or one per availability zone."""
    interface_endpoints: bool
    """Whether interface VPC endpoints (ecr, sts, logs, secretsmanager, kms) are created."""
    log_retention_days: int
    """Days CloudWatch keeps platform logs."""


class TierRules(BaseModel):
    """Invariants of a tier that no stack override may break."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    high_availability: bool
    """True where every shared path must survive the loss of one availability zone."""
    requires_account_pin: bool
    """True where the stack must name its AWS account, so it can never deploy into another."""


TIER_PRESETS: dict[TierName, TierPreset] = {
    "dev": TierPreset(nat_strategy="single", interface_endpoints=False, log_retention_days=30),
    "prod": TierPreset(nat_strategy="one-per-az", interface_endpoints=True, log_retention_days=365),
}

TIER_RULES: dict[TierName, TierRules] = {
    "dev": TierRules(high_availability=False, requires_account_pin=False),
    "prod": TierRules(high_availability=True, requires_account_pin=True),
}
