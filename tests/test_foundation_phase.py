"""Bootstrap of a new stack: the foundation phase needs no Kubernetes API, and keeps the in-VPC deploy path.

A brand-new stack is brought up with `deployPhase=foundation` from anywhere with AWS credentials (the brief's
contract; the key and the gating of the Kubernetes layer are engineer h2's), then `complete` runs from the
CodeBuild runner inside the VPC, which the foundation phase must therefore already create.
"""

from __future__ import annotations

import pytest

from offline.engine import OfflineRun, run_stack
from stacks.config import config_keys
from tests.helpers import one

CLUSTER = "eks:index:Cluster"


def test_the_cluster_component_asks_for_no_kubernetes_object(stack_run: OfflineRun) -> None:
    """pulumi-eks 4.4 registers Kubernetes objects only for the aws-auth ConfigMap (CONFIG_MAP modes), storage
    classes (when `storageClasses` is given) and the VPC CNI manifest (`useDefaultVpcCni: false`); its
    kubernetes.Provider calls nothing by itself (nodejs/eks/cluster/cluster.ts, createCore). None is asked for."""
    inputs = one(stack_run, CLUSTER).inputs
    assert inputs["authenticationMode"] == "API"
    assert "storageClasses" not in inputs
    assert inputs["useDefaultVpcCni"] is True
    assert inputs["skipDefaultNodeGroup"] is True
    assert inputs["corednsAddonOptions"]["enabled"] is False
    assert inputs["kubeProxyAddonOptions"]["enabled"] is False
    assert "roleMappings" not in inputs and "userMappings" not in inputs


@pytest.mark.skipif(
    "deployPhase" not in config_keys(),
    reason="written against the brief's deployPhase contract; the key (engineer h2) is not merged yet",
)
@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_foundation_plans_without_kubernetes_resources_and_with_the_runner(stack: str) -> None:
    run = run_stack(stack, {"fintech-platform:deployPhase": "foundation"})
    assert run.error is None, run.error
    assert [r.name for r in run.resources if r.type.startswith("kubernetes:")] == []
    # What the complete phase needs from inside the VPC is already there after the foundation.
    assert len(run.of_type("aws:eks/nodeGroup:NodeGroup")) == 3
    assert one(run, "aws:codebuild/project:Project").inputs["vpcConfig"]["subnets"]
    one(run, "aws:codebuild/webhook:Webhook")
    entries = one(run, CLUSTER).inputs["accessEntries"]
    assert {"ci-deploy", "ci-preview"} <= set(entries)
    assert len(run.of_type("aws:ecr/repository:Repository")) == 3
