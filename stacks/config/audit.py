"""Audit and log keys: the account trail, CloudWatch retention and the S3 Object Lock of the log buckets
(logRetentionDays, logLockMode and logLockDays are tier preset fields, stacks/tiers.py)."""

from __future__ import annotations

import re

from pydantic import ValidationInfo, field_validator

from stacks.config.base import ConfigBase, ns_key

CLOUDWATCH_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
"""The only retention periods CloudWatch Logs accepts."""

_TRAIL_ARN_PATTERN = re.compile(r"arn:[a-z-]+:cloudtrail:[a-z0-9-]+:[0-9]{12}:trail/[A-Za-z0-9._-]{3,128}")
"""A CloudTrail trail ARN, matched whole with ASCII digits."""


class AuditConfig(ConfigBase):
    """Who records what the account does, and how long logs are kept and locked."""

    organization_trail: str = ""
    """ARN of an organization CloudTrail trail that already records this account; empty builds the stack's
    own trail. Default: empty."""
    audit_trail_multi_region: bool = True
    """Whether the stack's own CloudTrail trail records every region (true) or only its own (false: for a standby
    whose primary's multi-region trail already records every region). Default: true."""

    @field_validator("log_retention_days")
    @classmethod
    def _cloudwatch_retention(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be a positive number of days")
        if value not in CLOUDWATCH_RETENTION_DAYS:
            raise ValueError(f"CloudWatch accepts only {', '.join(map(str, CLOUDWATCH_RETENTION_DAYS))}")
        return value

    @field_validator("organization_trail")
    @classmethod
    def _trail_arn(cls, value: str) -> str:
        if value and not _TRAIL_ARN_PATTERN.fullmatch(value):
            raise ValueError(
                "must be a CloudTrail trail ARN (arn:aws:cloudtrail:<region>:<account>:trail/<name>), or empty"
            )
        return value

    def _check_log_lock(self, info: ValidationInfo) -> None:
        """Log objects are kept at least as long as they are locked (logLockDays <= logRetentionDays)."""
        set_keys = (info.context or {}).get("set_keys", set())
        if self.log_lock_days > self.log_retention_days and set_keys & {"logRetentionDays", "logLockDays"} == {
            "logRetentionDays"
        }:
            raise ValueError(
                f"{ns_key('logRetentionDays')} = {self._v('logRetentionDays')} is below {ns_key('logLockDays')} = "
                f"{self._v('logLockDays')}: logs must be kept at least as long as they are locked"
            )
        if not 1 <= self.log_lock_days <= self.log_retention_days:
            raise ValueError(
                f"{ns_key('logLockDays')} = {self._v('logLockDays')} must be 1 to {ns_key('logRetentionDays')} = "
                f"{self._v('logRetentionDays')}: a lock longer than the retention keeps expired logs (and their cost)"
            )

    def _check_trail_partition(self) -> None:
        """organizationTrail in the partition of the stack's region (an organization trail records only its own
        partition's accounts)."""
        trail = self.organization_trail
        if trail and trail.split(":")[1] != self.partition:
            raise ValueError(
                f"{ns_key('organizationTrail')} = {self._v('organizationTrail')}: partition '{trail.split(':')[1]}', "
                f"but region {self.region} is in partition '{self.partition}'; a trail of another partition does not "
                "record this account"
            )
