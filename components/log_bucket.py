"""An S3 bucket for logs that cannot be altered: versioned, Object Lock default retention, private, TLS-only.

Shared by the ALB access-log bucket (components/edge.py) and the CloudTrail bucket (components/audit_trail.py).

Life cycle, as relied on here:
- Object Lock is enabled through `BucketObjectLockConfiguration` after `BucketVersioning`, not through the
  bucket's `object_lock_enabled` argument: that argument replaces an existing bucket (a replacement of a
  non-empty log bucket fails), while S3 enables Object Lock on an existing bucket once versioning is on
  (S3 User Guide, "Enabling Object Lock on an existing bucket"; pulumi-aws 7.51.1
  `s3.BucketObjectLockConfiguration`: "To enable Object Lock for an existing bucket, you must first enable
  versioning"). Versioning can never be suspended on an Object Lock bucket afterwards.
- Default retention locks every new object version for `lock_days`. GOVERNANCE: principals with
  s3:BypassGovernanceRetention may still delete (used in dev so the stack stays destroyable);
  COMPLIANCE: nobody, the root user included, may delete or overwrite a version before it expires
  (S3 User Guide, "Object Lock retention modes").
- Lifecycle expires the current version after `retention_days` (a delete marker on a versioned bucket),
  removes noncurrent versions one day later (lifecycle never removes a locked version; `lock_days` <=
  `retention_days` keeps expiry possible) and aborts incomplete multipart uploads after 7 days.
- Writers: CloudTrail and ELB log delivery must write into a bucket with default retention. S3 requires
  a Content-MD5 or checksum header on PUTs to such buckets; whether ELB access-log delivery sends one is
  not documented and cannot be exercised offline: after the first deploy, check that objects appear
  under alb/AWSLogs/ within 5 minutes (S3 server access logging, unlike these, refuses Object Lock
  destinations: S3 User Guide, "Troubleshoot server access logging").
- Destroy: the bucket can be deleted only when it holds no version. In GOVERNANCE mode pulumi-aws's
  `force_destroy` deletes every version with the governance bypass (terraform-provider-aws
  internal/service/s3 `deleteAllObjectVersions`: "Set `force` to `true` to override any S3 object lock
  protections"); in COMPLIANCE mode no destroy can
  succeed before the newest version's retention ends, which is the point.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from components.errors import InvalidArgumentError
from components.iam import policy_document

LockMode = Literal["GOVERNANCE", "COMPLIANCE"]
ABORT_MULTIPART_DAYS = 7
"""Days after which an incomplete multipart upload is aborted (its parts are billed until then)."""


@dataclass(frozen=True)
class LogBucketArgs:
    """Arguments of an immutable log bucket."""

    retention_days: int
    """Days a log object stays current before it expires (1 or more). Required."""
    lock_mode: LockMode
    """Object Lock default retention mode. Required."""
    lock_days: int
    """Days each object version is locked (1 to retention_days). Required."""
    source: str
    """What writes the logs (e.g. 'alb', 'cloudtrail'); becomes the tag 'log-source'. Required."""
    kms_key_arn: pulumi.Input[str] | None = None
    """Customer-managed key for SSE-KMS; None for SSE-S3 (ALB log delivery supports only SSE-S3). Default: None."""
    force_destroy: bool = False
    """Let `pulumi destroy` empty the bucket (every version; GOVERNANCE locks are bypassed). Default: False."""
    protect: bool = False
    """Register the bucket (audit evidence) with Pulumi protect. Default: False."""

    def __post_init__(self) -> None:
        if self.retention_days < 1:
            raise InvalidArgumentError(f"retention_days: {self.retention_days} must be 1 or more")
        if not 1 <= self.lock_days <= self.retention_days:
            raise InvalidArgumentError(
                f"lock_days: {self.lock_days} must be 1 to retention_days ({self.retention_days}); a lock longer "
                "than the retention keeps expired versions (and their cost) until the lock ends"
            )
        if self.lock_mode not in ("GOVERNANCE", "COMPLIANCE"):
            raise InvalidArgumentError(f"lock_mode: '{self.lock_mode}' is not GOVERNANCE or COMPLIANCE")
        if not self.source or not self.source.replace("-", "").isalnum():
            raise InvalidArgumentError(f"source: '{self.source}' must be a short word such as 'alb'")


@dataclass(frozen=True)
class LogBucket:
    """The bucket and the resources a writer must wait for."""

    bucket: aws.s3.Bucket
    policy: aws.s3.BucketPolicy
    """The bucket policy: a log writer (ALB, CloudTrail) validates it when it is configured."""
    lock: aws.s3.BucketObjectLockConfiguration


PolicyStatements = Callable[[str], list[dict[str, Any]]]
"""Writer statements of the bucket policy, given the bucket ARN."""


def deny_insecure_transport(bucket_arn: str) -> dict[str, Any]:
    """Nothing may use the bucket without TLS."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def immutable_log_bucket(
    name: str, args: LogBucketArgs, writers: PolicyStatements, parent: pulumi.Resource
) -> LogBucket:
    """A private, TLS-only, versioned, Object Lock bucket whose policy admits `writers(bucket_arn)`."""
    child = pulumi.ResourceOptions(parent=parent)
    bucket = aws.s3.Bucket(
        name,
        force_destroy=args.force_destroy,
        tags={"log-source": args.source},
        opts=pulumi.ResourceOptions(parent=parent, protect=args.protect),
    )
    public_access = aws.s3.BucketPublicAccessBlock(
        name, bucket=bucket.id, block_public_acls=True, block_public_policy=True, ignore_public_acls=True,
        restrict_public_buckets=True, opts=child,
    )  # fmt: skip
    aws.s3.BucketOwnershipControls(
        name,
        bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=child,
    )
    default = aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
        sse_algorithm="aws:kms" if args.kms_key_arn is not None else "AES256", kms_master_key_id=args.kms_key_arn
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        name,
        bucket=bucket.id,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=default, bucket_key_enabled=False
            )
        ],
        opts=child,
    )
    versioning = aws.s3.BucketVersioning(
        name,
        bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
        opts=child,
    )
    lock = aws.s3.BucketObjectLockConfiguration(
        name,
        bucket=bucket.id,
        object_lock_enabled="Enabled",
        rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
            default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                mode=args.lock_mode, days=args.lock_days
            )
        ),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[versioning]),
    )
    aws.s3.BucketLifecycleConfiguration(
        name,
        bucket=bucket.id,
        rules=[
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-logs",
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=args.retention_days),
                noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=1
                ),
                abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                    days_after_initiation=ABORT_MULTIPART_DAYS
                ),
            )
        ],
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[versioning]),
    )
    policy = aws.s3.BucketPolicy(
        name,
        bucket=bucket.id,
        policy=bucket.arn.apply(lambda arn: policy_document(*writers(arn), deny_insecure_transport(arn))),
        # S3 may refuse a policy put while the public access block is being applied ("OperationAborted: A
        # conflicting conditional operation is currently in progress", hashicorp/terraform-provider-aws#7628).
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[public_access]),
    )
    return LogBucket(bucket, policy, lock)
