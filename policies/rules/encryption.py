"""Encryption at rest with customer-managed keys, and key hygiene."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity

from policies.rules.base import ResourceView, Rule, arn_or_id_set, of_type
from policies.rules.shapes import eks_encryption_key

AREA = "encryption-at-rest"


def _aurora(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if r.get("storageEncrypted") is not True:
        yield "storage is not encrypted (storageEncrypted must be true)"
    if not arn_or_id_set(r.get("kmsKeyId")):
        yield "storage is not encrypted with a customer-managed key (kmsKeyId is unset)"
    if r.get("manageMasterUserPassword") is True and not arn_or_id_set(r.get("masterUserSecretKmsKeyId")):
        yield "the RDS-managed master secret is not encrypted with a customer-managed key (masterUserSecretKmsKeyId)"


def _cache(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if r.get("atRestEncryptionEnabled") is not True:
        yield "data at rest is not encrypted (atRestEncryptionEnabled must be true)"
    if not arn_or_id_set(r.get("kmsKeyId")):
        yield "at-rest encryption does not use a customer-managed key (kmsKeyId is unset)"


def _msk(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if not arn_or_id_set(r.get("encryptionInfo.encryptionAtRestKmsKeyArn")):
        yield "brokers do not encrypt storage with a customer-managed key (encryptionAtRestKmsKeyArn is unset)"


def _ebs(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if r.type == "aws:ebs/volume:Volume":
        devices = [{"ebs": r.props}]
    else:
        devices = r.get("blockDeviceMappings") or []
        if not devices:
            yield "no block device mapping: the root volume would take the AMI's (unencrypted) default"
    for device in devices:
        ebs = device.get("ebs") or {}
        if str(ebs.get("encrypted")).lower() != "true":
            yield f"volume {device.get('deviceName', '')} is not encrypted".replace("  ", " ")
        elif not arn_or_id_set(ebs.get("kmsKeyId")):
            yield f"volume {device.get('deviceName', '')} uses the AWS-managed EBS key, not a customer-managed key"


def _ecr(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    configurations = r.get("encryptionConfigurations") or []
    if not any(c.get("encryptionType") == "KMS" and arn_or_id_set(c.get("kmsKey")) for c in configurations):
        yield "images are not encrypted with a customer-managed key"


def _kms_key_field(field: str, what: str) -> Any:
    def check(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
        if not arn_or_id_set(r.get(field)):
            yield f"{what} is not encrypted with a customer-managed key ({field} is unset)"

    return check


def _key_rotation(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    if r.get("enableKeyRotation") is not True:
        yield "automatic key rotation is off (enableKeyRotation must be true)"
    elif int(r.get("rotationPeriodInDays") or 365) > int(config["maxRotationDays"]):
        yield f"keys rotate every {r.get('rotationPeriodInDays')} days; at most {config['maxRotationDays']} is allowed"


def _key_deletion_window(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    window = r.get("deletionWindowInDays")
    if window is None:
        yield "deletionWindowInDays is not set explicitly"
    elif int(window) < int(config["minDeletionWindowDays"]):
        yield f"deletion window {window} days is below {config['minDeletionWindowDays']}"


def _eks_secrets(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if not arn_or_id_set(eks_encryption_key(r)):
        yield "Kubernetes secrets are not envelope-encrypted with a customer-managed key"


def _performance_insights(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if r.get("performanceInsightsEnabled") is True and not arn_or_id_set(r.get("performanceInsightsKmsKeyId")):
        yield "Performance Insights data is not encrypted with a customer-managed key"


def _sse_algorithm(default: Mapping[str, Any]) -> str:
    """The default encryption's algorithm; aws:kms without a key ID means the AWS-managed aws/s3 key."""
    algorithm = str(default.get("sseAlgorithm", ""))
    if algorithm.startswith("aws:kms") and not arn_or_id_set(default.get("kmsMasterKeyId")):
        return f"{algorithm} with the AWS-managed key"
    return algorithm


def _buckets_encrypted(resources: Sequence[ResourceView], config: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    """Every bucket has a default-encryption configuration; SSE-S3 only where ALB log delivery needs it."""
    algorithms: dict[str, list[str]] = {}
    sse_type = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    for sse in of_type(resources, sse_type):
        found = [
            _sse_algorithm(rule.get("applyServerSideEncryptionByDefault") or {}) for rule in sse.get("rules") or []
        ]
        for bucket_urn in sse.depends_on("bucket"):
            algorithms[bucket_urn] = found
    log_buckets = set().union(
        *(lb.depends_on("accessLogs") for lb in of_type(resources, "aws:lb/loadBalancer:LoadBalancer"))
    )
    for bucket in of_type(resources, "aws:s3/bucket:Bucket"):
        used = algorithms.get(bucket.urn)
        if not used:
            yield bucket.urn, "bucket has no default encryption configuration"
        elif "aws:kms" not in used and not (config["allowSseS3ForAlbLogs"] and bucket.urn in log_buckets):
            yield bucket.urn, f"bucket encrypts with {used}, not a customer-managed KMS key"


RULES = [
    Rule("aurora-storage-encrypted-cmk", AREA, "Aurora clusters encrypt storage with a customer-managed KMS key.",
         Severity.CRITICAL, "3.5.1", "Set storageEncrypted=true and kmsKeyId to the data key (requires a new cluster "
         "from a snapshot for an existing unencrypted one).", ("aws:rds/cluster:Cluster",), _aurora),
    Rule("cache-encrypted-at-rest-cmk", AREA, "ElastiCache encrypts data at rest with a customer-managed key.",
         Severity.CRITICAL, "3.5.1", "Set atRestEncryptionEnabled=true and kmsKeyId (replaces the group).",
         ("aws:elasticache/replicationGroup:ReplicationGroup",), _cache),
    Rule("msk-encrypted-at-rest-cmk", AREA, "MSK brokers encrypt storage with a customer-managed key.",
         Severity.CRITICAL, "3.5.1", "Set encryptionInfo.encryptionAtRestKmsKeyArn to the data key.",
         ("aws:msk/cluster:Cluster",), _msk),
    Rule("ebs-encrypted-cmk", AREA, "Node volumes (launch templates, EBS volumes) use a customer-managed key.",
         Severity.HIGH, "3.5.1", "In the launch template set ebs.encrypted=true and ebs.kmsKeyId to the data key.",
         ("aws:ec2/launchTemplate:LaunchTemplate", "aws:ebs/volume:Volume"), _ebs),
    Rule("secrets-cmk", AREA, "Secrets Manager secrets are encrypted with the secrets customer-managed key.",
         Severity.HIGH, "3.6.1", "Set kmsKeyId of the secret to the secrets key.",
         ("aws:secretsmanager/secret:Secret",), _kms_key_field("kmsKeyId", "the secret")),
    Rule("log-groups-cmk", AREA, "CloudWatch log groups are encrypted with the logs customer-managed key.",
         Severity.HIGH, "10.3.2", "Create the log group in the program with kmsKeyId set to the logs key.",
         ("aws:cloudwatch/logGroup:LogGroup",), _kms_key_field("kmsKeyId", "the log group")),
    Rule("sns-cmk", AREA, "SNS topics are encrypted with a customer-managed key.", Severity.MEDIUM, "3.5.1",
         "Set kmsMasterKeyId to the alerts key (not alias/aws/sns, which CloudWatch alarms cannot use).",
         ("aws:sns/topic:Topic",), _kms_key_field("kmsMasterKeyId", "the topic")),
    Rule("ecr-cmk", AREA, "ECR repositories encrypt images with a customer-managed key.", Severity.MEDIUM, "3.5.1",
         "Set encryptionConfigurations to KMS with the data key (replaces the repository).",
         ("aws:ecr/repository:Repository",), _ecr),
    Rule("kms-key-rotation", AREA, "Customer-managed KMS keys rotate automatically.", Severity.HIGH, "3.7.4",
         "Set enableKeyRotation=true and rotationPeriodInDays <= 365.", ("aws:kms/key:Key",), _key_rotation,
         config={"maxRotationDays": {"type": "integer", "default": 365}}),
    Rule("kms-key-deletion-window", AREA, "KMS keys wait the full window before deletion.", Severity.MEDIUM, "3.7.5",
         "Set deletionWindowInDays to 30.", ("aws:kms/key:Key",), _key_deletion_window,
         config={"minDeletionWindowDays": {"type": "integer", "default": 30}}),
    Rule("eks-secrets-encrypted-cmk", AREA, "EKS envelope-encrypts Kubernetes secrets with a customer-managed key.",
         Severity.CRITICAL, "3.5.1", "Set the cluster's encryption config key ARN to the EKS key.",
         ("eks:index:Cluster", "aws:eks/cluster:Cluster"), _eks_secrets),
    Rule("backup-vault-cmk", AREA, "Backup vaults encrypt recovery points with a customer-managed key.",
         Severity.HIGH, "3.5.1", "Set kmsKeyArn of the vault (replaces the vault).", ("aws:backup/vault:Vault",),
         _kms_key_field("kmsKeyArn", "the vault")),
    Rule("performance-insights-cmk", AREA, "Performance Insights data is encrypted with a customer-managed key.",
         Severity.MEDIUM, "3.5.1", "Set performanceInsightsKmsKeyId to the data key.",
         ("aws:rds/clusterInstance:ClusterInstance",), _performance_insights),
    Rule("s3-buckets-encrypted", AREA, "Every S3 bucket has default encryption with a customer-managed key; "
         "SSE-S3 is accepted only on ALB access-log buckets, which AWS log delivery requires.", Severity.HIGH,
         "3.5.1", "Add a BucketServerSideEncryptionConfiguration with sseAlgorithm aws:kms and the data key.",
         stack_check=_buckets_encrypted, config={"allowSseS3ForAlbLogs": {"type": "boolean", "default": True}}),
]  # fmt: skip
