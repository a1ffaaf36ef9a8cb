"""The in-cluster CA: cert-manager's chart, the issuers in create order, and the workloads waiting for them."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components.cert_manager import (
    CHART_REPOSITORY,
    CHART_VERSION,
    POD_REQUESTS,
    REPLICAS,
    SUPPORTED_KUBERNETES,
    WAIT_FOR_CA_BUNDLE,
    WAIT_FOR_READY,
    WAIT_FOR_SYNCED,
    CertManagerArgs,
    wait_for_trust_webhook_ca,
)
from components.errors import InvalidArgumentError
from components.versions import TRUST_MANAGER_CHART
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


def test_ready_means_the_ca_is_ready_and_the_bundle_synced(stack_run: OfflineRun) -> None:
    """The provider awaits a custom resource only with pulumi.com/waitFor (issue 20.2): every cert-manager object
    the workloads wait for carries it on its Ready condition, the Bundle on Synced."""
    for kind, name in (("ClusterIssuer", "selfsigned"), ("Certificate", "ca"), ("ClusterIssuer", "issuer")):
        assert _custom(stack_run, kind, name).inputs["metadata"]["annotations"] == WAIT_FOR_READY
    assert WAIT_FOR_READY["pulumi.com/waitFor"] == 'jsonpath={.status.conditions[?(@.type=="Ready")].status}=True'
    bundle = one(stack_run, "kubernetes:trust.cert-manager.io/v1alpha1:Bundle", "-cert-manager-bundle")
    assert bundle.inputs["metadata"]["annotations"] == WAIT_FOR_SYNCED
    ca = _custom(stack_run, "Certificate", "ca")
    assert ca.urn in bundle.dependencies
    for workload in ("validator", "payments", "ledger"):
        chart = one(stack_run, CHART, f"-{workload}-chart")
        assert (
            bundle.urn in chart.dependencies and _custom(stack_run, "ClusterIssuer", "issuer").urn in chart.dependencies
        )
        namespace = one(stack_run, "kubernetes:core/v1:Namespace", f"-{workload}-namespace")
        assert (
            namespace.inputs["metadata"]["labels"].items()
            >= bundle.inputs["spec"]["target"]["namespaceSelector"]["matchLabels"].items()
        )


def test_trust_manager_is_pinned_after_cert_manager_and_the_ca_key_survives_renewal(stack_run: OfflineRun) -> None:
    trust = one(stack_run, CHART, "-cert-manager-trust-manager")
    assert (trust.inputs["chart"], trust.inputs["version"], trust.inputs["repositoryOpts"]) == (
        "trust-manager",
        TRUST_MANAGER_CHART.version,
        {"repo": TRUST_MANAGER_CHART.repo},
    )
    assert one(stack_run, CHART, "-cert-manager-chart").urn in trust.dependencies
    values = trust.inputs["values"]
    assert values["app"]["trust"]["namespace"] == "cert-manager" and values["crds"]["keep"] is True
    assert values["replicaCount"] == REPLICAS and values["defaultPackage"] == {"enabled": False}
    assert _custom(stack_run, "Certificate", "ca").inputs["spec"]["privateKey"]["rotationPolicy"] == "Never"


def test_the_bundle_validates_against_the_trust_manager_crd(stack_run: OfflineRun) -> None:
    import json

    import jsonschema

    from offline.engine import PROJECT_DIR

    schema = json.loads((PROJECT_DIR / "tests" / "schemas" / "bundle-v1alpha1.json").read_text())
    bundle = one(stack_run, "kubernetes:trust.cert-manager.io/v1alpha1:Bundle", "-cert-manager-bundle")
    document = {"apiVersion": "trust.cert-manager.io/v1alpha1", "kind": "Bundle",
                "metadata": bundle.inputs["metadata"], "spec": bundle.inputs["spec"]}  # fmt: skip
    jsonschema.validate(document, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**document, "spec": {**document["spec"], "target": {"configmap": {"key": "x"}}}}, schema)


def _trust_chart_object(kind: str, name: str, **extra: Any) -> pulumi.ResourceTransformArgs:
    """An object as the trust-manager chart v0.24.0 renders it with our values (templates/webhook.yaml: with
    app.webhook.tls.helmCert disabled the ValidatingWebhookConfiguration has no caBundle, only cainjector's
    inject-ca-from annotation), handed to a transform as Chart v4 registers it."""
    group = "admissionregistration.k8s.io/v1" if "Webhook" in kind else ("apps/v1" if kind == "Deployment" else "v1")
    metadata = {"name": name, "labels": {"app": name}, **extra}
    props: dict[str, Any] = {"apiVersion": group, "kind": kind, "metadata": metadata}
    if kind == "ValidatingWebhookConfiguration":
        props["webhooks"] = [{"name": "trust.cert-manager.io", "failurePolicy": "Fail", "clientConfig": {
            "service": {"name": name, "namespace": "cert-manager",
                        "path": "/validate-trust-cert-manager-io-v1alpha1-bundle"}}}]  # fmt: skip
    type_ = f"kubernetes:{group.replace('v1', '').rstrip('/') or 'core'}/v1:{kind}"
    return pulumi.ResourceTransformArgs(True, type_, f"chart:{name}", props, pulumi.ResourceOptions())


def test_the_bundle_waits_for_the_trust_webhook_ca(stack_run: OfflineRun) -> None:
    """Issue 20.3's residual race: a Bundle created before cainjector injected the trust-manager webhook's CA was
    refused. The chart carries the transform, the transform makes that webhook configuration wait for its caBundle,
    the Bundle depends on the chart (a dependency on a component waits for every child)."""
    trust = one(stack_run, CHART, "-cert-manager-trust-manager")
    assert trust.transforms == 1
    assert trust.inputs["values"]["app"]["webhook"]["tls"]["helmCert"] == {"enabled": False}
    bundle = one(stack_run, "kubernetes:trust.cert-manager.io/v1alpha1:Bundle", "-cert-manager-bundle")
    assert trust.urn in bundle.dependencies
    inject = {"cert-manager.io/inject-ca-from": "cert-manager/trust-manager"}
    webhook = _trust_chart_object("ValidatingWebhookConfiguration", "trust-manager", annotations=inject)
    assert webhook.type_ == "kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration"
    result = wait_for_trust_webhook_ca(webhook)
    assert result is not None and isinstance(result.props, dict)
    props: dict[str, Any] = result.props
    assert props["metadata"]["annotations"] == {**inject, **WAIT_FOR_CA_BUNDLE}
    original: dict[str, Any] = dict(webhook.props)
    assert props["webhooks"] == original["webhooks"] and props["metadata"]["name"] == "trust-manager"
    assert original["metadata"]["annotations"] == inject, "the chart's object itself is not mutated"
    for other in (_trust_chart_object("Deployment", "trust-manager"), _trust_chart_object("Service", "trust-manager"),
                  _trust_chart_object("ValidatingWebhookConfiguration", "cert-manager-webhook")):  # fmt: skip
        assert wait_for_trust_webhook_ca(other) is None


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
    assert cert_manager_overhead() == Resources(300, 672, len(POD_REQUESTS) * REPLICAS)
    # A t4g.medium keeps 12 pod slots after its daemons: the 11 other system pods fit on one node, cert-manager's
    # and trust-manager's eight more need a second (CPU and memory would still fit one).
    minimum, _ = fit([], "t4g.medium", ZoneSplit(mins=(1,), maxes=(1,)))
    assert CLUSTER_OVERHEAD.pods == 11
    assert (minimum.nodes_needed, minimum.bound_by) == (2, "pods")
