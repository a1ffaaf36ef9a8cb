"""Loading the running stack's configuration from the Pulumi engine: the project's keys and which of them
are secret, settings the program would ignore, the stack name's limits, and `load_stack_config()`, the one
place the program reads its configuration."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

import pulumi
from pydantic.alias_generators import to_snake

from stacks.config.base import CONFIG_NAMESPACE, ConfigError, ns_key
from stacks.config.model import StackConfig
from stacks.config.ownership import SECRET_CAPABLE_KEYS
from stacks.config.pair_files import check_named_standby, check_region_pair
from stacks.config.parsing import parse_stack_config
from stacks.name_limits import MAX_STACK_NAME_LENGTH, STACK_NAME_PATTERN


def read_project_config() -> dict[str, Any]:
    """All config values of this project's namespace, keys without the namespace prefix."""
    prefix = f"{CONFIG_NAMESPACE}:"
    return {key[len(prefix) :]: value for key, value in _all_config().items() if key.startswith(prefix)}


def _all_config() -> dict[str, Any]:
    from pulumi.runtime import config as runtime_config

    return {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}


def _secret_keys() -> set[str]:
    """Project keys (without namespace) whose values the engine marked secret."""
    from pulumi.runtime import config as runtime_config

    prefix = f"{CONFIG_NAMESPACE}:"
    marked = set(runtime_config.get_config_secret_keys_env()) | {
        key for key in _all_config() if runtime_config.is_config_secret(key)
    }
    return {key[len(prefix) :] for key in marked if key.startswith(prefix)}


def ignored_settings(config: Mapping[str, Any], region: str | None) -> list[str]:
    """Warnings for config the program never reads: keys of a namespace that looks like a misspelling of
    this project's, and provider settings (aws:*) that the stack's explicit providers do not take."""
    warnings = []
    for key in sorted(config):
        namespace, _, name = key.partition(":")
        if namespace == CONFIG_NAMESPACE or not name:
            continue
        folded = re.sub(r"[^a-z0-9]", "", namespace.lower())
        target = CONFIG_NAMESPACE.replace("-", "")
        if folded == target or difflib.SequenceMatcher(None, folded, target).ratio() >= 0.8:
            warnings.append(
                f"config key '{key}' is ignored: namespace '{namespace}' is not this project's; did you mean "
                f"'{CONFIG_NAMESPACE}:{name}'?"
            )
        elif namespace == "aws" and name == "region" and region and config[key] != region:
            warnings.append(
                f"config key 'aws:region' = {config[key]!r} has no effect: every resource uses the stack's explicit "
                f"providers, which deploy into {CONFIG_NAMESPACE}:region = '{region}'"
            )
        elif namespace == "aws" and name != "region":
            warnings.append(
                f"config key '{key}' has no effect: the stack's explicit AWS providers do not read aws:* settings; "
                f"use the {CONFIG_NAMESPACE} keys (region, accountId) or the AWS environment"
            )
    return warnings


def check_stack_name(stack: str) -> None:
    """Refuse a stack name that would make some physical AWS name invalid (stacks/name_limits.py)."""
    if not STACK_NAME_PATTERN.match(stack):
        raise ConfigError(
            f"stack name '{stack}': every AWS name of the stack starts with 'fintech-<stack>'; S3 bucket, RDS and "
            "ElastiCache names allow only lowercase letters, digits and single hyphens, starting with a letter"
        )
    if len(stack) > MAX_STACK_NAME_LENGTH:
        raise ConfigError(
            f"stack name '{stack}': {len(stack)} characters, at most {MAX_STACK_NAME_LENGTH}: the load balancer's "
            f"name 'fintech-{stack}-alb' plus Pulumi's 8-character auto-name suffix must fit the 32 characters "
            "Elastic Load Balancing allows"
        )


def check_region_pair_names(stack: str, config: StackConfig) -> None:
    """Refuse a region pair whose other stack is this one (only the running program knows its stack name)."""
    for key in ("drStack", "standbyFor"):
        if getattr(config, to_snake(key)) == stack:
            raise ConfigError(
                f"{ns_key(key)} = '{stack}' names this stack itself: the other stack of a region pair is another "
                "stack, in drRegion"
            )


def load_stack_config() -> StackConfig:
    """Load and validate the running stack's configuration (and its name); raises ConfigError on any mistake.
    Settings the program would ignore are reported with pulumi.log.warn first."""
    check_stack_name(pulumi.get_stack())
    raw = read_project_config()
    region = raw.get("region", "us-east-1")
    for warning in ignored_settings(_all_config(), region if isinstance(region, str) else None):
        pulumi.log.warn(warning)
    check_named_standby(pulumi.get_stack(), raw)
    config = parse_stack_config(raw, _secret_keys())
    check_region_pair_names(pulumi.get_stack(), config)
    check_region_pair(pulumi.get_stack(), config)
    for key in sorted(config.secret_keys - SECRET_CAPABLE_KEYS):
        pulumi.log.warn(
            f"{ns_key(key)} is set with --secret, but the program uses it as a plain value (typed component "
            "arguments or a stack output), so it is stored unencrypted in state. Only "
            f"{', '.join(sorted(SECRET_CAPABLE_KEYS))} stay secret end to end"
        )
    return config
