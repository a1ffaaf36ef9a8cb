"""The pack as the Pulumi CLI meets it: policies/__main__.py starts the analyzer, and the engine's
gRPC calls (GetAnalyzerInfo, Analyze, AnalyzeStack) reach the rules through pulumi-policy itself."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policies.rules import ALL_RULES
from tests.analyzer import running_analyzer


@pytest.fixture(scope="module")
def analyzer() -> Iterator[Any]:
    with running_analyzer() as stub:
        yield stub


def _struct(values: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(values)
    return struct


def _resource(type_token: str, name: str, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": type_token, "urn": f"urn:pulumi:prod::fintech-platform::{type_token}::{name}", "name": name,
            "properties": _struct(props)}  # fmt: skip


def test_the_analyzer_lists_every_rule_with_its_metadata(analyzer: Any) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    policies = {policy.name: policy for policy in info.policies}
    assert set(policies) == {rule.name for rule in ALL_RULES} | {"waiver-register", "waivers-in-force"}
    aurora = policies["aurora-storage-encrypted-cmk"]
    assert aurora.framework.name == "PCI DSS" and aurora.framework.version == "4.0.1"
    assert aurora.framework.reference == "3.5.1"
    assert aurora.remediation_steps.startswith("Set storageEncrypted=true")
    assert aurora.enforcementLevel == analyzer_pb2.MANDATORY
    assert aurora.severity == analyzer_pb2.POLICY_SEVERITY_CRITICAL
    assert list(policies["log-retention"].configSchema.properties.fields) == ["minDays"]
    assert policies["instance-classes-in-tier"].enforcementLevel == analyzer_pb2.ADVISORY
    assert policies["waivers-in-force"].enforcementLevel == analyzer_pb2.ADVISORY
    assert policies["waiver-register"].enforcementLevel == analyzer_pb2.MANDATORY


def test_a_violation_travels_back_as_a_mandatory_diagnostic(analyzer: Any) -> None:
    request = analyzer_pb2.AnalyzeRequest(**_resource("aws:rds/cluster:Cluster", "db", {"storageEncrypted": False}))
    diagnostics = {d.policyName: d for d in analyzer.Analyze(request).diagnostics}
    assert "aurora-storage-encrypted-cmk" in diagnostics
    assert diagnostics["aurora-storage-encrypted-cmk"].enforcementLevel == analyzer_pb2.MANDATORY
    assert "storage is not encrypted" in diagnostics["aurora-storage-encrypted-cmk"].message


def test_an_unknown_value_in_a_preview_is_reported_not_passed(analyzer: Any) -> None:
    props = {"storageEncrypted": True, "kmsKeyId": UNKNOWN_STRING_VALUE}
    request = analyzer_pb2.AnalyzeRequest(**_resource("aws:rds/cluster:Cluster", "db", props))
    diagnostics = {d.policyName: d for d in analyzer.Analyze(request).diagnostics}
    unknown = diagnostics["aurora-storage-encrypted-cmk"]
    assert "can't run policy" in unknown.message and unknown.enforcementLevel == analyzer_pb2.ADVISORY


def test_a_stack_rule_sees_the_whole_stack(analyzer: Any) -> None:
    alb = analyzer_pb2.AnalyzerResource(**_resource("aws:lb/loadBalancer:LoadBalancer", "alb", {"internal": False}))
    response = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[alb]))
    assert "alb-has-waf" in {d.policyName for d in response.diagnostics}
