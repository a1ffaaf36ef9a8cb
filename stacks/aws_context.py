"""The stack's AWS providers and the facts checked before any cloud resource is created."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from stacks.config import CONFIG_NAMESPACE, ConfigError, StackConfig


@dataclass(frozen=True)
class AwsContext:
    """Facts about the account and region the provider deploys into."""

    provider: aws.Provider
    account_id: str
    partition: str
    region: str
    zone_names: tuple[str, ...]
    """Names of the pinned zones in this account, in the order of the configured zone IDs."""


def default_tags(config: StackConfig, stack: str) -> dict[str, pulumi.Input[str]]:
    """Tags every AWS resource of the stack carries, through the providers' default_tags. A tag whose
    value was set with --secret stays a secret output, so it is encrypted in state like the config."""

    def tag(key: str, value: str) -> pulumi.Input[str]:
        return pulumi.Output.secret(value) if key in config.secret_keys else value

    tags: dict[str, pulumi.Input[str]] = {
        "environment": stack,
        "project": CONFIG_NAMESPACE,
        "owner": tag("owner", config.owner),
        "cost-center": tag("costCenter", config.cost_center),
        "data-classification": tag("dataClassification", config.data_classification),
        "managed-by": "pulumi",
    }
    return tags


def make_provider(name: str, region: str, config: StackConfig, stack: str) -> aws.Provider:
    """An explicit AWS provider: pinned region, pinned account (when set) and the default tags."""
    return aws.Provider(
        name,
        region=region,
        allowed_account_ids=[config.account_id] if config.account_id else None,
        default_tags=aws.ProviderDefaultTagsArgs(tags=default_tags(config, stack)),
    )


def aws_context(config: StackConfig, stack: str) -> AwsContext:
    """The stack's provider, and the account and zones it really reaches (checked, else ConfigError)."""
    provider = make_provider("aws", config.region, config, stack)
    invoke = pulumi.InvokeOptions(provider=provider)
    identity = aws.get_caller_identity(opts=invoke)
    if config.account_id and identity.account_id != config.account_id:
        raise ConfigError(
            f"{CONFIG_NAMESPACE}:accountId = '{config.account_id}': the credentials in use belong to "
            f"account {identity.account_id}; refusing to deploy this stack there"
        )
    zones = aws.get_availability_zones(
        state="available",
        filters=[aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])],
        opts=invoke,
    )
    missing = [zone for zone in config.availability_zone_ids if zone not in zones.zone_ids]
    if missing:
        raise ConfigError(
            f"{CONFIG_NAMESPACE}:availabilityZoneIds = {list(config.availability_zone_ids)}: {missing} "
            f"not available in {config.region}; available: {', '.join(sorted(zones.zone_ids))}"
        )
    name_of = dict(zip(zones.zone_ids, zones.names, strict=True))
    return AwsContext(
        provider=provider,
        account_id=identity.account_id,
        partition=identity.arn.split(":")[1],
        region=config.region,
        zone_names=tuple(name_of[zone] for zone in config.availability_zone_ids),
    )
