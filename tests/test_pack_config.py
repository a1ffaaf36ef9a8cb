"""The policy pack config is checked as CrossGuard checks it, and stricter: offline and in the real analyzer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2

from offline.audit import evaluate, summary
from offline.engine import PROJECT_DIR, OfflineRun
from policies.pack_config import (
    ENFORCEMENT_LEVELS,
    PolicyConfigError,
    check_pack_config,
    parse_pack_config,
    schema_errors,
)
from policies.rules import ALL_RULES
from tests.analyzer import running_analyzer

RULES = {rule.name: rule for rule in ALL_RULES}
DEV = json.loads((PROJECT_DIR / "policies" / "config" / "dev.json").read_text())


def test_the_levels_are_those_of_pulumi_policy() -> None:
    assert ENFORCEMENT_LEVELS == ("advisory", "mandatory", "remediate", "disabled")


@pytest.mark.parametrize("rule", [r for r in ALL_RULES if r.config], ids=lambda r: r.name)
def test_every_rule_schema_is_implemented_and_its_defaults_are_valid(rule: Any) -> None:
    """A schema keyword the validator does not implement would be ignored: it raises instead."""
    for name, schema in rule.config.items():
        assert "default" in schema and "type" in schema, name
        assert schema_errors(schema, schema["default"], name) == []


def test_an_unimplemented_schema_keyword_is_refused() -> None:
    with pytest.raises(PolicyConfigError, match="uses format"):
        schema_errors({"type": "string", "format": "email"}, "x", "owner")


@pytest.mark.parametrize("stack", ["dev", "prod", "prod-dr"])
def test_the_committed_configs_are_valid(stack: str) -> None:
    path = PROJECT_DIR / "policies" / "config" / f"{stack}.json"
    config = parse_pack_config(path.read_text(), ALL_RULES, str(path))
    assert set(config.properties) == set(json.loads(path.read_text()))


def test_empty_content_is_no_config_as_in_the_cli() -> None:
    assert parse_pack_config("  \n", ALL_RULES).levels == {}


def test_all_sets_every_level_and_a_rule_entry_wins() -> None:
    config = check_pack_config({"all": {"enforcementLevel": "advisory"}, "log-retention": "mandatory"}, ALL_RULES)
    assert config.level(RULES["log-retention"]) == "mandatory"
    assert config.level(RULES["nat-per-az"]) == "advisory"
    assert config.level(RULES["alb-has-waf"]) == "advisory"


def test_every_problem_is_listed_at_once() -> None:
    document = {"log-retention": {"minDays": "x", "minDay": 1}, "nat-per-az": "mandtory", "no-such-rule": "advisory"}
    with pytest.raises(PolicyConfigError) as raised:
        check_pack_config(document, ALL_RULES, "policies/config/dev.json")
    message = str(raised.value)
    assert message.startswith("policies/config/dev.json is invalid:")
    for fragment in ('log-retention.minDays = "x": must be an integer', "log-retention.minDay: is not a property",
                     "nat-per-az: enforcement level 'mandtory'", "'no-such-rule' is not a rule"):  # fmt: skip
        assert fragment in message


def test_a_misspelt_level_no_longer_turns_a_mandatory_violation_into_a_pass(dev_run: OfflineRun) -> None:
    """The defect: `mandtory` was taken as a level, counted as advisory, and the audit passed."""
    with pytest.raises(PolicyConfigError, match="'mandtory' is not one of advisory, mandatory, remediate, disabled"):
        evaluate(dev_run, {**DEV, "log-retention": {"enforcementLevel": "mandtory", "minDays": 400}})
    blocked = evaluate(dev_run, {**DEV, "log-retention": {"enforcementLevel": "mandatory", "minDays": 400}})
    assert summary(blocked)["mandatoryViolations"] == 1


def test_remediate_blocks_like_mandatory(dev_run: OfflineRun) -> None:
    results = evaluate(dev_run, {**DEV, "log-retention": {"enforcementLevel": "remediate", "minDays": 400}})
    assert summary(results)["mandatoryViolations"] == 1
    assert (
        summary(evaluate(dev_run, {**DEV, "log-retention": {"enforcementLevel": "advisory", "minDays": 400}}))[
            "mandatoryViolations"
        ]
        == 0
    )


# --- the real analyzer: what the Pulumi CLI hands over after its own schema check ----------------------------------


@pytest.fixture
def analyzer() -> Iterator[Any]:
    """A fresh analyzer per test: Configure changes its state."""
    with running_analyzer() as stub:
        yield stub


def _configure(analyzer: Any, config: dict[str, dict[str, Any]]) -> None:
    """What the CLI sends: schema defaults with the file's properties applied (ReconcilePolicyPackConfig)."""
    policy_config = {}
    for rule in ALL_RULES:
        properties = struct_pb2.Struct()
        properties.update({**rule.defaults(), **config.get(rule.name, {})})
        policy_config[rule.name] = analyzer_pb2.PolicyConfig(enforcementLevel=analyzer_pb2.MANDATORY,
                                                             properties=properties)  # fmt: skip
    analyzer.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=policy_config))


def _log_group(retention: int) -> Any:
    props = struct_pb2.Struct()
    props.update({"retentionInDays": retention, "kmsKeyId": "arn:aws:kms:us-east-1:111122223333:key/k"})
    token = "aws:cloudwatch/logGroup:LogGroup"
    return analyzer_pb2.AnalyzeRequest(type=token, urn=f"urn:pulumi:prod::fintech-platform::{token}::logs",
                                       name="logs", properties=props)  # fmt: skip


def test_the_analyzer_refuses_a_property_the_rule_does_not_declare(analyzer: Any) -> None:
    """The CLI's schema has no additionalProperties: false, so `minDay` would reach the rule and be ignored."""
    _configure(analyzer, {"log-retention": {"minDay": 400}})
    with pytest.raises(grpc.RpcError) as raised:
        analyzer.Analyze(_log_group(30))
    assert "log-retention.minDay: is not a property of this rule (did you mean 'minDays'?)" in str(raised.value)


def test_the_analyzer_refuses_properties_for_a_rule_without_config(analyzer: Any) -> None:
    _configure(analyzer, {"aurora-storage-encrypted-cmk": {"required": False}})
    props = struct_pb2.Struct()
    props.update({"storageEncrypted": True})
    token = "aws:rds/cluster:Cluster"
    request = analyzer_pb2.AnalyzeRequest(type=token, name="db", properties=props,
                                          urn=f"urn:pulumi:prod::fintech-platform::{token}::db")  # fmt: skip
    with pytest.raises(grpc.RpcError) as raised:
        analyzer.Analyze(request)
    assert "aurora-storage-encrypted-cmk: takes no properties, got 'required'" in str(raised.value)


def test_the_analyzer_applies_a_valid_config(analyzer: Any) -> None:
    _configure(analyzer, {"log-retention": {"minDays": 30}})
    assert "log-retention" not in {d.policyName for d in analyzer.Analyze(_log_group(30)).diagnostics}
    _configure(analyzer, {"log-retention": {"minDays": 400}})
    assert "log-retention" in {d.policyName for d in analyzer.Analyze(_log_group(30)).diagnostics}
