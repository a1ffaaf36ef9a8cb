"""The cross-region part of the DR drill (issue 24): a practice run of the pair's ARC Region switch plan.

A practice run is a graceful execution (switchover: Aurora loses no data) that activates the standby, followed by
one that activates the primary again. ARC's API has no separate practice mode (arc-region-switch 2022-07-26:
StartPlanExecution mode is graceful or ungraceful), so the practice is a real, reversible switchover. Each step's
measured time is recorded (DRILL_DIR/<primary>.json), and ops/recovery_budget.py uses those times in place of
its published estimates. ARC itself writes each execution's report to the plan's report bucket (the evidence of
PCI DSS 12.10.2: the plan tested at least once every 12 months).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from pathlib import Path

from ops.common import Clients, Progress, Report
from ops.failover import Direction, ExecutionReport, Pair, regional, replication_lag, run_switch
from ops.recovery_budget import DRILL_DIR, RPO_TARGET_SECONDS, RTO_TARGET_SECONDS, drill_file
from stacks.names import resource_prefix


def cross_region_drill(
    report: Report,
    pair: Pair,
    clients: Clients,
    dry_run: bool,
    timeout_seconds: float,
    progress: Progress,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    poll_seconds: float = 15,
    drill_dir: Path = DRILL_DIR,
) -> None:
    """The replication lag against the RPO (ARC does not check it) and, unless dry_run, a practice failover and
    failback through the plan, each step's time recorded for the recovery budget."""
    standby = regional(clients, pair.standby_config.region)
    cluster = resource_prefix(pair.standby)
    lag = replication_lag(standby, cluster)
    found = f"{lag:.1f} s (RPO {RPO_TARGET_SECONDS} s)" if lag is not None else "no datapoint (is it replicating?)"
    report.add("cross-region-rpo", lag is not None and lag <= RPO_TARGET_SECONDS,
               f"replication lag of {cluster} in {standby.region}: {found}", pair.global_cluster)  # fmt: skip
    if dry_run:
        return
    measured: dict[str, dict[str, float]] = {}
    executions: dict[str, str] = {}
    directions: tuple[Direction, ...] = ("failover", "failback")
    for direction in directions:
        result = run_switch(pair, direction, clients, "switchover", timeout_seconds=timeout_seconds,
                            poll_seconds=poll_seconds, progress=progress, clock=clock, sleep=sleep,
                            comment=f"ops dr-drill: practice {direction}")  # fmt: skip
        _merge(report, result, direction)
        executions[direction] = result.execution_id
        measured[direction] = {s.name: s.seconds for s in result.steps if s.seconds is not None}
        if result.failed:
            report.add(f"{direction}-rto", False, f"not measured: the {direction} did not complete ({result.state})")
            if direction == "failover":
                report.add("failback", False, "not run: the practice failover did not complete")
            break
        total = result.measured_total
        detail = f"{total:.0f} s measured by ARC's steps, RTO {RTO_TARGET_SECONDS} s"
        report.add(f"{direction}-rto", total <= RTO_TARGET_SECONDS, detail, result.execution_id)
    if measured.get("failover"):
        path = drill_file(pair.primary, drill_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"plan": result.plan, "executions": executions,
                                    "measuredAt": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                                    "steps": measured["failover"], "failbackSteps": measured.get("failback", {})},
                                   indent=2) + "\n")  # fmt: skip
        report.add("drill-times", True, f"step times of the practice failover recorded in {path} (the recovery "
                   "budget uses them)")  # fmt: skip


def _merge(report: Report, result: ExecutionReport, direction: str) -> None:
    for finding in result.findings:
        report.add(f"{direction} {finding.check}", finding.status != "fail", finding.detail, finding.resource,
                   warn_only=finding.status == "warn")  # fmt: skip
    for step in result.steps:
        measured = "-" if step.seconds is None else f"{step.seconds:.0f} s"
        report.add(f"{direction}-time {step.name}", step.status in ("completed", "skipped"),
                   f"{step.status}, measured {measured}" + (f": {step.error}" if step.error else ""))  # fmt: skip
