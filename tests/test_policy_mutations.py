"""The pack guards every hardened setting: each security-relevant setting of every stack (dev, prod and its standby
prod-dr), found by walking the offline plan, is weakened alone and a mandatory rule must fail (see
tests/mutations.py)."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from offline.engine import OfflineRun
from tests.conftest import offline_run
from tests.mutations import (
    ALLOWLIST,
    EKS_CHILD,
    STACKS,
    Outcome,
    Setting,
    audit_mutations,
    mandatory_failures,
    policy_config,
    settings_and_mutations,
    with_eks_child_shape,
)

_cache: dict[str, tuple[list[Setting], list[Outcome]]] = {}


def _audit() -> tuple[list[Setting], list[Outcome]]:
    if "all" not in _cache:
        _cache["all"] = audit_mutations({stack: offline_run(stack) for stack in STACKS})
    return _cache["all"]


@pytest.mark.parametrize("stack", STACKS)
def test_both_shapes_of_each_stack_pass_before_any_mutation(stack: str) -> None:
    run = offline_run(stack)
    assert mandatory_failures(run, policy_config(stack)) == []
    child_shaped = with_eks_child_shape(run)
    assert [r.type for r in child_shaped.resources].count(EKS_CHILD) == 1
    assert mandatory_failures(child_shaped, policy_config(stack)) == []


def test_every_weakening_of_a_hardened_setting_fails_a_mandatory_rule() -> None:
    settings, outcomes = _audit()
    survivors = [f"{o.mutation.setting} ({o.mutation.weakening})" for o in outcomes if not o.killed]
    assert survivors == [], "settings no rule guards (add a rule, or an ALLOWLIST entry with the reason):\n" + (
        "\n".join(survivors)
    )
    assert len(outcomes) >= 60
    kinds = Counter(o.mutation.setting.kind for o in outcomes)
    assert {"encryption", "exposure", "identity", "logging", "retention", "recovery", "versions", "registry",
            "edge", "waf", "downgrade", "database-parameters", "replication", "rotation"} <= set(kinds)  # fmt: skip
    stacks = Counter(o.mutation.setting.stack for o in outcomes)
    assert stacks["dev"] >= 60 and stacks["prod"] >= 60 and stacks["prod-dr"] >= 60
    # the cluster is weakened in both shapes a stack takes
    assert {o.mutation.setting.type for o in outcomes if o.mutation.setting.name == "version"} == {
        "eks:index:Cluster",
        EKS_CHILD,
    }
    assert len(settings) >= len({(o.mutation.setting.stack, o.mutation.setting.urn, o.mutation.setting.path)
                                 for o in outcomes})  # fmt: skip


def test_the_named_weakenings_of_the_issue_are_among_the_mutations() -> None:
    _, outcomes = _audit()
    names = {(o.mutation.setting.type.split(":")[-1], o.mutation.setting.name) for o in outcomes}
    assert {("LoadBalancer", "dropInvalidHeaderFields"), ("LoadBalancer", "desyncMitigationMode"),
            ("SecurityGroupIngressRule", "securityGroupId"), ("Repository", "imageTagMutability"),
            ("Repository", "imageScanningConfiguration.scanOnPush"), ("Cluster", "version"),
            ("Key", "policy"), ("User", "accessString")} <= names  # fmt: skip


def test_the_region_pair_settings_are_weakened_and_caught() -> None:
    """Issue 14: the global database, the secret replicas, registry replication and DNS failover of both stacks."""
    _, outcomes = _audit()
    caught = {(o.mutation.setting.stack, o.mutation.setting.type.split(":")[-1], o.mutation.setting.name,
               o.mutation.weakening): o.failed_rules for o in outcomes}  # fmt: skip
    expected = {
        ("prod", "GlobalCluster", "storageEncrypted", "flipped to false"): "aurora-global-encrypted",
        ("prod", "GlobalCluster", "deletionProtection", "flipped to false"): "deletion-protection",
        ("prod", "Secret", "replicas.kmsKeyId", "key removed"): "secret-replicas-cmk",
        ("prod", "Secret", "replicas.region", "replica removed"): "region-pair-replication",
        ("prod", "ReplicationConfiguration", "replicationConfiguration.rules.destinations.registryId",
         "replicated to another account"): "region-pair-replication",
        ("prod", "Record", "healthCheckId", "failover health check removed"): "region-pair-replication",
        ("prod", "Record", "failoverRoutingPolicies.type", "failover role SECONDARY"): "region-pair-replication",
        ("prod-dr", "Cluster", "globalClusterIdentifier", "left the global database"): "region-pair-replication",
        ("prod-dr", "Cluster", "kmsKeyId", "key removed"): "aurora-global-encrypted",
        ("prod-dr", "Record", "failoverRoutingPolicies.type", "failover role PRIMARY"): "region-pair-replication",
        ("prod-dr", "Record", "healthCheckId", "failover health check removed"): "region-pair-replication",
    }  # fmt: skip
    for mutation, rule in expected.items():
        assert rule in caught[mutation], (mutation, caught[mutation])


def test_the_region_switch_plan_is_weakened_and_caught() -> None:
    """Issue 24: the plan of both regions, its execution role, its objective, a workflow each and its reports."""
    _, outcomes = _audit()
    caught = {(o.mutation.setting.stack, o.mutation.setting.type.split(":")[-1], o.mutation.weakening): o.failed_rules
              for o in outcomes if o.mutation.setting.type == "aws:arcregionswitch/plan:Plan"}  # fmt: skip
    expected = {
        ("prod", "Plan", "RTO raised to 60 min"): "region-switch-rto",
        ("prod", "Plan", "execution role removed"): "region-switch-execution-role",
        ("prod", "Plan", "region us-west-2 removed"): "region-switch-plan-regions",
        ("prod", "Plan", "workflow activating us-east-1 removed"): "region-switch-plan-regions",
        ("prod", "Plan", "execution reports removed"): "region-switch-reports-encrypted",
    }  # fmt: skip
    for mutation, rule in expected.items():
        assert rule in caught[mutation], (mutation, caught.get(mutation))


def test_x_ray_encryption_is_weakened_and_caught_on_every_stack() -> None:
    """Issue 18: X-Ray's setting back to its default key, to the AWS managed key, or without a key."""
    _, outcomes = _audit()
    caught = {(o.mutation.setting.stack, o.mutation.setting.name, o.mutation.weakening): o.failed_rules
              for o in outcomes if o.mutation.setting.type == "aws:xray/encryptionConfig:EncryptionConfig"}  # fmt: skip
    expected = {(stack, name, weakening) for stack in STACKS
                for name, weakening in [("type", "X-Ray default encryption"), ("keyId", "key removed"),
                                        ("keyId", "AWS managed key")]}  # fmt: skip
    assert set(caught) == expected
    assert all("trace-export-encrypted" in rules for rules in caught.values()), caught


def test_every_allowlist_entry_names_a_setting_the_program_has() -> None:
    settings, outcomes = _audit()
    present = {(s.type, s.name) for s in settings}
    assert set(ALLOWLIST) <= present, set(ALLOWLIST) - present
    mutated = {(o.mutation.setting.type, o.mutation.setting.name) for o in outcomes}
    assert not set(ALLOWLIST) & mutated
    assert all(len(reason) > 40 for reason in ALLOWLIST.values())


def test_a_security_setting_added_without_a_rule_is_reported(prod_run: OfflineRun) -> None:
    """An encryption flag on a resource no rule looks at (a VPC endpoint) survives its weakening."""
    endpoint = next(r for r in prod_run.resources if r.type == "aws:ec2/vpcEndpoint:VpcEndpoint")
    added = dataclasses.replace(endpoint, inputs={**endpoint.inputs, "encryptionEnabled": True})
    run = dataclasses.replace(prod_run, resources=[added if r is endpoint else r for r in prod_run.resources])
    _, mutations = settings_and_mutations(run, "prod")
    new = [m for m in mutations if m.setting.urn == endpoint.urn and m.setting.name == "encryptionEnabled"]
    assert len(new) == 1
    index = run.resources.index(added)
    resources = list(run.resources)
    resources[index] = new[0].registration
    assert mandatory_failures(dataclasses.replace(run, resources=resources), policy_config("prod")) == []


def test_internet_ingress_moved_off_the_load_balancer_group_is_caught(prod_run: OfflineRun) -> None:
    _, outcomes = _audit()
    moved = [o for o in outcomes if o.mutation.weakening.startswith("moved onto")]
    assert moved and all(o.failed_rules == ["internet-ports-only-on-alb"] for o in moved)
    assert {o.mutation.setting.stack for o in moved} == set(STACKS)
