"""One region's part of an ARC Region switch plan: the custom-action Lambda function, with its least-privilege
role and KMS-encrypted logs, and the EKS access entry that lets the plan's execution role scale workloads.

Both stacks of a region pair build one (the primary's plan lists both functions by ARN). The function's code
lives in the repository (lambdas/region_switch/handler.py) and is packaged by Pulumi as an archive asset.

Life cycle, as relied on here:
- The log group is created by the program before the function (depends_on), so Lambda writes into a group
  with a customer-managed key and a retention instead of creating an unencrypted one on the first invocation
  (Lambda Developer Guide, "Sending Lambda function logs to CloudWatch Logs"; LoggingConfig LogGroup).
- The function calls only AWS control-plane APIs (RDS, Secrets Manager, ElastiCache), so it runs outside the
  VPC; no data plane is reached.
- The access entry names the plan's execution role by ARN (the role belongs to the primary stack, built from
  the pair's names); EKS checks the principal exists (CreateAccessEntry), so the primary deploys first, as the
  region pair already requires. The access policy is ARC's own `AmazonARCRegionSwitchScalingPolicy`, scoped to
  the workloads' namespaces (https://docs.aws.amazon.com/r53recovery/latest/dg/eks-resource-scaling-block.html).
- Destroy: the function, role and entry hold no data; the log group is deleted with the stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from components.errors import InvalidArgumentError
from components.iam import policy_document, service_trust_policy
from components.shared import encrypted_log_group

CODE_DIR = Path(__file__).resolve().parent.parent / "lambdas" / "region_switch"
"""The function's code, packaged as it is."""
RUNTIME = "python3.12"
"""Lambda runtime (ships boto3)."""
SCALING_ACCESS_POLICY = "AmazonARCRegionSwitchScalingPolicy"
"""EKS access policy ARC's EKS resource scaling block needs (get/update */scale, patch HPAs)."""
Role = Literal["primary", "standby"]


@dataclass(frozen=True)
class RegionSwitchActionsArgs:
    """Arguments of RegionSwitchActions."""

    function_name: str
    """Physical name of the function (the plan names it by ARN). Required."""
    role: Role
    """This region's side of the pair. Required."""
    account_id: str
    """Account of the pair. Required."""
    region: str
    """This stack's region. Required."""
    global_cluster_id: str
    """The Aurora global database. Required."""
    secret_prefix: str
    """Name prefix of the master credential's secret (the same name in both regions). Required."""
    logs_kms_key_arn: pulumi.Input[str]
    """Key that encrypts the function's log group. Required."""
    execution_role_arn: pulumi.Input[str]
    """The plan's execution role (given an EKS access entry). Required."""
    eks_cluster_name: pulumi.Input[str]
    """This region's EKS cluster. Required."""
    namespaces: tuple[str, ...]
    """Namespaces whose Deployments the plan scales. Required."""
    partition: str = "aws"
    """AWS partition. Default: aws."""
    peer_region: str = ""
    """The other region of the pair (primary: where the credential is replicated back). Default: empty."""
    peer_kms_key_arn: pulumi.Input[str] = ""
    """Key of the credential's replica in peer_region (primary only). Default: empty."""
    cache_group: str = ""
    """This region's ElastiCache replication group (standby only). Default: empty."""
    active_cache_replicas: int = 0
    """Replicas the standby's cache runs while active (the primary's count). Default: 0."""
    standby_cache_replicas: int = 0
    """Replicas the standby's cache runs while standing by (its own config). Default: 0."""
    log_retention_days: int = 365
    """Retention of the function's logs. Default: 365."""
    tags: dict[str, str] = field(default_factory=dict)
    """Extra tags. Default: none."""

    def __post_init__(self) -> None:
        if self.role == "primary" and (not self.peer_region or not self.peer_kms_key_arn):
            raise InvalidArgumentError("peer_region/peer_kms_key_arn: the primary's function re-replicates the "
                                       "credential and needs both")  # fmt: skip
        if self.role == "standby" and not self.cache_group:
            raise InvalidArgumentError("cache_group: the standby's function scales its cache and needs its id")
        if min(self.active_cache_replicas, self.standby_cache_replicas) < 0:
            raise InvalidArgumentError("active_cache_replicas/standby_cache_replicas must be 0 or more")
        if not self.namespaces:
            raise InvalidArgumentError("namespaces: name at least one namespace the plan scales")


def function_policy(args: RegionSwitchActionsArgs, log_group_arn: str, peer_key: str = "") -> str:
    """The function's permissions: what the handler calls, on this pair's resources only."""
    arn = f"arn:{args.partition}"
    secret = f"{arn}:secretsmanager:{args.region}:{args.account_id}:secret:{args.secret_prefix}*"
    statements: list[dict[str, Any]] = [
        {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": f"{log_group_arn}:*"},
        {"Sid": "ReadTheWriter", "Effect": "Allow", "Action": "rds:DescribeGlobalClusters",
         "Resource": f"{arn}:rds::{args.account_id}:global-cluster:{args.global_cluster_id}"},
        # ListSecrets supports no resource-level permission (Service Authorization Reference, Secrets Manager).
        {"Sid": "FindTheCredential", "Effect": "Allow", "Action": "secretsmanager:ListSecrets", "Resource": "*"},
    ]  # fmt: skip
    if args.role == "standby":
        statements += [
            {"Sid": "PromoteTheReplica", "Effect": "Allow",
             "Action": ["secretsmanager:DescribeSecret", "secretsmanager:StopReplicationToReplica"],
             "Resource": secret},
            {"Sid": "ScaleTheCache", "Effect": "Allow",
             "Action": ["elasticache:DescribeReplicationGroups", "elasticache:IncreaseReplicaCount",
                        "elasticache:DecreaseReplicaCount"],
             "Resource": [f"{arn}:elasticache:{args.region}:{args.account_id}:replicationgroup:{args.cache_group}",
                          f"{arn}:elasticache:{args.region}:{args.account_id}:cluster:{args.cache_group}-*"]},
        ]  # fmt: skip
    else:
        statements += [
            {"Sid": "ReplicateTheCredential", "Effect": "Allow",
             "Action": ["secretsmanager:DescribeSecret", "secretsmanager:ReplicateSecretToRegions"],
             "Resource": secret},
            # Secrets Manager encrypts the replica with the peer region's key on the caller's behalf.
            {"Sid": "ReplicaKey", "Effect": "Allow", "Action": ["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"],
             "Resource": peer_key,
             "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{args.peer_region}.amazonaws.com"}}},
        ]  # fmt: skip
    return policy_document(*statements)


class RegionSwitchActions(pulumi.ComponentResource):
    """The region's custom-action function and the plan's EKS access."""

    function_arn: pulumi.Output[str]
    log_group_name: pulumi.Output[str]

    def __init__(self, name: str, args: RegionSwitchActionsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:region-switch:RegionSwitchActions", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        logs = encrypted_log_group(
            f"{name}-logs", f"/aws/lambda/{args.function_name}", args.log_retention_days, args.logs_kms_key_arn, self
        )
        role = aws.iam.Role(
            f"{name}-function",
            assume_role_policy=service_trust_policy("lambda.amazonaws.com", args.account_id),
            description=f"{args.function_name}: the Region switch plan's custom action in {args.region}",
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-function",
            role=role.id,
            policy=pulumi.Output.all(logs.arn, args.peer_kms_key_arn).apply(
                lambda values: function_policy(args, values[0], values[1])
            ),
            opts=child,
        )
        environment = {
            "ROLE": args.role,
            "GLOBAL_CLUSTER_ID": args.global_cluster_id,
            "SECRET_PREFIX": args.secret_prefix,
            "PEER_REGION": args.peer_region,
            "PEER_KMS_KEY": args.peer_kms_key_arn,
            "CACHE_GROUP": args.cache_group,
            "ACTIVE_CACHE_REPLICAS": str(args.active_cache_replicas),
            "STANDBY_CACHE_REPLICAS": str(args.standby_cache_replicas),
        }
        function = aws.lambda_.Function(
            f"{name}-function",
            name=args.function_name,
            runtime=RUNTIME,
            handler="handler.handler",
            code=pulumi.FileArchive(str(CODE_DIR)),
            role=role.arn,
            timeout=60,
            memory_size=128,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables=environment),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(log_format="JSON", log_group=logs.name),
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="PassThrough"),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[logs, policy]),
        )
        entry = aws.eks.AccessEntry(
            f"{name}-plan-access",
            cluster_name=args.eks_cluster_name,
            principal_arn=args.execution_role_arn,
            type="STANDARD",
            opts=child,
        )
        aws.eks.AccessPolicyAssociation(
            f"{name}-plan-access",
            cluster_name=args.eks_cluster_name,
            principal_arn=args.execution_role_arn,
            policy_arn=f"arn:{args.partition}:eks::aws:cluster-access-policy/{SCALING_ACCESS_POLICY}",
            access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(
                type="namespace", namespaces=list(args.namespaces)
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[entry]),
        )
        self.function_arn = function.arn
        self.log_group_name = logs.name
        self.register_outputs({"function_arn": self.function_arn, "log_group_name": self.log_group_name})
