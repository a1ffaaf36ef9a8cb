"""Composition: build the platform's components for the selected stack and export what users need."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.kms import PlatformKeys, PlatformKeysArgs
from components.network import DEFAULT_INTERFACE_ENDPOINT_SERVICES, Network, NetworkArgs
from stacks.config import CONFIG_NAMESPACE, ConfigError, StackConfig


@dataclass(frozen=True)
class AwsContext:
    """Facts about the account and region the provider deploys into."""

    provider: aws.Provider
    account_id: str
    partition: str
    region: str


def resource_prefix(stack: str) -> str:
    """Prefix of every component name and AWS resource name of a stack, e.g. 'fintech-dev'."""
    return f"fintech-{stack}"


def default_tags(config: StackConfig, stack: str) -> dict[str, str]:
    """Tags every AWS resource of the stack carries, through the provider's default_tags."""
    return {
        "environment": stack,
        "project": CONFIG_NAMESPACE,
        "owner": config.owner,
        "cost-center": config.cost_center,
        "data-classification": config.data_classification,
        "managed-by": "pulumi",
    }


def aws_context(config: StackConfig, stack: str) -> AwsContext:
    """The explicit AWS provider of the stack, and the account it really reaches (checked)."""
    provider = aws.Provider(
        "aws",
        region=config.region,
        allowed_account_ids=[config.account_id] if config.account_id else None,
        default_tags=aws.ProviderDefaultTagsArgs(tags=default_tags(config, stack)),
    )
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
    return AwsContext(provider, identity.account_id, identity.arn.split(":")[1], config.region)


@dataclass(frozen=True)
class Platform:
    """The components of one stack."""

    keys: PlatformKeys
    network: Network

    def export(self) -> None:
        """Export the stack outputs later components and users need."""
        pulumi.export("vpcId", self.network.vpc_id)
        pulumi.export("availabilityZoneIds", self.network.zone_ids)
        pulumi.export("publicSubnetIds", self.network.public_subnet_ids)
        pulumi.export("privateSubnetIds", self.network.private_subnet_ids)
        pulumi.export("databaseSubnetIds", self.network.database_subnet_ids)
        pulumi.export("dbSubnetGroupName", self.network.db_subnet_group_name)
        pulumi.export("cacheSubnetGroupName", self.network.cache_subnet_group_name)
        pulumi.export("flowLogGroupName", self.network.flow_log_group_name)
        pulumi.export("kmsKeyArns", self.keys.key_arns)
        pulumi.export("kmsAliases", self.keys.alias_names)


def build_platform(config: StackConfig, stack: str) -> Platform:
    """Build every component of the stack; nothing here knows the words dev or prod."""
    context = aws_context(config, stack)
    prefix = resource_prefix(stack)
    options = pulumi.ResourceOptions(providers={"aws": context.provider})
    keys = PlatformKeys(
        prefix,
        PlatformKeysArgs(account_id=context.account_id, region=context.region, partition=context.partition),
        opts=options,
    )
    network = Network(
        prefix,
        NetworkArgs(
            vpc_cidr=config.vpc_cidr,
            zone_ids=config.availability_zone_ids,
            region=context.region,
            account_id=context.account_id,
            partition=context.partition,
            logs_kms_key_arn=keys.arn("logs"),
            nat_strategy=config.nat_strategy,
            interface_endpoint_services=DEFAULT_INTERFACE_ENDPOINT_SERVICES if config.interface_endpoints else (),
            flow_log_retention_days=config.log_retention_days,
        ),
        opts=options,
    )
    return Platform(keys=keys, network=network)
