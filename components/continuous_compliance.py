"""Continuous compliance in the account: AWS Config recording and delivery, the PCI DSS conformance pack, Security Hub
with the PCI DSS v4.0.1 and AWS Foundational Security Best Practices standards, and EventBridge rules that send high
and critical findings and new non-compliance to the alarm topic.

Life cycle, as relied on here:
- One configuration recorder and one delivery channel per account and region (AWS Config service quotas): a second
  stack in the same account and region, or an organization's recorder (Control Tower creates one in every member
  account), makes CreateConfigurationRecorder fail. `ops preflight` reports it before `pulumi up`
  (`recorder_problems()` below); where an organization runs Config and Security Hub centrally, the stack builds none
  of this (config key organizationCompliance) and preflight checks that the organization's cover the account.
- Create order (AWS Config Developer Guide, "Managing the Configuration Recorder" / "Managing the Delivery Channel";
  pulumi-aws 7.51.1 `cfg.DeliveryChannel`: "the delivery channel requires a configuration recorder to be present",
  `cfg.RecorderStatus`: "starting the recorder requires a delivery channel"): recorder -> delivery channel ->
  recorder status (recording on) -> conformance pack. Config validates at PutDeliveryChannel that it may write to
  the bucket (InsufficientDeliveryPolicyException), so the channel waits for the bucket policy and the role policy.
- Recording: every supported resource type (`allSupported`); global types (IAM) only where `record_global_types`,
  the home region of the account (AWS Config: "Recording global resource types ... in only one Region to avoid
  duplicate configuration items"; in prod-dr, whose account prod records in us-east-1, it is off).
- Delivery: an immutable log bucket (components/log_bucket.py) encrypted with the logs key; Config writes under
  AWSLogs/<account>/Config/ as the recorder's IAM role (a role of this stack with the AWS-managed AWS_ConfigRole
  policy, not the account's service-linked role, which two stacks of one account would both try to own), through
  S3 with SSE-KMS (the logs key admits account principals via S3: components/kms.py). Whether Config's PutObject
  carries the Content-MD5 header that an Object Lock default retention requires is not documented; check that
  snapshots appear in the bucket after the first deploy (not exercisable offline).
- Security Hub: `securityhub.Account` (EnableSecurityHub) without the default standards, then one subscription per
  standard (pulumi-aws `securityhub.StandardsSubscription` depends on the account). Security Hub's controls read the
  Config recorder's items, so the subscriptions wait for the recorder status. Disabling Security Hub
  (destroy) deletes its findings; the PCI evidence is the findings exported by `ops audit --evidence` (ops/).
- Findings to people: Security Hub publishes "Security Hub Findings - Imported" and Config publishes "Config Rules
  Compliance Change" to the default event bus (Security Hub User Guide "EventBridge event formats"; AWS Config
  Developer Guide "Monitoring AWS Config with Amazon EventBridge"); two rules forward HIGH/CRITICAL new, active
  findings and transitions to NON_COMPLIANT to the alarm topic, whose policy admits EventBridge rules of this stack
  only (components/alerts.py).
- Delete: deleting the recorder stops recording; the delivered history stays in the locked bucket.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.conformance_pack import template_body
from components.errors import InvalidArgumentError
from components.iam import policy_document, service_trust_policy
from components.log_bucket import LockMode, LogBucketArgs, immutable_log_bucket

PCI_STANDARD = "standards/pci-dss/v/4.0.1"
FSBP_STANDARD = "standards/aws-foundational-security-best-practices/v/1.0.0"
"""Standards ARN paths (`arn:<partition>:securityhub:<region>::<path>`, pulumi-aws securityhub.StandardsSubscription
documentation: PCI DSS v4.0.1 and AWS Foundational Security Best Practices)."""
SNAPSHOT_FREQUENCIES = ("One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours")
CONFIG_ROLE_POLICY = "service-role/AWS_ConfigRole"
"""AWS-managed policy of a Config recorder role (AWS Config Developer Guide, "Permissions for the IAM Role")."""


@dataclass(frozen=True)
class ContinuousComplianceArgs:
    """Arguments of ContinuousCompliance."""

    account_id: str
    """Account recorded. Required."""
    region: str
    """Region recorded. Required."""
    partition: str
    """AWS partition of the region. Required."""
    kms_key_arn: pulumi.Input[str]
    """Logs key: encrypts delivered configuration history and snapshots. Required."""
    alarm_topic_arn: pulumi.Input[str]
    """Topic receiving high/critical findings and new non-compliance. Required."""
    retention_days: int
    """Days the delivered configuration history is kept. Required."""
    lock_mode: LockMode
    """Object Lock mode of the delivery bucket. Required."""
    lock_days: int
    """Days each delivered object is locked. Required."""
    record_global_types: bool = True
    """Record IAM and other global resource types (only in the account's home region). Default: True."""
    snapshot_frequency: str = "TwentyFour_Hours"
    """How often Config delivers a configuration snapshot, one of SNAPSHOT_FREQUENCIES. Default: TwentyFour_Hours."""
    force_destroy: bool = False
    """Let `pulumi destroy` empty the delivery bucket (GOVERNANCE locks only). Default: False."""

    def __post_init__(self) -> None:
        if self.snapshot_frequency not in SNAPSHOT_FREQUENCIES:
            raise InvalidArgumentError(
                f"snapshot_frequency: '{self.snapshot_frequency}' is not one of {', '.join(SNAPSHOT_FREQUENCIES)}"
            )


class ContinuousCompliance(pulumi.ComponentResource):
    """AWS Config recorder, delivery channel and PCI conformance pack; Security Hub with PCI DSS v4.0.1 and FSBP."""

    recorder_name: pulumi.Output[str]
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    """The delivery bucket; the audit trail records every access to its objects (rule log-bucket-data-events)."""
    conformance_pack_name: pulumi.Output[str]
    standards_arns: list[str]

    def __init__(self, name: str, args: ContinuousComplianceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:continuous_compliance:ContinuousCompliance", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-config",
            assume_role_policy=service_trust_policy("config.amazonaws.com", args.account_id),
            description=f"{name}: AWS Config records the account and delivers to its bucket",
            opts=child,
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-config",
            role=role.name,
            policy_arn=f"arn:{args.partition}:iam::aws:policy/{CONFIG_ROLE_POLICY}",
            opts=child,
        )
        role_arn = role.arn
        logs = immutable_log_bucket(
            f"{name}-config-logs",
            LogBucketArgs(
                retention_days=args.retention_days,
                lock_mode=args.lock_mode,
                lock_days=args.lock_days,
                source="config",
                kms_key_arn=args.kms_key_arn,
                force_destroy=args.force_destroy,
            ),
            lambda arn: [],  # same-account role: its IAM policy below admits it; the bucket policy denies non-TLS
            parent=self,
        )
        delivery_policy = aws.iam.RolePolicy(
            f"{name}-config-delivery",
            role=role.id,
            policy=pulumi.Output.all(logs.bucket.arn, args.kms_key_arn).apply(
                lambda values: delivery_role_policy(values[0], values[1], args.account_id)
            ),
            opts=child,
        )
        recorder = aws.cfg.Recorder(
            f"{name}-config",
            name=f"{name}-recorder",
            role_arn=role_arn,
            recording_group=aws.cfg.RecorderRecordingGroupArgs(
                all_supported=True, include_global_resource_types=args.record_global_types
            ),
            opts=child,
        )
        channel = aws.cfg.DeliveryChannel(
            f"{name}-config",
            name=f"{name}-delivery",
            s3_bucket_name=logs.bucket.id,
            s3_kms_key_arn=args.kms_key_arn,
            snapshot_delivery_properties=aws.cfg.DeliveryChannelSnapshotDeliveryPropertiesArgs(
                delivery_frequency=args.snapshot_frequency
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[recorder, logs.policy, logs.lock, delivery_policy]),
        )
        status = aws.cfg.RecorderStatus(
            f"{name}-config",
            name=recorder.name,
            is_enabled=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[channel]),
        )
        pack = aws.cfg.ConformancePack(
            f"{name}-pci",
            name=f"{name}-pci-dss",
            template_body=template_body(args.record_global_types),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[status]),
        )
        hub = aws.securityhub.Account(
            f"{name}-securityhub",
            enable_default_standards=False,
            auto_enable_controls=True,
            control_finding_generator="SECURITY_CONTROL",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[status]),
        )
        self.standards_arns = [
            f"arn:{args.partition}:securityhub:{args.region}::{path}" for path in (PCI_STANDARD, FSBP_STANDARD)
        ]
        for suffix, arn in zip(("pci", "fsbp"), self.standards_arns, strict=True):
            aws.securityhub.StandardsSubscription(
                f"{name}-{suffix}", standards_arn=arn, opts=pulumi.ResourceOptions(parent=self, depends_on=[hub])
            )
        for suffix, description, pattern in (
            ("securityhub-findings", "high and critical Security Hub findings", securityhub_finding_pattern()),
            ("config-noncompliance", "Config rules turning NON_COMPLIANT", config_noncompliance_pattern()),
        ):
            rule = aws.cloudwatch.EventRule(
                f"{name}-{suffix}",
                description=f"{name}: {description} to the alarm topic",
                event_pattern=json.dumps(pattern),
                opts=child,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-{suffix}", rule=rule.name, arn=args.alarm_topic_arn, target_id="alarm-topic", opts=child
            )
        self.recorder_name = recorder.name
        self.bucket_name = logs.bucket.bucket
        self.bucket_arn = logs.bucket.arn
        self.conformance_pack_name = pack.name
        self.register_outputs(
            {
                "recorder_name": self.recorder_name,
                "bucket_name": self.bucket_name,
                "conformance_pack_name": self.conformance_pack_name,
            }
        )


def delivery_role_policy(bucket_arn: str, key_arn: str, account_id: str) -> str:
    """What the recorder's role needs beyond AWS_ConfigRole: write its deliveries and encrypt them
    (AWS Config Developer Guide, "Permissions for the Amazon S3 Bucket" and "Permissions for the KMS Key")."""
    return policy_document(
        {"Effect": "Allow", "Action": ["s3:GetBucketAcl", "s3:ListBucket"], "Resource": bucket_arn},
        {
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/AWSLogs/{account_id}/Config/*",
            "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
        },
        {"Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": key_arn},
    )


def securityhub_finding_pattern() -> dict[str, Any]:
    """New, active Security Hub findings labelled HIGH or CRITICAL."""
    return {
        "source": ["aws.securityhub"],
        "detail-type": ["Security Hub Findings - Imported"],
        "detail": {
            "findings": {
                "Severity": {"Label": ["HIGH", "CRITICAL"]},
                "Workflow": {"Status": ["NEW"]},
                "RecordState": ["ACTIVE"],
            }
        },
    }


def config_noncompliance_pattern() -> dict[str, Any]:
    """A Config rule evaluation that turns NON_COMPLIANT."""
    return {
        "source": ["aws.config"],
        "detail-type": ["Config Rules Compliance Change"],
        "detail": {
            "messageType": ["ComplianceChangeNotification"],
            "newEvaluationResult": {"complianceType": ["NON_COMPLIANT"]},
        },
    }


def recorder_problems(recorders: list[dict[str, Any]], statuses: list[dict[str, Any]], builds: bool,
                      stack_recorder: str, region: str) -> list[str]:  # fmt: skip
    """What `ops preflight` reports about AWS Config before `pulumi up`, from boto3's
    `config.describe_configuration_recorders()["ConfigurationRecorders"]` and
    `describe_configuration_recorder_status()["ConfigurationRecordersStatus"]` in the stack's region.

    Building (organizationCompliance false): no recorder other than the stack's own may exist (one per region).
    Using the organization's (true): a recorder must exist, record every supported type and be recording."""
    others = [r for r in recorders if r.get("name") != stack_recorder]
    if builds:
        if others:
            return [f"AWS Config recorder '{others[0].get('name')}' already exists in {region} and is not this "
                    "stack's: creating another fails; set organizationCompliance=true if the organization's covers "
                    "the account"]  # fmt: skip
        return []
    if not recorders:
        return [f"organizationCompliance=true but no AWS Config recorder exists in {region}: nothing records the "
                "account; deploy the organization's recorder here or set organizationCompliance=false"]  # fmt: skip
    problems = []
    recorder = recorders[0]
    group = recorder.get("recordingGroup", {})
    if not group.get("allSupported"):
        problems.append(f"AWS Config recorder '{recorder.get('name')}' in {region} does not record all supported "
                        "resource types (recordingGroup.allSupported is false)")  # fmt: skip
    recording = any(s.get("name") == recorder.get("name") and s.get("recording") for s in statuses)
    if not recording:
        problems.append(f"AWS Config recorder '{recorder.get('name')}' in {region} is not recording")
    return problems


def securityhub_problems(hub_enabled: bool, enabled_standards: list[dict[str, Any]], region: str) -> list[str]:
    """What `ops preflight` reports about an organization's Security Hub (organizationCompliance true), from
    boto3's `securityhub.describe_hub()` (refused when Security Hub is off) and
    `get_enabled_standards()["StandardsSubscriptions"]`: Security Hub is on and both standards are READY."""
    if not hub_enabled:
        return [f"organizationCompliance=true but Security Hub is not enabled in {region} for this account"]
    ready = {s.get("StandardsArn", "").split("::")[-1] for s in enabled_standards
             if s.get("StandardsStatus") in ("READY", "INCOMPLETE")}  # fmt: skip
    return [f"Security Hub in {region} is not subscribed to {path}" for path in (PCI_STANDARD, FSBP_STANDARD)
            if path not in ready]  # fmt: skip
