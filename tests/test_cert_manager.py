"""The in-cluster CA: cert-manager's chart, the issuers in create order, and the workloads waiting for them."""

from __future__ import annotations

from typing import Any

import pytest

from components.cert_manager import (
    CHART_REPOSITORY,
    CHART_VERSION,
    POD_REQUESTS,
    REPLICAS,
    SUPPORTED_KUBERNETES,
    WAIT_FOR_CA_BUNDLE,
    CertManagerArgs,
)
from components.errors import InvalidArgumentError
from components.workload import POD_SECURITY_LABELS
from offline.engine import OfflineRun, Registration
from stacks.capacity import CLUSTER_OVERHEAD, Resources, ZoneSplit, cert_manager_overhead, fit
from tests.helpers import one

CHART = "kubernetes:helm.sh/v4:Chart"
CUSTOM = "kubernetes:cert-manager.io/v1:{kind}"


def _custom(run: OfflineRun, kind: str, name: str) -> Registration:
    return one(run, CUSTOM.format(kind=kind), f"-cert-manager-{name}")


def test_chart_is_pinned_installs_its_crds_and_waits_for_the_webhook_ca(stack_run: OfflineRun) -> None:
    chart = one(stack_run, CHART, "-cert-manager-chart")
    assert (chart.inputs["chart"], chart.inputs["version"]) == ("cert-manager", CHART_VERSION)
    assert chart.inputs["repositoryOpts"] == {"repo": CHART_REPOSITORY}
    assert chart.inputs["namespace"] == "cert-manager"
    values = chart.inputs["values"]
    assert values["crds"] == {"enabled": True, "keep": True}
    assert values["webhook"]["validatingWebhookConfigurationAnnotations"] == WAIT_FOR_CA_BUNDLE
    assert values["webhook"]["mutatingWebhookConfigurationAnnotations"] == WAIT_FOR_CA_BUNDLE
    for part in (values, values["webhook"], values["cainjector"]):
        assert part["replicaCount"] == REPLICAS and part["podDisruptionBudget"]["enabled"] is True
        assert set(part["resources"]["requests"]) == {"cpu", "memory"}
    namespace = one(stack_run, "kubernetes:core/v1:Namespace", "-cert-manager-namespace")
    assert namespace.inputs["metadata"] == {"name": "cert-manager", "labels": POD_SECURITY_LABELS}
    assert namespace.urn in chart.dependencies
    node_groups = stack_run.of_type("aws:eks/nodeGroup:NodeGroup")
    assert node_groups and all(group.urn in chart.dependencies for group in node_groups)


def test_issuers_are_created_in_order_after_the_chart(stack_run: OfflineRun) -> None:
    chart = one(stack_run, CHART, "-cert-manager-chart").urn
    bootstrap = _custom(stack_run, "ClusterIssuer", "selfsigned")
    ca = _custom(stack_run, "Certificate", "ca")
    issuer = _custom(stack_run, "ClusterIssuer", "issuer")
    assert bootstrap.inputs["spec"] == {"selfSigned": {}}
    assert ca.inputs["metadata"]["namespace"] == "cert-manager"  # the ClusterIssuer's cluster resource namespace
    assert ca.inputs["spec"]["isCA"] is True
    assert ca.inputs["spec"]["issuerRef"]["name"] == bootstrap.inputs["metadata"]["name"]
    assert issuer.inputs["metadata"]["name"] == "platform-ca"
    assert issuer.inputs["spec"] == {"ca": {"secretName": ca.inputs["spec"]["secretName"]}}
    assert chart in bootstrap.dependencies and chart in ca.dependencies and chart in issuer.dependencies
    assert bootstrap.urn in ca.dependencies
    assert ca.urn in issuer.dependencies


@pytest.mark.parametrize("workload", ["validator", "payments", "ledger"])
def test_workload_charts_wait_for_the_issuer_they_name(stack_run: OfflineRun, workload: str) -> None:
    chart = one(stack_run, CHART, f"-{workload}-chart")
    issuer = _custom(stack_run, "ClusterIssuer", "issuer")
    assert issuer.urn in chart.dependencies
    assert chart.inputs["values"]["tls"]["clusterIssuer"] == issuer.inputs["metadata"]["name"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kubernetes_version": "1.32"}, "kubernetes_version: cert-manager v1.21.1 supports"),
        ({"ca_duration_hours": 100}, "ca_duration_hours: 100 is not 8760 to 87600"),
    ],
)
def test_bad_arguments_are_refused(changes: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"kubernetes_provider": None, "kubernetes_version": SUPPORTED_KUBERNETES[0], **changes}
    with pytest.raises(InvalidArgumentError, match=message):
        CertManagerArgs(**args)


def test_capacity_counts_cert_manager_pods() -> None:
    assert cert_manager_overhead() == Resources(250, 544, len(POD_REQUESTS) * REPLICAS)
    # A t4g.medium keeps 12 pod slots after its daemons: the 11 other system pods fit on one node, cert-manager's
    # six more need a second (CPU and memory would still fit one).
    minimum, _ = fit([], "t4g.medium", ZoneSplit(mins=(1,), maxes=(1,)))
    assert CLUSTER_OVERHEAD.pods == 11
    assert (minimum.nodes_needed, minimum.bound_by) == (2, "pods")
