"""The PCI DSS conformance pack of AWS Config managed rules, as data and as a conformance pack template.

AWS publishes "Operational Best Practices for PCI DSS 4.0" as a sample conformance pack (awslabs/aws-config-rules,
aws-config-conformance-packs/Operational-Best-Practices-for-PCI-DSS-v4.0-excluding-global-resourcetypes.yaml).
That template covers services this platform does not run (DynamoDB, Redshift, Neptune, API Gateway ...), so the pack
here is the equivalent subset written as code: the AWS managed rules (owner AWS, identifiers from the AWS Config
Developer Guide "List of AWS Config Managed Rules") that evaluate the resource types the platform builds, each
mapped by this project to the PCI DSS v4.0.1 requirements it evidences. The template is generated, so the mapping
the coverage matrix shows and the rules the account runs are one list.

Global-resource rules (IAM, root account) evaluate the account's IAM configuration, recorded in the home region only
(components/continuous_compliance.py `record_global_types`); they are deployed only where global types are recorded,
otherwise they would report NOT_APPLICABLE forever.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import yaml


@dataclass(frozen=True)
class ManagedRule:
    """One AWS Config managed rule of the pack."""

    name: str
    """ConfigRuleName (unique in the account and region)."""
    identifier: str
    """Source identifier of the AWS managed rule."""
    pci: tuple[str, ...]
    """PCI DSS v4.0.1 requirements it evidences in the live account."""
    parameters: Mapping[str, str] = field(default_factory=dict)
    """InputParameters (strings, as Config takes them). Default: none."""
    global_resources: bool = False
    """Evaluates IAM / account-level (global) configuration: deployed only in the home region. Default: False."""


def _m(name: str, identifier: str, *pci: str, global_resources: bool = False, **parameters: str) -> ManagedRule:
    return ManagedRule(name, identifier, pci, parameters, global_resources)


MANAGED_RULES: tuple[ManagedRule, ...] = (
    _m("cloudtrail-security-trail-enabled", "CLOUDTRAIL_SECURITY_TRAIL_ENABLED", "10.2.1", "10.2.1.2", "10.2.2"),
    _m("multi-region-cloudtrail-enabled", "MULTI_REGION_CLOUD_TRAIL_ENABLED", "10.2.1"),
    _m("cloud-trail-log-file-validation-enabled", "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED", "10.3.4"),
    _m("cloud-trail-encryption-enabled", "CLOUD_TRAIL_ENCRYPTION_ENABLED", "10.3.2"),
    _m("cloud-trail-cloud-watch-logs-enabled", "CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED", "10.4.1.1", "10.3.3"),
    _m("cloudwatch-log-group-encrypted", "CLOUDWATCH_LOG_GROUP_ENCRYPTED", "10.3.2"),
    _m("cw-loggroup-retention-period-check", "CW_LOGGROUP_RETENTION_PERIOD_CHECK", "10.5.1", MinRetentionTime="365"),
    _m("vpc-flow-logs-enabled", "VPC_FLOW_LOGS_ENABLED", "10.2.1"),
    _m("elb-logging-enabled", "ELB_LOGGING_ENABLED", "10.2.1"),
    _m("wafv2-logging-enabled", "WAFV2_LOGGING_ENABLED", "10.2.1"),
    _m("eks-cluster-logging-enabled", "EKS_CLUSTER_LOGGING_ENABLED", "10.2.1", "10.2.1.2"),
    _m("cmk-backing-key-rotation-enabled", "CMK_BACKING_KEY_ROTATION_ENABLED", "3.7.4"),
    _m("kms-cmk-not-scheduled-for-deletion", "KMS_CMK_NOT_SCHEDULED_FOR_DELETION", "3.7.5"),
    _m("s3-bucket-level-public-access-prohibited", "S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED", "1.4.4"),
    _m("s3-bucket-public-read-prohibited", "S3_BUCKET_PUBLIC_READ_PROHIBITED", "1.4.4", "7.2.1"),
    _m("s3-bucket-public-write-prohibited", "S3_BUCKET_PUBLIC_WRITE_PROHIBITED", "1.4.4", "7.2.1"),
    _m("s3-bucket-ssl-requests-only", "S3_BUCKET_SSL_REQUESTS_ONLY", "4.2.1"),
    _m("s3-bucket-server-side-encryption-enabled", "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED", "3.5.1"),
    _m("s3-bucket-versioning-enabled", "S3_BUCKET_VERSIONING_ENABLED", "10.3.2"),
    _m("s3-bucket-default-lock-enabled", "S3_BUCKET_DEFAULT_LOCK_ENABLED", "10.3.2"),
    _m("rds-storage-encrypted", "RDS_STORAGE_ENCRYPTED", "3.5.1"),
    _m("rds-instance-public-access-check", "RDS_INSTANCE_PUBLIC_ACCESS_CHECK", "1.4.4"),
    _m("rds-snapshots-public-prohibited", "RDS_SNAPSHOTS_PUBLIC_PROHIBITED", "1.4.4"),
    _m("rds-cluster-iam-authentication-enabled", "RDS_CLUSTER_IAM_AUTHENTICATION_ENABLED", "8.3.1"),
    _m("rds-cluster-deletion-protection-enabled", "RDS_CLUSTER_DELETION_PROTECTION_ENABLED", "12.10.1"),
    _m("elasticache-repl-grp-encrypted-at-rest", "ELASTICACHE_REPL_GRP_ENCRYPTED_AT_REST", "3.5.1"),
    _m("elasticache-repl-grp-encrypted-in-transit", "ELASTICACHE_REPL_GRP_ENCRYPTED_IN_TRANSIT", "4.2.1"),
    _m("msk-in-cluster-node-require-tls", "MSK_IN_CLUSTER_NODE_REQUIRE_TLS", "4.2.1"),
    _m("eks-endpoint-no-public-access", "EKS_ENDPOINT_NO_PUBLIC_ACCESS", "1.4.1"),
    _m("eks-secrets-encrypted", "EKS_SECRETS_ENCRYPTED", "3.5.1"),
    _m("alb-http-to-https-redirection-check", "ALB_HTTP_TO_HTTPS_REDIRECTION_CHECK", "4.2.1"),
    _m("alb-http-drop-invalid-header-enabled", "ALB_HTTP_DROP_INVALID_HEADER_ENABLED", "6.4.2"),
    _m("alb-waf-enabled", "ALB_WAF_ENABLED", "6.4.1", "6.4.2"),
    _m("vpc-default-security-group-closed", "VPC_DEFAULT_SECURITY_GROUP_CLOSED", "1.3.1", "1.3.2"),
    _m("restricted-ssh", "INCOMING_SSH_DISABLED", "1.3.1", "1.4.2"),
    _m("ec2-imdsv2-check", "EC2_IMDSV2_CHECK", "2.2.6"),
    _m("ec2-instance-no-public-ip", "EC2_INSTANCE_NO_PUBLIC_IP", "1.4.4"),
    _m("ecr-private-image-scanning-enabled", "ECR_PRIVATE_IMAGE_SCANNING_ENABLED", "6.3.1", "11.3.1"),
    _m("guardduty-enabled-centralized", "GUARDDUTY_ENABLED_CENTRALIZED", "11.5.1"),
    _m("securityhub-enabled", "SECURITYHUB_ENABLED", "10.4.1.1"),
    _m("sns-encrypted-kms", "SNS_ENCRYPTED_KMS", "3.5.1"),
    _m("iam-policy-no-statements-with-admin-access", "IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS", "7.2.2",
       global_resources=True),
    _m("iam-root-access-key-check", "IAM_ROOT_ACCESS_KEY_CHECK", "2.2.2", "8.2.2", global_resources=True),
    _m("root-account-mfa-enabled", "ROOT_ACCOUNT_MFA_ENABLED", "8.4.1", global_resources=True),
    _m("iam-user-mfa-enabled", "IAM_USER_MFA_ENABLED", "8.4.2", global_resources=True),
    _m("iam-password-policy", "IAM_PASSWORD_POLICY", "8.3.6", "8.3.7", "8.3.9", global_resources=True,
       MinimumPasswordLength="12", PasswordReusePrevention="4", MaxPasswordAge="90"),
    _m("access-keys-rotated", "ACCESS_KEYS_ROTATED", "8.3.9", "8.6.3", global_resources=True, maxAccessKeyAge="90"),
    _m("iam-user-unused-credentials-check", "IAM_USER_UNUSED_CREDENTIALS_CHECK", "8.2.6", global_resources=True,
       maxCredentialUsageAge="90"),
)  # fmt: skip
"""The pack's managed rules."""


def rules_for(record_global_types: bool) -> tuple[ManagedRule, ...]:
    """The managed rules deployed in a region (global-resource rules only where global types are recorded)."""
    return tuple(rule for rule in MANAGED_RULES if record_global_types or not rule.global_resources)


def template_body(record_global_types: bool) -> str:
    """The conformance pack template (CloudFormation syntax of AWS::Config::ConfigRule resources, as AWS Config
    conformance packs take it; "Conformance Pack Sample Templates", AWS Config Developer Guide)."""
    resources: dict[str, object] = {}
    for rule in rules_for(record_global_types):
        properties: dict[str, object] = {
            "ConfigRuleName": rule.name,
            "Source": {"Owner": "AWS", "SourceIdentifier": rule.identifier},
        }
        if rule.parameters:
            properties["InputParameters"] = dict(rule.parameters)
        logical_id = "".join(part.capitalize() for part in rule.name.split("-"))
        resources[logical_id] = {"Type": "AWS::Config::ConfigRule", "Properties": properties}
    return yaml.safe_dump({"Resources": resources}, sort_keys=False)
