"""The region pair's failover and failback as an Amazon Application Recovery Controller (ARC) Region switch plan
(issue 24): the plan, its least-privilege execution role, the immutable encrypted bucket its execution reports go
to, and the EventBridge rule that sends its evaluation warnings and failed executions to the alarm topic.

The workflows come from components/region_switch_model.py (plain data, also printed by `ops failover --dry-run`).

Life cycle, as relied on here (pulumi-aws 7.51.1 `aws.arcregionswitch.Plan`; arc-region-switch API 2022-07-26):
- The plan's ARN has no region (arn:aws:arc-region-switch::<account>:plan/<name>:<suffix>). It is managed through
  the partition's control plane in us-east-1 whatever the provider's region (it happens to be the primary's
  here): botocore 1.44.18's endpoint rules send CreatePlan/UpdatePlan/GetPlan/ListPlans (UseControlPlaneEndpoint)
  to https://arc-region-switch-control-plane.us-east-1.api.aws from a client of any region. It is executed
  through the data plane of the region being activated (StartPlanExecution -> arc-region-switch.<region>.api.aws),
  so a failover does not need us-east-1, but while us-east-1 is down the plan cannot be changed
  (https://docs.aws.amazon.com/r53recovery/latest/dg/region-switch.html: "A data plane in each AWS Region").
- The execution role and its policy exist before the plan (depends_on): ARC evaluates the plan's permissions
  every 30 minutes and reports what the role lacks as an evaluation warning.
- Reports: ARC writes a report after each execution to `report_configurations` with the execution role's
  permissions (s3:PutObject, and kms:GenerateDataKey/Encrypt for an SSE-KMS bucket:
  https://docs.aws.amazon.com/r53recovery/latest/dg/security_iam_region_switch_reports.html). The bucket is the
  platform's immutable log bucket (components/log_bucket.py: versioned, Object Lock, TLS-only) encrypted with the
  logs key, which admits use through S3 by this account's principals.
- Events: "ARC Region Switch Plan Evaluation" and "ARC Region Switch Plan Execution", source
  aws.arc-region-switch, best effort, in the region where the plan was created (EventBridge events reference,
  https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-arc-region-switch.html; ARC developer guide,
  eventbridge-region-switch.html). The guide's sample evaluation-warning event carries the Execution detail-type
  with detail.metadata.warning, so the rule matches either form. Execution events are sent only when they report
  a failure or a pause: the step-by-step progress is the command's job.
- Updates: every argument updates in place (UpdatePlan) except name and regions, which replace the plan; a
  replacement deletes the execution history, so the plan is named from the pair and never renamed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.errors import InvalidArgumentError
from components.iam import policy_document, service_trust_policy
from components.log_bucket import LockMode, LogBucketArgs, immutable_log_bucket
from components.region_switch_model import PlanModel

SERVICE = "arc-region-switch.amazonaws.com"
"""The service principal that assumes the execution role (ARC developer guide, plan execution role trust policy)."""
REPORT_PREFIX = "region-switch"
"""Key prefix of the execution reports in the bucket."""
EVENT_SOURCE = "aws.arc-region-switch"
EVALUATION = "ARC Region Switch Plan Evaluation"
EXECUTION = "ARC Region Switch Plan Execution"
ALERTING_EXECUTION_EVENTS = ("ExecutionFailed", "ExecutionPaused", "StepFailed", "StepPausedByError",
                             "executionFailed", "executionPaused", "stepFailed", "stepPausedByError")  # fmt: skip
"""Execution events that page: the guide's sample spells eventType capitalised, the API's enum in camelCase."""


@dataclass(frozen=True)
class RegionSwitchPlanArgs:
    """Arguments of RegionSwitchPlan."""

    model: PlanModel
    """The plan's regions and workflows. Required."""
    account_id: str
    """Account of the pair (owner of the report bucket). Required."""
    execution_role_name: str
    """Physical name of the execution role (the standby's EKS access entry names it). Required."""
    approver_role_name: str
    """Physical name of the role whose principals approve the database step (the model names it by ARN).
    Required."""
    approver_arns: tuple[str, ...]
    """Roles that may assume the approver role (the platform admins); empty: any principal of the account that
    its own IAM policy lets assume it. Required."""
    alarm_topic_arn: pulumi.Input[str]
    """SNS topic that evaluation warnings and failed executions reach. Required."""
    report_kms_key_arn: pulumi.Input[str]
    """Customer-managed key of the report bucket (it must admit use through S3). Required."""
    partition: str = "aws"
    """AWS partition. Default: aws."""
    report_retention_days: int = 400
    """Days a report stays (PCI DSS 10.5.1 keeps audit evidence a year). Default: 400."""
    report_lock_mode: LockMode = "COMPLIANCE"
    """Object Lock mode of the reports. Default: COMPLIANCE."""
    report_lock_days: int = 365
    """Days each report is locked. Default: 365."""
    report_bucket_force_destroy: bool = False
    """Let `pulumi destroy` empty the report bucket (GOVERNANCE only). Default: False."""

    def __post_init__(self) -> None:
        for key in ("execution_role_name", "approver_role_name"):
            value = getattr(self, key)
            if not value or len(value) > 64:
                raise InvalidArgumentError(f"{key}: '{value}' must be 1-64 characters (IAM role names)")


def execution_policy(
    model: PlanModel, account: str, partition: str, role_name: str, bucket_arn: str, key_arn: str
) -> str:
    """What ARC and the plan's blocks call, on the pair's resources only (ARC developer guide, "Complete plan
    execution role permissions", "Execution block permissions" and "Automatic plan execution reports
    permissions")."""
    arn = f"arn:{partition}"
    sides = (model.primary, model.standby)
    statements: list[dict[str, Any]] = [
        # The baseline every plan's role needs (ARC developer guide, security_iam_region_switch_complete_policy.html,
        # and the managed policy AmazonApplicationRecoveryControllerRegionSwitchPlanExecutionPolicy, which grants
        # the same on "*" and every role): plan evaluation simulates the role's own policy, and ARC reads the plan
        # and its executions with the role. Both ARNs are built from names, not from the role's or the plan's
        # outputs: the plan depends on this policy (depends_on), so naming plan.arn here would be a cycle. Plan ARN
        # format arn:<p>:arc-region-switch::<account>:plan/<name>:<suffix> (Service Authorization Reference,
        # resource type plan: plan/${ResourceId}; the guide's approval sample names plan/sample-plan:0123abc).
        {"Sid": "PlanEvaluation", "Effect": "Allow", "Action": "iam:SimulatePrincipalPolicy",
         "Resource": f"{arn}:iam::{account}:role/{role_name}"},
        {"Sid": "PlanAndExecutions", "Effect": "Allow",
         "Action": ["arc-region-switch:GetPlan", "arc-region-switch:GetPlanExecution",
                    "arc-region-switch:ListPlanExecutions"],
         "Resource": plan_arn_pattern(model.name, account, partition)},
        {"Sid": "AuroraGlobalDatabase", "Effect": "Allow",
         "Action": ["rds:DescribeGlobalClusters", "rds:DescribeDBClusters", "rds:SwitchoverGlobalCluster",
                    "rds:FailoverGlobalCluster"],
         "Resource": [f"{arn}:rds::{account}:global-cluster:{model.global_cluster_id}",
                      *(side.db_cluster_arn for side in sides)]},
        {"Sid": "CustomActions", "Effect": "Allow", "Action": ["lambda:InvokeFunction", "lambda:GetFunction"],
         "Resource": [arn for side in sides for arn in (side.action_function_arn, side.readers_function_arn)]},
        # ARC developer guide, "Amazon EKS resource scaling execution block sample policy"
        # (security_iam_region_switch_eks.html): DescribeCluster on both clusters and ListAssociatedAccessPolicies on
        # their access entries (resource type access-entry: access-entry/${ClusterName}/..., Service Authorization
        # Reference); the Kubernetes side is the AmazonARCRegionSwitchScalingPolicy access entry
        # (components/region_switch_actions.py).
        {"Sid": "EksResourceScaling", "Effect": "Allow", "Action": ["eks:DescribeCluster"],
         "Resource": [side.eks_cluster_arn for side in sides]},
        {"Sid": "EksAccessEntries", "Effect": "Allow", "Action": "eks:ListAssociatedAccessPolicies",
         "Resource": [access_entries(side.eks_cluster_arn) for side in sides]},
        {"Sid": "Route53HealthCheck", "Effect": "Allow", "Action": ["route53:ListResourceRecordSets"],
         "Resource": f"{arn}:route53:::hostedzone/{model.hosted_zone_id}"},
        {"Sid": "ExecutionReports", "Effect": "Allow", "Action": "s3:PutObject",
         "Resource": f"{bucket_arn}/{REPORT_PREFIX}/*"},
        {"Sid": "ExecutionReportsKey", "Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Encrypt"],
         "Resource": key_arn},
    ]  # fmt: skip
    return policy_document(*statements)


def plan_arn_pattern(plan_name: str, account: str, partition: str) -> str:
    """Every ARN the plan named `plan_name` can have (ARC appends a suffix it chooses after a colon)."""
    return f"arn:{partition}:arc-region-switch::{account}:plan/{plan_name}:*"


def access_entries(cluster_arn: str) -> str:
    """The access entries of an EKS cluster, from its ARN (arn:<p>:eks:<region>:<account>:cluster/<name>)."""
    head, sep, name = cluster_arn.partition(":cluster/")
    if not sep or not name or "/" in name:
        raise InvalidArgumentError(f"eks_cluster_arn: '{cluster_arn}' is not an EKS cluster ARN (...:cluster/<name>)")
    return f"{head}:access-entry/{name}/*"


def event_pattern() -> str:
    """EventBridge pattern: evaluation warnings and failed or paused executions of Region switch plans."""
    return json.dumps(
        {
            "source": [EVENT_SOURCE],
            "$or": [
                {"detail-type": [EVALUATION]},
                {"detail-type": [EXECUTION], "detail": {"metadata": {"warning": [{"exists": True}]}}},
                {"detail-type": [EXECUTION], "detail": {"eventType": list(ALERTING_EXECUTION_EVENTS)}},
            ],
        }
    )


class RegionSwitchPlan(pulumi.ComponentResource):
    """The region pair's Region switch plan."""

    plan_arn: pulumi.Output[str]
    execution_role_arn: pulumi.Output[str]
    report_bucket: pulumi.Output[str]
    report_bucket_arn: pulumi.Output[str]

    def __init__(self, name: str, args: RegionSwitchPlanArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:region-switch:RegionSwitchPlan", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        model = args.model
        role = aws.iam.Role(
            f"{name}-execution",
            name=args.execution_role_name,
            assume_role_policy=service_trust_policy(SERVICE, args.account_id),
            description=f"{model.name}: runs the Region switch plan's execution blocks",
            opts=child,
        )
        root = f"arn:{args.partition}:iam::{args.account_id}:root"
        if not args.approver_arns:
            pulumi.log.warn(f"{name}: no eksAdminRoleArns: any principal of the account allowed by its own policy "
                            "may assume the approver role of the Region switch plan", self)  # fmt: skip
        trusted = list(args.approver_arns) or [root]
        approver = aws.iam.Role(
            f"{name}-approver",
            name=args.approver_role_name,
            assume_role_policy=policy_document(
                {"Effect": "Allow", "Principal": {"AWS": trusted}, "Action": "sts:AssumeRole"}
            ),
            description=f"{model.name}: the people who approve moving the database writer",
            opts=child,
        )
        plans = plan_arn_pattern(model.name, args.account_id, args.partition)
        aws.iam.RolePolicy(
            f"{name}-approver",
            role=approver.id,
            policy=policy_document(
                {
                    "Sid": "ApproveThisPlan",
                    "Effect": "Allow",
                    "Resource": plans,
                    "Action": [
                        "arc-region-switch:ApprovePlanExecutionStep",
                        "arc-region-switch:GetPlanExecution",
                        "arc-region-switch:ListPlanExecutionEvents",
                        "arc-region-switch:GetPlanInRegion",
                    ],
                }
            ),
            opts=child,
        )
        reports = immutable_log_bucket(
            f"{name}-reports",
            LogBucketArgs(
                retention_days=args.report_retention_days,
                lock_mode=args.report_lock_mode,
                lock_days=args.report_lock_days,
                source="region-switch",
                kms_key_arn=args.report_kms_key_arn,
                force_destroy=args.report_bucket_force_destroy,
            ),
            lambda _arn: [],
            parent=self,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-execution",
            role=role.id,
            policy=pulumi.Output.all(reports.bucket.arn, args.report_kms_key_arn).apply(
                lambda values: execution_policy(
                    model, args.account_id, args.partition, args.execution_role_name, values[0], values[1]
                )
            ),
            opts=child,
        )
        workflows: list[Any] = model.workflows()  # plain dicts in the provider's input shape (PlanWorkflowArgsDict)
        plan = aws.arcregionswitch.Plan(
            f"{name}-plan",
            name=model.name,
            description=f"{model.primary.stack} ({model.primary.region}) active, {model.standby.stack} "
            f"({model.standby.region}) passive",
            recovery_approach="activePassive",
            regions=model.regions,
            primary_region=model.primary.region,
            recovery_time_objective_minutes=model.rto_minutes,
            execution_role=role.arn,
            workflows=workflows,
            report_configurations=[
                {
                    "report_outputs": [
                        {
                            "s3_configurations": [
                                {
                                    "bucket_owner": args.account_id,
                                    "bucket_path": reports.bucket.bucket.apply(lambda b: f"{b}/{REPORT_PREFIX}"),
                                }
                            ]
                        }
                    ]
                }
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy, approver, reports.policy, reports.lock]),
        )
        rule = aws.cloudwatch.EventRule(
            f"{name}-events",
            description=f"{model.name}: plan evaluation warnings and failed or paused executions",
            event_pattern=event_pattern(),
            opts=child,
        )
        aws.cloudwatch.EventTarget(f"{name}-events", rule=rule.name, arn=args.alarm_topic_arn, opts=child)
        self.plan_arn = plan.arn
        self.execution_role_arn = role.arn
        self.report_bucket = reports.bucket.bucket
        self.report_bucket_arn = reports.bucket.arn
        self.register_outputs(
            {
                "plan_arn": self.plan_arn,
                "execution_role_arn": self.execution_role_arn,
                "report_bucket": self.report_bucket,
                "report_bucket_arn": self.report_bucket_arn,
            }
        )
