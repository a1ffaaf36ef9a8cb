"""Pull-request previews render every chart (issue 20.1): helm.v4.Chart renders with a server-side dry run, so each
chart `lookup` runs as the read-only preview identity. The identity must be able to read exactly what the pinned
charts look up, and every chart the program renders must have been audited for lookups at its pinned version."""

from __future__ import annotations

import re
from typing import Any

import pytest

from components.cluster_addons import ClusterAddonsArgs, lookup_rules
from components.eks import PREVIEW_RENDER_GROUP, VIEW_POLICY
from components.errors import InvalidArgumentError
from components.versions import CHART_LOOKUPS, KUBERNETES_VERSIONS
from offline.engine import PROJECT_DIR, OfflineRun
from tests.helpers import one

CHART = "kubernetes:helm.sh/v4:Chart"
LOOKUP = re.compile(r"\blookup\s")


def test_every_rendered_remote_chart_is_audited_at_its_pinned_version(stack_run: OfflineRun) -> None:
    charts = [c for c in stack_run.of_type(CHART) if c.inputs.get("repositoryOpts")]
    assert {c.inputs["chart"] for c in charts} >= {"aws-load-balancer-controller", "cert-manager", "trust-manager"}
    for chart in charts:
        assert (chart.inputs["chart"], chart.inputs["version"]) in CHART_LOOKUPS, chart.name


def test_every_pinned_chart_is_audited() -> None:
    for pins in KUBERNETES_VERSIONS.values():
        for chart, pin in pins.charts.items():
            assert (chart, pin.version) in CHART_LOOKUPS, f"{chart} {pin.version}"


def test_the_workload_charts_look_nothing_up() -> None:
    """Our own charts render with values only; a lookup added to them must be added to the preview's Role too."""
    templates = sorted((PROJECT_DIR / "app_charts").glob("*/templates/*"))
    assert templates
    for template in templates:
        assert not LOOKUP.search(template.read_text()), template


def _entries(run: OfflineRun) -> dict[str, Any]:
    cluster = one(run, "eks:index:Cluster")
    entries: dict[str, Any] = cluster.inputs["accessEntries"]
    return entries


def test_the_preview_identity_can_get_exactly_what_the_charts_look_up(stack_run: OfflineRun) -> None:
    preview = _entries(stack_run)["ci-preview"]
    assert preview["kubernetesGroups"] == [PREVIEW_RENDER_GROUP]
    (policy,) = preview["accessPolicies"].values()
    assert policy["policyArn"] == VIEW_POLICY.format(partition="aws")
    assert all("kubernetesGroups" not in entry for key, entry in _entries(stack_run).items() if key != "ci-preview")
    remote = [c for c in stack_run.of_type(CHART) if c.inputs.get("repositoryOpts")]
    wanted = [lookup for c in remote for lookup in CHART_LOOKUPS[(c.inputs["chart"], c.inputs["version"])]]
    assert CHART_LOOKUPS[("aws-load-balancer-controller", "1.17.0")][0] in wanted
    role_type = "kubernetes:rbac.authorization.k8s.io/v1:Role"
    roles = {r.inputs["metadata"]["namespace"]: r for r in stack_run.of_type(role_type)
             if r.inputs["metadata"]["name"] == "fintech-chart-lookups"}  # fmt: skip
    assert set(roles) == {lookup.namespace for lookup in wanted}
    for namespace, role in roles.items():
        rules = role.inputs["rules"]
        assert rules == lookup_rules([lookup for lookup in wanted if lookup.namespace == namespace])
        for rule in rules:
            assert rule["verbs"] == ["get"] and rule["resourceNames"] and "*" not in rule["resources"]
        binding = [b for b in stack_run.of_type("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")
                   if b.inputs["metadata"] == role.inputs["metadata"]]  # fmt: skip
        (binding_one,) = binding
        assert binding_one.inputs["subjects"] == [
            {"kind": "Group", "name": PREVIEW_RENDER_GROUP, "apiGroup": "rbac.authorization.k8s.io"}
        ]
        assert binding_one.inputs["roleRef"]["name"] == "fintech-chart-lookups"


def test_the_load_balancer_controller_secret_is_readable_by_name_only() -> None:
    (lookup,) = CHART_LOOKUPS[("aws-load-balancer-controller", "1.17.0")]
    assert lookup_rules([lookup]) == [
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": ["aws-load-balancer-tls"]}
    ]
    assert lookup.namespace == "kube-system"


def test_a_system_group_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="render_group: 'system:masters' may not start with 'system:'"):
        ClusterAddonsArgs(cluster_name="c", kubernetes_version="1.35", region="us-east-1", account_id="1",
                          vpc_id="v", oidc_provider_arn="a", oidc_issuer="i", kubernetes_provider=None,  # type: ignore[arg-type]
                          target_group_arns=[], render_group="system:masters")  # fmt: skip
