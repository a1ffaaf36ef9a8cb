"""Prod keeps its recovery guarantees: the config refuses turning the cross-region backup copy off for
the prod tier, and the policy pack (a mandatory rule) fails a stack without it under prod's config."""

from __future__ import annotations

from offline.audit import evaluate, load_policy_config
from offline.engine import PROJECT_DIR, OfflineRun, run_stack

NS = "fintech-platform"


def test_prod_config_refuses_turning_the_backup_copy_off() -> None:
    run = run_stack("prod", {f"{NS}:crossRegionBackup": "false"})
    assert run.error is not None
    assert f"{NS}:crossRegionBackup = false is not allowed for tier 'prod'" in run.error
    assert run.resources == []


def _backup_rule(run: OfflineRun, stack_config: str) -> str:
    config = load_policy_config(PROJECT_DIR / "policies" / "config" / f"{stack_config}.json")
    result = next(r for r in evaluate(run, config) if r.name == "aurora-cross-region-backup")
    return result.status


def test_the_pack_fails_a_stack_without_the_copy_under_prod_rules(dev_run: OfflineRun) -> None:
    assert _backup_rule(dev_run, "prod") == "fail"
    assert _backup_rule(dev_run, "dev") == "pass"


def test_the_pack_passes_prod_with_the_copy(prod_run: OfflineRun) -> None:
    assert _backup_rule(prod_run, "prod") == "pass"
