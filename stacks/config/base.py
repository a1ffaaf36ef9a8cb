"""What every area of the stack configuration shares: the namespace, the error type, and the base model
holding the keys that name the stack's place (tier, region, account) and the helpers that show values in
error messages.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from typing import Any

import pulumi
from pydantic import ConfigDict, PrivateAttr, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel, to_snake

from components.subnet_plan import ZONE_COUNT
from stacks.aws_limits import ACCOUNT_PATTERN, REGION_PATTERN, partition_of
from stacks.tiers import TierName, TierPreset

CONFIG_NAMESPACE = "fintech-platform"
"""The project name in Pulumi.yaml, which namespaces every config key of the project."""

TIER_DEFAULT = "tier"
"""Value of a preset key meaning 'take the tier's preset' (the Pulumi.yaml default of such keys)."""

VALIDATING_SECRETS: ContextVar[frozenset[str]] = ContextVar("validating_secrets", default=frozenset())
"""Secret keys of the config being validated (the model's own set is attached only after validation)."""


class ConfigError(pulumi.RunError):
    """Invalid stack configuration; the message names the key, the value and what is allowed."""


def ns_key(key: str) -> str:
    """A config key with the project's namespace, as error messages name it."""
    return f"{CONFIG_NAMESPACE}:{key}"


def check_region_name(value: str) -> str:
    """The shape of an AWS region name (region, drRegion)."""
    if not REGION_PATTERN.fullmatch(value):
        raise ValueError("must be an AWS region name such as us-east-1")
    return value


def check_one_per_zone(value: int) -> int:
    """A count of things placed one per availability zone (instances, nodes, endpoint interfaces)."""
    if not 1 <= value <= ZONE_COUNT:
        raise ValueError(f"must be 1 to {ZONE_COUNT} (one per zone)")
    return value


@cache
def priced(prefix: str) -> frozenset[str]:
    """Instance types the cost model has a price for: the rows of pricing/prices.yaml under `prefix`."""
    from pricing.model import load_prices

    return frozenset(key[len(prefix) :] for key in load_prices().prices if key.startswith(prefix))


class ConfigBase(TierPreset):
    """The tier preset fields (stacks/tiers.py) plus the keys that place the stack. Every area model
    (stacks/config/<area>.py) extends this one; StackConfig combines them. Config keys are the camelCase
    names of the fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)
    _secret_keys: frozenset[str] = PrivateAttr(default_factory=frozenset)

    tier: TierName
    """Cost tier preset: dev or prod. Default: dev."""
    region: str
    """AWS region. Default: us-east-1."""
    account_id: str = ""
    """AWS account the stack must deploy into; empty allows any (refused for prod). Default: empty."""

    @property
    def secret_keys(self) -> frozenset[str]:
        """Config keys (camelCase) whose values were set with --secret; their values stay secret."""
        return self._secret_keys

    @property
    def partition(self) -> str:
        """The AWS partition of the stack's region."""
        return partition_of(self.region)

    @field_validator("region")
    @classmethod
    def _region_shape(cls, value: str) -> str:
        return check_region_name(value)

    @field_validator("account_id")
    @classmethod
    def _account_shape(cls, value: str) -> str:
        if value and not ACCOUNT_PATTERN.fullmatch(value):
            raise ValueError("must be a 12-digit AWS account ID, or empty")
        return value

    def _pair_message(self, low: str, high: str, info: ValidationInfo, rule: str) -> str:
        """A message for two keys out of order that names first the one the stack set (the value at fault);
        when the stack set both, or neither, the pair is named low first."""
        set_keys = (info.context or {}).get("set_keys", set())
        low_value, high_value = self._v(low), self._v(high)
        if high in set_keys and low not in set_keys:
            return f"{ns_key(high)} = {high_value} is below {ns_key(low)} = {low_value}; {rule}"
        return f"{ns_key(low)} = {low_value} is above {ns_key(high)} = {high_value}; {rule}"

    def _shown(self, key: str, value: Any) -> str:
        """How an error message shows a key's value: repr, or [secret] for a value set with --secret."""
        return "[secret]" if key in self._secret_keys | VALIDATING_SECRETS.get() else repr(value)

    def _v(self, key: str) -> str:
        """The value of config key `key` as an error message shows it."""
        return self._shown(key, getattr(self, to_snake(key)))
