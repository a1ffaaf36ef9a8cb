"""Issue 21's levers: the model prices Aurora I/O-Optimized and the Infrequent Access log class from their rows, and
each stack's outlook (open levers against the gap, what
commitments could cover) is computed, not written."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from offline.docs import block_body
from offline.engine import PROJECT_DIR
from offline.plan import summarize
from pricing.levers import Outlook, committable
from pricing.model import PriceTable, load_prices, price_plan
from pricing.tier_report import CLASS_FIELDS
from stacks.tiers import TIER_PRESETS
from tests.conftest import offline_run

TABLE = load_prices()
HOURS = TABLE.hours
USAGE = {**TABLE.usage["prod"], "aurora_storage_gb": 100.0, "aurora_million_io": 100.0, "log_ingestion_gb": 10.0}


def _table() -> PriceTable:
    return dataclasses.replace(TABLE, usage={"prod": USAGE})


def _resource(type_token: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"type": type_token, "name": name, "urn": f"urn::{name}", "id": name, "inputs": inputs}


def _plan(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"stack": "prod", "tier": "prod", "region": "us-east-1", "outputs": {},
            "components": [{"type": "fintech:aurora:AuroraPostgres", "name": "fintech-prod",
                            "resources": list(resources)}]}  # fmt: skip


def _aurora(storage_type: str | None, instance_class: str) -> dict[str, Any]:
    cluster: dict[str, Any] = {"serverlessv2ScalingConfiguration": {"minCapacity": 2, "maxCapacity": 4}}
    if storage_type is not None:
        cluster["storageType"] = storage_type
    return _plan(_resource("aws:rds/cluster:Cluster", "fintech-prod-cluster", cluster),
                 _resource("aws:rds/clusterInstance:ClusterInstance", "fintech-prod-0",
                           {"clusterIdentifier": "fintech-prod-cluster", "instanceClass": instance_class}))  # fmt: skip


@pytest.mark.parametrize("storage_type", [None, "aurora"])
def test_aurora_standard_pays_io_and_standard_storage(storage_type: str | None) -> None:
    lines = {line.item: line.baseline for line in price_plan(_aurora(storage_type, "db.r6g.large"), _table()).lines}
    assert lines == {"storage (100 GB)": pytest.approx(100 * 0.10), "I/O (100 M requests)": pytest.approx(100 * 0.20),
                     "db.r6g.large": pytest.approx(0.26 * HOURS)}  # fmt: skip


def test_aurora_io_optimized_pays_no_io_and_the_dearer_rows() -> None:
    provisioned = {line.item: line.baseline for line in price_plan(_aurora("aurora-iopt1", "db.r6g.large"),
                                                                   _table()).lines}  # fmt: skip
    assert provisioned == {"storage (100 GB, I/O-Optimized: I/O included)": pytest.approx(100 * 0.225),
                           "db.r6g.large, I/O-Optimized": pytest.approx(0.26 * HOURS * 1.30)}  # fmt: skip
    serverless = price_plan(_aurora("aurora-iopt1", "db.serverless"), _table()).lines
    (acus,) = [line for line in serverless if line.item.startswith("Serverless v2")]
    assert acus.item == "Serverless v2 (2 to 4 ACU, I/O-Optimized)"
    assert acus.baseline == pytest.approx(0.156 * HOURS * 2) and acus.peak == pytest.approx(0.156 * HOURS * 4)


@pytest.mark.parametrize(("log_class", "price"), [(None, 0.50), ("STANDARD", 0.50), ("INFREQUENT_ACCESS", 0.25)])
def test_a_log_group_is_ingested_at_its_class_price(log_class: str | None, price: float) -> None:
    inputs: dict[str, Any] = {"retentionInDays": 365}
    if log_class:
        inputs["logGroupClass"] = log_class
    lines = price_plan(_plan(_resource("aws:cloudwatch/logGroup:LogGroup", "fintech-prod-flow-logs", inputs)),
                       _table()).lines  # fmt: skip
    assert {line.item: line.baseline for line in lines}["ingestion"] == pytest.approx(10 * price)


def test_the_outlook_adds_the_open_levers_and_the_discount_that_would_close_the_rest() -> None:
    over = Outlook(baseline=2000.0, budget=1800.0, open_sum=100.0, committable={"Aurora instances": 400.0,
                                                                                "EKS nodes": 100.0})  # fmt: skip
    assert (over.gap, over.after_open) == (200.0, 1900.0) and over.discount_needed == pytest.approx(0.2)
    text = "\n".join(over.lines())
    assert "with every open lever taken: 1,900.00, over by 100.00" in text and "20% off all of it" in text
    assert "no 'with commitments' figure" in text
    fits = dataclasses.replace(over, open_sum=250.0)
    assert (fits.gap, fits.discount_needed) == (200.0, None) and "1,750.00, within budget" in fits.lines()[0]
    impossible = dataclasses.replace(over, committable={"EKS nodes": 50.0})
    assert impossible.discount_needed == pytest.approx(2.0) and "not possible" in impossible.lines()[1]
    assert Outlook(100.0, None, 0.0, {}).gap == 0.0


@pytest.mark.parametrize("stack", ["prod", "prod-dr"])
def test_committable_spend_is_what_the_model_prices_for_instances_cache_and_nodes(stack: str) -> None:
    """Reserved DB instances cover provisioned Aurora only (not Serverless v2 ACUs), reserved nodes the cache,
    Compute Savings Plans the EKS nodes at minimum; read here from the cost report's own lines."""
    plan = summarize(offline_run(stack))
    lines = price_plan(plan, TABLE).lines
    aurora_class = r"db\.[a-z0-9]+\.[a-z0-9]+"
    expected = {
        "Aurora instances": sum(line.baseline for line in lines if re.fullmatch(aurora_class, line.item)),
        "cache nodes": sum(line.baseline for line in lines if re.fullmatch(r"\d+ x cache\.\S+", line.item)),
        "EKS nodes": sum(line.baseline for line in lines if re.fullmatch(r"\S+ nodes \(\d+ to \d+\)", line.item)),
    }
    assert committable(plan, TABLE) == {key: pytest.approx(value, abs=0.01) for key, value in expected.items()}
    assert (committable(plan, TABLE)["Aurora instances"] > 0) is (stack == "prod")


def test_the_readme_shows_the_class_each_tier_runs_per_service() -> None:
    """Issue 21's "Must show": the table is in the README itself (generated; test_docs checks it is current)."""
    table = block_body((PROJECT_DIR / "README.md").read_text(), "tiers", "README.md")
    rows = [line for line in table.splitlines() if line.startswith("| ") and "`" in line]
    assert len(rows) == len(CLASS_FIELDS)
    for row, field in zip(rows, CLASS_FIELDS.values(), strict=True):
        for tier in ("dev", "prod"):
            assert f"`{getattr(TIER_PRESETS[tier], field)}`" in row
        assert row.count("|") == 7 and row.rstrip(" |").split("|")[-1].strip()  # both "why" cells are filled
