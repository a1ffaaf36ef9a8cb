"""The account audit trail: a multi-region CloudTrail trail with log file validation, encrypted with a platform
key, delivered to an immutable bucket and to CloudWatch Logs, with alarms on the PCI-relevant events.

Life cycle, as relied on here:
- Create order: the trail validates, when it is created, that it may write to the bucket (bucket policy),
  encrypt with the key (key policy, components/kms.py 'logs' domain) and assume the CloudWatch Logs role
  (CloudTrail API CreateTrail errors InsufficientS3BucketPolicyException, InsufficientEncryptionPolicyException,
  InvalidCloudWatchLogsRoleArnException). The trail therefore depends on the bucket policy and the role
  policy. IAM is eventually consistent: a brand-new role can be refused for a few seconds; a second
  `pulumi up` then succeeds.
- Bucket policy: "Amazon S3 bucket policy for CloudTrail" (CloudTrail User Guide): s3:GetBucketAcl and
  s3:PutObject under AWSLogs/<account>/ for cloudtrail.amazonaws.com, with aws:SourceArn the trail's ARN.
- Alarms: CIS AWS Foundations Benchmark v1.4 section 4 (also AWS Security Hub controls CloudWatch.1,
  .4, .5, .7): metric filters on the trail's log group, each feeding an alarm that fires on one event.
- The first copy of management events is free; data events on the log buckets are billed per event
  (CloudTrail pricing), priced in pricing/. Recording the trail's own bucket records CloudTrail's own
  deliveries too: one PutObject event per delivered file, carried in a later file, so the volume stays
  proportional to the deliveries (no runaway as with S3 server access logs written into their own bucket).
  Two stacks in one account would each run a multi-region trail: the second copy of management events
  is billed ($2.00 per 100k); use organizationTrail or separate accounts.
- Only one trail is needed per account: where an organization trail already covers the account, the
  stack does not build this component and `ops preflight` checks the organization trail instead, with
  `organization_trail_problems()` below.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.errors import InvalidArgumentError
from components.iam import policy_document, service_trust_policy
from components.log_bucket import LockMode, LogBucketArgs, immutable_log_bucket
from components.shared import AlarmSpec, create_alarms, encrypted_log_group

ALARM_NAMESPACE = "fintech/AuditTrail"
"""CloudWatch namespace of the metrics the trail's metric filters publish."""


@dataclass(frozen=True)
class AuditEvent:
    """An event class that pages someone: its metric filter pattern and what it means."""

    metric: str
    """Metric name, also the alarm's suffix."""
    pattern: str
    """CloudWatch Logs filter pattern over CloudTrail JSON events."""
    description: str
    """What the alarm means for a person woken by it."""


AUDIT_EVENTS: tuple[AuditEvent, ...] = (
    AuditEvent(
        "RootAccountUsage",
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
        "The root user was used (CIS 4.3, PCI DSS 10.2.1.2)",
    ),
    AuditEvent(
        "IamPolicyChanges",
        "{ ($.eventName = DeleteGroupPolicy) || ($.eventName = DeleteRolePolicy) || ($.eventName = DeleteUserPolicy)"
        " || ($.eventName = PutGroupPolicy) || ($.eventName = PutRolePolicy) || ($.eventName = PutUserPolicy)"
        " || ($.eventName = CreatePolicy) || ($.eventName = DeletePolicy) || ($.eventName = CreatePolicyVersion)"
        " || ($.eventName = DeletePolicyVersion) || ($.eventName = AttachRolePolicy)"
        " || ($.eventName = DetachRolePolicy)"
        " || ($.eventName = AttachUserPolicy) || ($.eventName = DetachUserPolicy) || ($.eventName = AttachGroupPolicy)"
        " || ($.eventName = DetachGroupPolicy) }",
        "An IAM policy was created, changed, attached or detached (CIS 4.4, PCI DSS 10.2.1.5)",
    ),
    AuditEvent(
        "CloudTrailChanges",
        "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail)"
        " || ($.eventName = StartLogging) || ($.eventName = StopLogging) || ($.eventName = PutEventSelectors) }",
        "A CloudTrail trail was created, changed, stopped or deleted (CIS 4.5, PCI DSS 10.2.1.6)",
    ),
    AuditEvent(
        "KmsKeyDisabledOrDeleted",
        "{ ($.eventSource = kms.amazonaws.com)"
        " && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }",
        "A customer-managed KMS key was disabled or scheduled for deletion (CIS 4.7, PCI DSS 3.7)",
    ),
    AuditEvent(
        "KmsKeyPolicyChanges",
        "{ ($.eventSource = kms.amazonaws.com) && ($.eventName = PutKeyPolicy) }",
        "A KMS key policy was changed (PCI DSS 3.6.1, 10.2.1.5); grants are not watched: services create them"
        " on every volume and snapshot",
    ),
)  # fmt: skip
"""The PCI-relevant events, with the CIS AWS Foundations Benchmark filter patterns where CIS has one."""


@dataclass(frozen=True)
class AuditTrailArgs:
    """Arguments of AuditTrail."""

    account_id: str
    """The 12-digit account the trail records. Required."""
    region: str
    """Home region of the trail, its bucket and its log group. Required."""
    kms_key_arn: pulumi.Input[str]
    """Key that encrypts log files, the bucket and the log group; it must admit CloudTrail and CloudWatch Logs
    (the KMS 'logs' domain). Required."""
    alarm_topic_arn: pulumi.Input[str]
    """Topic the event alarms notify. Required."""
    partition: str = "aws"
    """AWS partition for ARNs. Default: aws."""
    retention_days: int = 365
    """Days log files (S3) and events (CloudWatch Logs) are kept. Default: 365."""
    lock_mode: LockMode = "COMPLIANCE"
    """Object Lock mode of the trail bucket. Default: COMPLIANCE."""
    lock_days: int = 365
    """Days each log file is locked (1 to retention_days). Default: 365."""
    data_event_bucket_arns: Sequence[pulumi.Input[str]] = ()
    """Other buckets whose object-level (data) events the trail records; its own bucket always is. Default: none."""
    force_destroy: bool = False
    """Let `pulumi destroy` empty the trail bucket (GOVERNANCE locks only). Default: False."""
    multi_region: bool = True
    """Record every region (true) or only the home region (false: where another multi-region trail of the account
    already records every region, and this one keeps recording its own region if that trail's home region is
    lost; a second copy of management events is charged, https://aws.amazon.com/cloudtrail/pricing/). Default: True."""

    def __post_init__(self) -> None:
        if not (len(self.account_id) == 12 and self.account_id.isdigit()):
            raise InvalidArgumentError(f"account_id: '{self.account_id}' is not a 12-digit AWS account ID")
        if not 1 <= self.lock_days <= self.retention_days:
            raise InvalidArgumentError(
                f"lock_days: {self.lock_days} must be 1 to retention_days ({self.retention_days})"
            )
        if self.force_destroy and self.lock_mode == "COMPLIANCE":
            raise InvalidArgumentError(
                "force_destroy: a COMPLIANCE-mode bucket cannot be emptied before its locks expire; use GOVERNANCE"
            )


class AuditTrail(pulumi.ComponentResource):
    """Multi-region CloudTrail trail, immutable bucket, encrypted log group, metric filters and alarms."""

    trail_arn: pulumi.Output[str]
    bucket_name: pulumi.Output[str]
    log_group_name: pulumi.Output[str]

    def __init__(self, name: str, args: AuditTrailArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:audit_trail:AuditTrail", name, None, opts)
        trail_name = f"{name}-audit"
        trail_arn = f"arn:{args.partition}:cloudtrail:{args.region}:{args.account_id}:trail/{trail_name}"
        logs = immutable_log_bucket(
            f"{name}-trail-logs",
            LogBucketArgs(
                retention_days=args.retention_days,
                lock_mode=args.lock_mode,
                lock_days=args.lock_days,
                source="cloudtrail",
                kms_key_arn=args.kms_key_arn,
                force_destroy=args.force_destroy,
            ),
            lambda arn: trail_bucket_statements(arn, args.account_id, trail_arn),
            parent=self,
        )
        group = encrypted_log_group(
            f"{name}-trail", f"/aws/cloudtrail/{trail_name}", args.retention_days, args.kms_key_arn, self
        )
        role = aws.iam.Role(
            f"{name}-trail-logs",
            assume_role_policy=service_trust_policy("cloudtrail.amazonaws.com", args.account_id, trail_arn),
            description=f"{trail_name}: CloudTrail delivers events to its CloudWatch Logs group",
            opts=pulumi.ResourceOptions(parent=self),
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-trail-logs",
            role=role.id,
            policy=group.arn.apply(_delivery_policy),
            opts=pulumi.ResourceOptions(parent=self),
        )
        watched = pulumi.Output.all(logs.bucket.arn, *args.data_event_bucket_arns)
        trail = aws.cloudtrail.Trail(
            f"{name}-audit",
            name=trail_name,
            s3_bucket_name=logs.bucket.id,
            is_multi_region_trail=args.multi_region,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            kms_key_id=args.kms_key_arn,
            cloud_watch_logs_group_arn=group.arn.apply(lambda arn: f"{arn}:*"),
            cloud_watch_logs_role_arn=role.arn,
            event_selectors=[
                aws.cloudtrail.TrailEventSelectorArgs(
                    read_write_type="All",
                    include_management_events=True,
                    data_resources=[
                        aws.cloudtrail.TrailEventSelectorDataResourceArgs(
                            type="AWS::S3::Object", values=watched.apply(lambda arns: [f"{a}/" for a in arns])
                        )
                    ],
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[logs.policy, logs.lock, role_policy]),
        )
        for event in AUDIT_EVENTS:
            aws.cloudwatch.LogMetricFilter(
                f"{name}-filter-{event.metric}",
                name=f"{trail_name}-{event.metric}",
                log_group_name=group.name,
                pattern=event.pattern,
                metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                    name=event.metric, namespace=ALARM_NAMESPACE, value="1", default_value="0"
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        create_alarms(name, audit_alarm_specs(), args.alarm_topic_arn, parent=self)
        self.trail_arn = trail.arn
        self.bucket_name = logs.bucket.bucket
        self.log_group_name = group.name
        self.register_outputs(
            {"trail_arn": self.trail_arn, "bucket_name": self.bucket_name, "log_group_name": self.log_group_name}
        )


def audit_alarm_specs() -> list[AlarmSpec]:
    """One alarm per audit event: any occurrence in 5 minutes pages."""
    return [
        AlarmSpec(event.metric, ALARM_NAMESPACE, event.metric, {}, "GreaterThanOrEqualToThreshold", 1,
                  event.description, statistic="Sum", period_seconds=300, evaluation_periods=1,
                  treat_missing_data="notBreaching")
        for event in AUDIT_EVENTS
    ]  # fmt: skip


def trail_bucket_statements(bucket_arn: str, account_id: str, trail_arn: str) -> list[dict[str, Any]]:
    """CloudTrail may read the bucket ACL and write under AWSLogs/<account>/, for this trail only."""
    source = {"aws:SourceArn": trail_arn}
    return [
        {
            "Sid": "CloudTrailAclCheck",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:GetBucketAcl",
            "Resource": bucket_arn,
            "Condition": {"StringEquals": source},
        },
        {
            "Sid": "CloudTrailWrite",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/AWSLogs/{account_id}/*",
            "Condition": {"StringEquals": {**source, "s3:x-amz-acl": "bucket-owner-full-control"}},
        },
    ]


def _delivery_policy(log_group_arn: str) -> str:
    """CloudTrail's role may create streams and put events in its own log group only."""
    return policy_document(
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{log_group_arn}:log-stream:*",
        }
    )


def organization_trail_problems(
    trail: Mapping[str, Any] | None, status: Mapping[str, Any] | None, region: str
) -> list[str]:
    """What is wrong with the organization trail that stands in for AuditTrail, from boto3's answers.

    `trail` is the entry of `cloudtrail.describe_trails(trailNameList=[arn], includeShadowTrails=True)`
    ["trailList"] (None when absent) and `status` the answer of `cloudtrail.get_trail_status(Name=arn)`.
    An empty list means the trail exists, is an organization trail, logs this region, is logging,
    validates log files and encrypts them with a KMS key. `ops preflight` reports each problem.
    """
    if trail is None:
        return ["the organization trail does not exist or this account cannot see it"]
    problems = []
    if trail.get("IsOrganizationTrail") is not True:
        problems.append("the trail is not an organization trail")
    if trail.get("IsMultiRegionTrail") is not True and trail.get("HomeRegion") != region:
        problems.append(f"the trail does not log {region} (single-region trail in {trail.get('HomeRegion')})")
    if trail.get("LogFileValidationEnabled") is not True:
        problems.append("log file validation is off")
    if not trail.get("KmsKeyId"):
        problems.append("log files are not encrypted with a KMS key")
    if not status or status.get("IsLogging") is not True:
        problems.append("the trail is not logging")
    return problems
