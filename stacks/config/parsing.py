"""From the engine's text values to a validated StackConfig: unknown and baseline keys, the tier preset
under the stack's values, text to typed values, and pydantic's errors as one ConfigError message."""

from __future__ import annotations

import datetime
import difflib
import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal, get_args, get_origin

from pydantic import ValidationError
from pydantic.alias_generators import to_camel, to_snake

from stacks.aws_limits import BOOL_TEXT, FLOAT_TEXT, INT_TEXT, REGION_PATTERN
from stacks.config.base import TIER_DEFAULT, VALIDATING_SECRETS, ConfigError, ns_key
from stacks.config.model import StackConfig
from stacks.tiers import TIER_PRESETS
from stacks.zones import DEFAULT_ZONE_IDS

BASELINE_SETTINGS = {
    "cacheAuth": "IAM authentication on the cache",
    "cacheTransitEncryption": "TLS to the cache",
    "storageEncrypted": "encryption at rest",
    "auroraForceSsl": "TLS to Aurora",
    "auroraIamAuth": "IAM database authentication",
    "kafkaUnauthenticatedAccess": "authenticated Kafka clients",
    "kafkaTls": "TLS to Kafka",
    "flowLogs": "VPC flow logs",
    "auditTrail": "the account audit trail (where an organization trail records the account, set organizationTrail)",
}
"""Settings a user may look for that do not exist: they are the security baseline in every tier."""


def config_keys() -> list[str]:
    """The config keys (without namespace) a stack may set."""
    return sorted(field.alias or name for name, field in StackConfig.model_fields.items())


def parse_stack_config(
    raw: Mapping[str, Any], secret_keys: Iterable[str] = (), today: datetime.date | None = None
) -> StackConfig:
    """Validate the project-namespace config values `raw` (keys without namespace) against the tier, on
    `today` (default: the real date; it decides which Kubernetes versions are still in standard support).

    Values arrive as text, as the Pulumi engine passes them; keys in `secret_keys` were set with
    --secret and their values are never shown in an error message.
    """
    secrets = frozenset(secret_keys)
    known = set(config_keys())
    unknown = sorted(set(raw) - known)
    baseline = [key for key in unknown if key in BASELINE_SETTINGS]
    if baseline:
        key = baseline[0]
        raise ConfigError(
            f"{ns_key(key)}: not a setting: {BASELINE_SETTINGS[key]} is part of the security baseline in every "
            "tier and cannot be turned off"
        )
    if unknown:
        key = unknown[0]
        hint = difflib.get_close_matches(key, sorted(known), n=1)
        suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
        raise ConfigError(f"{ns_key(key)}: unknown config key{suggestion} Known keys: {', '.join(sorted(known))}")

    def shown(key: str) -> str:
        return "[secret]" if key in secrets else repr(raw.get(key))

    tier = raw.get("tier", "dev")
    if tier not in TIER_PRESETS:
        raise ConfigError(f"{ns_key('tier')} = {shown('tier')}: unknown tier; allowed: {', '.join(TIER_PRESETS)}")
    region = raw.get("region", "us-east-1")
    if not isinstance(region, str) or not REGION_PATTERN.fullmatch(region):
        raise ConfigError(f"{ns_key('region')} = {shown('region')}: not an AWS region name such as us-east-1")
    preset_keys = {to_camel(name) for name in TIER_PRESETS[tier].model_dump()}
    values: dict[str, Any] = TIER_PRESETS[tier].model_dump(by_alias=False)
    values = {to_camel(name): value for name, value in values.items()}
    values["tier"] = tier
    for key, value in raw.items():
        if key in preset_keys and value == TIER_DEFAULT:
            continue
        values[key] = _from_text(key, value, "[secret]" if key in secrets else repr(value))
    values["region"] = region
    for key in _array_keys():
        if key in values:
            values[key] = tuple(_json_array(values[key], key, "[secret]" if key in secrets else None))
    zones = list(values.get("availabilityZoneIds", ()))
    if not zones:
        zones = list(DEFAULT_ZONE_IDS.get(values["region"], ()))
        if not zones:
            raise ConfigError(
                f"{ns_key('availabilityZoneIds')}: region '{values['region']}' has no default zone set; "
                f"set three zone IDs (regions with defaults: {', '.join(DEFAULT_ZONE_IDS)})"
            )
    values["availabilityZoneIds"] = tuple(zones)
    try:
        set_keys = {key for key, value in raw.items() if not (key in preset_keys and value == TIER_DEFAULT)}
        token = VALIDATING_SECRETS.set(secrets)
        try:
            context = {"set_keys": set_keys, "today": today or datetime.date.today()}
            config = StackConfig.model_validate(values, context=context)
        finally:
            VALIDATING_SECRETS.reset(token)
    except ValidationError as err:
        raise ConfigError(_scrub(_describe(err, raw, secrets), raw, secrets)) from None
    config._secret_keys = secrets
    return config


def _scrub(message: str, raw: Mapping[str, Any], secrets: frozenset[str]) -> str:
    """A last guard: no secret text value of 4 or more characters is ever printed in a message."""
    for key in secrets:
        value = raw.get(key)
        if isinstance(value, str) and len(value) >= 4:
            message = message.replace(value, "[secret]")
    return message


def _field_type(key: str) -> Any:
    """The annotation of the model field behind a config key."""
    return StackConfig.model_fields[to_snake(key)].annotation


def _from_text(key: str, value: Any, shown: str) -> Any:
    """A config value as its field's type. The engine passes every value as text ('60', 'true', '0.5'), so
    numbers and booleans are parsed here, strictly: ASCII digits only, the whole value, no spaces."""
    annotation = _field_type(key)
    if not isinstance(value, str):
        return value
    choices = get_args(annotation) if get_origin(annotation) is Literal else ()
    if choices and all(isinstance(choice, int) for choice in choices):
        if not INT_TEXT.fullmatch(value) or int(value) not in choices:
            raise ConfigError(f"{ns_key(key)} = {shown}: allowed: {', '.join(map(str, choices))}")
        return int(value)
    if annotation is bool:
        if value not in BOOL_TEXT:
            raise ConfigError(f"{ns_key(key)} = {shown}: allowed: true, false")
        return BOOL_TEXT[value]
    if annotation is int:
        if not INT_TEXT.fullmatch(value):
            raise ConfigError(f"{ns_key(key)} = {shown}: not a whole number (digits 0-9, such as 3)")
        return int(value)
    if annotation is float:
        if not FLOAT_TEXT.fullmatch(value):
            raise ConfigError(
                f"{ns_key(key)} = {shown}: not a number (digits 0-9 and an optional decimal point, such as 0.5)"
            )
        return float(value)
    return value


def _array_keys() -> list[str]:
    """Config keys whose values are lists (declared `type: array` in Pulumi.yaml)."""
    return [
        field.alias or name
        for name, field in StackConfig.model_fields.items()
        if str(field.annotation).startswith("tuple")
    ]


def _json_array(value: Any, key: str, shown: str | None = None) -> list[Any]:
    """Config arrays arrive JSON-encoded from the Pulumi engine; accept both forms."""
    shown = shown or repr(value)
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except json.JSONDecodeError:
            raise ConfigError(f"{ns_key(key)} = {shown}: not a list; set it with --path '{key}[0]'") from None
    if not isinstance(value, list):
        raise ConfigError(f"{ns_key(key)} = {shown}: must be a list of strings")
    bad = [item for item in value if not isinstance(item, str)]
    if bad:
        raise ConfigError(f"{ns_key(key)} = {shown}: must be a list of strings; {len(bad)} item(s) are not")
    return value


def _describe(err: ValidationError, raw: Mapping[str, Any], secrets: frozenset[str]) -> str:
    lines = []
    for problem in err.errors():
        message = problem["msg"].removeprefix("Value error, ")
        if problem["loc"]:
            key = str(problem["loc"][0])
            shown = repr(raw[key]) if key in raw else repr(problem["input"])
            value = "[secret]" if key in secrets else shown
            lines.append(f"{ns_key(key)} = {value}: {message}")
        else:
            lines.append(message)
    return "invalid stack configuration:\n  " + "\n  ".join(lines)
