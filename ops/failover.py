"""Region failover and failback of a primary stack and its standby through the pair's ARC Region switch plan.

    python -m ops failover --stack prod --to prod-dr [--mode switchover|failover] [--dry-run] [--timeout S]
    python -m ops failback --stack prod --from prod-dr [--dry-run] [--timeout S]

The runbook is the plan (components/region_switch.py, built by `pulumi up` of the primary): AWS's engine scales
the standby, waits for a person's approval, promotes the Aurora secondary, runs the custom actions (the master
credential's replica, the cache replicas) and moves traffic with its Route 53 health checks. This command only:
1. checks that the stack files pair and that the credentials belong to the pinned account;
2. finds the plan by name (`fintech-<primary>-switch`) and starts an execution with the
   `arc-region-switch` client IN THE REGION BEING ACTIVATED (its data plane: a failover needs nothing of the
   primary region; https://docs.aws.amazon.com/r53recovery/latest/dg/region-switch.html), action activate,
   mode graceful (switchover: Aurora SwitchoverGlobalCluster, no data loss) or ungraceful (failover:
   FailoverGlobalCluster with AllowDataLoss, never chosen on its own);
3. follows the execution's events and prints each step with its time; a failed step's report is printed and
   kept (exit 1); Ctrl-C names the step in progress (exit 130) and leaves the execution running in ARC.

What stays hand-written, and why: ARC does not check the replication lag against our 300 s RPO before a
failover (the drill reads it here, `replication_lag`), does not pair our stack files, and has no command line
that follows an execution and exits with a status CI can act on.

--dry-run prints the plan's workflows from the stack files alone (components/region_switch_model.py, the same
data the program gives the plan): no AWS call, no credentials.
"""

from __future__ import annotations

import datetime
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from botocore.exceptions import ClientError

from components.region_switch_model import PlanModel, describe
from ops.common import (
    Clients,
    OpsError,
    Progress,
    Report,
    describe_error,
    require_pinned_account,
    stderr_progress,
)
from ops.recovery_budget import RPO_TARGET_SECONDS, RTO_TARGET_SECONDS
from stacks.config import CONFIG_NAMESPACE, StackConfig
from stacks.names import global_database_name, resource_prefix
from stacks.region_switch import plan_model

Mode = Literal["switchover", "failover"]
Direction = Literal["failover", "failback"]
INTERRUPTED_EXIT = 130
"""Exit code after Ctrl-C (128 + SIGINT), as shells report it."""
ARC_MODE: dict[Mode, str] = {"switchover": "graceful", "failover": "ungraceful"}
"""The execution mode of each --mode (StartPlanExecution mode)."""
DONE = {"completed", "completedWithExceptions", "completedMonitoringApplicationHealth", "canceled",
        "planExecutionTimedOut", "failed"}  # fmt: skip
"""Execution states after which nothing more happens (GetPlanExecution executionState)."""
OK_DONE = {"completed", "completedMonitoringApplicationHealth"}
"""Terminal states of a successful execution."""
STOPPED = {"pausedByFailedStep"}
"""States in which ARC waits for the operator because a step failed: the command reports and stops following."""
RPO_SECONDS = RPO_TARGET_SECONDS
RTO_SECONDS = RTO_TARGET_SECONDS
LAG_WINDOW_SECONDS = 600
"""How far back the replication lag metric is read."""


@dataclass(frozen=True)
class Pair:
    """A primary stack and its standby, with their configs."""

    primary: str
    primary_config: StackConfig
    standby: str
    standby_config: StackConfig

    @property
    def global_cluster(self) -> str:
        """The Aurora global cluster's identifier."""
        return global_database_name(resource_prefix(self.primary))

    def model(self) -> PlanModel:
        """The pair's plan, as the primary's program builds it (account placeholder when none is pinned)."""
        config = self.primary_config
        return plan_model(self.primary, config, config.account_id or "<accountId>", config.partition)

    def activated(self, direction: Direction) -> tuple[str, StackConfig]:
        """The stack (and its config) whose region the direction activates."""
        if direction == "failover":
            return self.standby, self.standby_config
        return self.primary, self.primary_config


def pair_stacks(primary: str, primary_config: StackConfig, standby: str, standby_config: StackConfig) -> Pair:
    """The pair, or OpsError (exit 2) naming every key of the two stack files that does not match."""
    key = f"{CONFIG_NAMESPACE}:"
    if primary == standby:
        raise OpsError(f"the standby must be another stack than '{primary}'")
    problems = []
    if primary_config.dr_stack != standby:
        problems.append(f"Pulumi.{primary}.yaml sets {key}drStack = {primary_config.dr_stack!r}, not '{standby}'")
    if standby_config.standby_for != primary:
        problems.append(f"Pulumi.{standby}.yaml sets {key}standbyFor = {standby_config.standby_for!r}, not '{primary}'")
    if standby_config.region != primary_config.dr_region:
        problems.append(f"{standby}'s region {standby_config.region} is not {primary}'s drRegion "
                        f"{primary_config.dr_region}")  # fmt: skip
    if standby_config.account_id != primary_config.account_id:
        problems.append(f"the accountIds differ ({primary_config.account_id!r}, {standby_config.account_id!r})")
    for name in ("dns_zone_id", "dns_name"):
        values = (getattr(primary_config, name), getattr(standby_config, name))
        camel = "dnsZoneId" if name == "dns_zone_id" else "dnsName"
        if not values[0] or values[0] != values[1]:
            problems.append(f"{key}{camel} must be set to the same value in both ({values[0]!r}, {values[1]!r})")
    if problems:
        raise OpsError(f"stacks '{primary}' and '{standby}' are not a primary and its standby: " + "; ".join(problems))
    return Pair(primary, primary_config, standby, standby_config)


def check_timeout(seconds: float) -> float:
    """The --timeout, or OpsError (exit 2) for nan, infinity, zero or a negative number."""
    if not (seconds > 0 and seconds != float("inf")):  # also false for nan
        raise OpsError(f"--timeout {seconds}: must be a positive number of seconds (e.g. 1800)")
    return seconds


@dataclass
class StepState:
    """One step of an execution as ARC reports it."""

    name: str
    status: str
    seconds: float | None = None
    error: str = ""


@dataclass
class ExecutionReport(Report):
    """A Report with the execution's steps (or, dry run, the plan's workflow)."""

    direction: Direction = "failover"
    mode: Mode = "switchover"
    standby: str = ""
    region: str = ""
    """The region being activated, where the execution runs."""
    dry_run: bool = False
    plan: str = ""
    execution_id: str = ""
    state: str = ""
    steps: list[StepState] = field(default_factory=list)
    workflow: dict[str, Any] = field(default_factory=dict)

    @property
    def measured_total(self) -> float:
        """Sum of the measured seconds of the steps that ran."""
        return sum(step.seconds or 0.0 for step in self.steps)

    def header(self) -> str:
        """What runs where."""
        preposition = "to" if self.direction == "failover" else "from"
        return (f"{self.direction} of stack '{self.stack}' {preposition} '{self.standby}' ({self.mode}: ARC mode "
                f"{ARC_MODE[self.mode]}), plan {self.plan}, activating {self.region}")  # fmt: skip

    def text(self) -> str:
        """The plan (dry run) or the steps with their times, then the findings."""
        if self.dry_run:
            lines = [f"{self.header()}, dry run (nothing is called):", *describe(self.workflow)]
            lines.append(f"  start: arc-region-switch StartPlanExecution in {self.region}, action activate, mode "
                         f"{ARC_MODE[self.mode]}; RTO {RTO_SECONDS // 60} min")  # fmt: skip
            return "\n".join(lines)
        lines = [f"{self.header()}, execution {self.execution_id or '(not started)'}: {self.state or '-'}"]
        for number, step in enumerate(self.steps, 1):
            measured = "      -" if step.seconds is None else f"{step.seconds:6.0f} s"
            error = f"  {step.error}" if step.error else ""
            lines.append(f"  {number}. {step.name:<17} {step.status:<15} {measured}{error}")
        lines.append(f"  total {self.measured_total:.0f} s measured; RTO {RTO_SECONDS} s")
        return "\n".join(lines) + "\n" + Report.text(self).split("\n", 1)[1]

    def json(self) -> str:
        """The report for machines, with the steps."""
        document = json.loads(Report.json(self))
        document |= {"direction": self.direction, "mode": self.mode, "arcMode": ARC_MODE[self.mode],
                     "standby": self.standby, "region": self.region, "dryRun": self.dry_run, "plan": self.plan,
                     "executionId": self.execution_id, "state": self.state,
                     "steps": [asdict(step) for step in self.steps], "rtoSeconds": RTO_SECONDS}  # fmt: skip
        if self.dry_run:
            document["workflow"] = self.workflow
        return json.dumps(document, indent=2)


class FollowInterruptedError(Exception):
    """Ctrl-C while following an execution: the report so far and the step in progress."""

    def __init__(self, report: ExecutionReport, step: str) -> None:
        super().__init__(step)
        self.report = report
        self.step = step

    def message(self) -> str:
        """What the operator must know: ARC goes on without the command."""
        report = self.report
        where = f"while step '{self.step}' was in progress" if self.step else "before any step started"
        return (f"interrupted {where}; execution {report.execution_id} of {report.plan} goes on in ARC "
                f"({report.region}): follow it in the Region switch console, or cancel it with `aws "
                f"arc-region-switch cancel-plan-execution --region {report.region} --plan-arn {report.plan} "
                f"--execution-id {report.execution_id}`")  # fmt: skip


def regional(clients: Clients, region: str) -> Clients:
    """Clients of another region with the same session and endpoint."""
    return clients if clients.region == region else Clients(region, clients.endpoint_url, clients.session)


def plan_report(pair: Pair, direction: Direction, mode: Mode, dry_run: bool) -> ExecutionReport:
    """An empty report of a failover or failback, with the workflow the plan runs for it."""
    if direction == "failback" and mode != "switchover":
        raise OpsError("failback is a switchover: both regions must answer")
    _, config = pair.activated(direction)
    model = pair.model()
    workflow = model.activate(config.region)
    return ExecutionReport(direction.capitalize() + (" (dry run)" if dry_run else ""), pair.primary,
                           direction=direction, mode=mode, standby=pair.standby, region=config.region,
                           dry_run=dry_run, plan=model.name, workflow=workflow)  # fmt: skip


def find_plan(client: Any, name: str) -> str:
    """The ARN of the plan named `name`, read in the client's region (ListPlansInRegion: data plane)."""
    token = None
    while True:
        page = client.list_plans_in_region(**({"nextToken": token} if token else {}))
        for plan in page.get("plans", []):
            if plan.get("name") == name:
                return str(plan["arn"])
        token = page.get("nextToken")
        if not token:
            raise OpsError(f"no Region switch plan named {name} in {client.meta.region_name}: deploy the primary "
                           "stack (pulumi up) first", 1)  # fmt: skip


def run_switch(
    pair: Pair,
    direction: Direction,
    clients: Clients,
    mode: Mode = "switchover",
    dry_run: bool = False,
    timeout_seconds: float = 3600,
    poll_seconds: float = 15,
    progress: Progress = stderr_progress,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    comment: str = "",
) -> ExecutionReport:
    """Start (or, dry_run, only describe) the failover or failback execution and follow it to its end, its
    failed step, or the timeout. Raises FollowInterruptedError on Ctrl-C with the report so far."""
    check_timeout(timeout_seconds)
    report = plan_report(pair, direction, mode, dry_run)
    if dry_run:
        return report
    activated, _ = pair.activated(direction)
    target = regional(clients, report.region)
    for stack, config in ((pair.primary, pair.primary_config), (pair.standby, pair.standby_config)):
        account = require_pinned_account(stack, config, target, destructive=True)  # STS of the activated region
    report.add("account", True, f"the credentials belong to the pinned account {account}")
    arc = target("arc-region-switch")
    report.plan = find_plan(arc, report.plan)
    started = arc.start_plan_execution(
        planArn=report.plan, targetRegion=report.region, action="activate", mode=ARC_MODE[mode],
        comment=comment or f"ops {direction} --stack {pair.primary} ({mode})", clientToken=str(uuid.uuid4()),
    )  # fmt: skip
    report.execution_id = str(started["executionId"])
    progress(f"{report.header()}: execution {report.execution_id} started in {report.region}")
    follow(arc, report, timeout_seconds, poll_seconds, progress, clock, sleep)
    report.add("activated", report.state in OK_DONE, f"{activated} ({report.region}) is the active region"
               if report.state in OK_DONE else f"execution {report.state}", report.execution_id)  # fmt: skip
    return report


def follow(
    arc: Any,
    report: ExecutionReport,
    timeout_seconds: float,
    poll_seconds: float,
    progress: Progress,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> None:
    """Print the execution's events as they come and keep its steps in the report until it ends, stops on a
    failed step, or the timeout passes. An AWS error while following is a finding: the steps read so far stay."""
    began = clock()
    seen: set[str] = set()
    errors: dict[str, str] = {}
    running = ""
    try:
        while True:
            for event in _new_events(arc, report, seen):
                running = _print_event(event, progress, running)
                if event.get("error") and event.get("stepName"):
                    errors[str(event["stepName"])] = str(event["error"])
            _read_steps(arc, report)
            for step in report.steps:
                step.error = errors.get(step.name, "")
            running = next((s.name for s in report.steps if s.status in ("running", "pendingApproval")), running)
            if report.state in DONE or report.state in STOPPED:
                for step in report.steps:
                    if step.status == "failed":
                        report.add(f"step {step.name}", False, step.error or "failed", report.execution_id)
                if report.state in STOPPED:
                    report.add("execution", False, "paused by a failed step: ARC waits for the operator "
                               "(retry, skip the step, or switch to ungraceful)", report.execution_id)  # fmt: skip
                return
            if clock() - began >= timeout_seconds:
                report.add("timeout", False, f"still {report.state} after {timeout_seconds:.0f} s (step "
                           f"{running or '-'}); the execution goes on in ARC", report.execution_id)  # fmt: skip
                return
            sleep(poll_seconds)
    except KeyboardInterrupt:
        raise FollowInterruptedError(report, running) from None
    except ClientError as err:
        report.add("follow", False, f"AWS refused {err.operation_name} while following ({describe_error(err)}); "
                   "the steps above are what was known", report.execution_id)  # fmt: skip


def _new_events(arc: Any, report: ExecutionReport, seen: set[str]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    token = None
    while True:
        page = arc.list_plan_execution_events(planArn=report.plan, executionId=report.execution_id,
                                              **({"nextToken": token} if token else {}))  # fmt: skip
        events += [e for e in page.get("items", []) if e["eventId"] not in seen]
        token = page.get("nextToken")
        if not token:
            break
    seen.update(e["eventId"] for e in events)
    return sorted(events, key=lambda e: e.get("timestamp") or datetime.datetime.min.replace(tzinfo=datetime.UTC))


def _print_event(event: dict[str, Any], progress: Progress, running: str) -> str:
    when = event.get("timestamp")
    stamp = when.strftime("%H:%M:%S") if isinstance(when, datetime.datetime) else "--:--:--"
    step, kind = event.get("stepName", ""), event.get("type", "")
    text = event.get("error") or event.get("description") or ""
    progress(f"  {stamp} {step or 'execution':<17} {kind}{': ' + text if text else ''}")
    if kind == "stepStarted":
        return str(step)
    return "" if kind in ("stepSucceeded", "stepFailed", "stepSkipped", "stepCanceled") and step == running else running


def _read_steps(arc: Any, report: ExecutionReport) -> None:
    execution = arc.get_plan_execution(planArn=report.plan, executionId=report.execution_id)
    states = list(execution.get("stepStates", []))
    token = execution.get("nextToken")
    while token:
        page = arc.get_plan_execution(planArn=report.plan, executionId=report.execution_id, nextToken=token)
        states += page.get("stepStates", [])
        token = page.get("nextToken")
    report.state = str(execution["executionState"])
    report.steps = [_step(state) for state in states]


def _step(state: dict[str, Any]) -> StepState:
    start, end = state.get("startTime"), state.get("endTime")
    seconds = (end - start).total_seconds() if start and end else None
    return StepState(str(state.get("name")), str(state.get("status")), seconds)


# --- replication lag: what ARC does not check ----------------------------------------------------------------


def replication_lag(clients: Clients, cluster: str, now: datetime.datetime | None = None) -> float | None:
    """The highest AuroraGlobalDBReplicationLag (reported in milliseconds) of a secondary cluster over the
    last LAG_WINDOW_SECONDS, in seconds; None when the metric has no datapoints."""
    # EndTime one period ahead: the newest datapoint lies in the period still in progress.
    end = (now or datetime.datetime.now(datetime.UTC)) + datetime.timedelta(seconds=60)
    points = clients("cloudwatch").get_metric_statistics(
        Namespace="AWS/RDS", MetricName="AuroraGlobalDBReplicationLag",
        Dimensions=[{"Name": "DBClusterIdentifier", "Value": cluster}],
        StartTime=end - datetime.timedelta(seconds=LAG_WINDOW_SECONDS + 60), EndTime=end, Period=60,
        Statistics=["Maximum"],
    )["Datapoints"]  # fmt: skip
    if not points:
        return None
    return max(float(point["Maximum"]) for point in points) / 1000
