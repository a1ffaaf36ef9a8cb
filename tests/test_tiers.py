"""Issue 21: the prod tier on production classes, a budget per stack, one meaning of "budget" in the plan, the cost
report, the PR diff and the CI gate, and docs/tiers.md generated from the code."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from offline.audit import evaluate, load_policy_config
from offline.diff import cost_delta
from offline.engine import PROJECT_DIR, known_stacks
from offline.plan import cost_summary, plan_stack, render_text, summarize
from policies.rules.cost import PROD_CLASSES
from pricing import report as report_command
from pricing.levers import LEVERS, cache_type, price_levers
from pricing.model import CostReport, load_prices, price_plan
from pricing.tier_report import DOC, STACKS, StackCost, blocks, read_blocks, stack_settings
from stacks.capacity import ALLOCATABLE
from stacks.tier_checks import below_tier, class_choices, is_burstable, recommended_min_acu
from stacks.tiers import (
    AURORA_CLASS_MEMORY_GIB,
    AURORA_MIN_ACU_GLOBAL_PRIMARY,
    AURORA_MIN_ACU_PERFORMANCE_INSIGHTS,
    PRODUCTION_CLASSES,
    STANDBY_SIZES,
    TIER_PRESETS,
)
from tests.conftest import offline_run

TABLE = load_prices()
R7G_CACHE = {"fintech-platform:cacheNodeType": "cache.r7g.large"}
"""The issue's example: a prod-tier cache on cache.r7g.large must get the same verdict in the plan and the report."""
PREFIXES = {"nodes": "ec2:", "cache": "elasticache:valkey:", "brokers": "msk:", "aurora": "rds:"}


def _shown(value: Any) -> str:
    """A config value as a person writes it (0.5, 8, true, t4g.medium)."""
    return f"{value:g}" if isinstance(value, float) else str(value).lower() if isinstance(value, bool) else str(value)


def _priced(stack: str) -> tuple[dict[str, Any], CostReport]:
    plan = summarize(offline_run(stack))
    return plan, price_plan(plan, TABLE)


def test_prod_tier_runs_production_classes_and_dev_stays_small() -> None:
    prod, dev = TIER_PRESETS["prod"], TIER_PRESETS["dev"]
    for choice in class_choices(stack_settings("prod")):
        assert choice.value in PRODUCTION_CLASSES[choice.service] and not is_burstable(choice.value), choice
    for service, classes in PRODUCTION_CLASSES.items():
        assert not [c for c in classes if is_burstable(c)], service
        assert all(c == "db.serverless" or f"{PREFIXES[service]}{c}" in TABLE.prices for c in classes), service
    assert set(PRODUCTION_CLASSES["nodes"]) <= set(ALLOCATABLE)
    # dev: burstable and Serverless v2 from 0.5 ACU, within 400
    assert all(is_burstable(c) for c in (dev.node_instance_type, dev.cache_node_type, dev.kafka_broker_type))
    assert (dev.aurora_instance_class, dev.aurora_min_acu, dev.monthly_budget_usd) == ("db.serverless", 0.5, 400)
    assert prod.monthly_budget_usd == 1800


def test_prod_aurora_is_at_or_above_awss_recommended_minimum() -> None:
    """8 ACUs for a global database's primary Region, 2 with Performance Insights (stacks/tiers.py cites the page);
    a provisioned class holds memory/2 ACUs all the time."""
    prod = stack_settings("prod")
    floor, role = recommended_min_acu(prod)
    assert (floor, role) == (AURORA_MIN_ACU_GLOBAL_PRIMARY, "the primary Region of an Aurora global database")
    assert prod.aurora_min_acu >= max(AURORA_MIN_ACU_GLOBAL_PRIMARY, AURORA_MIN_ACU_PERFORMANCE_INSIGHTS)
    assert AURORA_CLASS_MEMORY_GIB[prod.aurora_instance_class] / 2 >= floor
    assert recommended_min_acu(stack_settings("prod-dr"))[0] == AURORA_MIN_ACU_PERFORMANCE_INSIGHTS
    instances = offline_run("prod").of_type("aws:rds/clusterInstance:ClusterInstance")
    assert {i.inputs["instanceClass"] for i in instances} == {"db.r6g.large"}
    assert all(i.inputs["performanceInsightsEnabled"] for i in instances)


@pytest.mark.parametrize(
    ("stack", "changes", "expected"),
    [
        ("prod", {}, []),
        ("dev", {}, []),
        ("prod", {"cache_node_type": "cache.t4g.small"}, ["cacheNodeType = cache.t4g.small is a burstable class"]),
        ("prod", {"aurora_instance_class": "db.serverless", "aurora_min_acu": 2.0},
         ["auroraMinAcu = 2 is below the 8 ACUs AWS recommends for the primary Region of an Aurora global database"]),
        ("prod", {"aurora_instance_class": "db.t4g.large"}, ["auroraInstanceClass = db.t4g.large is a burstable"]),
        ("prod-dr", {"aurora_min_acu": 2.0, "node_instance_type": "c7g.large"},
         ["cacheNodeType = cache.t4g.micro", "kafkaBrokerType = kafka.t3.small"]),
    ],
)  # fmt: skip
def test_a_production_tier_below_its_classes_is_warned(
    stack: str, changes: dict[str, Any], expected: list[str]
) -> None:
    config = stack_settings(stack).model_copy(update=changes)
    warnings = below_tier(config)
    assert len(warnings) == len(expected)
    for warning, fragment in zip(warnings, expected, strict=True):
        assert fragment in warning


def test_the_program_warns_and_the_pack_flags_the_same_classes() -> None:
    """pulumi.log.warn (stacks/tier_checks.py) and the advisory rule instance-classes-in-tier agree on every stack."""
    assert sorted(PROD_CLASSES) == sorted(c for classes in PRODUCTION_CLASSES.values() for c in classes)
    for stack in STACKS:
        run = offline_run(stack)
        config = stack_settings(stack)
        warned = {c.value for c in class_choices(config) if any(f"{c.key} = {c.value} " in w for w in run.warnings)}
        policy = load_policy_config(PROJECT_DIR / "policies" / "config" / f"{stack}.json")
        (rule,) = [r for r in evaluate(run, policy) if r.name == "instance-classes-in-tier"]
        flagged = {c for v in rule.violations for c in re.findall(r"'([^']+)'", v["message"].split(" are outside")[0])}
        assert warned == flagged, stack
        assert (rule.status == "fail") is bool(warned) and rule.enforcement == "advisory"
    assert {c.value for c in class_choices(stack_settings("prod-dr")) if is_burstable(c.value)} == {
        "t4g.medium", "cache.t4g.micro", "kafka.t3.small"}  # fmt: skip
    assert any("auroraMinAcu = 0.5 is below the 2 ACUs" in w for w in offline_run("prod-dr").warnings)


def test_the_standby_differs_from_its_tier_only_by_relaxed_rules_and_explained_sizes() -> None:
    from pricing.tier_report import standby_table

    standby = stack_settings("prod-dr")
    assert standby.tier == "prod" and standby.standby_for == "prod"
    standby_table(standby)  # raises on a difference neither STANDBY_RELAXED nor STANDBY_SIZES explains
    values = standby.model_dump(by_alias=True)
    for key, why in STANDBY_SIZES.items():
        assert why.startswith(f"{_shown(values[key])}: "), (key, values[key])
    assert standby.monthly_budget_usd <= 0.3 * TIER_PRESETS["prod"].monthly_budget_usd


@pytest.fixture(scope="module")
def r7g_plans() -> dict[str, tuple[dict[str, Any], CostReport]]:
    """dev and prod planned by the plan command's own function with cacheNodeType=cache.r7g.large."""
    return {stack: plan_stack(stack, R7G_CACHE, TABLE) for stack in ("dev", "prod")}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_plan_report_diff_and_gate_give_one_verdict(
    stack: str,
    r7g_plans: dict[str, tuple[dict[str, Any], CostReport]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The issue's example: with cacheNodeType=cache.r7g.large the plan said "within budget" while the report's
    --check said over. Now the plan, the report, the diff and the gate read one verdict (budget_verdict)."""
    plan, cost = r7g_plans[stack]
    verdict = cost.verdict
    assert verdict is not None and verdict.budget == TIER_PRESETS[stack].monthly_budget_usd  # type: ignore[index]
    if stack == "dev":  # the larger cache raises dev's baseline: the case where plan and report used to disagree
        assert verdict.over and verdict.baseline > _priced("dev")[1].baseline
    # offline.plan: its summary line and its JSON
    assert verdict.line() in render_text(plan, cost)
    assert cost_summary(cost)["overBudget"] is verdict.over and cost_summary(cost)["verdict"] == verdict.document()
    # pricing.report --check, in-process; its --config must reach the program as the plan's did (the run is shared:
    # both commands call offline.plan.plan_stack, so a second run would only repeat it)
    calls: list[tuple[str, dict[str, Any]]] = []

    def shared(name: str, overrides: dict[str, Any], table: Any) -> tuple[dict[str, Any], CostReport]:
        calls.append((name, overrides))
        return r7g_plans[name] if name == stack and overrides == R7G_CACHE else _priced(name)

    monkeypatch.setattr(report_command, "plan_stack", shared)
    status = report_command.main([stack, "--check", "--format", "json", "--config", "cacheNodeType=cache.r7g.large"])
    document = json.loads(capsys.readouterr().out)
    assert calls[0] == (stack, R7G_CACHE) and calls[1:] == ([("prod-dr", {})] if stack == "prod" else [])
    assert status == (1 if verdict.over else 0)
    assert document["verdict"] == verdict.document() and document["overBudget"] is verdict.over
    # offline.diff: the PR's cost delta against the stack as it is
    delta = cost_delta(_priced(stack)[0], plan)
    assert (delta["baselineAfter"], delta["overBudget"], delta["verdict"]) == (
        verdict.baseline, verdict.over, verdict.document())  # fmt: skip


def test_the_ci_gate_runs_the_reports_check_on_every_stack() -> None:
    workflow = yaml.safe_load((PROJECT_DIR / ".github/workflows/pull-request.yml").read_text())
    (gate,) = [s for s in workflow["jobs"]["report"]["steps"] if "over budget" in s.get("name", "")]
    script = gate["run"]
    loop = next(line for line in script.splitlines() if line.strip().startswith("for stack in"))
    assert loop.split(" in ", 1)[1].rstrip("; do").split() == known_stacks() == list(STACKS)
    assert '.venv/bin/python -m pricing.report "$stack" --check' in script


def test_a_levers_copy_of_the_plan_prices_as_a_real_run_of_that_config(
    r7g_plans: dict[str, tuple[dict[str, Any], CostReport]],
) -> None:
    plan, _ = _priced("prod")
    variant = json.loads(json.dumps(plan))
    cache_type("cache.r7g.large")(variant)
    assert price_plan(variant, TABLE).baseline == r7g_plans["prod"][1].baseline
    (cache_lever,) = [p for p in price_levers(plan, TABLE, LEVERS["prod"]) if p.lever.name.startswith("Cache")]
    assert cache_lever.saving == round(r7g_plans["prod"][1].baseline - _priced("prod")[1].baseline, 2)


def test_docs_tiers_md_is_what_the_code_generates() -> None:
    """Regenerate with `python -m pricing.tier_report --write` when presets, stack files or prices change."""
    costs = {stack: StackCost(stack_settings(stack), *_priced(stack)) for stack in STACKS}
    generated = blocks(costs, TABLE)
    assert read_blocks(Path(DOC).read_text(), list(generated)) == generated
