"""The recovery budget of a region failure, as data: each runbook step of `python -m ops failover` with the
time it is expected to take and where that figure comes from, and the recovery point of each kind of data.

No AWS calls: docs/recovery.md's "Loss of the region" tables are checked against these figures
(tests/test_recovery_budget.py). Since issue 24 the failover runs on ARC's Region switch plan: `budget()` uses
the step times a practice run measured (`ops dr-drill`, DRILL_DIR) where they exist and these figures where not.

A `source` is either one or more https addresses (AWS's published figures, separated by spaces) or a
sentence that starts with "no published figure; " and says what the estimate is made from. Where a step
mixes both, the source lists the addresses and the note says which part is our estimate.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

RTO_TARGET_SECONDS = 1800
"""Recovery time objective of a region failure: 30 minutes (issue 14)."""
RPO_TARGET_SECONDS = 300
"""Recovery point objective of a region failure: 5 minutes (issue 14)."""

NO_FIGURE = "no published figure; "
"""How a source that is not AWS's published figure begins."""

# The settings the figures are made of. The alarm and the Route 53 health check are the lead's design
# (issue 14); the target group health check is components/edge.py's (interval=15, healthy_threshold=2).
ALARM_PERIOD_SECONDS = 60
"""Period of the ALB's no-healthy-targets alarm (HealthyHostCount): the ALB publishes 1-minute metrics."""
ALARM_EVALUATION_PERIODS = 2
"""Periods the alarm evaluates before it goes to ALARM."""
HEALTH_CHECK_INTERVAL_SECONDS = 30
"""Route 53 health checker interval (10 or 30 s; the API's default is 30)."""
HEALTH_CHECK_FAILURE_THRESHOLD = 3
"""Consecutive failures before Route 53 changes a health check's status (1-10; the API's default is 3)."""
ALB_ALIAS_TTL_SECONDS = 60
"""TTL that resolvers see on an alias record to an ALB: the alias has the target's TTL, fixed at 60 s."""
TARGET_HEALTH_INTERVAL_SECONDS = 15
"""ALB target group health check interval (components/edge.py)."""
TARGET_HEALTHY_THRESHOLD = 2
"""Consecutive successes before the ALB routes to a target (components/edge.py)."""

_AURORA_GLOBAL = "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database.html"
_AURORA_DR = (
    "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html"
)
_CW_ALARMS = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html"
_R53_HEALTH = (
    "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html"
)
_R53_FAQ = "https://aws.amazon.com/route53/faqs/"
_ALARM_SECONDS = ALARM_EVALUATION_PERIODS * ALARM_PERIOD_SECONDS
_HEALTH_CHECK_SECONDS = HEALTH_CHECK_INTERVAL_SECONDS * HEALTH_CHECK_FAILURE_THRESHOLD
_R53_ALIAS = (
    "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-choosing-alias-non-alias.html"
)
_ALB_HEALTH = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html"
_SM_REPLICATE = "https://docs.aws.amazon.com/secretsmanager/latest/userguide/replicate-secrets.html"
_SM_STOP = "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_StopReplicationToReplica.html"
_ECR_REPLICATION = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication.html"
ADD_READERS_SECONDS = 30
"""The add-readers step: a DescribeDBClusters, a DescribeDBInstances and one CreateDBInstance per reader, each
answering in about a second, plus the Lambda's cold start; rounded up (our estimate, no published figure)."""


@dataclass(frozen=True)
class RunbookStep:
    """One step of the region failover runbook and its share of the recovery time budget."""

    key: str
    """Name of the step, as `ops failover` reports it."""
    title: str
    """What happens in the step."""
    expected_seconds: int
    """Time the step is expected to take."""
    source: str
    """https addresses of AWS's published figures, or "no published figure; estimate X from Y"."""
    note: str
    """How the figure is made up, and what is ours rather than AWS's."""


class DataRpo(NamedTuple):
    """The recovery point of one kind of data when the primary region is lost."""

    kind: str
    """The data."""
    rpo_seconds: int | None
    """Data that can be lost, in seconds; None when the data is not a system of record."""
    mechanism: str
    """How the data reaches the standby region (or why it need not)."""
    source: str
    """https addresses of AWS's published figures, or "no published figure; ..."."""
    note: str
    """What the figure means and its limits."""


REGION_FAILOVER_STEPS: tuple[RunbookStep, ...] = (
    RunbookStep(
        "detect",
        "region failure detected: the Route 53 health check of the primary's ALB turns unhealthy",
        _ALARM_SECONDS + _HEALTH_CHECK_SECONDS,
        f"{_CW_ALARMS} {_R53_HEALTH}",
        f"The health check is of type CLOUDWATCH_METRIC on the ALB's no-healthy-targets alarm: "
        f"{ALARM_EVALUATION_PERIODS} evaluation periods x {ALARM_PERIOD_SECONDS} s = "
        f"{ALARM_EVALUATION_PERIODS * ALARM_PERIOD_SECONDS} s. When the region is gone the alarm's data stream "
        "stops, and InsufficientDataHealthStatus=Unhealthy turns the health check unhealthy all the same "
        "(Route 53 reads the alarm's data stream, not its state). Route 53 publishes no figure for how soon it "
        "sees the data stream; estimate one endpoint-check cycle, "
        f"{HEALTH_CHECK_INTERVAL_SECONDS} s x {HEALTH_CHECK_FAILURE_THRESHOLD} failures = "
        f"{HEALTH_CHECK_INTERVAL_SECONDS * HEALTH_CHECK_FAILURE_THRESHOLD} s.",
    ),
    RunbookStep(
        "decide",
        "on-call declares the region lost and runs `python -m ops failover --stack prod --to prod-dr`",
        600,
        NO_FIGURE + "estimate 600 s from our own paging and decision budget",
        "An organisational budget, ours and not AWS's: the page reaches on-call, who confirms on the AWS Health "
        "Dashboard and the standby's view that the region (not one service) is lost, and starts the command. "
        "Failover is a decision, not automatic: a false positive costs the switch back (failback).",
    ),
    RunbookStep(
        "checks",
        "the command's checks before it starts the Region switch plan: the stack files pair, the credentials' "
        "account, the plan found by name",
        30,
        NO_FIGURE + "estimate 30 s from a few Get/List calls against the standby region",
        "Reads only, all in the standby region (us-west-2, ARC's data plane there) so that they work without "
        "us-east-1.",
    ),
    RunbookStep(
        "promote-database",
        "Aurora Global Database: the standby's secondary cluster becomes the writer (failover, or switchover "
        "in a drill)",
        60,
        f"{_AURORA_GLOBAL} {_AURORA_DR}",
        'AWS: "You can promote a secondary cluster and make it available for writes in under a minute" and '
        '"RTO can be in the order of minutes". The secondary already runs a Serverless v2 reader, which is '
        "promoted: no instance is created on this path. A failover (AllowDataLoss) is for a lost region; a "
        "switchover waits for the secondary to catch up and loses nothing, so the drill uses it.",
    ),
    RunbookStep(
        "promote-secret",
        "Secrets Manager StopReplicationToReplica: the master credential's replica becomes a standalone secret",
        5,
        NO_FIGURE + "estimate 5 s from one API call in the replica's region",
        'AWS: "You must call this operation from the Region in which you want to promote the replica" '
        f"({_SM_STOP}): us-west-2, so it does not need the lost Region. AWS publishes no duration for it.",
    ),
    RunbookStep(
        "scale-standby",
        "the standby's EKS managed node groups scale up to prod size and the workloads' pods start",
        300,
        NO_FIGURE + "estimate 300 s from EC2 launch, node bootstrap and join, and image pulls from the "
        "standby's own ECR replica",
        "AWS publishes no figure for a node group scale-up; `ops dr-drill` measures it. The standby's warm "
        "nodes already serve at standby size meanwhile. Raising the cache's replicas is not on the critical "
        "path: the standby's cache primary already serves.",
    ),
    RunbookStep(
        "add-readers",
        "the Region switch plan's add-readers step creates the standby's Aurora readers, after the database step, "
        "without waiting for them",
        ADD_READERS_SECONDS,
        NO_FIGURE + f"estimate {ADD_READERS_SECONDS} s from a few CreateDBInstance calls",
        "The readers function describes the cluster and creates the missing readers (failoverAuroraReaders; a "
        "zone without capacity costs one more call) and returns: it does not wait for them, the promoted "
        "Serverless v2 writer serves reads and writes meanwhile and the readers add read capacity once "
        "available (AWS publishes no figure for a new Aurora instance; `ops dr-drill` measures the step). A failed "
        "create is retried by ARC every minute up to the step's timeout (components/region_switch_model.py "
        "READERS_TIMEOUT_MINUTES), which still fits the RTO.",
    ),
    RunbookStep(
        "move-traffic",
        "Route 53 answers with the SECONDARY failover record (the standby's ALB); resolvers drop the old answer",
        HEALTH_CHECK_INTERVAL_SECONDS + ALB_ALIAS_TTL_SECONDS,
        f"{_R53_FAQ} {_R53_ALIAS} {_R53_HEALTH}",
        "No Route 53 API call: the failover records react to the health check's status on the data plane. "
        f"Resolvers keep the old answer up to the alias TTL, which is the target's, {ALB_ALIAS_TTL_SECONDS} s "
        'for an ALB (Route 53 FAQ: alias records to ELB "have fixed TTL of 60 seconds"). Route 53 publishes '
        "no figure for how fast a status reaches its DNS servers; estimate one checker interval, "
        f"{HEALTH_CHECK_INTERVAL_SECONDS} s. Clients that cache DNS beyond the TTL (some JVMs) take longer.",
    ),
    RunbookStep(
        "verify-standby",
        "the standby's ALB reports its targets healthy and the platform answers through the public name",
        TARGET_HEALTH_INTERVAL_SECONDS * TARGET_HEALTHY_THRESHOLD,
        _ALB_HEALTH,
        f"Target group health check (components/edge.py): interval {TARGET_HEALTH_INTERVAL_SECONDS} s x "
        f"healthy threshold {TARGET_HEALTHY_THRESHOLD} = "
        f"{TARGET_HEALTH_INTERVAL_SECONDS * TARGET_HEALTHY_THRESHOLD} s for a new target to take traffic.",
    ),
)
"""The region failover runbook, in the order `ops failover` runs it (detect and decide come before it)."""

RUNBOOK_KEYS: tuple[str, ...] = tuple(step.key for step in REGION_FAILOVER_STEPS)
"""The step names, in order."""

_DATABASE = DataRpo(
    "ledger and payments database",
    1,
    "Aurora Global Database: storage-based replication to the standby's secondary cluster",
    f"{_AURORA_GLOBAL} {_AURORA_DR}",
    'AWS: replication "with latency typically under a second"; "RPO is typically measured in seconds". '
    "A failover loses the commits not yet replicated; a switchover (the drill) loses none. A typical "
    "figure, not a bound: rds.global_db_rpo can make it one (see docs/recovery.md).",
)

RPO_BY_DATA_KIND: tuple[DataRpo, ...] = (
    _DATABASE,
    DataRpo(
        "Kafka events",
        _DATABASE.rpo_seconds,
        "not replicated: re-published from the database's outbox table to the standby's MSK cluster",
        NO_FIGURE + "follows from the ledger and payments database row",
        "The database is the system of record: an event is written to the outbox in the same transaction as "
        "the change it announces, so an event is lost only with its transaction. Consumers must be "
        "idempotent: events published but not yet marked sent are published again.",
    ),
    DataRpo(
        "cache",
        None,
        "not replicated: rebuilt from the database by the workloads (the standby has a small warm cache)",
        NO_FIGURE + "follows from the ledger and payments database row: the cache is not a system of record",
        "Nothing is lost that the database does not hold; a cold cache costs latency, not data.",
    ),
    DataRpo(
        "secrets",
        60,
        "Secrets Manager replica of the generated master credential in the standby region",
        NO_FIGURE + "estimate 60 s from asynchronous replication of a value that changes on each rotation",
        f"Replication is asynchronous and AWS publishes no latency for it ({_SM_REPLICATE}). The credential "
        "rotates every auroraMasterRotationDays days (Secrets Manager rotation on the primary secret, docs/day2.md "
        "section 8), so the replica can lag only in the moments after a rotation: a region lost between the "
        "rotation's setSecret and finishSecret leaves the database on the AWSPENDING password, which the operator "
        "reads from the replica (docs/day2.md section 8); DescribeSecret's ReplicationStatus reads InSync once the "
        "replica holds the current value.",
    ),
    DataRpo(
        "container images",
        0,
        "ECR registry replication of the fintech-<stack>/ repositories to the standby region",
        NO_FIGURE + "estimate 0 s against a release, from images being pushed (and replicated) before the "
        "release that pins them",
        f"AWS publishes no replication time ({_ECR_REPLICATION}); only images pushed after replication is "
        "configured are copied. Measured against a release, not a clock: an image is pinned by tag or digest "
        "only after it is pushed, and `python -m ops preflight --stack prod-dr` finds a pinned image missing "
        "from the standby's repositories.",
    ),
    DataRpo(
        "configuration and state",
        0,
        "the stack files in git and the Pulumi state in the Pulumi backend, outside the primary region",
        NO_FIGURE + "estimate 0 s from the state living outside the region",
        "Pulumi Cloud, or an S3 state bucket that must then not be in the primary region (or be replicated "
        "out of it): a state bucket in us-east-1 would be lost with the region.",
    ),
)
"""Recovery point of each kind of data when the primary region is lost."""


class RecoveryBudgetError(ValueError):
    """The recovery budget does not fit the recovery time objective."""


def rto_total(steps: tuple[RunbookStep, ...] = REGION_FAILOVER_STEPS) -> int:
    """Sum of the steps' expected durations, in seconds: a serial upper bound (move-traffic overlaps)."""
    return sum(step.expected_seconds for step in steps)


def check_rto(steps: tuple[RunbookStep, ...] = REGION_FAILOVER_STEPS, target: int = RTO_TARGET_SECONDS) -> int:
    """The budget's total when it fits the target; RecoveryBudgetError naming the overrun otherwise."""
    total = rto_total(steps)
    if total > target:
        raise RecoveryBudgetError(f"recovery budget {total} s exceeds the RTO of {target} s by {total - target} s")
    return total


def step(key: str) -> RunbookStep:
    """The runbook step named key; KeyError naming the known keys otherwise."""
    for candidate in REGION_FAILOVER_STEPS:
        if candidate.key == key:
            return candidate
    raise KeyError(f"no runbook step {key!r}; known: {', '.join(RUNBOOK_KEYS)}")


# --- the budget from the engine's measurements (issue 24) -------------------------------------------------------

DRILL_DIR = Path(__file__).resolve().parent.parent / "drills"
"""Where `ops dr-drill` records the measured step times of a practice run (commit them: they are evidence)."""
MEASURED_BY: dict[str, str] = {
    "scale-standby": "scale-capacity",
    "promote-database": "promote-database",
    "promote-secret": "region-actions",
    "add-readers": "add-readers",
    "move-traffic": "move-traffic",
}
"""Budget step -> the Region switch plan's step whose measured time replaces the estimate. detect and decide
happen before the execution (the drill's approval is a rehearsal, not an incident's decision), checks and
verify-standby have no step of their own in the plan: those keep their published figures."""


def drill_file(primary: str, directory: Path = DRILL_DIR) -> Path:
    """The file of a pair's last practice run, named after its primary stack."""
    return directory / f"region-switch-{primary}.json"


def measured_times(primary: str, directory: Path = DRILL_DIR) -> dict[str, float]:
    """The step times (seconds, by plan step) of the pair's last practice failover; empty when none is recorded."""
    path = drill_file(primary, directory)
    if not path.is_file():
        return {}
    steps = json.loads(path.read_text()).get("steps", {})
    return {str(name): float(seconds) for name, seconds in steps.items()}


@dataclass(frozen=True)
class BudgetLine:
    """One step of the budget with the figure used and where it comes from."""

    key: str
    seconds: float
    origin: str
    """'measured (<plan step>)' or 'published' (REGION_FAILOVER_STEPS' cited figure or estimate)."""


def budget(measured: Mapping[str, float] | None = None) -> list[BudgetLine]:
    """The region-failure budget: the engine's measured time where a practice run recorded one, the published
    figure where not; detection and decision always included."""
    measured = measured or {}
    lines = []
    for item in REGION_FAILOVER_STEPS:
        source = MEASURED_BY.get(item.key)
        if source is not None and source in measured:
            lines.append(BudgetLine(item.key, measured[source], f"measured ({source})"))
        else:
            lines.append(BudgetLine(item.key, float(item.expected_seconds), "published"))
    return lines


def budget_total(measured: Mapping[str, float] | None = None) -> float:
    """The total of budget(measured), in seconds, to hold against RTO_TARGET_SECONDS."""
    return sum(line.seconds for line in budget(measured))
