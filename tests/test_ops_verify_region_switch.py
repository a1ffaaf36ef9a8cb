"""`ops verify`'s Region switch plan check, against botocore's Stubber (moto does not implement arc-region-switch).

The Stubber validates every request and response against botocore's arc-region-switch model, so the fields the
check reads (evaluationState, lastEvaluationTime, warnings[].warningStatus ...) are the API's.
"""

from __future__ import annotations

import datetime
from typing import Any

from botocore.stub import Stubber

from ops.common import Clients, Report
from ops.verify_region_switch import check_region_switch

ARN = "arn:aws:arc-region-switch::111122223333:plan/fintech-prod-switch:a1b2c3"
NOW = datetime.datetime(2026, 12, 5, 12, 0, tzinfo=datetime.UTC)
PLAN = {"arn": ARN, "owner": "111122223333", "name": "fintech-prod-switch", "regions": ["us-east-1", "us-west-2"],
        "recoveryApproach": "activePassive"}  # fmt: skip


def _listed(stubber: Stubber, *plans: dict[str, Any]) -> None:
    other = {**PLAN, "arn": ARN.replace("fintech-prod", "fintech-other"), "name": "fintech-other-switch"}
    stubber.add_response("list_plans_in_region", {"plans": [other], "nextToken": "t"}, {})
    stubber.add_response("list_plans_in_region", {"plans": list(plans)}, {"nextToken": "t"})


def passing_plan(client: Any, evaluated: datetime.datetime | None = None) -> Stubber:
    """A stubbed client whose plan passed its last evaluation (a resolved warning is history, not a failure)."""
    stubber = Stubber(client)
    _listed(stubber, PLAN)
    resolved = {"version": "1", "warningStatus": "resolved", "warningUpdatedTime": NOW,
                "warningMessage": "the execution role lacked rds:FailoverGlobalCluster"}  # fmt: skip
    stubber.add_response("get_plan_evaluation_status", {
        "planArn": ARN, "evaluationState": "passed", "region": "us-east-1",
        "lastEvaluationTime": evaluated or datetime.datetime.now(datetime.UTC), "warnings": [resolved],
    }, {"planArn": ARN})  # fmt: skip
    stubber.activate()
    return stubber


def _check(stub: Any, region: str = "us-east-1") -> tuple[Report, Clients]:
    clients = Clients(region)
    stubber = Stubber(clients("arc-region-switch"))
    stub(stubber)
    stubber.activate()
    report = Report("verify", "prod")
    check_region_switch(report, clients, "fintech-prod-switch", now=NOW)
    stubber.assert_no_pending_responses()
    return report, clients


def test_a_passed_evaluation_passes() -> None:
    clients = Clients("us-west-2")
    urls: list[str] = []
    # the URL botocore's endpoint rules resolved for each operation (before the Stubber answers)
    clients("arc-region-switch").meta.events.register_first(
        "before-call.*.*", lambda params, model, **_: urls.append(f"{model.name} {params['url']}")
    )
    stubber = passing_plan(clients("arc-region-switch"), evaluated=NOW - datetime.timedelta(minutes=20))
    report = Report("verify", "prod-dr")
    check_region_switch(report, clients, "fintech-prod-switch", now=NOW)
    stubber.assert_no_pending_responses()
    (finding,) = report.findings
    assert (finding.check, finding.status, finding.resource) == ("region-switch-evaluation", "pass", ARN)
    assert "evaluationState passed, no active warning, last evaluated 2026-12-05 11:40 UTC" in finding.detail
    # the data plane of the stack's own region (the one a failover activates for prod-dr), never us-east-1's
    # control plane
    assert sorted(set(urls)) == ["GetPlanEvaluationStatus https://arc-region-switch.us-west-2.api.aws/",
                                 "ListPlansInRegion https://arc-region-switch.us-west-2.api.aws/"]  # fmt: skip


def test_active_warnings_fail_and_are_named() -> None:
    warnings = [
        {"version": "3", "warningStatus": "active", "warningUpdatedTime": NOW, "stepName": "promote-database",
         "workflow": {"action": "activate", "name": "us-west-2"}, "resourceArn": "arn:aws:iam::111122223333:role/x",
         "warningMessage": "the execution role is not allowed rds:SwitchoverGlobalCluster"},
        {"version": "3", "warningStatus": "active", "warningUpdatedTime": NOW,
         "warningMessage": "function fintech-prod-dr-region-switch has reserved concurrency 0"},
        {"version": "2", "warningStatus": "resolved", "warningUpdatedTime": NOW, "warningMessage": "old news"},
    ]  # fmt: skip

    def stub(stubber: Stubber) -> None:
        _listed(stubber, PLAN)
        first = {"planArn": ARN, "evaluationState": "actionRequired", "lastEvaluationTime": NOW,
                 "warnings": warnings[:1], "nextToken": "n"}  # fmt: skip
        stubber.add_response("get_plan_evaluation_status", first, {"planArn": ARN})
        rest = {"planArn": ARN, "warnings": warnings[1:]}
        stubber.add_response("get_plan_evaluation_status", rest, {"planArn": ARN, "nextToken": "n"})

    report, _ = _check(stub)
    (finding,) = report.findings
    assert finding.status == "fail" and report.failed
    assert "evaluationState actionRequired, 2 active warning(s)" in finding.detail
    assert ("the execution role is not allowed rds:SwitchoverGlobalCluster (workflow activate us-west-2, step "
            "promote-database, arn:aws:iam::111122223333:role/x)") in finding.detail  # fmt: skip
    assert "reserved concurrency 0" in finding.detail and "old news" not in finding.detail


def test_a_plan_never_evaluated_fails() -> None:
    def stub(stubber: Stubber) -> None:
        _listed(stubber, PLAN)
        stubber.add_response("get_plan_evaluation_status", {"planArn": ARN, "evaluationState": "pendingEvaluation"},
                             {"planArn": ARN})  # fmt: skip

    report, _ = _check(stub)
    (finding,) = report.findings
    assert finding.status == "fail"
    assert "ARC has not evaluated the plan yet (evaluationState pendingEvaluation)" in finding.detail


def test_an_unknown_or_stale_evaluation_fails() -> None:
    def unknown(stubber: Stubber) -> None:
        _listed(stubber, PLAN)
        stubber.add_response("get_plan_evaluation_status", {"planArn": ARN, "evaluationState": "unknown",
                                                            "lastEvaluationTime": NOW}, {"planArn": ARN})  # fmt: skip

    def stale(stubber: Stubber) -> None:
        _listed(stubber, PLAN)
        old = NOW - datetime.timedelta(hours=5)
        stubber.add_response("get_plan_evaluation_status", {"planArn": ARN, "evaluationState": "passed",
                                                            "lastEvaluationTime": old}, {"planArn": ARN})  # fmt: skip

    (finding,) = _check(unknown)[0].findings
    assert finding.status == "fail" and "evaluationState unknown, 0 active warning(s)" in finding.detail
    (finding,) = _check(stale)[0].findings
    assert finding.status == "fail" and "stale: last evaluated 2026-12-05 07:00 UTC" in finding.detail


def test_a_missing_plan_fails_naming_it() -> None:
    report, _ = _check(lambda stubber: _listed(stubber), region="us-west-2")
    (finding,) = report.findings
    assert (finding.check, finding.status) == ("region-switch-plan", "fail")
    assert "no Region switch plan named fintech-prod-switch in us-west-2" in finding.detail


def test_an_api_error_is_named_without_a_traceback() -> None:
    def stub(stubber: Stubber) -> None:
        _listed(stubber, PLAN)
        message = "not authorized to perform arc-region-switch:GetPlanEvaluationStatus"
        stubber.add_client_error("get_plan_evaluation_status", "AccessDeniedException", message, 403,
                                 expected_params={"planArn": ARN})  # fmt: skip

    report, _ = _check(stub)
    (finding,) = report.findings
    assert finding.status == "fail"
    assert finding.detail == ("could not read the plan's evaluation in us-east-1: AccessDeniedException: not "
                              "authorized to perform arc-region-switch:GetPlanEvaluationStatus")  # fmt: skip
    assert "Traceback" not in report.text()


def test_plan_changes_go_to_the_us_east_1_control_plane_from_any_region() -> None:
    """What docs/region-switch.md and components/region_switch.py say of the endpoints: botocore's rules send the
    plan's control-plane operations to us-east-1 whatever the client's region, executions to the region's own."""
    clients = Clients("us-west-2")
    arc = clients("arc-region-switch")
    urls: list[str] = []
    arc.meta.events.register_first("before-call.*.*", lambda params, model, **_: urls.append(params["url"]))
    stubber = Stubber(arc)
    stubber.add_response("get_plan", {}, {"arn": ARN})
    stubber.add_response("start_plan_execution", {"executionId": "e"},
                         {"planArn": ARN, "targetRegion": "us-west-2", "action": "activate"})  # fmt: skip
    stubber.activate()
    arc.get_plan(arn=ARN)
    arc.start_plan_execution(planArn=ARN, targetRegion="us-west-2", action="activate")
    assert urls == ["https://arc-region-switch-control-plane.us-east-1.api.aws/",
                    "https://arc-region-switch.us-west-2.api.aws/"]  # fmt: skip
