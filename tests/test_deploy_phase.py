"""deployPhase: foundation registers only what the AWS control plane creates; complete adds the Kubernetes layer,
after checking that every workload image exists in its repository."""

from __future__ import annotations

import functools
from typing import Any

import pulumi
import pytest

import offline.engine
from offline.audit import evaluate, load_policy_config, summary
from offline.engine import OfflineRun, run_stack
from offline.mocks import OfflineMocks
from tests.conftest import STACKS, offline_run

FOUNDATION = {"fintech-platform:deployPhase": "foundation"}


@functools.cache
def foundation_run(stack: str) -> OfflineRun:
    run = run_stack(stack, FOUNDATION)
    assert run.error is None, run.error
    return run


def _kubernetes_providers(run: OfflineRun) -> set[str]:
    """Provider references (urn::id) of every Kubernetes provider the run registered."""
    return {f"{r.urn}::{r.id}" for r in run.resources if r.type == "pulumi:providers:kubernetes"}


def _kubernetes_layer(run: OfflineRun) -> list[str]:
    """Resources that need the Kubernetes API: kubernetes:* types, or anything on a Kubernetes provider."""
    providers = _kubernetes_providers(run)
    return [f"{r.type}::{r.name}" for r in run.resources if r.type.startswith("kubernetes:") or r.provider in providers]


@pytest.mark.parametrize("stack", STACKS)
def test_foundation_never_calls_the_kubernetes_api(stack: str) -> None:
    assert _kubernetes_layer(foundation_run(stack)) == []
    assert not foundation_run(stack).of_type("fintech:addons:ClusterAddons")


@pytest.mark.parametrize("stack", STACKS)
def test_complete_adds_namespaces_and_releases_on_the_cluster_provider(stack: str) -> None:
    run = offline_run(stack)
    layer = _kubernetes_layer(run)
    charts = [r for r in run.of_type("kubernetes:helm.sh/v4:Chart")]
    assert {r.name.removeprefix(f"fintech-{stack}-") for r in charts} == {
        "validator-chart", "payments-chart", "ledger-chart",
        "aws-load-balancer-controller", "metrics-server", "cluster-autoscaler", "cert-manager-chart",
        "cert-manager-trust-manager",
        "metrics-kube-state-metrics", "metrics-prometheus-node-exporter",
    }  # fmt: skip
    issuers = [*run.of_type("kubernetes:cert-manager.io/v1:ClusterIssuer"),
               *run.of_type("kubernetes:cert-manager.io/v1:Certificate")]  # fmt: skip
    bundles = run.of_type("kubernetes:trust.cert-manager.io/v1alpha1:Bundle")
    rbac = [*run.of_type("kubernetes:rbac.authorization.k8s.io/v1:Role"),
            *run.of_type("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")]  # fmt: skip
    assert len(run.of_type("kubernetes:core/v1:Namespace")) == 4  # three workloads and cert-manager
    assert len(bundles) == 1 and len(rbac) == 2  # the trust bundle; the preview's chart-lookup Role and binding
    assert all(r.provider in _kubernetes_providers(run) for r in charts)
    assert len(layer) == len(charts) + 4 + len(issuers) + len(bundles) + len(rbac)


@pytest.mark.parametrize("stack", STACKS)
def test_foundation_holds_every_aws_resource_of_complete(stack: str) -> None:
    """Only the Kubernetes layer (with the add-ons' IRSA roles and cert-manager's CA) is left for complete."""
    complete, foundation = offline_run(stack), foundation_run(stack)
    addon_components = ("fintech:addons:ClusterAddons", "fintech:cert_manager:CertManager")
    addon_children = {r.urn for r in complete.resources if any(kind in r.urn for kind in addon_components)}
    left_for_complete = {
        (r.type, r.name)
        for r in complete.resources
        if r.urn not in addon_children and f"{r.urn}::{r.id}" not in _kubernetes_providers(complete)
    } - {(r.type, r.name) for r in foundation.resources}
    assert {kind for kind, _ in left_for_complete} == {"kubernetes:core/v1:Namespace", "kubernetes:helm.sh/v4:Chart"}
    for kind in ("aws:ecr/repository:Repository", "aws:msk/topic:Topic", "pulumi-python:dynamic/aurora:DatabaseUser"):
        assert len(foundation.of_type(kind)) == len(complete.of_type(kind)) > 0


@pytest.mark.parametrize("stack", STACKS)
def test_outputs_are_the_same_and_meaningful_in_both_phases(stack: str) -> None:
    complete, foundation = offline_run(stack).outputs, foundation_run(stack).outputs
    assert set(complete) == set(foundation)
    assert (complete["deployPhase"], foundation["deployPhase"]) == ("complete", "foundation")
    for key in ("imageRepositories", "workloadRoleArns", "kafkaTopicArns", "databaseUsers", "targetGroupArns"):
        assert foundation[key] == complete[key] and foundation[key], key


@pytest.mark.parametrize("stack", list(dict.fromkeys([*STACKS, "prod-dr"])))
def test_the_policy_pack_passes_foundation(stack: str) -> None:
    """`pulumi up --policy-pack policies` runs in both phases: foundation must not trip a mandatory rule."""
    config = load_policy_config(offline.engine.PROJECT_DIR / "policies" / "config" / f"{stack}.json")
    totals = summary(evaluate(foundation_run(stack), config))
    assert totals["mandatoryViolations"] == 0 and totals["passed"] > 50


def test_a_bad_phase_registers_nothing() -> None:
    run = run_stack("dev", {"fintech-platform:deployPhase": "kubernetes"})
    assert run.error is not None
    assert "fintech-platform:deployPhase = 'kubernetes'" in run.error
    assert "'foundation' or 'complete'" in run.error
    assert run.resources == []


class _EmptyRegistry(OfflineMocks):
    """An account whose repositories hold no image yet (a brand-new stack after foundation)."""

    def __init__(self, present: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.present = present
        self.asked: list[dict[str, Any]] = []

    def call(self, args: pulumi.runtime.MockCallArgs) -> Any:
        if args.token == "aws:ecr/getImage:getImage":
            self.asked.append(dict(args.args))
            if args.args["repositoryName"] not in self.present:
                # A failed data-source read comes back as an invoke failure, which the SDK raises in the program.
                reason = (
                    f"reading ECR Image: ImageNotFoundException: The image with imageId "
                    f"{{imageTag:'{args.args.get('imageTag')}'}} does not exist within the repository"
                )
                return {}, [("imageTag", reason)]  # fmt: skip
        return super().call(args)


def _run_with_registry(
    monkeypatch: pytest.MonkeyPatch, registry: _EmptyRegistry, overrides: dict[str, str] | None = None
) -> OfflineRun:
    monkeypatch.setattr(offline.engine, "OfflineMocks", lambda: registry)
    return run_stack("dev", overrides)


def test_complete_stops_at_once_when_an_image_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = _EmptyRegistry(present=frozenset({"fintech-dev/validator", "fintech-dev/ledger"}))
    run = _run_with_registry(monkeypatch, registry)
    assert run.error is not None
    assert "fintech-platform:paymentsImageTag = '2.0.1'" in run.error
    assert "123456789012.dkr.ecr.us-east-1.amazonaws.com/fintech-dev/payments:2.0.1 not found" in run.error
    assert "ImageNotFoundException" in run.error
    assert "docker push 123456789012.dkr.ecr.us-east-1.amazonaws.com/fintech-dev/payments:2.0.1" in run.error
    assert "validatorImageTag" not in run.error and "ledgerImageTag" not in run.error
    assert {r.type for r in run.resources} == {"pulumi:providers:aws"}
    assert [q["repositoryName"] for q in registry.asked] == [
        "fintech-dev/validator", "fintech-dev/payments", "fintech-dev/ledger",
    ]  # fmt: skip


def test_images_are_looked_up_by_tag_or_by_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    digest = "sha256:" + "a" * 64
    registry = _EmptyRegistry(frozenset({"fintech-dev/validator", "fintech-dev/payments", "fintech-dev/ledger"}))
    run = _run_with_registry(monkeypatch, registry, {"fintech-platform:ledgerImageTag": digest})
    assert run.error is None, run.error
    asked = {q["repositoryName"]: q for q in registry.asked}
    assert asked["fintech-dev/ledger"].get("imageDigest") == digest and not asked["fintech-dev/ledger"].get("imageTag")
    assert asked["fintech-dev/validator"]["imageTag"] == "1.4.2"


def test_foundation_needs_no_image(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = _EmptyRegistry()
    run = _run_with_registry(monkeypatch, registry, FOUNDATION)
    assert run.error is None, run.error
    assert registry.asked == []
    assert len(run.of_type("aws:ecr/repository:Repository")) == 3
