"""The cost model: known prices give known totals; budgets; each stack against its own budget."""

from __future__ import annotations

import re
from typing import Any

import pytest

from offline.engine import OfflineRun
from offline.plan import summarize
from pricing.model import (
    PairReport,
    Price,
    PriceTable,
    PricingError,
    check_pair,
    load_prices,
    price_plan,
    standby_of,
)
from stacks.tiers import TIER_PRESETS

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
    assert set(table.usage) == {"dev", "prod", "standby"}
    assert table.usage["dev"].keys() == table.usage["prod"].keys() == table.usage["standby"].keys()


def test_each_stack_is_priced_whole_against_its_own_budget(stack_run: OfflineRun) -> None:
    """Every type of the plan is priced, and the budget is the stack's own monthlyBudgetUsd (the tier's preset in
    dev and prod); whether it fits is the cost report's and the CI gate's verdict (tests/test_tiers.py)."""
    report = price_plan(summarize(stack_run))
    assert report.unpriced == []
    assert report.budget == TIER_PRESETS[stack_run.stack].monthly_budget_usd  # type: ignore[index]
    assert report.verdict is not None and report.verdict.over is report.over_budget
    assert report.peak >= report.baseline


def test_the_cost_check_command_fails_over_budget_and_passes_under(capsys: pytest.CaptureFixture[str]) -> None:
    import subprocess
    import sys

    from offline.engine import PROJECT_DIR
    from pricing.report import main

    under = main(["dev", "--check", "--config=monthlyBudgetUsd=1000"])  # in this process; exit 1 below in a real one
    assert under == 0, capsys.readouterr().err
    assert "within budget" in capsys.readouterr().out
    command = [sys.executable, "-m", "pricing.report", "dev", "--check", "--config=monthlyBudgetUsd=200"]
    over = subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)
    assert over.returncode == 1
    assert re.search(r"budget 200\.00 of 'dev': baseline [\d,]+\.\d\d OVER BUDGET", over.stdout), over.stdout


# Region pair (issue 14): the new types, the standby's usage; the pair's sum is information (issue 21).
PAIR_TABLE = PriceTable(
    prices={
        key: Price(price, "unit", "test", "2026-11-23")
        for key, price in {
            "aurora_replicated_write_io": 0.20, "inter_region_transfer": 0.02, "secret": 0.40, "secrets_api": 0.05,
            "route53_health_check": 0.50, "route53_health_check_feature": 1.00, "aurora_storage": 0.10,
            "aurora_io": 0.20, "alb": 0.02, "alb_lcu": 0.01, "public_ipv4": 0.005,
        }.items()
    },
    usage={
        tier: {"aurora_replicated_write_million_io": writes, "aurora_replication_gb": 50, "ecr_replication_gb": 10,
               "secrets_10k_requests": 0, "aurora_storage_gb": 100, "aurora_million_io": io, "alb_lcu": 1}
        for tier, writes, io in (("prod", 30, 100), ("standby", 0, 1))
    },
    usage_notes={"prod": {}, "standby": {}},
    hours=1000,
    stand_in_regions={"us-west-2": "assumed the same (test)"},
)  # fmt: skip


def _resource(type_token: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"type": type_token, "name": name, "urn": f"urn::{name}", "id": name, "inputs": inputs}


def _pair_plan(stack: str, region: str, outputs: dict[str, Any], resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"stack": stack, "tier": "prod", "region": region, "outputs": outputs,
            "components": [{"type": "fintech:aurora:AuroraPostgres", "name": f"fintech-{stack}",
                            "resources": resources}]}  # fmt: skip


def _primary(budget: float = 1800) -> dict[str, Any]:
    return _pair_plan("prod", "us-east-1", {"monthlyBudgetUsd": budget, "drStack": "prod-dr"}, [
        _resource("aws:rds/globalCluster:GlobalCluster", "global", {"storageEncrypted": True}),
        _resource("aws:secretsmanager/secret:Secret", "master", {"replicas": [{"region": "us-west-2"}]}),
        _resource("aws:ecr/replicationConfiguration:ReplicationConfiguration", "ecr", {"replicationConfiguration": {
            "rules": [{"destinations": [{"region": "us-west-2", "registryId": "111122223333"}]}]}}),
        _resource("aws:route53/healthCheck:HealthCheck", "hc", {"type": "CLOUDWATCH_METRIC"}),
        _resource("aws:route53/record:Record", "dns", {"failoverRoutingPolicies": [{"type": "PRIMARY"}],
                                                      "aliases": [{"name": "alb", "zoneId": "Z1"}]}),
        _resource("random:index/randomPassword:RandomPassword", "password", {"length": 40}),
    ])  # fmt: skip


def _standby(standby_for: str = "prod") -> dict[str, Any]:
    return _pair_plan("prod-dr", "us-west-2", {"monthlyBudgetUsd": 600, "standbyFor": standby_for}, [
        _resource("aws:rds/cluster:Cluster", "db", {"globalClusterIdentifier": "fintech-prod-global"}),
        _resource("aws:lb/loadBalancer:LoadBalancer", "alb", {"internal": False, "subnets": ["a", "b", "c"]}),
    ])  # fmt: skip


def test_the_region_pair_types_have_known_prices() -> None:
    report = price_plan(_primary(), PAIR_TABLE)
    items = {(line.resource, line.item): line.baseline for line in report.lines}
    assert items == {
        ("global", "replicated write I/O in the secondary region (30 M)"): 6.0,  # 30 M x 0.20
        ("global", "inter-region replication transfer (50 GB)"): 1.0,  # 50 GB x 0.02
        ("master", "secret"): 0.4,
        ("master", "replica in us-west-2"): 0.4,  # a replica is billed as a secret
        ("master", "API calls"): 0.0,
        ("ecr", "images copied to 1 region(s) (10 GB)"): 0.2,
        ("hc", "health check (CLOUDWATCH_METRIC)"): 0.5,  # basic: no optional feature
        ("dns", "alias queries to an AWS resource (no charge)"): 0.0,
    }
    assert report.unpriced == [] and report.usage_tier == "prod" and report.price_flag == ""


def test_an_endpoint_health_check_pays_for_each_optional_feature() -> None:
    plan = _primary()
    plan["components"][0]["resources"] = [_resource("aws:route53/healthCheck:HealthCheck", "hc", {
        "type": "HTTPS_STR_MATCH", "requestInterval": 10, "measureLatency": False})]  # fmt: skip
    lines = {line.item: line.baseline for line in price_plan(plan, PAIR_TABLE).lines}
    assert lines == {"health check (HTTPS_STR_MATCH)": 0.5,
                     "optional features (HTTPS, string matching, fast interval)": 3.0}  # fmt: skip


@pytest.mark.parametrize(
    ("type_token", "inputs", "message"),
    [
        ("aws:route53/record:Record", {"records": ["1.2.3.4"]}, "record 'x' is not an alias: its queries are billed"),
        ("aws:route53/healthCheck:HealthCheck", {"type": "PING"}, "health check 'x' has type 'PING'"),
    ],
)
def test_what_the_model_cannot_price_is_refused_not_free(type_token: str, inputs: dict[str, Any], message: str) -> None:
    plan = _primary()
    plan["components"][0]["resources"] = [_resource(type_token, "x", inputs)]
    with pytest.raises(PricingError, match=message):
        price_plan(plan, PAIR_TABLE)


def test_the_standby_is_priced_with_its_own_usage_in_a_flagged_region() -> None:
    report = price_plan(_standby(), PAIR_TABLE)
    items = {line.item: line.baseline for line in report.lines}
    # the secondary's full copy of the volume (100 GB x 0.10) and its reader's own I/O (1 M x 0.20), not prod's 100 M
    assert items["storage (secondary copy, 100 GB)"] == 10.0 and items["I/O (1 M requests)"] == 0.2
    assert items["public IPv4 (3, one per zone)"] == 15.0  # 3 x 0.005 x 1000 h
    assert report.usage_tier == "standby"
    assert (report.region, report.price_region) == ("us-west-2", "us-east-1")
    assert report.price_flag == "us-west-2 priced with us-east-1 list prices: assumed the same (test)"


def test_the_pair_sums_both_stacks_as_information_each_judged_by_its_own_budget() -> None:
    primary, standby = price_plan(_primary(), PAIR_TABLE), price_plan(_standby(), PAIR_TABLE)
    check_pair(_primary(), _standby())
    pair = PairReport(primary, standby)
    assert (
        pair.baseline == round(primary.baseline + standby.baseline, 2) == 8.5 + 55.2
    )  # standby: storage 10 + I/O 0.2 + ALB 20 + LCU 10 + IPv4 15
    assert pair.budgets == 1800 + 600
    # a primary within its own budget stays within it whatever its standby costs; the standby is judged by its own
    tight = PairReport(price_plan(_primary(budget=60), PAIR_TABLE), standby)
    assert not tight.primary.over_budget and tight.baseline > 60
    assert price_plan(_primary(budget=8), PAIR_TABLE).over_budget


def test_a_primary_names_its_standby_and_the_standby_must_answer() -> None:
    assert standby_of(_primary()) == "prod-dr"
    assert standby_of(_standby()) == "" and standby_of({"stack": "dev", "outputs": {"drStack": ""}}) == ""
    with pytest.raises(PricingError, match="'prod-dr' has standbyFor = 'staging'; set fintech-platform:standbyFor"):
        check_pair(_primary(), _standby(standby_for="staging"))


def _fake_plans(monkeypatch: pytest.MonkeyPatch, budget: float) -> None:
    """pricing.report with synthetic plans in place of the offline program (the real pair: test below)."""
    from pricing import report as command

    def plan_stack(stack: str, overrides: dict[str, Any], table: PriceTable) -> tuple[dict[str, Any], Any]:
        plan = _primary(budget) if stack == "prod" else _standby()
        return plan, price_plan(plan, PAIR_TABLE)

    monkeypatch.setattr(command, "plan_stack", plan_stack)
    monkeypatch.setattr(command, "known_stacks", lambda: ["dev", "prod", "prod-dr"])


@pytest.mark.parametrize(("budget", "status", "verdict"), [(60, 0, "within budget"), (8, 1, "OVER BUDGET")])
def test_the_report_shows_the_pair_and_checks_the_named_stack_alone(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], budget: float, status: int, verdict: str
) -> None:
    """prod 8.50 against `budget`; the pair (63.70) is over 60 but is information, not a gate."""
    import json

    from pricing import report as command

    _fake_plans(monkeypatch, budget)
    assert command.main(["prod", "--check"]) == status
    text = capsys.readouterr().out
    assert "Monthly cost of stack 'prod' (tier prod, us-east-1)" in text
    assert "Monthly cost of stack 'prod-dr' (tier prod, us-west-2)" in text and "PRICE FLAG: us-west-2 priced" in text
    assert f"budget {budget:,.2f} of 'prod': baseline 8.50 {verdict}" in text
    assert "budget 600.00 of 'prod-dr': baseline 55.20 within budget" in text
    assert f"  {'sum':<28} {63.7:>10.2f} {63.7:>10.2f} {budget + 600:>10.2f}" in text
    assert "Region pair (information, not a budget check" in text
    assert command.main(["prod", "--check", "--format", "json"]) == status
    document = json.loads(capsys.readouterr().out)
    assert document["pair"] == {"stacks": ["prod", "prod-dr"], "baseline": 63.7, "peak": 63.7,
                                "budgets": budget + 600}  # fmt: skip
    assert document["overBudget"] is (status == 1) and document["verdict"]["budget"] == budget
    assert document["standby"]["usageTier"] == "standby" and document["standby"]["priceFlag"].startswith("us-west-2")
    assert command.main(["prod", "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    assert "#### Region pair `prod` + `prod-dr` (information, not a budget check)" in markdown
    assert f"| **sum** | **63.70** | **63.70** | {budget + 600:,.2f} |" in markdown


def test_a_drstack_without_a_stack_file_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from pricing import report as command

    _fake_plans(monkeypatch, 1800)
    monkeypatch.setattr(command, "known_stacks", lambda: ["dev", "prod"])
    with pytest.raises(PricingError, match=r"names 'prod-dr' as its drStack, but there is no Pulumi\.prod-dr\.yaml"):
        command.pair_cost("prod")


def test_only_the_copy_vault_pays_cross_region_transfer_even_in_a_stack_named_dr() -> None:
    """Before, any vault with 'dr' in its name paid the copy: every vault of a stack named prod-dr did."""
    table = PriceTable(
        prices={key: Price(price, "u", "t", "2026-11-23")
                for key, price in {"backup_warm_storage": 0.05, "inter_region_transfer": 0.02}.items()},
        usage={"prod": {"backup_gb": 100, "backup_copy_gb": 50}}, usage_notes={"prod": {}},
    )  # fmt: skip
    plan = {"stack": "prod-dr", "tier": "prod", "outputs": {}, "components": [
        {"type": "fintech:backup:Backup", "name": "fintech-prod-dr", "resources": [
            _resource("aws:backup/vault:Vault", "fintech-prod-dr-vault", {}),
            _resource("aws:backup/vault:Vault", "fintech-prod-dr-dr-vault", {})]}]}  # fmt: skip
    copies = [line.resource for line in price_plan(plan, table).lines if line.item == "cross-region copy transfer"]
    assert copies == ["fintech-prod-dr-dr-vault"]


def test_the_rotation_log_group_has_its_own_small_figure_and_the_others_share_the_rest() -> None:
    """The rotation function's log group (four invocations a month) was priced at an equal share of prod's
    log_ingestion_gb, 7.59 of the 7.69 USD shown for secret_rotation (review finding); it has its own figure now, and
    every GB of both figures is still priced."""
    from tests.conftest import offline_run

    table = load_prices()
    usage = table.usage["prod"]
    report = price_plan(summarize(offline_run("prod")), table)
    ingestion = [line for line in report.lines if line.item == "ingestion"]
    rotation = [line for line in ingestion if line.component == "secret_rotation"]
    assert len(rotation) == 1 and len(ingestion) > 10
    assert rotation[0].baseline == pytest.approx(usage["master_rotation_log_gb"] * table.get("logs_ingestion"))
    assert report.by_component()["secret_rotation"][0] < 0.5  # docs/day2.md: an alarm and fractions of a cent
    # the others still carry all of log_ingestion_gb (none at the Infrequent Access price in prod)
    others = sum(line.baseline for line in ingestion if line.component != "secret_rotation")
    assert others == pytest.approx(usage["log_ingestion_gb"] * table.get("logs_ingestion"))
