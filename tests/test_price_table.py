"""The price table and usage assumptions are checked: non-negative prices, every row the model reads, types."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from pricing.model import (
    DATA_DIR,
    OWN_LOG_USAGE,
    REQUIRED_PRICES,
    REQUIRED_USAGE,
    Price,
    PriceTable,
    PricingError,
    load_prices,
    price_plan,
)

MODEL = Path(__file__).resolve().parent.parent / "pricing" / "model.py"


TREE = ast.parse(MODEL.read_text())


def _first_arguments(call_of: Any) -> set[str]:
    """The literal first argument of each call in pricing/model.py that `call_of(func)` selects."""
    return {
        str(node.args[0].value)
        for node in ast.walk(TREE)
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) and call_of(node.func)
    }


def _table_method(func: ast.expr) -> bool:  # c.table.get("..."), c.table.hourly("...")
    return (
        isinstance(func, ast.Attribute)
        and func.attr in ("get", "hourly")
        and getattr(func.value, "attr", "") == "table"
    )


def _named(*names: str) -> Any:
    return lambda func: isinstance(func, ast.Name) and func.id in names


def test_the_required_rows_are_exactly_the_rows_the_model_reads_by_name() -> None:
    chosen = {  # key = "a" if ... else "b", then c.table.hourly(key)
        branch.value
        for node in ast.walk(TREE)
        if isinstance(node, ast.IfExp)
        for branch in (node.body, node.orelse)
        if isinstance(branch, ast.Constant) and isinstance(branch.value, str)
    }
    named = _first_arguments(_table_method) | _first_arguments(_named("_per_unit", "_usage_share", "_first_band"))
    assert set(REQUIRED_PRICES) == named | (chosen & set(load_prices().prices))


def test_the_required_usage_is_exactly_what_the_model_reads() -> None:
    shares = _first_arguments(lambda func: isinstance(func, ast.Attribute) and func.attr == "share")
    usage_share = {str(node.args[1].value) for node in ast.walk(TREE)
                   if isinstance(node, ast.Call) and _named("_usage_share", "_first_band")(node.func)
                   and isinstance(node.args[1], ast.Constant)}  # fmt: skip
    subscripts = {
        node.slice.value
        for node in ast.walk(TREE)
        if isinstance(node, ast.Subscript) and getattr(node.value, "attr", "") == "usage"
        and isinstance(node.slice, ast.Constant)
    }  # fmt: skip
    paired = {  # ("trail_bucket_gb", "CloudTrail log storage"): a usage key chosen by a tag, read with .get
        str(first.value)
        for node in ast.walk(TREE)
        if isinstance(node, ast.Tuple) and len(node.elts) == 2
        for first, second in [node.elts]
        if isinstance(first, ast.Constant) and isinstance(second, ast.Constant) and isinstance(second.value, str)
    }  # fmt: skip
    declared = set(load_prices().usage["dev"])
    own_logs = set(OWN_LOG_USAGE.values())  # read as c.usage[own] through this mapping
    assert set(REQUIRED_USAGE) == shares | usage_share | subscripts | (paired & declared) | own_logs


def test_the_project_table_loads_with_every_source_kept_whole() -> None:
    """Two rows had an unquoted comma in a flow mapping: YAML cut their source and added a null field."""
    table = load_prices()
    assert table.region == "us-east-1" and table.hours == 730
    assert table.prices["cloudwatch_alarm"].source == "CloudWatch list price, standard resolution (not in reference)"
    assert table.prices["logs_ingestion"].source.endswith("(VPC flow logs to CloudWatch same, AWS Price List Oct 2025)")
    assert set(table.usage) == {"dev", "prod", "standby"}
    # prod-dr's region is priced with these rows only with a reason that says it is not verified
    assert set(table.stand_in_regions) == {"us-west-2"}
    assert table.stand_in_regions["us-west-2"].startswith("UNVERIFIED - the reference")
    for key in ("aurora_replicated_write_io", "route53_health_check", "route53_health_check_feature"):
        assert table.prices[key].source.endswith("not in reference)")


def _broken(tmp_path: Path, file: str, change: Any) -> Path:
    for name in ("prices.yaml", "usage.yaml"):
        shutil.copy(DATA_DIR / name, tmp_path / name)
    document = yaml.safe_load((tmp_path / file).read_text())
    change(document)
    (tmp_path / file).write_text(yaml.safe_dump(document))
    return tmp_path


@pytest.mark.parametrize(
    ("file", "change", "message"),
    [
        ("prices.yaml", lambda d: d["prices"]["alb"].update(price=-1), "row 'alb': price -1 is not a number >= 0"),
        ("prices.yaml", lambda d: d["prices"]["alb"].update(price=float("nan")), "row 'alb': price nan"),
        ("prices.yaml", lambda d: d["prices"]["alb"].update(price=True), "row 'alb': price True"),
        ("prices.yaml", lambda d: d["prices"].pop("kms_key"), "lacks the row(s) kms_key"),
        ("prices.yaml", lambda d: d["prices"]["alb"].pop("source"), "row 'alb' lacks source"),
        ("prices.yaml", lambda d: d["prices"]["alb"].update(source=" "), "row 'alb': source ' ' must be a non-empty"),
        ("prices.yaml", lambda d: d["prices"].update({"ec2:x": [1]}), "row 'ec2:x' is list"),
        ("prices.yaml", lambda d: d.update(hours_per_month="730h"), "hours_per_month '730h'"),
        ("usage.yaml", lambda d: d["dev"].update(extra={"value": 1, "note": "x"}), "unknown assumption 'extra'"),
        ("usage.yaml", lambda d: d["dev"]["alb_lcu"].pop("note"), "alb_lcu must be {value: <number >= 0>, note"),
        ("usage.yaml", lambda d: d.update(dev=[]), "tier 'dev' is list"),
        ("usage.yaml", lambda d: d["standby"].pop("ecr_replication_gb"), "tier 'standby' lacks ecr_replication_gb"),
        ("prices.yaml", lambda d: d.update(stand_in_regions={"us-west-2": " "}), "stand_in_regions {'us-west-2': ' '}"),
        ("prices.yaml", lambda d: d.update(stand_in_regions={"us-east-1": "x"}), "must map each other region"),
        ("prices.yaml", lambda d: d.update(stand_in_regions=["us-west-2"]), "stand_in_regions ['us-west-2']"),
    ],
)
def test_a_broken_table_is_refused_naming_the_row(tmp_path: Path, file: str, change: Any, message: str) -> None:
    with pytest.raises(PricingError) as raised:
        load_prices(_broken(tmp_path, file, change))
    assert message in str(raised.value)


def test_a_tier_without_assumptions_is_refused_when_priced(tmp_path: Path) -> None:
    table = load_prices(_broken(tmp_path, "usage.yaml", lambda d: d.pop("prod")))
    with pytest.raises(PricingError, match="no usage assumptions for tier 'prod'; tiers: dev"):
        price_plan({"stack": "prod", "tier": "prod", "components": [], "outputs": {}}, table)


TABLE = PriceTable(prices={"msk:kafka.t3.small": Price(0.05, "h", "s", "2026-01-01"),
                           "msk:kafka.m7g.large": Price(0.2, "h", "s", "2026-01-01")},
                   usage={"dev": {}}, usage_notes={"dev": {}})  # fmt: skip


def test_an_unpriced_type_names_the_row_and_the_priced_types() -> None:
    with pytest.raises(PricingError) as raised:
        TABLE.get("msk:kafka.m7g.xlarge")
    assert "no row 'msk:kafka.m7g.xlarge' (priced msk types: kafka.m7g.large, kafka.t3.small)" in str(raised.value)


@pytest.mark.parametrize("budget", [0, -5, "lots"])
def test_a_budget_that_is_not_positive_is_refused_not_divided_by(budget: Any) -> None:
    """Before, a budget of 0 ended in ZeroDivisionError in the plan and the report."""
    plan = {"stack": "dev", "tier": "dev", "components": [], "outputs": {"monthlyBudgetUsd": budget}}
    with pytest.raises(PricingError, match=f"monthlyBudgetUsd = {budget!r}: the budget must be a positive amount"):
        price_plan(plan, TABLE)


def test_a_region_without_prices_is_refused() -> None:
    plan = {"stack": "dev", "tier": "dev", "region": "eu-west-1", "components": [], "outputs": {}}
    with pytest.raises(PricingError, match=r"region eu-west-1; pricing/prices\.yaml holds us-east-1 list prices only"):
        price_plan(plan, TABLE)


def test_a_stand_in_region_is_priced_with_its_reason_and_others_are_refused() -> None:
    table = PriceTable(prices={}, usage={"dev": {}}, usage_notes={"dev": {}}, stand_in_regions={"us-west-2": "why"})
    plan = {"stack": "dr", "tier": "dev", "region": "us-west-2", "components": [], "outputs": {}}
    report = price_plan(plan, table)
    assert (report.region, report.price_region) == ("us-west-2", "us-east-1")
    assert report.price_flag == "us-west-2 priced with us-east-1 list prices: why"
    assert price_plan({**plan, "region": "us-east-1"}, table).price_flag == ""
    with pytest.raises(PricingError, match=r"is in region eu-west-1; .* or list it under stand_in_regions"):
        price_plan({**plan, "region": "eu-west-1"}, table)
