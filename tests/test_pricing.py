"""The cost model: known prices give known totals; budgets; both stacks priced within budget."""

from __future__ import annotations

from typing import Any

import pytest

from offline.engine import OfflineRun
from offline.plan import summarize
from pricing.model import Price, PriceTable, load_prices, price_plan

TABLE = PriceTable(
    prices={
        key: Price(price, "unit", "test", "2026-11-22")
        for key, price in {
            "eks_control_plane_standard": 0.10,
            "eks_control_plane_extended": 0.60,
            "ec2:m7g.large": 0.10,
            "ebs_gp3": 0.10,
            "nat_gateway": 0.05,
            "nat_data": 0.05,
            "public_ipv4": 0.01,
            "kms_key": 1.0,
            "kms_requests": 0.03,
            "aurora_serverless_v2_acu": 0.10,
            "aurora_storage": 0.10,
            "aurora_io": 0.20,
        }.items()
    },
    usage={"dev": {"nat_data_gb": 100, "kms_10k_requests": 100, "aurora_storage_gb": 10, "aurora_million_io": 5}},
    usage_notes={"dev": {}},
    hours=1000,
)


def _plan(budget: float | None = None) -> dict[str, Any]:
    def resource(type_token: str, name: str, inputs: dict[str, Any], resource_id: str = "") -> dict[str, Any]:
        return {"type": type_token, "name": name, "urn": f"urn::{name}", "id": resource_id or name, "inputs": inputs}

    return {
        "stack": "dev",
        "tier": "dev",
        "outputs": {} if budget is None else {"monthlyBudgetUsd": budget},
        "components": [
            {"type": "fintech:eks:EksCluster", "name": "fintech-dev", "resources": [
                resource("eks:index:Cluster", "c", {"upgradePolicy": {"supportType": "STANDARD"}}),
                resource("aws:ec2/launchTemplate:LaunchTemplate", "lt",
                         {"blockDeviceMappings": [{"ebs": {"volumeSize": 50}}]}, "lt-1"),
                resource("aws:eks/nodeGroup:NodeGroup", "ng", {"instanceTypes": ["m7g.large"],
                         "scalingConfig": {"minSize": 2, "maxSize": 5}, "launchTemplate": {"id": "lt-1"}}),
            ]},
            {"type": "fintech:network:Network", "name": "fintech-dev", "resources": [
                resource("aws:ec2/natGateway:NatGateway", "nat", {}),
                resource("aws:ec2/eip:Eip", "eip", {}),
                resource("aws:ec2/subnet:Subnet", "s", {}),
            ]},
            {"type": "fintech:aurora:AuroraPostgres", "name": "fintech-dev", "resources": [
                resource("aws:rds/cluster:Cluster", "db", {"serverlessv2ScalingConfiguration":
                         {"minCapacity": 0.5, "maxCapacity": 4}}, "db-1"),
                resource("aws:rds/clusterInstance:ClusterInstance", "db-0",
                         {"instanceClass": "db.serverless", "clusterIdentifier": "db-1"}),
            ]},
            {"type": "fintech:kms:PlatformKeys", "name": "fintech-dev", "resources": [
                resource("aws:kms/key:Key", "k1", {}), resource("aws:kms/key:Key", "k2", {})]},
        ],
    }  # fmt: skip


def test_known_prices_give_known_totals() -> None:
    report = price_plan(_plan(), TABLE)
    components = report.by_component()
    # eks: control plane 100; nodes 2x100 / 5x100; disks 2x5 / 5x5
    assert components["eks"] == (310.0, 625.0)
    # network: NAT 50 + data 100 GB x 0.05 = 5; EIP 10; the subnet is free
    assert components["network"] == (65.0, 65.0)
    # aurora: 0.5 / 4 ACU x 0.10 x 1000; storage 10 x 0.10; I/O 5 x 0.20
    assert components["aurora"] == (52.0, 402.0)
    # kms: 2 keys x 1 + 100 x 0.03 of requests split between them
    assert components["kms"] == (5.0, 5.0)
    assert (report.baseline, report.peak) == (432.0, 1097.0)
    assert report.unpriced == []


def test_extended_support_is_priced_at_six_times() -> None:
    plan = _plan()
    plan["components"][0]["resources"][0]["inputs"]["upgradePolicy"]["supportType"] = "EXTENDED"
    assert price_plan(plan, TABLE).by_component()["eks"][0] == 810.0


def test_budget_check_fails_over_and_passes_under() -> None:
    assert price_plan(_plan(budget=400), TABLE).over_budget is True
    assert price_plan(_plan(budget=500), TABLE).over_budget is False
    assert price_plan(_plan(), TABLE).over_budget is False


def test_an_unknown_paid_type_is_reported_not_silently_free() -> None:
    plan = _plan()
    plan["components"][1]["resources"].append({"type": "aws:ec2/instance:Instance", "name": "i", "urn": "u",
                                               "id": "i", "inputs": {}})  # fmt: skip
    assert price_plan(plan, TABLE).unpriced == ["aws:ec2/instance:Instance"]


def test_every_price_row_names_its_source_and_date() -> None:
    table = load_prices()
    assert all(row.source and row.date for row in table.prices.values())
    assert set(table.usage) == {"dev", "prod"}
    assert table.usage["dev"].keys() == table.usage["prod"].keys()


@pytest.mark.parametrize("budget", [{"dev": 400, "prod": 1800}])
def test_both_stacks_fit_their_budget_with_everything_priced(stack_run: OfflineRun, budget: dict[str, int]) -> None:
    report = price_plan(summarize(stack_run))
    assert report.unpriced == []
    assert report.budget == budget[stack_run.stack]
    assert not report.over_budget
    assert report.peak >= report.baseline


def test_the_cost_check_command_fails_over_budget_and_passes_under() -> None:
    import subprocess
    import sys

    from offline.engine import PROJECT_DIR

    def check(*config: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "pricing.report", "dev", "--check", *[f"--config={c}" for c in config]]
        return subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)

    under = check()
    assert under.returncode == 0, under.stderr
    assert "baseline within budget" in under.stdout
    over = check("monthlyBudgetUsd=200")
    assert over.returncode == 1
    assert "budget 200.00: baseline OVER BUDGET" in over.stdout
