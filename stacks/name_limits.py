"""AWS limits on the physical names this program gives resources, and the stack names that fit them.

One row per resource type: the input property that holds the physical name, its maximum length, and
whether Pulumi auto-names it when the program leaves the property unset. Auto-naming takes the
logical name and appends '-' and 7 random hex characters (pulumi-aws `AutoName`, 8 characters in
all); a name over the limit fails at create time, e.g. "name 'fintech-staging-validator' plus 7
random chars is longer than maximum length 32" for a target group. A `name_prefix` gets a 26-character
unique suffix from the provider (terraform-plugin-sdk `id.PrefixedUniqueId`).

Limits are those of each service's API reference (CreateX, parameter constraints).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from components.edge import ELB_NAME_LIMIT
from components.shared import AUTONAME_SUFFIX_LENGTH

PREFIX_SUFFIX_LENGTH = 26
"""Characters the provider appends to a name_prefix."""


@dataclass(frozen=True)
class NameLimit:
    """The physical-name rule of one resource type."""

    property: str
    """Input property (camelCase, as registered) holding the name."""
    max_length: int
    """Longest name AWS accepts."""
    autonamed: bool
    """True when Pulumi derives the name from the logical name if the property is unset."""
    prefix_property: str = ""
    """Input property holding a name prefix instead, if the type has one. Default: none."""


NAME_LIMITS: dict[str, NameLimit] = {
    # Elastic Load Balancing: CreateLoadBalancer / CreateTargetGroup, Name up to 32 characters.
    "aws:lb/loadBalancer:LoadBalancer": NameLimit("name", ELB_NAME_LIMIT, autonamed=True),
    "aws:lb/targetGroup:TargetGroup": NameLimit("name", ELB_NAME_LIMIT, autonamed=True),
    # S3 bucket names: 3-63 characters, lowercase.
    "aws:s3/bucket:Bucket": NameLimit("bucket", 63, autonamed=True, prefix_property="bucketPrefix"),
    # IAM: role names 64, inline policy names 128 (IAM quotas, "IAM name requirements").
    "aws:iam/role:Role": NameLimit("name", 64, autonamed=True, prefix_property="namePrefix"),
    "aws:iam/rolePolicy:RolePolicy": NameLimit("name", 128, autonamed=True, prefix_property="namePrefix"),
    # EC2 security group names: 255 characters.
    "aws:ec2/securityGroup:SecurityGroup": NameLimit("name", 255, autonamed=True, prefix_property="namePrefix"),
    "aws:ec2/launchTemplate:LaunchTemplate": NameLimit("name", 128, autonamed=True, prefix_property="namePrefix"),
    # CloudWatch: alarm names 255, log group names 512, resource policy names 255.
    "aws:cloudwatch/metricAlarm:MetricAlarm": NameLimit("name", 255, autonamed=True),
    "aws:cloudwatch/logGroup:LogGroup": NameLimit("name", 512, autonamed=True, prefix_property="namePrefix"),
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": NameLimit("policyName", 255, autonamed=False),
    # RDS: cluster and instance identifiers 63; parameter and subnet group names 255.
    "aws:rds/cluster:Cluster": NameLimit("clusterIdentifier", 63, autonamed=True),
    # CreateGlobalCluster: GlobalClusterIdentifier follows the DB cluster identifier rule (1-63).
    "aws:rds/globalCluster:GlobalCluster": NameLimit("globalClusterIdentifier", 63, autonamed=False),
    "aws:rds/clusterInstance:ClusterInstance": NameLimit("identifier", 63, autonamed=True),
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": NameLimit("name", 255, autonamed=True),
    "aws:rds/parameterGroup:ParameterGroup": NameLimit("name", 255, autonamed=True),
    "aws:rds/subnetGroup:SubnetGroup": NameLimit("name", 255, autonamed=True),
    # ElastiCache: replication group ID 40 (member clusters add '-00N' within the 50 of a cluster ID);
    # user and user group IDs follow the same identifier rule; parameter and subnet groups 255.
    "aws:elasticache/replicationGroup:ReplicationGroup": NameLimit("replicationGroupId", 40, autonamed=False),
    "aws:elasticache/user:User": NameLimit("userId", 40, autonamed=False),
    "aws:elasticache/userGroup:UserGroup": NameLimit("userGroupId", 40, autonamed=False),
    "aws:elasticache/parameterGroup:ParameterGroup": NameLimit("name", 255, autonamed=True),
    "aws:elasticache/subnetGroup:SubnetGroup": NameLimit("name", 255, autonamed=True),
    # MSK: cluster names 64; configuration names 64.
    "aws:msk/cluster:Cluster": NameLimit("clusterName", 64, autonamed=False),
    "aws:msk/configuration:Configuration": NameLimit("name", 64, autonamed=False),
    # Kafka topic names: 249 characters (Kafka's limit; the MSK topic API takes the Kafka name).
    "aws:msk/topic:Topic": NameLimit("name", 249, autonamed=False),
    # AMP CreateRuleGroupsNamespace: name 1-64 characters; AMG CreateWorkspace: workspaceName 1-255.
    "aws:amp/ruleGroupNamespace:RuleGroupNamespace": NameLimit("name", 64, autonamed=False),
    "aws:grafana/workspace:Workspace": NameLimit("name", 255, autonamed=False),
    # AWS Backup: vault, plan and selection names 50.
    "aws:backup/vault:Vault": NameLimit("name", 50, autonamed=False),
    "aws:backup/plan:Plan": NameLimit("name", 50, autonamed=False),
    "aws:backup/selection:Selection": NameLimit("name", 50, autonamed=False),
    # Others: KMS alias 256, SNS topic 256, Secrets Manager 512, ECR repository 256, WAF web ACL 128.
    "aws:kms/alias:Alias": NameLimit("name", 256, autonamed=True, prefix_property="namePrefix"),
    "aws:sns/topic:Topic": NameLimit("name", 256, autonamed=True, prefix_property="namePrefix"),
    "aws:secretsmanager/secret:Secret": NameLimit("name", 512, autonamed=True, prefix_property="namePrefix"),
    "aws:ecr/repository:Repository": NameLimit("name", 256, autonamed=False),
    "aws:wafv2/webAcl:WebAcl": NameLimit("name", 128, autonamed=True),
    # CloudTrail CreateTrail: trail names 3-128; CloudWatch Logs PutMetricFilter: filter names 1-512;
    # EventBridge PutRule: rule names 1-64.
    "aws:cloudtrail/trail:Trail": NameLimit("name", 128, autonamed=True),
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": NameLimit("name", 512, autonamed=True),
    "aws:cloudwatch/eventRule:EventRule": NameLimit("name", 64, autonamed=True, prefix_property="namePrefix"),
    # CodeBuild CreateProject: project names 2-255 (the in-VPC CI runner; its runs-on label repeats it).
    "aws:codebuild/project:Project": NameLimit("name", 255, autonamed=True),
    # ARC Region switch CreatePlan: plan names 1-32; Lambda CreateFunction: function names 1-64; EKS access entries
    # and policy associations name the cluster (100).
    "aws:arcregionswitch/plan:Plan": NameLimit("name", 32, autonamed=True),
    "aws:lambda/function:Function": NameLimit("name", 64, autonamed=True),
    # The Serverless Application Repository deploys an application as a CloudFormation stack, named within
    # CloudFormation's 128 characters (CreateStack StackName); the rotation function it creates is named by a parameter
    # (64, checked by DatabaseSecretRotationArgs).
    "aws:serverlessrepository/cloudFormationStack:CloudFormationStack": NameLimit("name", 128, autonamed=True),
    "aws:eks/accessEntry:AccessEntry": NameLimit("clusterName", 100, autonamed=False),
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": NameLimit("clusterName", 100, autonamed=False),
    # AWS Config: PutConfigurationRecorder, PutDeliveryChannel, PutConformancePack names 1-256 (the recorder
    # status names the recorder).
    "aws:cfg/recorder:Recorder": NameLimit("name", 256, autonamed=False),
    "aws:cfg/recorderStatus:RecorderStatus": NameLimit("name", 256, autonamed=False),
    "aws:cfg/deliveryChannel:DeliveryChannel": NameLimit("name", 256, autonamed=False),
    "aws:cfg/conformancePack:ConformancePack": NameLimit("name", 256, autonamed=False),
    # EKS: cluster names 100, managed node group names 63.
    "eks:index:Cluster": NameLimit("name", 100, autonamed=True),
    "aws:eks/nodeGroup:NodeGroup": NameLimit(
        "nodeGroupName", 63, autonamed=True, prefix_property="nodeGroupNamePrefix"
    ),
}
"""Name rules of every named resource type the program registers."""

STACK_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
"""Stack names usable in every physical name: S3 buckets and ElastiCache/RDS identifiers take only
lowercase letters, digits and single hyphens, starting with a letter."""
MAX_STACK_NAME_LENGTH = ELB_NAME_LIMIT - AUTONAME_SUFFIX_LENGTH - len("fintech--alb")
"""The tightest name: the ALB, auto-named from 'fintech-<stack>-alb', within the 32 characters of ELB
(12). Target group names cut the workload name to fit the same limit (components/shared.autoname_base)."""


def physical_names(type_token: str, logical_name: str, inputs: dict[str, Any]) -> list[tuple[str, int]]:
    """The longest physical name each named property of a registration can take, with its limit; [] for a
    type without a row in NAME_LIMITS. Unknown (not yet computed) names are skipped."""
    limit = NAME_LIMITS.get(type_token)
    if limit is None:
        return []
    value = inputs.get(limit.property)
    if isinstance(value, str):
        return [(value, limit.max_length)]
    prefix = inputs.get(limit.prefix_property) if limit.prefix_property else None
    if isinstance(prefix, str):
        return [(prefix + "x" * PREFIX_SUFFIX_LENGTH, limit.max_length)]
    if value is None and limit.autonamed:
        return [(f"{logical_name}-{'x' * (AUTONAME_SUFFIX_LENGTH - 1)}", limit.max_length)]
    return []
