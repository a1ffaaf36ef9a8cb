"""The region pair's ARC Region switch plan (issue 24): the incident-response plan for the loss of a region, run
and evidenced by AWS's engine. PCI DSS v4.0.1 12.10.1 asks for an incident response plan ready to be activated;
12.10.2 for it to be tested at least once every 12 months, which the plan's execution reports evidence.

A plan covers both regions of the pair (ARC plans hold exactly two), runs with an execution role, promises
an RTO of at most 30 minutes (the platform's objective), has a workflow that activates each region (failover and
failback), and writes its execution reports to a bucket of the stack that is KMS-encrypted and Object-Locked.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity
from pulumi_policy.proxy import UnknownValueError

from policies.rules.base import ResourceView, Rule, is_list
from policies.rules.policy_documents import statements

AREA = "resilience"
PLAN = "aws:arcregionswitch/plan:Plan"
BUCKET = "aws:s3/bucket:Bucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
MAX_RTO_MINUTES = 30
"""The platform's recovery time objective for the loss of a region (issue 14)."""


def _items(value: Any) -> list[Any]:
    return list(value) if is_list(value) else []


def _set(resource: ResourceView, key: str) -> bool:
    """The property is set; a value unknown until deployment (an ARN) counts as set."""
    try:
        return bool(resource.get(key))
    except UnknownValueError:
        return True


def _regions(plan: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    regions = [str(r) for r in _items(plan.get("regions"))]
    if len(set(regions)) != 2:
        yield f"the plan names {len(set(regions))} region(s) {regions}; it must cover both regions of the pair"
        return
    primary = plan.get("primaryRegion")
    if primary not in regions:
        yield f"primaryRegion {primary!r} is not one of the plan's regions {regions}"
    if plan.get("recoveryApproach") != "activePassive":
        yield f"recoveryApproach is {plan.get('recoveryApproach')!r}; the pair is active/passive"
    activated = {str(w.get("workflowTargetRegion")) for w in _items(plan.get("workflows"))
                 if w.get("workflowTargetAction") == "activate" and _items(w.get("steps"))}  # fmt: skip
    missing = sorted(set(regions) - activated)
    if missing:
        yield f"no workflow with steps activates {', '.join(missing)} (failover and failback need one per region)"


def _execution_role(plan: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if not _set(plan, "executionRole"):
        yield "the plan has no execution role: ARC cannot run its steps"
        return
    role = plan.get("executionRole")
    if isinstance(role, str) and ":role/" not in role:
        yield f"executionRole {role!r} is not an IAM role ARN"


def _rto(plan: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    limit = int(config["maxMinutes"])
    minutes = plan.get("recoveryTimeObjectiveMinutes")
    if not isinstance(minutes, (int, float)):
        yield f"the plan states no recoveryTimeObjectiveMinutes (the objective is at most {limit})"
    elif minutes > limit:
        yield f"recoveryTimeObjectiveMinutes {minutes:g} exceeds the {limit} minutes of the objective"


def _report_buckets(plan: ResourceView, by_urn: Mapping[str, ResourceView]) -> list[ResourceView]:
    return [by_urn[urn] for urn in plan.depends_on("reportConfigurations") if by_urn.get(urn, None) is not None
            and by_urn[urn].type == BUCKET]  # fmt: skip


def _reports(resources: Sequence[ResourceView], _: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    by_urn = {r.urn: r for r in resources}
    for plan in (r for r in resources if r.type == PLAN):
        outputs = [s3 for config in _items(plan.get("reportConfigurations"))
                   for output in _items(config.get("reportOutputs"))
                   for s3 in _items(output.get("s3Configurations"))]  # fmt: skip
        if not outputs:
            yield plan.urn, "the plan writes no execution report (reportConfigurations has no S3 output)"
            continue
        buckets = _report_buckets(plan, by_urn)
        if not buckets:
            yield plan.urn, "the plan's reports go to a bucket this stack does not manage (its encryption and lock "
            "cannot be checked)"
            continue
        for bucket in buckets:
            settings = [r for r in resources if bucket.urn in r.depends_on("bucket")]
            algorithms = [rule.get("applyServerSideEncryptionByDefault", {}).get("sseAlgorithm")
                          for r in settings if r.type == SSE for rule in _items(r.get("rules"))]  # fmt: skip
            if "aws:kms" not in algorithms:
                yield plan.urn, f"the report bucket {bucket.name} is not encrypted with a KMS key (SSE: {algorithms})"
            locked = [r for r in settings if r.type == LOCK and r.get("objectLockEnabled") == "Enabled"]
            if not locked:
                yield plan.urn, f"the report bucket {bucket.name} has no Object Lock: reports could be altered"


IDENTITY_POLICIES = ("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy")
DB_INSTANCE_ACTIONS = ("rds:CreateDBInstance", "rds:DeleteDBInstance")


def _allows(statement: Mapping[str, Any], action: str) -> bool:
    """Whether the statement's Action patterns (* and ? wildcards, any case) match the action."""
    if "NotAction" in statement:
        return True
    patterns = statement.get("Action", [])
    return any(fnmatch.fnmatch(action.lower(), str(p).lower()) for p in (patterns if is_list(patterns) else [patterns]))


def _condition_keys(statement: Mapping[str, Any]) -> set[str]:
    condition = statement.get("Condition") or {}
    return {str(key) for operator in condition.values() if isinstance(operator, Mapping) for key in operator}


def _db_instances_scoped(policy: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    """An identity policy that may create or delete DB instances (the Region switch plan's readers function) names
    the instances, tags what it creates and deletes only what carries its tag."""
    for statement in statements(policy.get("policy")):
        if statement.get("Effect") != "Allow":
            continue
        sid = statement.get("Sid", "(no Sid)")
        create, delete = (_allows(statement, action) for action in DB_INSTANCE_ACTIONS)
        if not (create or delete):
            continue
        resources = [str(r) for r in (statement.get("Resource", "*") if is_list(statement.get("Resource", "*"))
                                      else [statement.get("Resource", "*")])]  # fmt: skip
        if any(r == "*" or r.endswith(":db:*") for r in resources):
            yield f"statement {sid} may create or delete every DB instance ({resources}): name them by prefix"
        keys = _condition_keys(statement)
        if create and not any(k.startswith("aws:RequestTag/") for k in keys):
            yield f"statement {sid} creates DB instances without requiring its tag (aws:RequestTag/...)"
        if delete and not any(k.startswith("aws:ResourceTag/") for k in keys):
            yield f"statement {sid} deletes DB instances it did not tag (no aws:ResourceTag/... condition)"


RULES = [
    Rule("region-switch-plan-regions", AREA, "A Region switch plan covers both regions of the pair, active/passive, "
         "with a workflow that activates each region (failover and failback).", Severity.HIGH, "12.10.1",
         "Give the plan regions [primary, standby], primaryRegion, recoveryApproach activePassive and an activate "
         "workflow with steps for each region (components/region_switch_model.py).", (PLAN,), _regions),
    Rule("region-switch-execution-role", AREA, "A Region switch plan runs with an IAM execution role.",
         Severity.HIGH, "12.10.1", "Set executionRole to the ARN of the plan's least-privilege role "
         "(components/region_switch.py).", (PLAN,), _execution_role),
    Rule("region-switch-rto", AREA, "A Region switch plan promises a recovery time objective of at most 30 minutes.",
         Severity.HIGH, "12.10.1", "Set recoveryTimeObjectiveMinutes to 30 or less.", (PLAN,), _rto,
         config={"maxMinutes": {"type": "integer", "minimum": 1, "default": MAX_RTO_MINUTES,
                                "description": "The most minutes a plan may promise. Default: 30."}}),
    Rule("region-switch-reports-encrypted", AREA, "A Region switch plan writes its execution reports (the evidence "
         "that the plan was tested) to a bucket of the stack with SSE-KMS and Object Lock.", Severity.MEDIUM,
         "12.10.2", "Set reportConfigurations to an S3 output in the stack's immutable log bucket "
         "(components/log_bucket.py) encrypted with a customer-managed key.", stack_check=_reports),
    Rule("db-instances-created-and-deleted-scoped", "identity", "A policy that may create or delete DB instances (the "
         "Region switch plan's Aurora readers) names them by prefix, tags what it creates and deletes only what "
         "carries that tag.", Severity.HIGH, "7.2.2", "Scope rds:CreateDBInstance and rds:DeleteDBInstance to "
         "'db:<cluster>-switch-reader-*' with aws:RequestTag and aws:ResourceTag conditions "
         "(components/region_switch_actions.py readers_policy).", IDENTITY_POLICIES, _db_instances_scoped),
]  # fmt: skip
