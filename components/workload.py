"""One platform workload: its IRSA role and ECR repository (AWS part), and its namespace and Helm release
(Kubernetes part, registered only when `release` is given: deploy phase `complete`).

The namespace enforces Pod Security `restricted`. The role is trusted by exactly one service account
and may only read the workload's own secrets, connect to Aurora and ElastiCache as its own users and
use its own Kafka topics and consumer group. Chart values are computed here from stack outputs; they never
carry a secret value (pods read secrets at run time with their role).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.errors import InvalidArgumentError
from components.iam import irsa_role, policy_document
from components.kafka_topics import cluster_scoped_arn

POD_SECURITY_LABELS = {f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")} | {
    f"pod-security.kubernetes.io/{mode}-version": "latest" for mode in ("enforce", "audit", "warn")
}
"""Namespace labels that make the API server enforce (and audit, and warn on) Pod Security restricted."""

READINESS_GATE_LABEL = {"elbv2.k8s.aws/pod-readiness-gate-inject": "enabled"}
"""Namespace label that makes the AWS Load Balancer Controller's webhook inject a target-health readiness gate into
new pods, so a rolling update keeps old pods until the new ones are healthy in the ALB target group (ip targets,
TargetGroupBinding included). https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/deploy/pod_readiness_gate/
"""


@dataclass(frozen=True)
class KafkaAccess:
    """The workload's own topics and consumer group on one MSK cluster."""

    cluster_arn: pulumi.Input[str]
    """ARN of the MSK cluster."""
    produces: tuple[str, ...] = ()
    """Topics it writes. Default: none."""
    consumes: tuple[str, ...] = ()
    """Topics it reads. Default: none."""
    consumer_group: str = ""
    """Its consumer group; required when it consumes. Default: none."""


@dataclass(frozen=True)
class CacheAccess:
    """IAM authentication to ElastiCache as one RBAC user."""

    replication_group_arn: pulumi.Input[str]
    """ARN of the replication group."""
    user_arn: pulumi.Input[str]
    """ARN of the workload's own cache user."""


@dataclass(frozen=True)
class DatabaseAccess:
    """IAM authentication to Aurora as one database user."""

    cluster_resource_id: pulumi.Input[str]
    """Aurora cluster resource ID (cluster-XXXX), part of the rds-db ARN."""
    db_user: str
    """Database user the workload connects as."""


@dataclass(frozen=True)
class WorkloadRelease:
    """The workload's Kubernetes part: its namespace and Helm release (needs the cluster API and the pushed image)."""

    kubernetes_provider: k8s.Provider
    """Provider of the cluster. Required."""
    chart_path: str
    """Path of the workload's chart (app_charts/<name>). Required."""
    image_tag: str
    """Image tag or sha256 digest; 'latest' and empty are refused. Required."""
    chart_values: Mapping[str, Any]
    """Chart values other than image, role and namespace (see app_charts/values.schema.json). Required."""
    behind_load_balancer: bool = False
    """Pods are ALB targets (TargetGroupBinding): label the namespace for readiness-gate injection. Default: False."""
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """Resources the release needs first (nodes, add-ons with the TargetGroupBinding CRD). Default: none."""
    namespace_labels: Mapping[str, str] = field(default_factory=dict)
    """Further labels of the namespace (the trust bundle's, so trust-manager writes the CA ConfigMap). Default: none."""

    def __post_init__(self) -> None:
        if not self.image_tag or self.image_tag == "latest":
            raise InvalidArgumentError(
                f"release.image_tag: '{self.image_tag}' is not a pinned image; give a version tag or a sha256 digest"
            )
        replicas = self.chart_values.get("replicas", {})
        if replicas and replicas.get("min", 1) > replicas.get("max", 1):
            raise InvalidArgumentError(
                f"release.chart_values.replicas: min {replicas['min']} is above max {replicas['max']}"
            )


@dataclass(frozen=True)
class WorkloadArgs:
    """Arguments of Workload."""

    namespace: str
    """Kubernetes namespace (and service account name) of the workload. Required."""
    repository_name: str
    """ECR repository name. Required."""
    oidc_provider_arn: pulumi.Input[str]
    """The cluster's IAM OIDC provider. Required."""
    oidc_issuer: pulumi.Input[str]
    """The cluster's OIDC issuer. Required."""
    account_id: str
    """Account of the workload's AWS resources. Required."""
    region: str
    """Region of the workload's AWS resources. Required."""
    ecr_kms_key_arn: pulumi.Input[str]
    """Key that encrypts the ECR repository. Required."""
    secrets_kms_key_arn: pulumi.Input[str]
    """Key of the secrets the workload reads (decrypt through Secrets Manager only). Required."""
    release: WorkloadRelease | None = None
    """The Kubernetes part; None registers only the AWS part (role, repository). Default: None."""
    partition: str = "aws"
    """AWS partition for ARNs. Default: aws."""
    secret_arns: tuple[pulumi.Input[str], ...] = ()
    """Secrets the workload may read. Default: none."""
    database: DatabaseAccess | None = None
    """Aurora IAM authentication, if it uses the database. Default: None."""
    kafka: KafkaAccess | None = None
    """Kafka access, if it uses Kafka. Default: None."""
    cache: CacheAccess | None = None
    """ElastiCache IAM authentication, if it uses the cache. Default: None."""
    untagged_image_days: int = 7
    """Days before ECR expires untagged images. Default: 7."""
    kept_images: int = 50
    """Tagged images ECR keeps. Default: 50."""
    force_delete_images: bool = False
    """Let a delete of the repository (destroy, replacement) remove the images it holds; False makes ECR refuse to
    delete a repository that is not empty. Default: False."""

    def __post_init__(self) -> None:
        if self.kafka and self.kafka.consumes and not self.kafka.consumer_group:
            raise InvalidArgumentError("kafka.consumer_group: required when the workload consumes topics")
        if not (self.secret_arns or self.database or self.kafka or self.cache):
            raise InvalidArgumentError(
                "secret_arns/database/kafka: the workload uses none of them; a role with nothing to do is not made"
            )


class Workload(pulumi.ComponentResource):
    """IRSA role and ECR repository of one workload; with a release, also its namespace and Helm release."""

    namespace: str
    role_arn: pulumi.Output[str]
    repository_url: pulumi.Output[str]
    chart: k8s.helm.v4.Chart | None

    def __init__(self, name: str, args: WorkloadArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:workload:Workload", name, None, opts)
        self.namespace = args.namespace
        role = irsa_role(
            f"{name}-workload",
            args.oidc_provider_arn,
            args.oidc_issuer,
            args.namespace,
            args.namespace,
            parent=self,
            inline_policy=_access_policy(args),
        )
        repository = self._repository(name, args)
        self.chart = self._release(name, args.namespace, args.release, repository, role) if args.release else None
        self.role_arn = role.arn
        self.repository_url = repository.repository_url
        self.register_outputs({"role_arn": self.role_arn, "repository_url": self.repository_url})

    def _release(
        self,
        name: str,
        namespace_name: str,
        release: WorkloadRelease,
        repository: aws.ecr.Repository,
        role: aws.iam.Role,
    ) -> k8s.helm.v4.Chart:
        """Namespace and Helm release. The Kubernetes provider awaits the release's Deployment (10 minutes by
        default), so the image must exist before this is registered (the caller checks it)."""
        k8s_options = pulumi.ResourceOptions(parent=self, provider=release.kubernetes_provider)
        labels = (
            POD_SECURITY_LABELS
            | (READINESS_GATE_LABEL if release.behind_load_balancer else {})
            | dict(release.namespace_labels)
        )
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=namespace_name, labels=labels),
            opts=pulumi.ResourceOptions.merge(k8s_options, pulumi.ResourceOptions(depends_on=list(release.depends_on))),
        )
        digest = release.image_tag.startswith("sha256:")
        values = {
            **release.chart_values,
            "image": {
                "repository": repository.repository_url,
                "tag": "" if digest else release.image_tag,
                "digest": release.image_tag if digest else "",
            },
            "serviceAccount": {"roleArn": role.arn},
        }
        return k8s.helm.v4.Chart(
            f"{name}-chart",
            chart=release.chart_path,
            namespace=namespace_name,
            values=values,
            opts=pulumi.ResourceOptions.merge(
                k8s_options, pulumi.ResourceOptions(depends_on=[namespace, *release.depends_on])
            ),
        )

    def _repository(self, name: str, args: WorkloadArgs) -> aws.ecr.Repository:
        child = pulumi.ResourceOptions(parent=self)
        repository = aws.ecr.Repository(
            f"{name}-images",
            name=args.repository_name,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
            encryption_configurations=[
                aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS", kms_key=args.ecr_kms_key_arn)
            ],
            # DeleteRepository fails with RepositoryNotEmptyException unless forced:
            # https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DeleteRepository.html
            force_delete=args.force_delete_images,
            opts=child,
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-images",
            repository=repository.name,
            policy=policy_lifecycle(args.untagged_image_days, args.kept_images),
            opts=child,
        )
        return repository


def policy_lifecycle(untagged_days: int, kept: int) -> str:
    """ECR lifecycle: expire untagged images after `untagged_days`, keep the newest `kept` tagged ones."""
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": f"expire untagged images after {untagged_days} days",
                    "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                                  "countUnit": "days", "countNumber": untagged_days},
                    "action": {"type": "expire"},
                },
                {
                    "rulePriority": 2,
                    "description": f"keep the newest {kept} images",
                    "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": kept},
                    "action": {"type": "expire"},
                },
            ]
        }
    )  # fmt: skip


def _access_policy(args: WorkloadArgs) -> pulumi.Output[str]:
    """Least privilege: its secrets, its database user, its topics and group; nothing else."""
    kafka = args.kafka
    return pulumi.Output.all(
        secrets=list(args.secret_arns),
        secrets_key=args.secrets_kms_key_arn,
        db=args.database.cluster_resource_id if args.database else "",
        kafka_cluster=kafka.cluster_arn if kafka else "",
        cache=[args.cache.replication_group_arn, args.cache.user_arn] if args.cache else [],
    ).apply(lambda resolved: _policy_document(args, resolved))


def _policy_document(args: WorkloadArgs, resolved: dict[str, Any]) -> str:
    statements: list[dict[str, Any]] = []
    if resolved["secrets"]:
        statements += [
            {"Sid": "ReadOwnSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
             "Resource": resolved["secrets"]},
            {"Sid": "DecryptOwnSecrets", "Effect": "Allow", "Action": "kms:Decrypt",
             "Resource": resolved["secrets_key"],
             "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{args.region}.amazonaws.com"}}},
        ]  # fmt: skip
    if args.database:
        statements.append(
            {"Sid": "ConnectAsOwnDatabaseUser", "Effect": "Allow", "Action": "rds-db:connect",
             "Resource": f"arn:{args.partition}:rds-db:{args.region}:{args.account_id}:dbuser:{resolved['db']}/"
                         f"{args.database.db_user}"}
        )  # fmt: skip
    if args.cache:
        statements.append(
            {"Sid": "ConnectAsOwnCacheUser", "Effect": "Allow", "Action": "elasticache:Connect",
             "Resource": resolved["cache"]}
        )  # fmt: skip
    if args.kafka:
        statements += _kafka_statements(args.kafka, resolved["kafka_cluster"])
    return policy_document(*statements)


def _kafka_statements(kafka: KafkaAccess, cluster_arn: str) -> list[dict[str, Any]]:
    def scoped(kind: str, name: str) -> str:
        return cluster_scoped_arn(cluster_arn, kind, name)

    statements: list[dict[str, Any]] = [
        {"Sid": "ConnectToCluster", "Effect": "Allow", "Action": ["kafka-cluster:Connect",
                                                                   "kafka-cluster:DescribeCluster"],
         "Resource": cluster_arn},
    ]  # fmt: skip
    if kafka.produces:
        # Kafka 3+ producers are idempotent by default; the IdempotentWrite permission is granted on the cluster
        # resource (https://docs.aws.amazon.com/msk/latest/developerguide/iam-access-control.html, and
        # https://docs.aws.amazon.com/service-authorization/latest/reference/list_apachekafkaapisforamazonmskclusters.html).
        statements += [
            {"Sid": "WriteIdempotently", "Effect": "Allow", "Action": "kafka-cluster:WriteDataIdempotently",
             "Resource": cluster_arn},
            {"Sid": "WriteOwnTopics", "Effect": "Allow",
             "Action": ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"],
             "Resource": [scoped("topic", topic) for topic in kafka.produces]},
        ]  # fmt: skip
    if kafka.consumes:
        statements += [
            {"Sid": "ReadOwnTopics", "Effect": "Allow",
             "Action": ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"],
             "Resource": [scoped("topic", topic) for topic in kafka.consumes]},
            {"Sid": "UseOwnConsumerGroup", "Effect": "Allow",
             "Action": ["kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"],
             "Resource": scoped("group", kafka.consumer_group)},
        ]  # fmt: skip
    return statements
