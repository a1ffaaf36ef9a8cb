"""The stack configuration: one pydantic model, loaded from Pulumi config in one place.

`load_stack_config()` reads every key of the project's namespace, rejects unknown keys, lays the
stack's values over its tier preset (stacks/tiers.py) and validates the result. Any mistake becomes
a `ConfigError` (a `pulumi.RunError`) naming the key, the bad value and what is allowed, raised
before the program registers a single resource.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from typing import Any, Literal

import pulumi
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

from components.errors import InvalidArgumentError
from components.subnet_plan import ZONE_COUNT, parse_vpc_cidr
from stacks.tiers import TIER_PRESETS, TIER_RULES, NatStrategy, TierName
from stacks.zones import DEFAULT_ZONE_IDS

CONFIG_NAMESPACE = "fintech-platform"
"""The project name in Pulumi.yaml, which namespaces every config key of the project."""

TIER_DEFAULT = "tier"
"""Value of a preset key meaning 'take the tier's preset' (the Pulumi.yaml default of such keys)."""

CLOUDWATCH_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
"""The only retention periods CloudWatch Logs accepts."""

DataClassification = Literal["public", "internal", "confidential", "restricted"]

_REGION_PATTERN = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
_ZONE_ID_PATTERN = re.compile(r"^[a-z]{2,5}\d-az\d+$")
_ACCOUNT_PATTERN = re.compile(r"^\d{12}$")


class ConfigError(pulumi.RunError):
    """Invalid stack configuration; the message names the key, the value and what is allowed."""


class StackConfig(BaseModel):
    """Every setting of one stack. Config keys are the camelCase names of these fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

    tier: TierName
    """Cost tier preset: dev or prod. Default: dev."""
    region: str
    """AWS region. Default: us-east-1."""
    account_id: str = ""
    """AWS account the stack must deploy into; empty allows any (refused for prod). Default: empty."""
    vpc_cidr: str = "10.0.0.0/16"
    """IPv4 CIDR of the VPC, /16 to /20, private range. Default: 10.0.0.0/16."""
    availability_zone_ids: tuple[str, ...]
    """Exactly three distinct zone IDs. Default: the region's set in stacks/zones.py."""
    nat_strategy: NatStrategy
    """single or one-per-az. Default: tier (dev single, prod one-per-az)."""
    interface_endpoints: bool
    """Create interface VPC endpoints. Default: tier (dev false, prod true)."""
    log_retention_days: int
    """Days CloudWatch keeps platform logs. Default: tier (dev 30, prod 365)."""
    owner: str = "platform-team"
    """Tag 'owner'. Default: platform-team."""
    cost_center: str = "platform"
    """Tag 'cost-center'. Default: platform."""
    data_classification: DataClassification = "confidential"
    """Tag 'data-classification'. Default: confidential."""

    @field_validator("region")
    @classmethod
    def _region_shape(cls, value: str) -> str:
        if not _REGION_PATTERN.match(value):
            raise ValueError("must be an AWS region name such as us-east-1")
        return value

    @field_validator("account_id")
    @classmethod
    def _account_shape(cls, value: str) -> str:
        if value and not _ACCOUNT_PATTERN.match(value):
            raise ValueError("must be a 12-digit AWS account ID, or empty")
        return value

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
        bad = [zone for zone in value if not _ZONE_ID_PATTERN.match(zone)]
        if bad:
            raise ValueError(f"{bad} are not zone IDs; use IDs such as use1-az1, not names such as us-east-1a")
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _cloudwatch_retention(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be a positive number of days")
        if value not in CLOUDWATCH_RETENTION_DAYS:
            raise ValueError(f"CloudWatch accepts only {', '.join(map(str, CLOUDWATCH_RETENTION_DAYS))}")
        return value

    @field_validator("owner", "cost_center")
    @classmethod
    def _non_empty_tag(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty: every resource is tagged with it")
        return value

    @model_validator(mode="after")
    def _tier_rules(self) -> StackConfig:
        rules = TIER_RULES[self.tier]
        if rules.high_availability and self.nat_strategy == "single":
            raise ValueError(
                f"{_key('natStrategy')} = 'single' is not allowed for tier '{self.tier}': one NAT gateway "
                "is a single point of failure for all egress; use 'one-per-az'"
            )
        if rules.requires_account_pin and not self.account_id:
            raise ValueError(
                f"{_key('accountId')} must be set for tier '{self.tier}', so the stack can never "
                "deploy into another account"
            )
        return self


def config_keys() -> list[str]:
    """The config keys (without namespace) a stack may set."""
    return sorted(field.alias or name for name, field in StackConfig.model_fields.items())


def _key(key: str) -> str:
    return f"{CONFIG_NAMESPACE}:{key}"


def parse_stack_config(raw: Mapping[str, Any]) -> StackConfig:
    """Validate the project-namespace config values `raw` (keys without namespace) against the tier."""
    known = set(config_keys())
    unknown = sorted(set(raw) - known)
    if unknown:
        key = unknown[0]
        hint = difflib.get_close_matches(key, sorted(known), n=1)
        suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
        raise ConfigError(f"{_key(key)}: unknown config key{suggestion} Known keys: {', '.join(sorted(known))}")
    tier = raw.get("tier", "dev")
    if tier not in TIER_PRESETS:
        raise ConfigError(f"{_key('tier')} = '{tier}': unknown tier; allowed: {', '.join(TIER_PRESETS)}")
    region = raw.get("region", "us-east-1")
    if not isinstance(region, str) or not _REGION_PATTERN.match(region):
        raise ConfigError(f"{_key('region')} = {region!r}: not an AWS region name such as us-east-1")
    preset_keys = {to_camel(name) for name in TIER_PRESETS[tier].model_dump()}
    values: dict[str, Any] = TIER_PRESETS[tier].model_dump(by_alias=False)
    values = {to_camel(name): value for name, value in values.items()}
    values["tier"] = tier
    for key, value in raw.items():
        if key in preset_keys and value == TIER_DEFAULT:
            continue
        values[key] = value
    values["region"] = region
    zones = _json_array(values.get("availabilityZoneIds", []), "availabilityZoneIds")
    if not zones:
        zones = list(DEFAULT_ZONE_IDS.get(values["region"], ()))
        if not zones:
            raise ConfigError(
                f"{_key('availabilityZoneIds')}: region '{values['region']}' has no default zone set; "
                f"set three zone IDs (regions with defaults: {', '.join(DEFAULT_ZONE_IDS)})"
            )
    values["availabilityZoneIds"] = tuple(zones)
    try:
        return StackConfig.model_validate(values)
    except ValidationError as err:
        raise ConfigError(_describe(err)) from None


def _json_array(value: Any, key: str) -> list[Any]:
    """Config arrays arrive JSON-encoded from the Pulumi engine; accept both forms."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except json.JSONDecodeError:
            raise ConfigError(f"{_key(key)} = '{value}': not a list; set it with --path '{key}[0]'") from None
    if not isinstance(value, list):
        raise ConfigError(f"{_key(key)} = '{value}': must be a list")
    return value


def _describe(err: ValidationError) -> str:
    lines = []
    for problem in err.errors():
        message = problem["msg"].removeprefix("Value error, ")
        if problem["loc"]:
            key = str(problem["loc"][0])
            lines.append(f"{_key(key)} = {problem['input']!r}: {message}")
        else:
            lines.append(message)
    return "invalid stack configuration:\n  " + "\n  ".join(lines)


def read_project_config() -> dict[str, Any]:
    """All config values of this project's namespace, keys without the namespace prefix."""
    from pulumi.runtime import config as runtime_config

    prefix = f"{CONFIG_NAMESPACE}:"
    merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return {key[len(prefix) :]: value for key, value in merged.items() if key.startswith(prefix)}


def load_stack_config() -> StackConfig:
    """Load and validate the running stack's configuration; raises ConfigError on any mistake."""
    return parse_stack_config(read_project_config())
