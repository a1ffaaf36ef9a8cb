"""Workload components in both stacks: namespaces, IRSA scoping, least privilege, ECR, capacity."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.errors import InvalidArgumentError
from components.workload import POD_SECURITY_LABELS, READINESS_GATE_LABEL, WorkloadArgs, WorkloadRelease
from offline.engine import OfflineRun, run_stack
from stacks.config import parse_stack_config
from tests.helpers import REGION_PAIR, key_arn, one

WORKLOADS = ("validator", "payments", "ledger")
BEHIND_ALB = {"validator": True, "payments": True, "ledger": False}


def _policy(run: OfflineRun, workload: str) -> dict[str, dict[str, Any]]:
    policy = one(run, "aws:iam/rolePolicy:RolePolicy", f"-{workload}-workload").inputs["policy"]
    return {statement["Sid"]: statement for statement in json.loads(policy)["Statement"]}


@pytest.mark.parametrize("workload", WORKLOADS)
def test_namespace_enforces_pod_security_restricted(stack_run: OfflineRun, workload: str) -> None:
    namespace = one(stack_run, "kubernetes:core/v1:Namespace", f"-{workload}-namespace").inputs["metadata"]
    assert namespace["name"] == workload
    assert POD_SECURITY_LABELS.items() <= namespace["labels"].items()
    assert namespace["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


@pytest.mark.parametrize("workload", WORKLOADS)
def test_namespaces_behind_target_groups_get_readiness_gates(stack_run: OfflineRun, workload: str) -> None:
    labels = one(stack_run, "kubernetes:core/v1:Namespace", f"-{workload}-namespace").inputs["metadata"]["labels"]
    injected = labels.get("elbv2.k8s.aws/pod-readiness-gate-inject") == "enabled"
    assert injected == BEHIND_ALB[workload] == (workload in stack_run.outputs["targetGroupArns"])
    assert READINESS_GATE_LABEL == {"elbv2.k8s.aws/pod-readiness-gate-inject": "enabled"}


@pytest.mark.parametrize("workload", WORKLOADS)
def test_role_is_trusted_by_exactly_its_service_account(stack_run: OfflineRun, workload: str) -> None:
    role = one(stack_run, "aws:iam/role:Role", f"-{workload}-workload")
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Federated": stack_run.outputs["eksOidcProviderArn"]}
    conditions = statement["Condition"]["StringEquals"]
    assert [v for k, v in conditions.items() if k.endswith(":sub")] == [f"system:serviceaccount:{workload}:{workload}"]
    assert "StringLike" not in statement["Condition"]


@pytest.mark.parametrize("workload", ["validator", "payments"])
def test_cache_access_is_its_own_iam_user(stack_run: OfflineRun, workload: str) -> None:
    """elasticache:Connect on the replication group and on the workload's own user, nothing else."""
    group = one(stack_run, "aws:elasticache/replicationGroup:ReplicationGroup").outputs["arn"]
    user = one(stack_run, "aws:elasticache/user:User", f"-{workload}")
    statement = _policy(stack_run, workload)["ConnectAsOwnCacheUser"]
    assert statement["Action"] == "elasticache:Connect"
    assert statement["Resource"] == [group, user.outputs["arn"]]
    assert "ReadOwnSecrets" not in _policy(stack_run, workload)


def test_ledger_has_no_cache_access(stack_run: OfflineRun) -> None:
    assert "ConnectAsOwnCacheUser" not in _policy(stack_run, "ledger")


@pytest.mark.parametrize(("workload", "user"), [("payments", "payments_app"), ("ledger", "ledger_app")])
def test_database_access_is_its_own_iam_user(stack_run: OfflineRun, workload: str, user: str) -> None:
    resource_id = one(stack_run, "aws:rds/cluster:Cluster").outputs["clusterResourceId"]
    statement = _policy(stack_run, workload)["ConnectAsOwnDatabaseUser"]
    assert statement["Action"] == "rds-db:connect"
    account = key_arn(stack_run, "data").split(":")[4]
    assert statement["Resource"] == f"arn:aws:rds-db:us-east-1:{account}:dbuser:{resource_id}/{user}"
    assert "ConnectAsOwnDatabaseUser" not in _policy(stack_run, "validator")


def test_kafka_access_is_limited_to_own_topics_and_group(stack_run: OfflineRun) -> None:
    cluster_arn = stack_run.outputs["kafkaClusterArn"]
    topic = cluster_arn.replace(":cluster/", ":topic/")
    group = cluster_arn.replace(":cluster/", ":group/")
    payments = _policy(stack_run, "payments")
    assert payments["ConnectToCluster"]["Resource"] == cluster_arn
    assert payments["WriteOwnTopics"]["Resource"] == [f"{topic}/payments.initiated"]
    assert payments["ReadOwnTopics"]["Resource"] == [f"{topic}/transactions.validated"]
    assert payments["UseOwnConsumerGroup"]["Resource"] == f"{group}/payments"
    validator = _policy(stack_run, "validator")
    assert "ReadOwnTopics" not in validator and validator["WriteOwnTopics"]["Resource"] == [
        f"{topic}/transactions.validated"
    ]
    for statements in (payments, validator, _policy(stack_run, "ledger")):
        assert statements["WriteIdempotently"] == {
            "Sid": "WriteIdempotently", "Effect": "Allow", "Action": "kafka-cluster:WriteDataIdempotently",
            "Resource": cluster_arn,
        }  # fmt: skip
        for statement in statements.values():
            assert "*" not in json.dumps(statement["Resource"])
            assert not any(action.endswith(":*") for action in json.dumps(statement["Action"]).split('"'))


@pytest.mark.parametrize("workload", WORKLOADS)
def test_ecr_repository_is_immutable_scanned_encrypted_and_pruned(stack_run: OfflineRun, workload: str) -> None:
    repository = one(stack_run, "aws:ecr/repository:Repository", f"-{workload}-images").inputs
    assert repository["name"] == f"fintech-{stack_run.stack}/{workload}"
    assert repository["imageTagMutability"] == "IMMUTABLE"
    assert repository["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repository["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": key_arn(stack_run, "data")}]
    rules = json.loads(one(stack_run, "aws:ecr/lifecyclePolicy:LifecyclePolicy", f"-{workload}-images").inputs[
        "policy"])["rules"]  # fmt: skip
    assert [r["selection"]["tagStatus"] for r in rules] == ["untagged", "any"]


@pytest.mark.parametrize("workload", WORKLOADS)
def test_dev_repositories_can_be_destroyed_with_their_images_prod_ones_refuse(
    stack_run: OfflineRun, workload: str
) -> None:
    repository = one(stack_run, "aws:ecr/repository:Repository", f"-{workload}-images").inputs
    assert repository["forceDelete"] is (stack_run.stack == "dev")


@pytest.mark.parametrize("workload", WORKLOADS)
def test_release_waits_for_nodes_and_addons(stack_run: OfflineRun, workload: str) -> None:
    chart = one(stack_run, "kubernetes:helm.sh/v4:Chart", f"-{workload}-chart")
    # The add-ons the pods need (not the metrics exporters, which the workloads do not wait for).
    addon_charts = [c.urn for c in stack_run.of_type("kubernetes:helm.sh/v4:Chart")
                    if "-chart" not in c.name and "-metrics-" not in c.name]  # fmt: skip
    node_groups = {group.urn for group in stack_run.of_type("aws:eks/nodeGroup:NodeGroup")}
    assert len(node_groups) == 3
    assert set(addon_charts) | node_groups <= set(chart.dependencies)


def test_capacity_is_exported_with_headroom(stack_run: OfflineRun) -> None:
    capacity = stack_run.outputs["capacity"]
    assert capacity["maximum"]["nodesNeeded"] <= capacity["maximum"]["nodesAvailable"]
    assert capacity["minimum"]["nodesNeeded"] <= capacity["minimum"]["nodesAvailable"]


PROD = {
    "tier": "prod", "accountId": "111122223333",
    "certificateArn": "arn:aws:acm:us-east-1:111122223333:certificate/7c1d9e40-2a6b-4f8e-b3c5-91e0d4a7f628",
    "validatorImageTag": "1.4.2", "paymentsImageTag": "2.0.1", "ledgerImageTag": "1.9.0", **REGION_PAIR,
}  # fmt: skip


def test_prod_refuses_an_hpa_maximum_the_node_group_cannot_hold() -> None:
    with pytest.raises(
        Exception,
        match=r"nodeMax = 12 cannot hold every workload at fintech-platform:hpaMaxReplicas = 40.*"
        r"needs 18 of 12 nodes.*raise nodeMax to 18",
    ):
        parse_stack_config({**PROD, "hpaMaxReplicas": "40"})
    assert parse_stack_config({**PROD, "hpaMaxReplicas": "40", "nodeMax": "18"}).node_max == 18


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"hpaMinReplicas": "4", "hpaMaxReplicas": "2"},
            "hpaMinReplicas = 4 is above fintech-platform:hpaMaxReplicas = 2",
        ),
        ({"ledgerImageTag": ""}, "ledgerImageTag = '': missing"),
        ({"paymentsImageTag": "latest"}, "paymentsImageTag = 'latest': must be a version tag"),
        ({"nodeMax": "1"}, "nodeMax = 1 is below"),
    ],
)
def test_bad_workload_config_registers_nothing(overrides: dict[str, str], message: str) -> None:
    run = run_stack("dev", {f"fintech-platform:{key}": value for key, value in overrides.items()})
    assert run.error is not None and message in run.error
    assert run.resources == []


RELEASE: dict[str, Any] = {
    "kubernetes_provider": None, "chart_path": "./app_charts/validator", "image_tag": "1.0.0", "chart_values": {},
}  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"image_tag": "latest"}, "release.image_tag: 'latest' is not a pinned image"),
        ({"image_tag": ""}, "release.image_tag: '' is not a pinned image"),
        ({"chart_values": {"replicas": {"min": 4, "max": 2}}}, "release.chart_values.replicas: min 4 is above max 2"),
    ],
)
def test_bad_release_arguments_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        WorkloadRelease(**{**RELEASE, **changes})


def test_a_workload_with_nothing_to_do_is_refused() -> None:
    values: dict[str, Any] = {
        "namespace": "validator", "repository_name": "x/validator", "oidc_provider_arn": "arn",
        "oidc_issuer": "issuer", "account_id": "123456789012", "region": "us-east-1", "ecr_kms_key_arn": "k",
        "secrets_kms_key_arn": "k",
    }  # fmt: skip
    with pytest.raises(InvalidArgumentError, match="secret_arns/database/kafka: the workload uses none of them"):
        WorkloadArgs(**values)
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:x"
    assert WorkloadArgs(**values, secret_arns=(secret,)).release is None
