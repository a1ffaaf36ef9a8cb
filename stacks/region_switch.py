"""The region pair's ARC Region switch plan (issue 24), built from the stack config alone.

The primary stack (drStack set) owns the plan, its execution role, report bucket and event rule, and deploys
its region's custom-action function; the standby (standbyFor set) deploys its region's function and the plan's
EKS access. Every ARN the plan names is computed from the pair's names (stacks/names.py), so the plan needs no
output of the other stack, and `python -m ops failover --dry-run` prints the same workflows from the stack files.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from components.kms import PlatformKeys
from components.region_switch import RegionSwitchPlan, RegionSwitchPlanArgs
from components.region_switch_actions import RegionSwitchActions, RegionSwitchActionsArgs
from components.region_switch_model import PlanModel, RegionSide, ScaledWorkload
from stacks.config import StackConfig
from stacks.names import global_database_name, master_credential_prefix, resource_prefix
from stacks.tiers import TIER_PRESETS
from stacks.workload_specs import WORKLOADS


def plan_name(primary: str) -> str:
    """The plan's (and its execution role's) name, e.g. 'fintech-prod-switch' (ARC: at most 32 characters)."""
    return f"{resource_prefix(primary)}-switch"


def approver_name(primary: str) -> str:
    """The role whose principals approve the plan's database step, e.g. 'fintech-prod-switch-approver'."""
    return f"{plan_name(primary)}-approver"


def function_name(stack: str) -> str:
    """The custom-action function of a stack's region, e.g. 'fintech-prod-dr-region-switch'."""
    return f"{resource_prefix(stack)}-region-switch"


def readers_function_name(stack: str) -> str:
    """The Aurora readers function of a stack's region, e.g. 'fintech-prod-dr-region-switch-readers'."""
    return f"{function_name(stack)}-readers"


def _side(stack: str, region: str, account: str, partition: str) -> RegionSide:
    prefix = resource_prefix(stack)  # the Aurora cluster, the EKS cluster and the cache share the stack's prefix
    return RegionSide(
        region=region,
        stack=stack,
        db_cluster_arn=f"arn:{partition}:rds:{region}:{account}:cluster:{prefix}",
        eks_cluster_arn=f"arn:{partition}:eks:{region}:{account}:cluster/{prefix}",
        action_function_arn=f"arn:{partition}:lambda:{region}:{account}:function:{function_name(stack)}",
        readers_function_arn=f"arn:{partition}:lambda:{region}:{account}:function:{readers_function_name(stack)}",
    )


def health_check_id(plan: RegionSwitchPlan, region: str, provider: pulumi.ProviderResource) -> pulumi.Output[str]:
    """The health check the plan's Route 53 block created for `region` (ListRoute53HealthChecks, read once the plan
    exists). The provider's create waits until the checks exist with their IDs (terraform-provider-aws
    internal/service/arcregionswitch/plan.go, waitPlanCreated -> statusRoute53HealthChecks: pending until as many
    checks as Route53HealthCheck steps, each with a HealthCheckId), so the same `pulumi up` reads them. Not
    exercised here: their status before a first execution."""
    found = aws.arcregionswitch.get_route53_health_checks_output(
        plan_arn=plan.plan_arn, opts=pulumi.InvokeOutputOptions(provider=provider)
    )

    def pick(checks: Sequence[Any]) -> str:
        ids = [check.health_check_id for check in checks if check.region == region]
        if len(ids) != 1:
            raise pulumi.RunError(f"the Region switch plan has {len(ids)} Route 53 health check(s) for {region} "
                                  "(expected one: one per region of the plan)")  # fmt: skip
        return str(ids[0])

    return found.health_checks.apply(pick)


def pair_of(stack: str, config: StackConfig) -> tuple[str, str, str, str]:
    """(primary stack, primary region, standby stack, standby region) of a stack in a region pair."""
    if config.dr_stack:
        return stack, config.region, config.dr_stack, config.dr_region
    return config.standby_for, config.dr_region, stack, config.region


def plan_model(stack: str, config: StackConfig, account: str, partition: str) -> PlanModel:
    """The pair's plan, from either stack's config (a primary or a standby)."""
    primary, primary_region, standby, standby_region = pair_of(stack, config)
    return PlanModel(
        name=plan_name(primary),
        primary=_side(primary, primary_region, account, partition),
        standby=_side(standby, standby_region, account, partition),
        global_cluster_id=global_database_name(resource_prefix(primary)),
        hosted_zone_id=config.dns_zone_id,
        record_name=config.dns_name,
        approval_role_arn=f"arn:{partition}:iam::{account}:role/{approver_name(primary)}",
        workloads=tuple(ScaledWorkload(spec.name, spec.name, spec.name) for spec in WORKLOADS),
    )


def build(
    stack: str,
    config: StackConfig,
    account: str,
    partition: str,
    keys: PlatformKeys,
    copy_keys: PlatformKeys | None,
    alarm_topic_arn: pulumi.Input[str],
    eks_cluster_name: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> tuple[RegionSwitchActions, RegionSwitchPlan | None]:
    """This stack's share of the plan: its region's function and, in the primary, the plan itself."""
    model = plan_model(stack, config, account, partition)
    prefix = resource_prefix(stack)
    execution_role_arn = f"arn:{partition}:iam::{account}:role/{model.name}"
    primary = bool(config.dr_stack)
    if primary and copy_keys is None:
        raise AssertionError("a primary replicates its secrets: its drRegion keys exist")
    # In the primary the plan comes first: its execution role must exist before the access entry names it
    # (the standby, deployed after the primary, names it by ARN).
    plan = (
        None
        if not primary
        else RegionSwitchPlan(
            f"{prefix}-region-switch",
            RegionSwitchPlanArgs(
                model=model,
                account_id=account,
                partition=partition,
                execution_role_name=model.name,
                approver_role_name=approver_name(model.primary.stack),
                approver_arns=config.eks_admin_role_arns,
                alarm_topic_arn=alarm_topic_arn,
                report_kms_key_arn=keys.arn("logs"),
                report_retention_days=max(config.log_retention_days, 365),
                report_lock_mode=config.log_lock_mode,
                report_lock_days=config.log_lock_days,
                report_bucket_force_destroy=not config.deletion_protection,
            ),
            opts=opts,
        )
    )
    actions = RegionSwitchActions(
        f"{prefix}-region-switch",
        RegionSwitchActionsArgs(
            function_name=function_name(stack),
            role="primary" if primary else "standby",
            account_id=account,
            region=config.region,
            partition=partition,
            global_cluster_id=model.global_cluster_id,
            secret_prefix=master_credential_prefix(resource_prefix(model.primary.stack)),
            logs_kms_key_arn=keys.arn("logs"),
            execution_role_arn=plan.execution_role_arn if plan else execution_role_arn,
            eks_cluster_name=eks_cluster_name,  # an output: the access entry waits for the cluster
            namespaces=tuple(workload.namespace for workload in model.workloads),
            peer_region=model.standby.region if primary else "",
            peer_kms_key_arn=copy_keys.arn("secret-replicas") if primary and copy_keys else "",
            cache_group="" if primary else prefix,
            # The primary's cache size is its tier preset's (a primary does not lower cacheNodes: the tier rule).
            active_cache_replicas=TIER_PRESETS[config.tier].cache_nodes - 1,
            standby_cache_replicas=config.cache_nodes - 1,
            log_retention_days=config.log_retention_days,
            # Only the standby gets readers from the plan; the primary's are its own auroraInstances (Pulumi's).
            readers=0 if primary else config.failover_aurora_readers,
            db_cluster=prefix,
            data_kms_key_arn=keys.arn("data"),
        ),
        opts=opts,
    )
    return actions, plan
