"""The text plan a person reads (`./dev.sh plan STACK`): the summary first - resources and cost per component,
cost against the budget, capacity and warnings - and every resource only behind --resources. In-process, on
the session's cached runs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from offline.engine import OfflineRun
from offline.plan import main, render_text, summarize
from pricing.model import price_plan
from tests.conftest import offline_run


def _text(run: OfflineRun, resources: bool = False) -> str:
    plan = summarize(run)
    return render_text(plan, price_plan(plan), resources=resources)


def test_the_summary_comes_before_any_resource(prod_run: OfflineRun) -> None:
    text = _text(prod_run, resources=True)
    headings = ("Offline plan of stack 'prod'", "Per component (", "budget 1,800.00 of 'prod'",
                "Capacity of the per-zone",
                "Warnings", "fintech:network:Network")  # fmt: skip
    order = [text.index(heading) for heading in headings]
    assert order == sorted(order)
    assert text.index("Outputs:") > text.index("fintech:network:Network")


def test_without_resources_the_plan_is_the_summary_alone(prod_run: OfflineRun) -> None:
    summary = _text(prod_run)
    assert "aws:ec2/natGateway:NatGateway x3" not in summary and "Outputs:" not in summary
    assert "add --resources" in summary
    assert len(summary.splitlines()) < 60
    detail = _text(prod_run, resources=True)
    assert "aws:ec2/natGateway:NatGateway x3" in detail and "enableKeyRotation=true" in detail


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_each_component_line_sums_its_resources_and_costs(stack: str) -> None:
    run = offline_run(stack)
    plan = summarize(run)
    cost = price_plan(plan)
    text = render_text(plan, cost)
    rows = {
        line.split()[0]: line.split()
        for line in text.splitlines()
        if line.startswith("  ") and " peak " in line and not line.startswith("  budget ")
    }
    assert int(rows["total"][1]) == len(run.resources) - plan["counts"]["components"]
    assert sum(int(row[1]) for label, row in rows.items() if label != "total") == int(rows["total"][1])
    assert float(rows["total"][3]) == pytest.approx(cost.baseline, abs=0.01)
    for label, (baseline, _) in cost.by_component().items():
        assert float(rows[label][3]) == pytest.approx(baseline, abs=0.01)
    assert int(rows["network"][1]) == sum(
        len(c["resources"]) for c in plan["components"] if c["type"] == "fintech:network:Network"
    )


def test_warnings_are_in_the_summary(dev_run: OfflineRun) -> None:
    plan = summarize(dev_run)
    plan["warnings"] = ["alarmEmail is empty: alarms notify nobody"]
    text = render_text(plan, price_plan(plan))
    assert text.index("  - alarmEmail is empty") < text.index("add --resources")


def _canonical(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan without its timing, in a fixed order (resources registered from concurrent callbacks, such as
    the topics and database users, may register in either order from one run to the next)."""
    components = [
        {**component, "resources": sorted(component["resources"], key=lambda r: r["urn"])}
        for component in plan["components"]
    ]
    ordered = sorted(components, key=lambda c: (c["type"], c["name"]))
    return {**{k: v for k, v in plan.items() if k != "seconds"}, "components": ordered}


def test_the_json_plan_is_the_same_with_or_without_resources(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dev", "--json", "-"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main(["dev", "--json", "-", "--resources"]) == 0
    detailed = json.loads(capsys.readouterr().out)
    assert _canonical(plain) == _canonical(detailed)
    assert {"components", "counts", "cost", "outputs", "warnings"} <= set(plain)
