"""The region-failure recovery budget (ops/recovery_budget.py) and the tables of docs/recovery.md agree, fit the
objectives (RTO 30 minutes, RPO 5 minutes), and every figure says where it comes from."""

from __future__ import annotations

import re

import pytest

from offline.engine import PROJECT_DIR, OfflineRun
from ops import recovery_budget as budget
from ops.recovery_budget import (
    NO_FIGURE,
    REGION_FAILOVER_STEPS,
    RPO_BY_DATA_KIND,
    RPO_TARGET_SECONDS,
    RTO_TARGET_SECONDS,
    DataRpo,
    RecoveryBudgetError,
    RunbookStep,
    check_rto,
    rto_total,
)

RUNBOOK = ("detect", "decide", "checks", "promote-database", "promote-secret", "scale-standby", "add-readers",
           "move-traffic", "verify-standby")  # fmt: skip
SECTION = "### Loss of the region"
URL = re.compile(r"https://[^\s)\]]+")


def _section() -> str:
    page = (PROJECT_DIR / "docs" / "recovery.md").read_text()
    start = page.index(SECTION)
    end = page.find("\n## ", start)
    return page[start : end if end >= 0 else len(page)]


def _table(header: str) -> list[list[str]]:
    """The rows (cells stripped) of the docs/recovery.md table of the region-loss section whose header starts so."""
    lines = _section().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def _seconds(cell: str) -> int:
    match = re.fullmatch(r"\**(\d+) s\**(?: .*)?", cell)
    assert match, f"not a duration in seconds: {cell!r}"
    return int(match.group(1))


def _cites_or_says_no_figure(source: str) -> bool:
    if source.startswith(NO_FIGURE):
        return len(source) > len(NO_FIGURE)
    return all(URL.fullmatch(token) for token in source.split())


def test_the_runbook_has_exactly_the_failover_steps_in_order() -> None:
    assert budget.RUNBOOK_KEYS == RUNBOOK
    assert [step.key for step in REGION_FAILOVER_STEPS] == list(RUNBOOK)


def test_the_budget_fits_the_rto() -> None:
    total = rto_total()
    assert total == sum(step.expected_seconds for step in REGION_FAILOVER_STEPS)
    assert total <= RTO_TARGET_SECONDS == 1800
    assert check_rto() == total
    assert all(step.expected_seconds > 0 for step in REGION_FAILOVER_STEPS)


def test_an_overrun_is_refused_with_the_overrun_named() -> None:
    slow = (*REGION_FAILOVER_STEPS, RunbookStep("extra", "x", RTO_TARGET_SECONDS, NO_FIGURE + "estimate", ""))
    with pytest.raises(RecoveryBudgetError, match=rf"exceeds the RTO of 1800 s by {rto_total()} s"):
        check_rto(slow)


def test_every_step_and_data_kind_cites_a_source_or_says_none_is_published() -> None:
    items: list[RunbookStep | DataRpo] = [*REGION_FAILOVER_STEPS, *RPO_BY_DATA_KIND]
    for item in items:
        assert _cites_or_says_no_figure(item.source), item
        assert item.note, item


def test_decide_is_ours_not_aws() -> None:
    decide = budget.step("decide")
    assert decide.source.startswith(NO_FIGURE) and "ours and not AWS's" in decide.note
    with pytest.raises(KeyError, match="known: detect, decide"):
        budget.step("promote-cache")


def test_the_readme_rto_table_is_the_module_data() -> None:
    rows = _table("| step |")
    steps, total = rows[:-1], rows[-1]
    assert [row[0] for row in steps] == [f"`{key}`" for key in RUNBOOK]
    for row, step in zip(steps, REGION_FAILOVER_STEPS, strict=True):
        assert _seconds(row[2]) == step.expected_seconds, step.key
        readme_source = row[3]
        if step.source.startswith(NO_FIGURE):
            assert readme_source == step.source, step.key
        else:
            assert set(URL.findall(readme_source)) == set(step.source.split()), step.key
    assert total[0] == "**total**"
    assert _seconds(total[2]) == rto_total()
    assert f"of {RTO_TARGET_SECONDS} s" in total[2]
    assert f"leaves {RTO_TARGET_SECONDS - rto_total()} s of headroom" in _section()


def test_the_readme_rpo_table_is_the_module_data() -> None:
    rows = _table("| data |")
    assert [row[0] for row in rows] == [kind.kind for kind in RPO_BY_DATA_KIND]
    for row, kind in zip(rows, RPO_BY_DATA_KIND, strict=True):
        if kind.rpo_seconds is None:
            assert (row[1], row[2]) == ("none", "n/a"), kind.kind
        else:
            assert _seconds(row[1]) == kind.rpo_seconds, kind.kind
            assert row[2] == ("meets" if kind.rpo_seconds <= RPO_TARGET_SECONDS else "misses"), kind.kind
        if kind.source.startswith(NO_FIGURE):
            assert row[4] == kind.source, kind.kind
        else:
            assert set(URL.findall(row[4])) == set(kind.source.split()), kind.kind


def test_every_system_of_record_meets_the_rpo() -> None:
    for kind in RPO_BY_DATA_KIND:
        assert kind.rpo_seconds is None or kind.rpo_seconds <= RPO_TARGET_SECONDS == 300, kind


def test_kafka_and_cache_follow_from_the_database() -> None:
    kinds = {kind.kind: kind for kind in RPO_BY_DATA_KIND}
    database = kinds["ledger and payments database"]
    kafka, cache = kinds["Kafka events"], kinds["cache"]
    assert kafka.rpo_seconds == database.rpo_seconds
    assert "outbox" in kafka.mechanism and "not replicated" in kafka.mechanism
    assert cache.rpo_seconds is None and "not a system of record" in cache.source
    assert "follows from the ledger and payments database row" in kafka.source
    assert "follows from the ledger and payments database row" in cache.source


def test_verify_standby_uses_the_target_groups_of_the_plan(prod_run: OfflineRun) -> None:
    """The budget's ALB figures are the ones the program sets, not copies that can drift."""
    groups = prod_run.of_type("aws:lb/targetGroup:TargetGroup")
    assert groups
    for group in groups:
        check = group.inputs["healthCheck"]
        assert (check["interval"], check["healthyThreshold"]) == (
            budget.TARGET_HEALTH_INTERVAL_SECONDS, budget.TARGET_HEALTHY_THRESHOLD)  # fmt: skip
    verify = budget.step("verify-standby")
    assert verify.expected_seconds == budget.TARGET_HEALTH_INTERVAL_SECONDS * budget.TARGET_HEALTHY_THRESHOLD


def test_the_readme_names_the_failover_commands() -> None:
    section = _section()
    for command in ("python -m ops failover --stack prod --to prod-dr --dry-run",
                    "python -m ops failover --stack prod --to prod-dr", "python -m ops failback",
                    "python -m ops failover --stack prod --to prod-dr --mode failover",
                    "python -m ops dr-drill --stack prod"):  # fmt: skip
        assert command in section, command
