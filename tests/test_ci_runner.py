"""The in-VPC CodeBuild-hosted GitHub Actions runner: the deploy path to the private Kubernetes API."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.ci_runner import CiRunnerArgs
from components.errors import InvalidArgumentError
from offline.engine import OfflineRun, run_stack
from stacks.config import ConfigError, parse_stack_config
from tests.helpers import key_arn, one

PROJECT = "aws:codebuild/project:Project"
CONNECTION = {
    "dev": "arn:aws:codeconnections:us-east-1:123456789012:connection/5b2f7c1e-8d4a-4e6b-9c3f-1a7e2d9b4c60",
    "prod": "arn:aws:codeconnections:us-east-1:111122223333:connection/9e4c2a71-3f5b-4d8e-a6c1-7b2d9f0e5a34",
}


def test_runner_builds_in_the_private_subnets_with_its_own_group(stack_run: OfflineRun) -> None:
    project = one(stack_run, PROJECT).inputs
    assert project["name"] == f"fintech-{stack_run.stack}-ci-runner"
    group = one(stack_run, "aws:ec2/securityGroup:SecurityGroup", "-ci-runner")
    vpc = project["vpcConfig"]
    assert vpc["vpcId"] == stack_run.outputs["vpcId"]
    assert sorted(vpc["subnets"]) == sorted(stack_run.outputs["privateSubnetIds"])
    assert vpc["securityGroupIds"] == [group.id]
    assert project["environment"]["privilegedMode"] is False
    assert project["artifacts"] == {"type": "NO_ARTIFACTS"}
    assert project["encryptionKey"] == key_arn(stack_run, "data")


def test_runner_group_has_no_ingress_and_only_https_out(stack_run: OfflineRun) -> None:
    group = one(stack_run, "aws:ec2/securityGroup:SecurityGroup", "-ci-runner")
    ingress = stack_run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    egress = stack_run.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    assert [r for r in ingress if r.inputs["securityGroupId"] == group.id] == []
    (out,) = [r.inputs for r in egress if r.inputs["securityGroupId"] == group.id]
    assert (out["ipProtocol"], out["fromPort"], out["toPort"], out["cidrIpv4"]) == ("tcp", 443, 443, "0.0.0.0/0")


def test_cluster_api_admits_the_runner_on_443_only(stack_run: OfflineRun) -> None:
    group = one(stack_run, "aws:ec2/securityGroup:SecurityGroup", "-ci-runner")
    cluster_sg = stack_run.outputs["eksClusterSecurityGroupId"]
    ingress = stack_run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    (rule,) = [r.inputs for r in ingress if r.inputs.get("referencedSecurityGroupId") == group.id]
    assert (rule["securityGroupId"], rule["ipProtocol"], rule["fromPort"], rule["toPort"]) == (
        cluster_sg,
        "tcp",
        443,
        443,
    )


def test_runner_logs_to_an_encrypted_log_group(stack_run: OfflineRun) -> None:
    project = one(stack_run, PROJECT).inputs
    log_group = one(stack_run, "aws:cloudwatch/logGroup:LogGroup", "-ci-runner").inputs
    assert log_group["name"] == f"/aws/codebuild/fintech-{stack_run.stack}-ci-runner"
    assert log_group["kmsKeyId"] == key_arn(stack_run, "logs")
    assert log_group["retentionInDays"] == {"dev": 30, "prod": 365}[stack_run.stack]
    logs = project["logsConfig"]
    assert logs["cloudwatchLogs"] == {"status": "ENABLED", "groupName": log_group["name"]}
    assert logs["s3Logs"]["status"] == "DISABLED"


def test_runner_source_is_the_repository_through_the_github_connection(stack_run: OfflineRun) -> None:
    source = one(stack_run, PROJECT).inputs["source"]
    assert (source["type"], source["location"]) == ("GITHUB", "https://github.com/example-org/fintech-platform")
    assert source["auth"] == {"type": "CODECONNECTIONS", "resource": CONNECTION[stack_run.stack]}


def test_webhook_starts_builds_for_queued_workflow_jobs_only(stack_run: OfflineRun) -> None:
    webhook = one(stack_run, "aws:codebuild/webhook:Webhook").inputs
    assert webhook["projectName"] == f"fintech-{stack_run.stack}-ci-runner"
    assert webhook["filterGroups"] == [{"filters": [{"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"}]}]


def test_runner_role_writes_its_logs_uses_the_connection_and_attaches_to_private_subnets(stack_run: OfflineRun) -> None:
    role = one(stack_run, "aws:iam/role:Role", "-ci-runner").inputs
    (trust,) = json.loads(role["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "codebuild.amazonaws.com"}
    assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] in CONNECTION[stack_run.stack]
    policy = json.loads(one(stack_run, "aws:iam/rolePolicy:RolePolicy", "-ci-runner").inputs["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["UseGitHubConnection"]["Resource"] == CONNECTION[stack_run.stack]
    assert statements["WriteOwnLogs"]["Resource"].endswith(f"/aws/codebuild/fintech-{stack_run.stack}-ci-runner:*")
    subnets = statements["InterfacesInPrivateSubnetsOnly"]["Condition"]["ArnEquals"]["ec2:Subnet"]
    assert sorted(s.rsplit("/", 1)[1] for s in subnets) == sorted(stack_run.outputs["privateSubnetIds"])
    actions = [a for s in policy["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]
    assert not [a for a in actions if a.endswith("*") or a.startswith(("eks:", "iam:", "sts:"))]


def test_runner_project_waits_for_its_role_policy(stack_run: OfflineRun) -> None:
    policy = one(stack_run, "aws:iam/rolePolicy:RolePolicy", "-ci-runner")
    assert policy.urn in one(stack_run, PROJECT).dependencies


def test_runs_on_label_is_exported(stack_run: OfflineRun) -> None:
    assert stack_run.outputs["ciRunsOn"] == (
        f"codebuild-fintech-{stack_run.stack}-ci-runner-${{{{ github.run_id }}}}-${{{{ github.run_attempt }}}}"
    )


def test_no_connection_means_no_runner_and_a_warning() -> None:
    run = run_stack("dev", {"fintech-platform:ciGithubConnectionArn": "", "fintech-platform:ciRepository": ""})
    assert run.error is None, run.error
    assert run.of_type(PROJECT) == []
    assert any("no in-VPC CI runner" in warning for warning in run.warnings)


_CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0f3e8a52-6b1d-4c8e-9a7f-2d5b1c9e4a10"
ROLE = "arn:aws:iam::123456789012:role/ci"
_BASE = {"certificateArn": _CERT, "validatorImageTag": "1", "paymentsImageTag": "1", "ledgerImageTag": "1"}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"ciGithubConnectionArn": CONNECTION["dev"]},
         "ciGithubConnectionArn and fintech-platform:ciRepository go together"),
        ({"ciGithubConnectionArn": "arn:aws:iam::123456789012:role/x", "ciRepository": "a/b"},
         "ciGithubConnectionArn = 'arn:aws:iam::123456789012:role/x': must be a CodeConnections connection ARN"),
        ({"ciGithubConnectionArn": CONNECTION["dev"], "ciRepository": "https://github.com/a/b"},
         "ciRepository = 'https://github.com/a/b': must be a GitHub repository as owner/name"),
        ({"ciDeployRoleArn": "arn:aws:iam::123456789012:user/x"},
         "ciDeployRoleArn = 'arn:aws:iam::123456789012:user/x'"),
        ({"ciDeployRoleArn": ROLE, "ciPreviewRoleArn": ROLE}, "EKS allows one access entry per role"),
    ],
)  # fmt: skip
def test_bad_runner_config_is_refused_naming_the_key(values: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_stack_config({**_BASE, **values})
    assert expected in str(refused.value)


def _args(**changes: Any) -> CiRunnerArgs:
    values: dict[str, Any] = {
        "vpc_id": "vpc", "subnet_ids": ["a"], "cluster_security_group_id": "sg",
        "github_connection_arn": CONNECTION["dev"], "repository": "a/b", "encryption_kms_key_arn": "k",
        "logs_kms_key_arn": "k", "account_id": "123456789012",
        "region": "us-east-1", **changes,
    }  # fmt: skip
    return CiRunnerArgs(**values)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"github_connection_arn": "nope"}, "github_connection_arn: 'nope'"),
        ({"repository": "nope"}, "repository: 'nope'"),
        ({"subnet_ids": []}, "subnet_ids"),
        ({"build_timeout_minutes": 3000}, "build_timeout_minutes: 3000"),
    ],
)
def test_bad_runner_arguments_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        _args(**changes)
