"""A CodeBuild-hosted GitHub Actions runner inside the VPC: the deploy path to a private Kubernetes API.

How it works (AWS CodeBuild User Guide, "Self-hosted GitHub Actions runners in AWS CodeBuild",
https://docs.aws.amazon.com/codebuild/latest/userguide/action-runner-overview.html, and "Tutorial:
Configure a CodeBuild-hosted GitHub Actions runner", action-runner.html): the project's webhook, filtered on
the `WORKFLOW_JOB_QUEUED` event, makes GitHub notify CodeBuild of every queued job; CodeBuild starts a
build, registers an ephemeral runner and runs the job when its `runs-on` label is
`codebuild-<project name>-${{ github.run_id }}-${{ github.run_attempt }}`. The build runs with the
project's VPC configuration, here the private subnets, so it reaches the cluster's private endpoint; the
cluster security group admits the runner's group on 443 only.

Identity: the runner's own service role can only write its logs, attach to the VPC and use the GitHub
connection. The jobs deploy as the roles they assume through GitHub OIDC (the deploy or preview role,
mapped into the cluster by EKS access entries): a job that lands on the runner gains a network path, not
the power to deploy.

Life cycle: everything here is AWS control plane, so it belongs to the foundation phase. The GitHub
connection must already be AVAILABLE (a CodeConnections connection is created PENDING and completed in
the console by a GitHub admin); CreateWebhook fails otherwise. Replacing the security group (its
description is immutable) only moves the runner, nothing here is protected.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.errors import InvalidArgumentError
from components.iam import policy_document, service_trust_policy
from components.shared import encrypted_log_group

_CONNECTION = re.compile(r"^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection/.+$")
_REPOSITORY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$")
HTTPS_PORT = 443
RUNNER_EVENT = "WORKFLOW_JOB_QUEUED"


@dataclass(frozen=True)
class CiRunnerArgs:
    """Arguments of CiRunner."""

    vpc_id: pulumi.Input[str]
    """VPC the runner builds in. Required."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """Private subnets (egress through NAT) the build containers attach to. Required."""
    cluster_security_group_id: pulumi.Input[str]
    """The EKS cluster security group, which then admits the runner on 443. Required."""
    github_connection_arn: str
    """CodeConnections (or CodeStar Connections) connection to GitHub, already AVAILABLE. Required."""
    repository: str
    """GitHub repository as owner/name. Required."""
    encryption_kms_key_arn: pulumi.Input[str]
    """Platform key CodeBuild encrypts build output with. Required."""
    logs_kms_key_arn: pulumi.Input[str]
    """Key of the runner's log group. Required."""
    account_id: str
    """Account of the runner. Required."""
    region: str
    """Region of the runner. Required."""
    partition: str = "aws"
    """AWS partition for ARNs. Default: aws."""
    compute_type: str = "BUILD_GENERAL1_MEDIUM"
    """CodeBuild compute type (7 GB, 4 vCPUs: pulumi, helm and the tests). Default: BUILD_GENERAL1_MEDIUM."""
    image: str = "aws/codebuild/standard:7.0"
    """CodeBuild-managed build image; Ubuntu 22.04, so actions/setup-python and setup-node find their builds.
    Default: aws/codebuild/standard:7.0."""
    build_timeout_minutes: int = 120
    """Longest job the runner keeps running (CodeBuild allows 5-2160). Default: 120."""
    log_retention_days: int = 365
    """Days the runner's log group keeps logs. Default: 365."""

    def __post_init__(self) -> None:
        if not _CONNECTION.match(self.github_connection_arn):
            raise InvalidArgumentError(
                f"github_connection_arn: '{self.github_connection_arn}' is not a CodeConnections connection ARN"
            )
        if not _REPOSITORY.match(self.repository):
            raise InvalidArgumentError(f"repository: '{self.repository}' is not a GitHub owner/name")
        if not self.subnet_ids:
            raise InvalidArgumentError("subnet_ids: the runner needs at least one private subnet")
        if not 5 <= self.build_timeout_minutes <= 2160:
            raise InvalidArgumentError(
                f"build_timeout_minutes: {self.build_timeout_minutes}: CodeBuild allows 5 to 2160 minutes"
            )


class CiRunner(pulumi.ComponentResource):
    """CodeBuild project + webhook that host GitHub Actions jobs in the VPC's private subnets."""

    project_name: str
    runs_on_prefix: str
    """The `runs-on` label of a job for this runner, before `-${{ github.run_id }}-${{ github.run_attempt }}`."""
    security_group_id: pulumi.Output[str]
    role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: CiRunnerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:ci:CiRunner", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.project_name = f"{name}-ci-runner"
        self.runs_on_prefix = f"codebuild-{self.project_name}"
        group = aws.ec2.SecurityGroup(
            f"{name}-ci-runner",
            vpc_id=args.vpc_id,
            description="CodeBuild-hosted GitHub Actions runner: no ingress, HTTPS out only",
            tags={"Name": f"{name}-ci-runner"},
            opts=child,
        )
        # GitHub, Pulumi Cloud, the AWS APIs, package registries, Helm repositories and the cluster's
        # private endpoint are all HTTPS; DNS goes to the VPC resolver, which security groups do not filter.
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-ci-runner-https",
            security_group_id=group.id,
            ip_protocol="tcp",
            from_port=HTTPS_PORT,
            to_port=HTTPS_PORT,
            cidr_ipv4="0.0.0.0/0",
            description="HTTPS to GitHub, Pulumi Cloud, AWS APIs, registries and the Kubernetes API",
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-ci-runner-to-api",
            security_group_id=args.cluster_security_group_id,
            referenced_security_group_id=group.id,
            ip_protocol="tcp",
            from_port=HTTPS_PORT,
            to_port=HTTPS_PORT,
            description="Kubernetes API from the in-VPC CI runner",
            opts=child,
        )
        log_group = encrypted_log_group(
            f"{name}-ci-runner",
            f"/aws/codebuild/{self.project_name}",
            args.log_retention_days,
            args.logs_kms_key_arn,
            self,
        )
        role = aws.iam.Role(
            f"{name}-ci-runner",
            assume_role_policy=service_trust_policy(
                "codebuild.amazonaws.com",
                args.account_id,
                f"arn:{args.partition}:codebuild:{args.region}:{args.account_id}:project/{self.project_name}",
            ),
            description="CodeBuild runner: its logs, its VPC interfaces and the GitHub connection; nothing else",
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-ci-runner",
            role=role.id,
            policy=pulumi.Output.all(log_group.arn, *args.subnet_ids).apply(
                lambda values: _runner_policy(args, values[0], values[1:])
            ),
            opts=child,
        )
        project = aws.codebuild.Project(
            f"{name}-ci-runner",
            name=self.project_name,
            description=f"GitHub Actions runner for {args.repository} inside the VPC",
            service_role=role.arn,
            encryption_key=args.encryption_kms_key_arn,
            build_timeout=args.build_timeout_minutes,
            queued_timeout=60,
            source=aws.codebuild.ProjectSourceArgs(
                type="GITHUB",
                location=f"https://github.com/{args.repository}",
                git_clone_depth=1,
                auth=aws.codebuild.ProjectSourceAuthArgs(type="CODECONNECTIONS", resource=args.github_connection_arn),
            ),
            artifacts=aws.codebuild.ProjectArtifactsArgs(type="NO_ARTIFACTS"),
            environment=aws.codebuild.ProjectEnvironmentArgs(
                type="LINUX_CONTAINER",
                compute_type=args.compute_type,
                image=args.image,
                image_pull_credentials_type="CODEBUILD",
                privileged_mode=False,
            ),
            vpc_config=aws.codebuild.ProjectVpcConfigArgs(
                vpc_id=args.vpc_id, subnets=list(args.subnet_ids), security_group_ids=[group.id]
            ),
            logs_config=aws.codebuild.ProjectLogsConfigArgs(
                cloudwatch_logs=aws.codebuild.ProjectLogsConfigCloudwatchLogsArgs(
                    status="ENABLED", group_name=log_group.name
                ),
                s3_logs=aws.codebuild.ProjectLogsConfigS3LogsArgs(status="DISABLED"),
            ),
            # CodeBuild checks at create time that the role may create VPC interfaces: attach the policy first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        # Only queued workflow jobs start builds; pushes and pull requests do not (CodeBuild docs: "Can I use
        # CloudFormation for this feature?" - FilterGroups: [[{Type: EVENT, Pattern: WORKFLOW_JOB_QUEUED}]]).
        aws.codebuild.Webhook(
            f"{name}-ci-runner",
            project_name=project.name,
            build_type="BUILD",
            filter_groups=[
                aws.codebuild.WebhookFilterGroupArgs(
                    filters=[aws.codebuild.WebhookFilterGroupFilterArgs(type="EVENT", pattern=RUNNER_EVENT)]
                )
            ],
            opts=child,
        )
        self.security_group_id = group.id
        self.role_arn = role.arn
        self.register_outputs({"project_name": self.project_name, "security_group_id": self.security_group_id})


def _runner_policy(args: CiRunnerArgs, log_group_arn: str, subnet_ids: Sequence[str]) -> str:
    """Logs, VPC interfaces and the GitHub connection (CodeBuild User Guide: "Allow CodeBuild access to AWS
    services required to create a VPC network interface" and "Create a connection to GitHub")."""
    subnet_arns = [f"arn:{args.partition}:ec2:{args.region}:{args.account_id}:subnet/{s}" for s in subnet_ids]
    return policy_document(
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{log_group_arn}:*",
        },
        {
            "Sid": "DescribeNetwork",
            "Effect": "Allow",
            "Action": [
                "ec2:CreateNetworkInterface", "ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces",
                "ec2:DeleteNetworkInterface", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs",
            ],
            "Resource": "*",
        },
        {
            "Sid": "InterfacesInPrivateSubnetsOnly",
            "Effect": "Allow",
            "Action": "ec2:CreateNetworkInterfacePermission",
            "Resource": f"arn:{args.partition}:ec2:{args.region}:{args.account_id}:network-interface/*",
            "Condition": {
                "StringEquals": {"ec2:AuthorizedService": "codebuild.amazonaws.com"},
                "ArnEquals": {"ec2:Subnet": subnet_arns},
            },
        },
        {
            "Sid": "UseGitHubConnection",
            "Effect": "Allow",
            "Action": [
                "codeconnections:GetConnection", "codeconnections:GetConnectionToken", "codeconnections:UseConnection",
                "codestar-connections:GetConnection", "codestar-connections:GetConnectionToken",
                "codestar-connections:UseConnection",
            ],
            "Resource": args.github_connection_arn,
        },
    )  # fmt: skip
