"""Customer-managed KMS keys, one per data domain, with explicit least-privilege key policies.

Each key rotates yearly, waits 30 days before deletion and has an alias `alias/<name>-<domain>`.
Its policy lets the account administer the key (no use, and no grants that would confer use), lets
account principals use it only
through the AWS services of its domain (`kms:ViaService`, pinned to this account and region), and
names the few service principals that call KMS directly (CloudWatch Logs for the logs key, pinned to
this account's log groups in this region).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from components.errors import InvalidArgumentError

ADMIN_ACTIONS = (
    "kms:CreateAlias", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
    "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource",
    "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:RotateKeyOnDemand",
)  # fmt: skip
"""Administration of the key; none of these encrypts or decrypts data, nor creates a grant that would.

AWS's default key policy gives key administrators `kms:Create*`, which also matches `kms:CreateGrant`: an
administrator could grant itself Encrypt/Decrypt. Here administrators get `kms:CreateAlias` only, and
grants are allowed solely for AWS services acting on the platform's resources (`kms:GrantIsForAWSResource`
with `kms:ViaService`). Sources: https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
(key administrators statement), https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html
(kms:GrantIsForAWSResource)."""
USE_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey")
"""Cryptographic use of the key."""


DirectService = Literal["logs", "cloudwatch"]
"""Service principals a key may admit directly: CloudWatch Logs (log groups), CloudWatch (alarm actions)."""
AuditService = Literal["cloudtrail", "events", "aps"]
"""Audit and detection services a key may admit directly: CloudTrail (trail log files), EventBridge (rules
publishing GuardDuty findings to an encrypted SNS topic), Amazon Managed Service for Prometheus (the Alertmanager
of the workspaces in PlatformKeysArgs.prometheus_workspace_arns publishing alerts to an encrypted SNS topic)."""


@dataclass(frozen=True)
class KeyDomain:
    """One data domain with its own key."""

    name: str
    """Short name, used in the alias and resource names (e.g. 'data')."""
    description: str
    """What the key protects; becomes the key's description."""
    via_services: tuple[str, ...] = ()
    """AWS services (endpoint prefixes, e.g. 'rds') through which account principals may use the key. Default: none."""
    direct_services: tuple[DirectService, ...] = ()
    """Services that call KMS as themselves, each pinned to this account and region. Default: none."""
    service_linked_roles: tuple[str, ...] = ()
    """Service-linked roles ('<service>/<role name>') that use the key as themselves. Default: none."""
    audit_services: tuple[AuditService, ...] = ()
    """Audit services that call KMS as themselves, each pinned to this account (and region). Default: none."""


DEFAULT_KEY_DOMAINS: tuple[KeyDomain, ...] = (
    KeyDomain("data", "Data stores: Aurora, ElastiCache, MSK, EBS volumes, backups, container images",
              via_services=("rds", "elasticache", "kafka", "ec2", "backup", "ecr"),
              service_linked_roles=("autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",)),
    KeyDomain("secrets", "Secrets Manager secrets", via_services=("secretsmanager",)),
    # s3: the Region switch plan's execution reports and AWS Config's deliveries go to SSE-KMS log buckets under
    # this key (components/region_switch.py, components/continuous_compliance.py).
    KeyDomain("logs", "CloudWatch log groups, CloudTrail log files, Region switch reports and AWS Config deliveries",
              via_services=("s3",),
              direct_services=("logs",), audit_services=("cloudtrail",)),
    KeyDomain("eks", "EKS Kubernetes secrets envelope encryption", via_services=("eks",)),
    KeyDomain("alerts", "SNS topics of platform alarms", via_services=("sns",),
              direct_services=("cloudwatch",), audit_services=("events", "aps")),
)  # fmt: skip
"""The platform's key domains: data stores, secrets, logs, EKS secrets and alarm notifications."""


@dataclass(frozen=True)
class PlatformKeysArgs:
    """Arguments of PlatformKeys."""

    account_id: str
    """The 12-digit account that owns and uses the keys. Required."""
    region: str
    """Region of the keys and of the services that use them. Required."""
    partition: str = "aws"
    """AWS partition for ARNs. Default: aws."""
    domains: tuple[KeyDomain, ...] = field(default=DEFAULT_KEY_DOMAINS)
    """Key domains, one key each. Default: data, secrets, logs, eks."""
    deletion_window_in_days: int = 30
    """Days a deleted key waits before it is destroyed (7-30). Default: 30."""
    rotation_period_in_days: int = 365
    """Days between automatic rotations (90-2560). Default: 365."""
    administrator_arns: tuple[str, ...] = ()
    """Principals that administer (not use) the keys. Default: the account root, i.e. delegated to IAM."""
    protect: bool = False
    """Register the keys with protect=True, so `pulumi destroy` cannot schedule their deletion. Default: False."""
    prometheus_workspace_arns: tuple[pulumi.Input[str], ...] = ()
    """Prometheus workspaces whose Alertmanager may use the keys of domains that admit 'aps' (pinned by
    aws:SourceArn to exactly these workspaces); none admits no workspace. Default: none."""

    def __post_init__(self) -> None:
        if not (len(self.account_id) == 12 and self.account_id.isdigit()):
            raise InvalidArgumentError(f"account_id: '{self.account_id}' is not a 12-digit AWS account ID")
        if not 7 <= self.deletion_window_in_days <= 30:
            raise InvalidArgumentError(f"deletion_window_in_days: {self.deletion_window_in_days} is outside 7-30")
        if not 90 <= self.rotation_period_in_days <= 2560:
            raise InvalidArgumentError(f"rotation_period_in_days: {self.rotation_period_in_days} is outside 90-2560")
        names = [domain.name for domain in self.domains]
        if not names or len(set(names)) != len(names):
            raise InvalidArgumentError(f"domains: names must be unique and non-empty, got {names}")


def key_policy(args: PlatformKeysArgs, domain: KeyDomain, workspace_arns: Sequence[str] = ()) -> dict[str, Any]:
    """The key policy document of one domain's key; `workspace_arns`: the resolved
    PlatformKeysArgs.prometheus_workspace_arns (a domain admitting 'aps' admits exactly these)."""
    root = f"arn:{args.partition}:iam::{args.account_id}:root"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountAdministration",
            "Effect": "Allow",
            "Principal": {"AWS": list(args.administrator_arns) or [root]},
            "Action": list(ADMIN_ACTIONS),
            "Resource": "*",
        }
    ]
    if domain.via_services:
        via = [f"{service}.{args.region}.amazonaws.com" for service in domain.via_services]
        pinned = {"kms:CallerAccount": args.account_id, "kms:ViaService": via}
        statements += [
            {
                "Sid": "UseThroughDomainServices",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": list(USE_ACTIONS),
                "Resource": "*",
                "Condition": {"StringEquals": pinned},
            },
            {
                "Sid": "GrantsForDomainServiceResources",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": pinned,
                    "Bool": {"kms:GrantIsForAWSResource": "true"},
                },
            },
        ]
    statements += [_direct_service_statement(args, service) for service in domain.direct_services]
    statements += [
        s for service in domain.audit_services for s in _audit_service_statements(args, service, workspace_arns)
    ]
    if domain.service_linked_roles:
        statements.append(_service_linked_roles_statement(args, domain.service_linked_roles))
    return {"Version": "2012-10-17", "Statement": statements}


def _service_linked_roles_statement(args: PlatformKeysArgs, roles: tuple[str, ...]) -> dict[str, Any]:
    """Service-linked roles act as themselves, outside IAM delegation; naming them by condition (not as
    principals) keeps the policy valid before AWS creates the role, e.g. the Auto Scaling role that
    launches nodes with encrypted root volumes."""
    arns = [f"arn:{args.partition}:iam::{args.account_id}:role/aws-service-role/{role}" for role in roles]
    return {
        "Sid": "ServiceLinkedRolesOfThisAccount",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": [*USE_ACTIONS, "kms:CreateGrant"],
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalArn": arns, "kms:CallerAccount": args.account_id}},
    }


def _audit_service_statements(
    args: PlatformKeysArgs, service: AuditService, workspace_arns: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """CloudTrail encrypting trail log files, or EventBridge publishing to an encrypted topic, pinned to this
    account (and for CloudTrail, to its trails by aws:SourceArn and the encryption context).

    CloudTrail: "Configure AWS KMS key policies for CloudTrail" (CloudTrail User Guide): GenerateDataKey* for
    cloudtrail.amazonaws.com with aws:SourceArn the trail and kms:EncryptionContext:aws:cloudtrail:arn the
    account's trails; DescribeKey; account principals decrypt log files only with that encryption context.
    EventBridge: "Amazon SNS topic targets encrypted with a customer managed key" (EventBridge User Guide):
    kms:Decrypt and kms:GenerateDataKey for events.amazonaws.com.
    """
    prefix = f"arn:{args.partition}"
    if service == "aps":
        # "Allow Amazon Managed Service for Prometheus to send alerts to an encrypted topic" (AMP User Guide,
        # AMP-alertmanager-receiver-AMPpermission): kms:GenerateDataKey* and kms:Decrypt for aps.amazonaws.com;
        # aws:SourceArn pins it to the stack's own workspace, aws:SourceAccount to this account (confused deputy).
        if not workspace_arns:
            return []
        return [
            {
                "Sid": "PrometheusAlertmanagerOfThisStack",
                "Effect": "Allow",
                "Principal": {"Service": "aps.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": args.account_id},
                    "ArnEquals": {"aws:SourceArn": sorted(workspace_arns)},
                },
            }
        ]
    if service == "events":
        return [
            {
                "Sid": "EventBridgeRulesOfThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": args.account_id},
                    "ArnLike": {"aws:SourceArn": f"{prefix}:events:{args.region}:{args.account_id}:rule/*"},
                },
            }
        ]
    trails = f"{prefix}:cloudtrail:{args.region}:{args.account_id}:trail/*"
    context = f"{prefix}:cloudtrail:*:{args.account_id}:trail/*"
    return [
        {
            "Sid": "CloudTrailEncryptsLogFiles",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "kms:GenerateDataKey*",
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": args.account_id},
                "ArnLike": {"aws:SourceArn": trails},
                "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": context},
            },
        },
        {
            "Sid": "CloudTrailDescribesKey",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "kms:DescribeKey",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": args.account_id}, "ArnLike": {"aws:SourceArn": trails}},
        },
        {
            "Sid": "AccountReadsTrailLogFiles",
            "Effect": "Allow",
            "Principal": {"AWS": f"{prefix}:iam::{args.account_id}:root"},
            "Action": ["kms:Decrypt", "kms:ReEncryptFrom"],
            "Resource": "*",
            "Condition": {
                "StringEquals": {"kms:CallerAccount": args.account_id},
                "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": context},
            },
        },
    ]


def _direct_service_statement(args: PlatformKeysArgs, service: DirectService) -> dict[str, Any]:
    """A service principal's use of the key, pinned to this account and region."""
    prefix = f"arn:{args.partition}"
    if service == "logs":
        return {
            "Sid": "CloudWatchLogsOfThisAccount",
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{args.region}.amazonaws.com"},
            "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            "Resource": "*",
            "Condition": {
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": f"{prefix}:logs:{args.region}:{args.account_id}:log-group:*"
                }
            },
        }
    return {
        "Sid": "CloudWatchAlarmsOfThisAccount",
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": args.account_id},
            "ArnLike": {"aws:SourceArn": f"{prefix}:cloudwatch:{args.region}:{args.account_id}:alarm:*"},
        },
    }


class PlatformKeys(pulumi.ComponentResource):
    """One rotating customer-managed KMS key and alias per data domain."""

    key_arns: pulumi.Output[dict[str, str]]
    """ARN of each domain's key, by domain name."""
    alias_names: dict[str, str]
    """Alias of each domain's key, by domain name."""

    def __init__(self, name: str, args: PlatformKeysArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:kms:PlatformKeys", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self._keys: dict[str, aws.kms.Key] = {}
        self.alias_names = {}
        for domain in args.domains:
            key = aws.kms.Key(
                f"{name}-{domain.name}",
                description=f"{name}: {domain.description}",
                key_usage="ENCRYPT_DECRYPT",
                customer_master_key_spec="SYMMETRIC_DEFAULT",
                enable_key_rotation=True,
                rotation_period_in_days=args.rotation_period_in_days,
                deletion_window_in_days=args.deletion_window_in_days,
                policy=_policy_text(args, domain),
                tags={"Name": f"{name}-{domain.name}", "key-domain": domain.name},
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            )
            alias = f"alias/{name}-{domain.name}"
            aws.kms.Alias(f"{name}-{domain.name}", name=alias, target_key_id=key.key_id, opts=child)
            self._keys[domain.name] = key
            self.alias_names[domain.name] = alias
        self.key_arns = pulumi.Output.all(**{domain: key.arn for domain, key in self._keys.items()})
        self.register_outputs({"key_arns": self.key_arns, "alias_names": self.alias_names})

    def arn(self, domain: str) -> pulumi.Output[str]:
        """ARN of one domain's key; raises InvalidArgumentError for an unknown domain."""
        if domain not in self._keys:
            raise InvalidArgumentError(f"domain: '{domain}' is not one of {sorted(self._keys)}")
        return self._keys[domain].arn


def _policy_text(args: PlatformKeysArgs, domain: KeyDomain) -> pulumi.Input[str]:
    """The key policy as JSON; an Output when it names Prometheus workspaces, whose ARNs AWS assigns."""
    if "aps" in domain.audit_services and args.prometheus_workspace_arns:
        return pulumi.Output.all(*args.prometheus_workspace_arns).apply(
            lambda arns: json.dumps(key_policy(args, domain, arns))
        )
    return json.dumps(key_policy(args, domain))
