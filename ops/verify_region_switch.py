"""`ops verify`: is the region pair's ARC Region switch plan ready to run? (issue 24)

ARC evaluates a plan right after CreatePlan/UpdatePlan and then every 30 minutes (IAM, capacity, configuration
drift: https://docs.aws.amazon.com/r53recovery/latest/dg/working-with-rs-execution-blocks.html) and keeps the
result in every region of the plan. This check reads it with GetPlanEvaluationStatus (botocore 1.44.18,
arc-region-switch 2022-07-26: request planArn (required), maxResults, nextToken; response evaluationState
passed|actionRequired|pendingEvaluation|unknown, lastEvaluationTime, warnings[] with warningStatus
active|resolved, warningMessage, stepName, resourceArn, workflow).

Which endpoint: GetPlanEvaluationStatus and ListPlansInRegion carry no UseControlPlaneEndpoint context parameter
in the service model (CreatePlan, GetPlan, ListPlans, UpdatePlan do), so botocore 1.44.18's endpoint rules
(arc-region-switch endpoint-rule-set-1.json) send them to the regional data plane `arc-region-switch.<region>.api.aws`
(us-west-2: https://arc-region-switch.us-west-2.api.aws), while the control-plane operations go to
`arc-region-switch-control-plane.us-east-1.api.aws` whatever the client's region. (The client's
`meta.endpoint_url`, arc-region-switch.<region>.amazonaws.com, is not where the requests go: the rules resolve per
operation.) The check asks the stack's own region: verify of prod-dr reads the status from us-west-2, the region
a failover activates and has to work without us-east-1.
"""

from __future__ import annotations

import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ops.common import Clients, Report, describe_error

STALE_AFTER = datetime.timedelta(hours=2)
"""An evaluation older than this (ARC evaluates every 30 minutes) means ARC stopped evaluating the plan."""


def check_region_switch(report: Report, clients: Clients, plan_name: str, now: datetime.datetime | None = None) -> None:
    """The plan exists in the clients' region and its last evaluation passed with no active warning; fails naming
    each active warning, a pending or unknown evaluation, a stale one, or the API error (no traceback)."""
    arc = clients("arc-region-switch")
    try:
        arn = _plan_arn(arc, plan_name)
        if arn is None:
            report.add("region-switch-plan", False, f"no Region switch plan named {plan_name} in {clients.region}: "
                       "deploy the primary stack (pulumi up)", plan_name)  # fmt: skip
            return
        status, warnings = _evaluation(arc, arn)
    except (ClientError, BotoCoreError) as err:
        report.add("region-switch-plan", False, f"could not read the plan's evaluation in {clients.region}: "
                   f"{describe_error(err)}", plan_name)  # fmt: skip
        return
    state = str(status.get("evaluationState", "unknown"))
    evaluated = status.get("lastEvaluationTime")
    active = [w for w in warnings if w.get("warningStatus") == "active"]
    if evaluated is None or state == "pendingEvaluation":
        report.add("region-switch-evaluation", False, f"ARC has not evaluated the plan yet (evaluationState {state}); "
                   "it evaluates after each change and every 30 minutes - run verify again later", arn)  # fmt: skip
        return
    age = (now or datetime.datetime.now(datetime.UTC)) - evaluated
    when = f"last evaluated {evaluated:%Y-%m-%d %H:%M} UTC"
    if state != "passed" or active:
        names = "; ".join(_warning(w) for w in active) or "no warning listed"
        report.add("region-switch-evaluation", False, f"evaluationState {state}, {len(active)} active warning(s), "
                   f"{when}: {names}", arn)  # fmt: skip
        return
    if age > STALE_AFTER:
        report.add("region-switch-evaluation", False, f"evaluation passed but is stale: {when}, more than "
                   f"{STALE_AFTER.total_seconds() / 3600:g} h ago (ARC evaluates every 30 minutes)", arn)  # fmt: skip
        return
    report.add("region-switch-evaluation", True, f"evaluationState passed, no active warning, {when}", arn)


def _plan_arn(arc: Any, name: str) -> str | None:
    """ARN of the plan named `name` (its ARN ends in a suffix ARC chooses, so it is looked up by name)."""
    for page in arc.get_paginator("list_plans_in_region").paginate():
        for plan in page.get("plans", []):
            if plan.get("name") == name:
                return str(plan["arn"])
    return None


def _evaluation(arc: Any, arn: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The first page's status fields and every page's warnings."""
    status: dict[str, Any] = {}
    warnings: list[dict[str, Any]] = []
    for page in arc.get_paginator("get_plan_evaluation_status").paginate(planArn=arn):
        status = status or dict(page)
        warnings += page.get("warnings", [])
    return status, warnings


def _warning(warning: dict[str, Any]) -> str:
    where = ", ".join(
        part
        for part in (
            f"workflow {warning['workflow'].get('action', '')} {warning['workflow'].get('name', '')}".rstrip()
            if warning.get("workflow")
            else "",
            f"step {warning['stepName']}" if warning.get("stepName") else "",
            str(warning.get("resourceArn", "")),
        )
        if part
    )
    return f"{warning.get('warningMessage', '')}" + (f" ({where})" if where else "")
