"""AWS Backup: a daily plan into an encrypted, locked vault, copied to a vault in a DR region.

The DR vault lives in another region, so it needs a provider and a key of that region; both are
passed in. Vault Lock (governance mode) keeps recovery points from being deleted early.

Alarms (with `alarm_topic_arn`): a failed backup job and a failed copy job each page. AWS Backup publishes
NumberOfBackupJobsFailed and NumberOfCopyJobsFailed in AWS/Backup per BackupVaultName (AWS Backup Developer Guide,
"Monitoring AWS Backup metrics with CloudWatch"); both jobs are started by this plan's rule in this region, keyed
to the source vault. Deploy-time claim not exercised offline: that a copy job's metric carries the source vault.
A job that does not run publishes nothing, so missing data is not breaching.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.errors import InvalidArgumentError
from components.iam import service_trust_policy
from components.shared import AlarmSpec, create_alarms


@dataclass(frozen=True)
class BackupPlanArgs:
    """Arguments of BackupPlan."""

    resource_arns: Sequence[pulumi.Input[str]]
    """Resources to back up (e.g. the Aurora cluster ARN). Required."""
    vault_kms_key_arn: pulumi.Input[str]
    """Key of the primary vault (this region). Required."""
    dr_vault_kms_key_arn: pulumi.Input[str]
    """Key of the DR vault, in the DR region. Required."""
    dr_provider: aws.Provider
    """AWS provider of the DR region. Required."""
    account_id: str
    """Account of the vaults, to pin the backup role's trust. Required."""
    partition: str = "aws"
    """AWS partition for ARNs. Default: aws."""
    schedule: str = "cron(0 5 * * ? *)"
    """When the daily backup starts, UTC. Default: cron(0 5 * * ? *)."""
    retention_days: int = 35
    """Days recovery points stay in the primary vault. Default: 35."""
    dr_retention_days: int = 35
    """Days copies stay in the DR vault. Default: 35."""
    min_retention_days: int = 7
    """Vault Lock minimum: no recovery point can be deleted earlier. Default: 7."""
    protect: bool = False
    """Register the vaults with protect=True. Default: False."""
    alarm_topic_arn: pulumi.Input[str] | None = None
    """Topic the failed-backup and failed-copy alarms notify; None for no alarms. Default: None."""

    def __post_init__(self) -> None:
        if not self.resource_arns:
            raise InvalidArgumentError("resource_arns: nothing to back up")
        for label, days in (("retention_days", self.retention_days), ("dr_retention_days", self.dr_retention_days)):
            if days < self.min_retention_days:
                raise InvalidArgumentError(
                    f"{label}: {days} is below the vault lock minimum min_retention_days ({self.min_retention_days})"
                )


class BackupPlan(pulumi.ComponentResource):
    """Backup vaults (primary and DR), a plan with a cross-region copy, and a selection."""

    vault_arn: pulumi.Output[str]
    dr_vault_arn: pulumi.Output[str]

    def __init__(self, name: str, args: BackupPlanArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:backup:BackupPlan", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        vault = self._locked_vault(f"{name}-vault", args.vault_kms_key_arn, args, None)
        dr_vault = self._locked_vault(f"{name}-dr-vault", args.dr_vault_kms_key_arn, args, args.dr_provider)
        plan = aws.backup.Plan(
            f"{name}-plan",
            name=f"{name}-daily",
            rules=[
                aws.backup.PlanRuleArgs(
                    rule_name="daily-with-dr-copy",
                    target_vault_name=vault.name,
                    schedule=args.schedule,
                    start_window=60,
                    completion_window=360,
                    lifecycle=aws.backup.PlanRuleLifecycleArgs(delete_after=args.retention_days),
                    copy_actions=[
                        aws.backup.PlanRuleCopyActionArgs(
                            destination_vault_arn=dr_vault.arn,
                            lifecycle=aws.backup.PlanRuleCopyActionLifecycleArgs(delete_after=args.dr_retention_days),
                        )
                    ],
                )
            ],
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-backup",
            assume_role_policy=service_trust_policy("backup.amazonaws.com", args.account_id),
            opts=child,
        )
        for purpose in ("Backup", "Restores"):
            aws.iam.RolePolicyAttachment(
                f"{name}-backup-{purpose.lower()}",
                role=role.name,
                policy_arn=f"arn:{args.partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyFor{purpose}",
                opts=child,
            )
        aws.backup.Selection(
            f"{name}-selection",
            name=f"{name}-selection",
            plan_id=plan.id,
            iam_role_arn=role.arn,
            resources=list(args.resource_arns),
            opts=child,
        )
        create_alarms(name, job_alarms(f"{name}-vault"), args.alarm_topic_arn, parent=self)
        self.vault_arn = vault.arn
        self.dr_vault_arn = dr_vault.arn
        self.register_outputs({"vault_arn": self.vault_arn, "dr_vault_arn": self.dr_vault_arn})

    def _locked_vault(
        self,
        resource_name: str,
        kms_key_arn: pulumi.Input[str],
        args: BackupPlanArgs,
        provider: aws.Provider | None,
    ) -> aws.backup.Vault:
        vault = aws.backup.Vault(
            resource_name,
            name=resource_name,
            kms_key_arn=kms_key_arn,
            opts=pulumi.ResourceOptions(parent=self, provider=provider, protect=args.protect),
        )
        aws.backup.VaultLockConfiguration(
            resource_name,
            backup_vault_name=vault.name,
            min_retention_days=args.min_retention_days,
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )
        return vault


def job_alarms(vault_name: str) -> list[AlarmSpec]:
    """A failed backup job and a failed copy job of the plan's vault, each within a day."""
    vault = {"BackupVaultName": vault_name}
    return [
        AlarmSpec("backup-jobs-failed", "AWS/Backup", "NumberOfBackupJobsFailed", vault, "GreaterThanThreshold", 0,
                  "An AWS Backup job of the database failed: today's recovery point is missing; see the job's status "
                  "message in AWS Backup", statistic="Sum", period_seconds=3600, evaluation_periods=1,
                  treat_missing_data="notBreaching"),
        AlarmSpec("copy-jobs-failed", "AWS/Backup", "NumberOfCopyJobsFailed", vault, "GreaterThanThreshold", 0,
                  "An AWS Backup copy to the DR region failed (often: the DR key does not admit the copying service): "
                  "the DR region has no copy of today's recovery point", statistic="Sum", period_seconds=3600,
                  evaluation_periods=1, treat_missing_data="notBreaching"),
    ]  # fmt: skip
