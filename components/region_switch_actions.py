"""One region's part of an ARC Region switch plan: the custom-action Lambda functions, each with its own
least-privilege role and KMS-encrypted logs, and the EKS access entry that lets the plan's execution role scale
workloads.

Both stacks of a region pair build one (the primary's plan lists both regions' functions by ARN). The code lives
in the repository (lambdas/region_switch/: handler.py for the credential and the cache, readers.py for the Aurora
readers the plan adds) and is packaged by Pulumi as one archive asset.

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
- The readers function has a role of its own: it may create and delete DB instances, but only those named
  `<cluster>-switch-reader-*` in this region's cluster, tagged `region-switch-reader=<cluster>` on creation
  (rds:CreateDBInstance authorizes the `db`, `cluster` and `pg` resources it names; aws:RequestTag and
  aws:ResourceTag are its tag conditions; rds:PubliclyAccessible is a condition key of CreateDBInstance: Service
  Authorization Reference, Amazon RDS). No RDS condition key names the cluster an instance joins, so the
  cluster ARN in Resource does it. The instances it creates live outside Pulumi's state (a refresh does not see
  them, an up does not delete them); the failback's remove-readers step deletes them.
- Destroy: the functions, roles and entry hold no data; the log groups are deleted with the stack. A reader left
  by a failover without failback keeps the cluster from being deleted until it is removed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from components.errors import InvalidArgumentError
from components.iam import policy_document, service_trust_policy
from components.shared import encrypted_log_group

CODE_DIR = Path(__file__).resolve().parent.parent / "lambdas" / "region_switch"
"""The functions' code, packaged as it is."""
READER_SUFFIX = "-switch-reader-"
"""Name of a reader the plan adds: '<cluster>-switch-reader-<n>' (lambdas/region_switch/readers.py)."""
READER_TAG = "region-switch-reader"
"""Tag the readers function puts on each instance it creates (value: the cluster); its role deletes only these."""
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
    readers: int = 0
    """Aurora readers the plan adds to this region's cluster when it activates the region (failoverAuroraReaders;
    0 in a primary, whose readers are its own auroraInstances). Default: 0."""
    db_cluster: str = ""
    """This region's Aurora cluster identifier (the readers function acts on it). Default: empty."""
    data_kms_key_arn: pulumi.Input[str] = ""
    """Key of the cluster's Performance Insights, which the added readers use too. Default: empty."""
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
        if self.readers < 0 or (self.readers and not self.db_cluster):
            raise InvalidArgumentError(f"readers: {self.readers} must be 0 or more, and needs db_cluster")

    @property
    def readers_function_name(self) -> str:
        """Physical name of the readers function, e.g. 'fintech-prod-dr-region-switch-readers'."""
        return f"{self.function_name}-readers"


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


def readers_policy(args: RegionSwitchActionsArgs, log_group_arn: str, data_key: str = "") -> str:
    """The readers function's permissions: read the cluster, create and delete only its own readers."""
    rds = f"arn:{args.partition}:rds:{args.region}:{args.account_id}"
    readers = f"{rds}:db:{args.db_cluster}{READER_SUFFIX}*"
    tagged = {"StringEquals": {f"aws:RequestTag/{READER_TAG}": args.db_cluster},
              "ForAllValues:StringEquals": {"aws:TagKeys": [READER_TAG]}}  # fmt: skip
    statements: list[dict[str, Any]] = [
        {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": f"{log_group_arn}:*"},
        {"Sid": "ReadTheCluster", "Effect": "Allow", "Action": "rds:DescribeDBClusters",
         "Resource": f"{rds}:cluster:{args.db_cluster}"},
        # DescribeDBInstances with a db-cluster-id filter names no instance: scoped to the region's db ARNs.
        {"Sid": "ReadTheInstances", "Effect": "Allow", "Action": "rds:DescribeDBInstances", "Resource": f"{rds}:db:*"},
        # The new instance (name prefix), the cluster it joins and the writer's parameter group (Pulumi names it
        # '<cluster>-instance-<suffix>'): CreateDBInstance is authorized on each resource it names.
        {"Sid": "CreateOwnReaders", "Effect": "Allow", "Action": "rds:CreateDBInstance",
         "Resource": [readers, f"{rds}:cluster:{args.db_cluster}", f"{rds}:pg:{args.db_cluster}-instance-*"],
         "Condition": {**tagged, "Bool": {"rds:PubliclyAccessible": "false"}}},
        {"Sid": "TagOwnReaders", "Effect": "Allow", "Action": "rds:AddTagsToResource", "Resource": readers,
         "Condition": tagged},
        {"Sid": "DeleteOwnReaders", "Effect": "Allow", "Action": "rds:DeleteDBInstance", "Resource": readers,
         "Condition": {"StringEquals": {f"aws:ResourceTag/{READER_TAG}": args.db_cluster}}},
        # Enhanced monitoring like the writer's: its role, auto-named '<cluster>-monitoring-*' by the Aurora component.
        {"Sid": "PassTheMonitoringRole", "Effect": "Allow", "Action": "iam:PassRole",
         "Resource": f"arn:{args.partition}:iam::{args.account_id}:role/{args.db_cluster}-monitoring-*",
         "Condition": {"StringEquals": {"iam:PassedToService": "monitoring.rds.amazonaws.com"}}},
    ]  # fmt: skip
    if data_key:
        # Performance Insights under the cluster's data key, as the writer's (RDS creates a grant for it).
        via_rds = {"StringEquals": {"kms:ViaService": f"rds.{args.region}.amazonaws.com"}}
        statements.append({"Sid": "PerformanceInsightsKey", "Effect": "Allow", "Resource": data_key,
                           "Action": ["kms:CreateGrant", "kms:DescribeKey"], "Condition": via_rds})  # fmt: skip
    return policy_document(*statements)


class RegionSwitchActions(pulumi.ComponentResource):
    """The region's custom-action functions and the plan's EKS access."""

    function_arn: pulumi.Output[str]
    readers_function_arn: pulumi.Output[str]
    log_group_name: pulumi.Output[str]

    def __init__(self, name: str, args: RegionSwitchActionsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:region-switch:RegionSwitchActions", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
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
        function, logs = self._function(
            name, args.function_name, "handler.handler", environment, args,
            lambda logs_arn, key: function_policy(args, logs_arn, key), args.peer_kms_key_arn,
        )  # fmt: skip
        readers, _ = self._function(
            f"{name}-readers", args.readers_function_name, "readers.handler",
            {"CLUSTER": args.db_cluster, "NAME_PREFIX": f"{args.db_cluster}{READER_SUFFIX}",
             "READERS": str(args.readers)},
            args,
            lambda logs_arn, key: readers_policy(args, logs_arn, key), args.data_kms_key_arn,
        )  # fmt: skip
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
        self.readers_function_arn = readers.arn
        self.log_group_name = logs.name
        self.register_outputs({"function_arn": self.function_arn, "readers_function_arn": self.readers_function_arn,
                               "log_group_name": self.log_group_name})  # fmt: skip

    def _function(
        self,
        name: str,
        function_name: str,
        entry: str,
        environment: dict[str, Any],
        args: RegionSwitchActionsArgs,
        document: Callable[[str, str], str],
        key: pulumi.Input[str],
    ) -> tuple[aws.lambda_.Function, aws.cloudwatch.LogGroup]:
        """A function with its own role, its policy (`document(log group ARN, key ARN)`) and its encrypted log group,
        created before the function. The role, policy and function are all named '<name>-function' (their logical
        names in the state: renaming them would replace them)."""
        child = pulumi.ResourceOptions(parent=self)
        logs = encrypted_log_group(
            f"{name}-logs", f"/aws/lambda/{function_name}", args.log_retention_days, args.logs_kms_key_arn, self
        )
        role = aws.iam.Role(
            f"{name}-function",
            assume_role_policy=service_trust_policy("lambda.amazonaws.com", args.account_id),
            description=f"{function_name}: the Region switch plan's custom action in {args.region}",
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-function",
            role=role.id,
            policy=pulumi.Output.all(logs.arn, key).apply(lambda values: document(values[0], values[1])),
            opts=child,
        )
        function = aws.lambda_.Function(
            f"{name}-function",
            name=function_name,
            runtime=RUNTIME,
            handler=entry,
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
        return function, logs
