"""`python -m ops failover|failback` (ops/failover.py): thin commands that start the pair's ARC Region switch plan in
the region being activated and follow its execution.

moto does not implement `arc-region-switch`: the tests answer it with botocore's Stubber, which checks every
request and response against the service model of the pinned botocore (so a wrong field name or a missing
required member fails here). STS is stubbed the same way. Clock and sleep are injected: no test waits.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from offline.engine import PROJECT_DIR
from ops import common
from ops.__main__ import main
from ops.common import Clients, load_config
from ops.failover import Direction, FollowInterruptedError, Mode, Pair, pair_stacks, run_switch
from ops.recovery_budget import budget, budget_total, measured_times
from ops.region_drill import cross_region_drill
from tests.helpers import PROD_ACCOUNT, isolate_aws_credentials

EAST, WEST = "us-east-1", "us-west-2"
PLAN = f"arn:aws:arc-region-switch::{PROD_ACCOUNT}:plan/fintech-prod-switch:abc123"
EXECUTION = "exec-1234"
T0 = datetime.datetime(2026, 12, 5, 16, 0, tzinfo=datetime.UTC)
STEPS = ("scale-capacity", "decide", "promote-database", "region-actions", "move-traffic")
"""The failover workflow's steps (components/region_switch_model.py)."""


class FakeSession:
    """Hands out stubbed clients and records which service was asked for in which region."""

    def __init__(self) -> None:
        self.clients: dict[tuple[str, str], Any] = {}
        self.stubs: dict[tuple[str, str], Stubber] = {}
        self.asked: list[tuple[str, str]] = []

    def stub(self, service: str, region: str) -> Stubber:
        key = (service, region)
        if key not in self.stubs:
            client = boto3.client(service, region_name=region, aws_access_key_id="testing",
                                  aws_secret_access_key="testing")  # fmt: skip
            self.clients[key], self.stubs[key] = client, Stubber(client)
            self.stubs[key].activate()
        return self.stubs[key]

    def client(self, service: str, region_name: str, **_: Any) -> Any:
        self.asked.append((service, region_name))
        if (service, region_name) not in self.clients:
            raise AssertionError(f"unexpected {service} client in {region_name}")
        return self.clients[(service, region_name)]


@pytest.fixture
def pair() -> Pair:
    return pair_stacks("prod", load_config("prod"), "prod-dr", load_config("prod-dr"))


def _identity(session: FakeSession, region: str, account: str = PROD_ACCOUNT) -> None:
    for _ in range(2):  # the primary's and the standby's account pins, both checked in the activated region
        session.stub("sts", region).add_response(
            "get_caller_identity", {"Account": account, "Arn": f"arn:aws:iam::{account}:user/ops", "UserId": "ops"}
        )


def _start(session: FakeSession, region: str, mode: str = "graceful") -> Stubber:
    arc = session.stub("arc-region-switch", region)
    arc.add_response("list_plans_in_region", {"plans": [
        {"arn": PLAN, "owner": PROD_ACCOUNT, "name": "fintech-prod-switch", "regions": [EAST, WEST],
         "recoveryApproach": "activePassive"}]}, {})  # fmt: skip
    arc.add_response("start_plan_execution", {"executionId": EXECUTION, "plan": PLAN, "activateRegion": region},
                     {"planArn": PLAN, "targetRegion": region, "action": "activate", "mode": mode,
                      "comment": ANY, "clientToken": ANY})  # fmt: skip
    return arc


def _event(number: int, step: str, kind: str, minute: int, error: str = "") -> dict[str, Any]:
    event: dict[str, Any] = {"eventId": f"e{number}", "type": kind, "stepName": step,
                             "timestamp": T0 + datetime.timedelta(minutes=minute)}  # fmt: skip
    if error:
        event["error"] = error
    return event


def _state(name: str, status: str, start: int | None = None, end: int | None = None) -> dict[str, Any]:
    state: dict[str, Any] = {"name": name, "status": status}
    if start is not None:
        state["startTime"] = T0 + datetime.timedelta(minutes=start)
    if end is not None:
        state["endTime"] = T0 + datetime.timedelta(minutes=end)
    return state


def _poll(arc: Stubber, events: list[dict[str, Any]], state: str, steps: list[dict[str, Any]], region: str) -> None:
    arc.add_response("list_plan_execution_events", {"items": events}, {"planArn": PLAN, "executionId": EXECUTION})
    arc.add_response("get_plan_execution", {
        "planArn": PLAN, "executionId": EXECUTION, "startTime": T0, "mode": "graceful", "executionState": state,
        "executionAction": "activate", "executionRegion": region, "stepStates": steps},
        {"planArn": PLAN, "executionId": EXECUTION})  # fmt: skip


class Clock:
    """A clock that moves by `step` seconds each time it is read; `sleeps` records the waits asked for."""

    def __init__(self, step: float = 1.0) -> None:
        self.now, self.step = 0.0, step
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        self.now += self.step
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def _run(pair: Pair, session: FakeSession, direction: Direction = "failover", mode: Mode = "switchover",
         clock: Clock | None = None, timeout: float = 3600, sleep: Callable[[float], None] | None = None,
         messages: list[str] | None = None) -> Any:  # fmt: skip
    clock = clock or Clock()
    clients = Clients(EAST, session=session)
    return run_switch(pair, direction, clients, mode, timeout_seconds=timeout, poll_seconds=7,
                      progress=(messages if messages is not None else []).append, clock=clock,
                      sleep=sleep or clock.sleep)  # fmt: skip


def _completed_failover(session: FakeSession, mode: str = "graceful") -> Stubber:
    _identity(session, WEST)
    arc = _start(session, WEST, mode)
    _poll(arc, [_event(1, "scale-capacity", "stepStarted", 0)], "inProgress",
          [_state("scale-capacity", "running", 0), *(_state(s, "notStarted") for s in STEPS[1:])], WEST)  # fmt: skip
    ends = {"scale-capacity": (0, 6), "decide": (6, 9), "promote-database": (9, 10), "region-actions": (10, 11),
            "move-traffic": (11, 13)}  # fmt: skip
    events = [_event(n, step, kind, minute) for n, (step, kind, minute) in enumerate(
        [(s, k, ends[s][i]) for s in STEPS for i, k in enumerate(("stepStarted", "stepSucceeded"))], 2)]  # fmt: skip
    _poll(arc, events, "completed", [_state(s, "completed", *ends[s]) for s in STEPS], WEST)
    return arc


# --- an execution followed to the end -----------------------------------------------------------------------


def test_failover_starts_the_plan_in_the_standby_region_and_follows_it_to_the_end(pair: Pair) -> None:
    session = FakeSession()
    arc = _completed_failover(session)
    clock, messages = Clock(), list[str]()
    report = _run(pair, session, clock=clock, messages=messages)
    arc.assert_no_pending_responses()
    # Every call went to the region being activated: nothing depends on the primary's region.
    assert {region for _, region in session.asked} == {WEST}
    assert not report.failed and report.state == "completed" and report.execution_id == EXECUTION
    assert [(s.name, s.status, s.seconds) for s in report.steps] == [
        ("scale-capacity", "completed", 360.0), ("decide", "completed", 180.0), ("promote-database", "completed", 60.0),
        ("region-actions", "completed", 60.0), ("move-traffic", "completed", 120.0)]  # fmt: skip
    assert report.measured_total == 780
    assert clock.sleeps == [7]  # polled once between the two reads, at the injected interval
    assert "  16:09:00 promote-database  stepStarted" in messages
    assert "  16:13:00 move-traffic      stepSucceeded" in messages
    text = report.text()
    assert "activating us-west-2" in text and "3. promote-database  completed           60 s" in text
    assert "prod-dr (us-west-2) is the active region" in text


def test_failover_mode_runs_the_plan_ungraceful(pair: Pair) -> None:
    session = FakeSession()
    arc = _completed_failover(session, mode="ungraceful")
    report = _run(pair, session, mode="failover")
    arc.assert_no_pending_responses()
    assert not report.failed and json.loads(report.json())["arcMode"] == "ungraceful"


def test_failback_activates_the_primary_region(pair: Pair) -> None:
    session = FakeSession()
    _identity(session, EAST)
    arc = _start(session, EAST)
    _poll(arc, [], "completed", [_state("move-traffic", "completed", 0, 2)], EAST)
    report = _run(pair, session, direction="failback")
    arc.assert_no_pending_responses()
    assert not report.failed and {region for _, region in session.asked} == {EAST}


# --- a failed step keeps its report -------------------------------------------------------------------------


def test_a_failed_step_is_reported_with_every_step_before_it(pair: Pair) -> None:
    session = FakeSession()
    _identity(session, WEST)
    arc = _start(session, WEST)
    error = "AccessDenied: rds:SwitchoverGlobalCluster on fintech-prod-global"
    _poll(arc, [_event(1, "scale-capacity", "stepStarted", 0), _event(2, "scale-capacity", "stepSucceeded", 5),
                _event(3, "decide", "stepSucceeded", 7), _event(4, "promote-database", "stepFailed", 8, error)],
          "pausedByFailedStep", [_state("scale-capacity", "completed", 0, 5), _state("decide", "completed", 5, 7),
                                 _state("promote-database", "failed", 7, 8),
                                 *(_state(s, "notStarted") for s in STEPS[3:])], WEST)  # fmt: skip
    report = _run(pair, session)
    arc.assert_no_pending_responses()
    assert report.failed and report.state == "pausedByFailedStep"
    assert [(s.name, s.status) for s in report.steps][:3] == [
        ("scale-capacity", "completed"),
        ("decide", "completed"),
        ("promote-database", "failed"),
    ]
    assert report.steps[2].error == error
    text = report.text()
    assert "1. scale-capacity    completed          300 s" in text and error in text
    assert "FAIL step promote-database" in text and "ARC waits for the operator" in text


def test_an_aws_error_while_following_keeps_the_steps_read_so_far(pair: Pair) -> None:
    session = FakeSession()
    _identity(session, WEST)
    arc = _start(session, WEST)
    _poll(arc, [], "inProgress", [_state("scale-capacity", "completed", 0, 4), _state("decide", "running", 4)], WEST)
    arc.add_response("list_plan_execution_events", {"items": []}, {"planArn": PLAN, "executionId": EXECUTION})
    arc.add_client_error("get_plan_execution", "ThrottlingException", "Rate exceeded")
    report = _run(pair, session)
    assert report.failed
    assert [(s.name, s.status) for s in report.steps] == [("scale-capacity", "completed"), ("decide", "running")]
    assert any(f.check == "follow" and "ThrottlingException" in f.detail for f in report.findings)


def test_following_stops_at_the_timeout_naming_the_step(pair: Pair) -> None:
    session = FakeSession()
    _identity(session, WEST)
    arc = _start(session, WEST)
    _poll(arc, [_event(1, "decide", "stepPendingApproval", 6)], "pendingManualApproval",
          [_state("scale-capacity", "completed", 0, 6), _state("decide", "pendingApproval", 6)], WEST)  # fmt: skip
    report = _run(pair, session, clock=Clock(step=200), timeout=150)
    assert report.failed and any(f.check == "timeout" and "(step decide)" in f.detail for f in report.findings)


# --- Ctrl-C -------------------------------------------------------------------------------------------------


def test_ctrl_c_names_the_step_in_progress(pair: Pair) -> None:
    session = FakeSession()
    _identity(session, WEST)
    arc = _start(session, WEST)
    _poll(arc, [_event(1, "scale-capacity", "stepSucceeded", 5), _event(2, "promote-database", "stepStarted", 7)],
          "inProgress", [_state("scale-capacity", "completed", 0, 5), _state("decide", "completed", 5, 7),
                         _state("promote-database", "running", 7)], WEST)  # fmt: skip

    def interrupt(_: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(FollowInterruptedError) as stopped:
        _run(pair, session, sleep=interrupt)
    assert stopped.value.step == "promote-database"
    message = stopped.value.message()
    assert "while step 'promote-database' was in progress" in message and EXECUTION in message
    assert f"cancel-plan-execution --region {WEST}" in message
    assert [s.name for s in stopped.value.report.steps] == ["scale-capacity", "decide", "promote-database"]


def test_main_prints_the_report_and_exits_130_on_ctrl_c(
    pair: Pair, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ops import __main__ as entry

    report = run_switch(pair, "failover", Clients(EAST), dry_run=True)  # only to get a report object
    report.dry_run, report.execution_id = False, EXECUTION

    def stop(_: Any) -> Any:
        raise FollowInterruptedError(report, "decide")

    monkeypatch.setattr(entry, "run", stop)
    assert main(["failover", "--stack", "prod", "--to", "prod-dr"]) == 130
    out, err = capsys.readouterr()
    assert "execution exec-1234" in out and "interrupted while step 'decide' was in progress" in err


# --- the command line ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "0", "-5", "inf"])
def test_timeout_must_be_a_positive_number(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["failover", "--stack", "prod", "--to", "prod-dr"], ["dr-drill", "--stack", "prod"]):
        with pytest.raises(SystemExit) as refused:
            main([*args, "--timeout", value])
        err = capsys.readouterr().err
        assert refused.value.code == 2 and "argument --timeout" in err and "Traceback" not in err


def test_run_switch_refuses_a_timeout_that_cannot_end() -> None:
    from ops.common import OpsError
    from ops.failover import check_timeout

    for value in (float("nan"), 0.0, -5.0, float("inf")):
        with pytest.raises(OpsError, match="must be a positive number of seconds"):
            check_timeout(value)


def test_dry_run_prints_the_failover_workflow_without_credentials(tmp_path: Path) -> None:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment |= {"AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_CONFIG_FILE": str(tmp_path / "none"),
                    "AWS_EC2_METADATA_DISABLED": "true"}  # fmt: skip
    command = [sys.executable, "-m", "ops", "failover", "--stack", "prod", "--to", "prod-dr", "--dry-run"]
    result = subprocess.run(command, cwd=PROJECT_DIR, env=environment, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for number, (step, block) in enumerate(
        zip(
            (*STEPS[:4], "add-readers", STEPS[4]),
            (
                "EKSResourceScaling",
                "ManualApproval",
                "AuroraGlobalDatabase",
                "CustomActionLambda",
                "CustomActionLambda",
                "Route53HealthCheck",
            ),
            strict=True,
        ),
        1,
    ):
        assert f"{number}. {step:<17} {block}" in result.stdout  # fmt: skip
    assert "StartPlanExecution in us-west-2, action activate, mode graceful" in result.stdout


def test_dry_run_of_the_failback_and_of_an_ungraceful_failover(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["failback", "--stack", "prod", "--from", "prod-dr", "--dry-run", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["region"] == EAST and document["dryRun"]
    steps = [s["name"] for s in document["workflow"]["steps"]]
    # the standby keeps its capacity until the traffic has moved back (peer-actions and remove-readers after it)
    assert steps == ["scale-capacity", "decide", "promote-database", "region-actions", "move-traffic", "peer-actions",
                     "remove-readers"]  # fmt: skip
    assert main(["failover", "--stack", "prod", "--to", "prod-dr", "--dry-run", "--mode", "failover"]) == 0
    assert "mode ungraceful" in capsys.readouterr().out


PAIRLESS = {
    # dev-tier stacks that pair but pin no account: a destructive command must refuse them
    "blue": "config:\n  fintech-platform:tier: dev\n  fintech-platform:drStack: green\n",
    "green": "config:\n  fintech-platform:tier: dev\n  fintech-platform:region: us-west-2\n"
    "  fintech-platform:drRegion: us-east-1\n  fintech-platform:standbyFor: blue\n",
}
DEV_EXTRA = ("  fintech-platform:dnsZoneId: Z0123456789ABCDEFGHIJ\n  fintech-platform:dnsName: api.example.com\n"
             "  fintech-platform:certificateArn: arn:aws:acm:{region}:111122223333:certificate/"
             "3b8f2d61-9c4e-4a7b-8e05-d2c6a1f7b934\n  fintech-platform:validatorImageTag: 1.0.0\n"
             "  fintech-platform:paymentsImageTag: 1.0.0\n  fintech-platform:ledgerImageTag: 1.0.0\n")  # fmt: skip


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The project's stack files plus an unpinned pair, as the directory ops reads."""
    for path in PROJECT_DIR.glob("Pulumi*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    for stack, text in PAIRLESS.items():
        region = "us-west-2" if stack == "green" else "us-east-1"
        (tmp_path / f"Pulumi.{stack}.yaml").write_text(text + DEV_EXTRA.format(region=region))
    monkeypatch.setattr(common, "PROJECT_DIR", tmp_path)
    return tmp_path


@pytest.mark.parametrize(("args", "account", "words"), [
    (["failover", "--stack", "staging-x", "--to", "prod-dr"], PROD_ACCOUNT, "invalid choice: 'staging-x'"),
    (["failover", "--stack", "prod"], PROD_ACCOUNT, "the following arguments are required: --to"),
    (["failover", "--stack", "prod", "--to", "prod-dr", "--mode", "auto"], PROD_ACCOUNT, "invalid choice: 'auto'"),
    (["failover", "--stack", "prod", "--to", "prod"], PROD_ACCOUNT, "--to prod is the stack itself"),
    (["failback", "--stack", "prod", "--from", "prod"], PROD_ACCOUNT, "--from prod is the stack itself"),
    (["failover", "--stack", "prod", "--to", "dev"], PROD_ACCOUNT,
     "stacks 'prod' and 'dev' are not a primary and its standby: Pulumi.prod.yaml sets fintech-platform:drStack = "
     "'prod-dr', not 'dev'"),
    (["failover", "--stack", "prod-dr", "--to", "prod"], PROD_ACCOUNT, "Pulumi.prod-dr.yaml sets "
     "fintech-platform:drStack = '', not 'prod'"),
    (["failover", "--stack", "prod", "--to", "prod-dr"], "999988887777",
     "pinned to account 111122223333 (fintech-platform:accountId), but the credentials in use belong to account "
     "999988887777"),
    (["failover", "--stack", "blue", "--to", "green"], "123456789012", "stack 'blue' pins no account"),
    (["failback", "--stack", "blue", "--from", "green"], "123456789012", "stack 'blue' pins no account"),
], ids=["unknown stack", "no standby", "unknown mode", "--to is --stack", "--from is --stack", "not paired",
        "standby as primary", "another account", "unpinned failover", "unpinned failback"])  # fmt: skip
def test_bad_input_is_one_message_and_exit_2(
    args: list[str], account: str, words: str, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    from moto import mock_aws

    isolate_aws_credentials(monkeypatch, tmp_path)
    for key, value in {"MOTO_ACCOUNT_ID": account, "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing"}.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    with mock_aws():
        try:
            code = main(args)
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    assert code == 2, out + err
    assert "Traceback" not in out + err and words in err, err
    messages = [line for line in err.splitlines() if line.startswith(f"ops {args[0]} ") or ": error: " in line]
    assert len(messages) == 1, err


def test_an_unpinned_pair_may_still_print_its_workflow(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["failover", "--stack", "blue", "--to", "green", "--dry-run"]) == 0
    assert "plan fintech-blue-switch, activating us-west-2" in capsys.readouterr().out


# --- dr-drill: a practice run through the plan, its times in the recovery budget -------------------------------


def test_the_drill_practises_failover_and_failback_and_records_the_step_times(pair: Pair, tmp_path: Path) -> None:
    session = FakeSession()
    session.stub("cloudwatch", WEST).add_response("get_metric_statistics", {"Datapoints": [
        {"Maximum": 800.0, "Timestamp": T0}]}, {"Namespace": "AWS/RDS", "MetricName": "AuroraGlobalDBReplicationLag",
        "Dimensions": [{"Name": "DBClusterIdentifier", "Value": "fintech-prod-dr"}], "StartTime": ANY,
        "EndTime": ANY, "Period": 60, "Statistics": ["Maximum"]})  # fmt: skip
    _completed_failover(session)
    _identity(session, EAST)
    back = _start(session, EAST)
    _poll(back, [], "completed", [_state("promote-database", "completed", 0, 1)], EAST)
    report = common.Report("DR drill", "prod")
    clock = Clock()
    cross_region_drill(report, pair, Clients(EAST, session=session), dry_run=False, timeout_seconds=3600,
                       progress=lambda _: None, clock=clock, sleep=clock.sleep, drill_dir=tmp_path)  # fmt: skip
    assert not report.failed, report.text()
    checks = {f.check: f for f in report.findings}
    assert "0.8 s (RPO 300 s)" in checks["cross-region-rpo"].detail
    assert checks["failover-rto"].detail.startswith("780 s measured")
    assert checks["failover-time promote-database"].detail == "completed, measured 60 s"
    measured = measured_times("prod", tmp_path)
    assert measured == {"scale-capacity": 360.0, "decide": 180.0, "promote-database": 60.0, "region-actions": 60.0,
                        "move-traffic": 120.0}  # fmt: skip
    lines = {line.key: line for line in budget(measured)}
    assert (lines["promote-database"].seconds, lines["promote-database"].origin) == (60, "measured (promote-database)")
    assert (lines["scale-standby"].seconds, lines["scale-standby"].origin) == (360, "measured (scale-capacity)")
    # Detection and the decision are never replaced by a rehearsal's figures.
    assert lines["detect"].origin == lines["decide"].origin == "published"
    assert budget_total(measured) == sum(line.seconds for line in lines.values())


def test_without_a_practice_run_the_budget_is_the_published_one(tmp_path: Path) -> None:
    from ops.recovery_budget import rto_total

    assert measured_times("prod", tmp_path) == {}
    assert budget_total(measured_times("prod", tmp_path)) == rto_total()


def test_the_drill_stops_after_a_failed_practice_failover(pair: Pair, tmp_path: Path) -> None:
    session = FakeSession()
    session.stub("cloudwatch", WEST).add_response("get_metric_statistics", {"Datapoints": []})
    _identity(session, WEST)
    arc = _start(session, WEST)
    _poll(arc, [_event(1, "scale-capacity", "stepFailed", 3, "timed out waiting for pods")], "failed",
          [_state("scale-capacity", "failed", 0, 10)], WEST)  # fmt: skip
    report = common.Report("DR drill", "prod")
    clock = Clock()
    cross_region_drill(report, pair, Clients(EAST, session=session), dry_run=False, timeout_seconds=3600,
                       progress=lambda _: None, clock=clock, sleep=clock.sleep, drill_dir=tmp_path)  # fmt: skip
    checks = {f.check: f for f in report.findings}
    assert report.failed and checks["failback"].detail == "not run: the practice failover did not complete"
    assert "timed out waiting for pods" in checks["failover-time scale-capacity"].detail
    assert {region for _, region in session.asked} == {WEST}  # no failback was started in us-east-1
