"""Region failover and failback of a primary stack and its standby (issue 14): the runbook as a command.

    python -m ops failover --stack prod --to prod-dr [--mode switchover|failover] [--dry-run]
    python -m ops failback --stack prod --from prod-dr [--dry-run]

The runbook, each step timed and reported next to its expected duration (EXPECTED_SECONDS):
1. checks: the stack files pair (primary.drStack == standby, standby.standbyFor == primary, standby.region
   == primary.drRegion, same accountId, same dnsZoneId/dnsName); the credentials belong to that account;
   the global cluster `fintech-<primary>-global` has the source cluster as writer and the target as a
   secondary; the target's replication lag (CloudWatch AWS/RDS AuroraGlobalDBReplicationLag, in
   milliseconds, in the target region) against the 300 s RPO.
2. promote-database: switchover (the primary region answers; Aurora waits for the secondary to catch up:
   no data loss) or failover (`AllowDataLoss`: the primary region is gone), then wait until the target is
   the writer (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-disaster-recovery.html).
3. promote-secret: on failover, the standby region's replica of the master credential is promoted to a
   standalone secret (StopReplicationToReplica) so it can be read and rotated without the primary region
   (https://docs.aws.amazon.com/secretsmanager/latest/userguide/standalone-secret.html); on switchover
   replication stays as it is.
4. scale-standby: the standby's node groups, Aurora readers and cache replicas raised to the primary's
   sizes (failback: back to the standby's own sizes). The step requests the capacity and does not wait
   for it: the warm standby serves at its own size while the capacity arrives. The readers it adds
   (`<cluster>-failover-<n>`, tagged purpose=failover-reader, db.serverless in zones without an
   instance) are outside Pulumi's state with RDS's default instance settings; raising prod-dr's
   auroraInstances and running `pulumi up` is the durable route, and failback deletes them.
5. move-traffic: Route 53 failover records of dnsName; switchover inverts the PRIMARY record's health check
   (healthy then reads as unhealthy, so DNS answers with the SECONDARY); failover only verifies that the
   primary's check already fails (and inverts it when the primary's ALB still answers, a partial outage).
   The Route 53 control plane is in us-east-1: in a real us-east-1 outage this step can only report, and
   failover does not depend on it - Route 53 health checks and DNS answers are data-plane functions
   spread over many regions (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/disaster-recovery-resiliency.html).
   While the check is inverted, DNS answers with the SECONDARY only as long as the primary endpoint
   answers healthy; `failback` un-inverts it.
6. verify-standby: each public workload's target group in the standby has a healthy target (ops/verify.py).

failback is the reverse once the old primary region is back and its cluster has rejoined the global
cluster as a secondary (Aurora rejoins it after a managed failover): checks, switchover back to the
primary's cluster, un-invert the health check, verify the primary, then scale the standby down to its
own config (node groups; the readers failover added beyond auroraInstances; cache replicas).

Mode: `--mode switchover` is the default and needs the primary region to answer; when it does not, the
command refuses (exit 2) and says to rerun with `--mode failover`. Failover is never chosen on its own:
it loses up to the replication lag of committed transactions, a decision for a person to take.

--dry-run prints the plan (every step, what it calls, its expected duration, their sum against the 30
minute RTO) from the stack files alone: it calls nothing and needs no AWS credentials.

Exercised offline against moto: checks (global cluster members, replication lag metric, STS), the
writer wait, the master secret replica look-up, node groups (list/describe/update_nodegroup_config),
Aurora readers (create/delete_db_instance), cache replication group look-up, Route 53 records, health
checks (update_health_check Inverted, get_health_check_status) and target health. moto 5.2.5 does not
implement switchover_global_cluster, failover_global_cluster, stop_replication_to_replica,
increase_replica_count and decrease_replica_count: the tests call them on a thin fake that records the
call (and, for the promotions, makes the target the writer in moto's state as AWS does), so their real
request shapes meet AWS only in a real drill. moto's get_health_check_status always reports healthy, so
the failover-mode path of a failing primary check is tested with a fake status.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from ops.common import Clients, OpsError, Progress, Report, require_pinned_account, stderr_progress
from ops.recovery_budget import REGION_FAILOVER_STEPS, RPO_TARGET_SECONDS, RTO_TARGET_SECONDS
from ops.verify import check_target_groups
from stacks.config import CONFIG_NAMESPACE, StackConfig
from stacks.names import global_database_name, master_credential_prefix, resource_prefix

Mode = Literal["switchover", "failover"]
Direction = Literal["failover", "failback"]

RTO_SECONDS = RTO_TARGET_SECONDS
"""The recovery time objective of a region failure (issue 14)."""
RPO_SECONDS = RPO_TARGET_SECONDS
"""The recovery point objective: the most replication lag the standby may have."""
BEFORE_THE_COMMAND = ("detect", "decide")
"""Budget steps that run before anyone types the command (ops/recovery_budget.py)."""
EXPECTED_SECONDS = {s.key: s.expected_seconds for s in REGION_FAILOVER_STEPS if s.key not in BEFORE_THE_COMMAND}
"""Expected seconds of each step of the command, from the cited recovery budget (ops/recovery_budget.py)."""
EXPECTED_SECONDS_ALL = {s.key: s.expected_seconds for s in REGION_FAILOVER_STEPS}
PRELUDE_SECONDS = sum(s.expected_seconds for s in REGION_FAILOVER_STEPS if s.key in BEFORE_THE_COMMAND)
"""Expected seconds of a real region failure before the command starts: detection and the decision."""
LAG_WINDOW_SECONDS = 600
"""How far back the replication lag metric is read."""
FAILOVER_READER = "failover-reader"
"""Value of the `purpose` tag of the Aurora readers failover adds (failback deletes them)."""
HEALTHY_SHARE = 0.18
"""Route 53 considers an endpoint healthy when more than 18% of its checkers report it healthy
(https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html)."""
UNREACHABLE = (ConnectionError, HTTPClientError)


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


@dataclass(frozen=True)
class Step:
    """One runbook step: what it does and which AWS calls it makes."""

    key: str
    title: str
    calls: str
    blocking: bool
    """Whether a failure stops the runbook (later steps would act on a wrong state)."""

    @property
    def expected_seconds(self) -> int:
        """The step's expected duration."""
        return EXPECTED_SECONDS[self.key]


def runbook(pair: Pair, direction: Direction, mode: Mode) -> list[Step]:
    """The steps of a failover (in `mode`) or of a failback, in order."""
    source, target = (pair.primary, pair.standby) if direction == "failover" else (pair.standby, pair.primary)
    source_cluster, target_cluster = resource_prefix(source), resource_prefix(target)
    promote = "rds:SwitchoverGlobalCluster" if mode == "switchover" else "rds:FailoverGlobalCluster (AllowDataLoss)"
    checks = Step("checks", f"the stack files pair, the account, {pair.global_cluster} has writer {source_cluster} "
                  f"and secondary {target_cluster}, replication lag within {RPO_SECONDS} s",
                  "sts:GetCallerIdentity, rds:DescribeGlobalClusters, rds:DescribeDBClusters, "
                  "cloudwatch:GetMetricStatistics", blocking=True)  # fmt: skip
    database = Step("promote-database", f"{mode} of {pair.global_cluster} to {target_cluster}; wait until it is "
                    "the writer", f"{promote}, rds:DescribeGlobalClusters", blocking=True)  # fmt: skip
    secret_title = {
        "switchover": "skipped: switchover (the master secret keeps replicating)",
        "failover": f"promote the {pair.standby_config.region} replica of the master secret to a standalone secret",
    }[mode]
    secret = Step(
        "promote-secret",
        secret_title,
        "secretsmanager:ListSecrets" + (", secretsmanager:StopReplicationToReplica" if mode == "failover" else ""),
        blocking=False,
    )
    sizes = f"{pair.primary}'s sizes" if direction == "failover" else "its own config's sizes"
    rds_call, cache_call = (
        ("rds:CreateDBInstance", "elasticache:IncreaseReplicaCount")
        if direction == "failover"
        else ("rds:DeleteDBInstance", "elasticache:DecreaseReplicaCount")
    )
    scale = Step(
        "scale-standby",
        f"{resource_prefix(pair.standby)}'s node groups, Aurora readers and cache replicas to {sizes}",
        f"eks:ListNodegroups, eks:UpdateNodegroupConfig, {rds_call}, {cache_call}",
        blocking=False,
    )
    inverted = "invert" if direction == "failover" else "un-invert"
    answer = "SECONDARY" if direction == "failover" else "PRIMARY"
    verify_only = " (failover: verify it already fails)" if mode == "failover" else ""
    traffic = Step(
        "move-traffic",
        f"{inverted} the PRIMARY failover record's health check of {pair.primary_config.dns_name}{verify_only}; "
        f"DNS answers with the {answer} record",
        "route53:ListResourceRecordSets, route53:GetHealthCheck(Status), route53:UpdateHealthCheck",
        blocking=direction == "failback",
    )
    verify = Step(
        "verify-standby",
        f"{target}'s public target groups have healthy targets",
        "elbv2:DescribeTargetGroups, elbv2:DescribeTargetHealth",
        blocking=direction == "failback",
    )
    if direction == "failover":
        return [checks, database, secret, scale, traffic, verify]
    secret = dataclasses.replace(
        secret,
        title="skipped: failback (the primary's own secret serves; `pulumi up` of "
        f"{pair.primary} re-adds its replica in {pair.standby_config.region})",
        calls="none",
    )
    return [checks, database, traffic, verify, secret, scale]


@dataclass
class StepResult:
    """How a step went: pass, fail, skipped or not run, and its measured seconds."""

    key: str
    status: str
    seconds: float | None


@dataclass
class RunbookReport(Report):
    """A Report with the runbook's steps, their expected and measured times."""

    direction: Direction = "failover"
    mode: Mode = "switchover"
    standby: str = ""
    dry_run: bool = False
    steps: list[Step] = field(default_factory=list)
    results: list[StepResult] = field(default_factory=list)

    @property
    def expected_total(self) -> int:
        """Sum of the expected seconds of the steps."""
        return sum(step.expected_seconds for step in self.steps)

    @property
    def measured_total(self) -> float:
        """Sum of the measured seconds of the steps that ran."""
        return sum(result.seconds or 0.0 for result in self.results)

    def text(self) -> str:
        """The plan (dry run) or the steps with measured and expected times, then the findings."""
        header = (f"{self.direction} of stack '{self.stack}' {'to' if self.direction == 'failover' else 'from'} "
                  f"'{self.standby}' ({self.mode})")  # fmt: skip
        if self.dry_run:
            lines = [f"{header}, dry run: the plan (nothing is called):"]
            for number, step in enumerate(self.steps, 1):
                lines.append(f"  {number}. {step.key:<17} expected {step.expected_seconds:5d} s  {step.title}")
                lines.append(f"     {'':<17} calls: {step.calls}")
            total = self.expected_total
            if self.direction == "failover" and self.mode == "failover":
                # A region failure's RTO clock starts with the failure, not with the command: detection and the
                # decision come first (a switchover drill has neither).
                before = ", ".join(f"{key} {EXPECTED_SECONDS_ALL[key]} s" for key in BEFORE_THE_COMMAND)
                lines.append(f"  before the command: {before} (ops/recovery_budget.py)")
                total += PRELUDE_SECONDS
            lines.append(f"  expected total {total} s ({total / 60:.1f} min) against the "
                         f"RTO of {RTO_SECONDS} s ({RTO_SECONDS // 60} min): "
                         f"{'within' if total <= RTO_SECONDS else 'OVER'}")  # fmt: skip
            return "\n".join(lines)
        findings = Report.text(self).split("\n", 1)[1]
        lines = [f"{header}:"]
        for number, step in enumerate(self.steps, 1):
            result = next((r for r in self.results if r.key == step.key), StepResult(step.key, "not run", None))
            measured = "      -" if result.seconds is None else f"{result.seconds:6.0f} s"
            lines.append(
                f"  {number}. {step.key:<17} {result.status:<8} {measured} (expected {step.expected_seconds} s)"
            )
        lines.append(f"  total {self.measured_total:.0f} s measured, {self.expected_total} s expected; RTO "
                     f"{RTO_SECONDS} s")  # fmt: skip
        return "\n".join(lines) + "\n" + findings

    def json(self) -> str:
        """The report for machines, with the steps."""
        document = json.loads(Report.json(self))
        results = {result.key: result for result in self.results}
        document |= {"direction": self.direction, "mode": self.mode, "standby": self.standby, "dryRun": self.dry_run,
                     "steps": [{"key": s.key, "title": s.title, "calls": s.calls, "expectedSeconds": s.expected_seconds,
                                "status": results[s.key].status if s.key in results else "not run",
                                "measuredSeconds": results[s.key].seconds if s.key in results else None}
                               for s in self.steps],
                     "expectedTotalSeconds": self.expected_total, "measuredTotalSeconds": self.measured_total,
                     "rtoSeconds": RTO_SECONDS}  # fmt: skip
        return json.dumps(document, indent=2)


def regional(clients: Clients, region: str) -> Clients:
    """Clients of another region with the same session and endpoint."""
    return clients if clients.region == region else Clients(region, clients.endpoint_url, clients.session)


@dataclass
class _Run:
    """One run of the runbook: the pair, the direction and the clients of both regions."""

    pair: Pair
    direction: Direction
    mode: Mode
    primary: Clients
    standby: Clients
    report: RunbookReport
    timeout_seconds: float
    poll_seconds: float
    progress: Progress
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    target_arn: str = ""
    already_promoted: bool = False

    @property
    def source(self) -> tuple[str, Clients]:
        """The stack that is the writer now, and its region's clients."""
        if self.direction == "failover":
            return self.pair.primary, self.primary
        return self.pair.standby, self.standby

    @property
    def target(self) -> tuple[str, Clients]:
        """The stack that becomes the writer, and its region's clients."""
        if self.direction == "failover":
            return self.pair.standby, self.standby
        return self.pair.primary, self.primary

    def add(self, check: str, ok: bool, detail: str, resource: str = "", warn_only: bool = False) -> None:
        self.report.add(check, ok, detail, resource, warn_only=warn_only)


def run_runbook(
    pair: Pair,
    direction: Direction,
    clients: Clients,
    mode: Mode = "switchover",
    dry_run: bool = False,
    timeout_seconds: float = 1800,
    poll_seconds: float = 15,
    progress: Progress = stderr_progress,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> RunbookReport:
    """Run (or, dry_run, only plan) the failover or failback of a pair. `clients` may be of any region: the
    clients of both regions share its session and endpoint. A failing blocking step stops the runbook."""
    if direction == "failback" and mode != "switchover":
        raise OpsError("failback is a switchover: both regions must answer")
    steps = runbook(pair, direction, mode)
    report = RunbookReport(
        direction.capitalize() + (" (dry run)" if dry_run else ""),
        pair.primary,
        direction=direction,
        mode=mode,
        standby=pair.standby,
        dry_run=dry_run,
        steps=steps,
    )
    if dry_run:
        return report
    run = _Run(pair, direction, mode, regional(clients, pair.primary_config.region),
               regional(clients, pair.standby_config.region), report, timeout_seconds, poll_seconds, progress, clock,
               sleep)  # fmt: skip
    actions: dict[str, Callable[[_Run], str]] = {
        "checks": _checks,
        "promote-database": _promote_database,
        "promote-secret": _promote_secret,
        "scale-standby": _scale_standby,
        "move-traffic": _move_traffic,
        "verify-standby": _verify_target,
    }
    for number, step in enumerate(steps, 1):
        progress(f"[{number}/{len(steps)}] {step.key}: {step.title} ...")
        before = len(report.findings)
        started = clock()
        outcome = actions[step.key](run)
        seconds = clock() - started
        report.findings[before:] = [dataclasses.replace(f, check=f"{step.key}: {f.check}")
                                    for f in report.findings[before:]]  # fmt: skip
        failed = any(f.status == "fail" for f in report.findings[before:])
        status = "fail" if failed else outcome
        report.results.append(StepResult(step.key, status, seconds))
        progress(
            f"[{number}/{len(steps)}] {step.key}: {status} in {seconds:.0f} s (expected {step.expected_seconds} s)"
        )
        if failed and step.blocking:
            progress(f"stopping: {step.key} failed, the later steps would act on a wrong state")
            break
    return report


# --- 1. checks ---------------------------------------------------------------------------------------


def _checks(run: _Run) -> str:
    pair = run.pair
    source, source_clients = run.source
    target, target_clients = run.target
    run.add("pair", True, f"{pair.primary} (drStack {pair.standby}) and {pair.standby} (standbyFor {pair.primary}, "
            f"region {pair.standby_config.region} = drRegion), account {pair.primary_config.account_id}")  # fmt: skip
    # STS in the target region: in a failover the source region's endpoints may be gone.
    for stack, config in ((pair.primary, pair.primary_config), (pair.standby, pair.standby_config)):
        account = require_pinned_account(stack, config, target_clients, destructive=True)
    run.add("account", True, f"the credentials belong to the pinned account {account}")
    if run.mode == "switchover":
        _source_answers(run, source, source_clients)
    members = _global_members(run)
    if members is None:
        return "pass"
    source_arn = _member(members, source, source_clients.region)
    target_member = _member(members, target, target_clients.region)
    writer = [arn for arn, is_writer in members.items() if is_writer]
    if target_member and members[target_member]:
        run.target_arn, run.already_promoted = target_member, True
        run.add("writer", True, f"{resource_prefix(target)} is already the writer (a rerun): promote-database "
                "will skip", target_member)  # fmt: skip
    else:
        run.add("writer", source_arn is not None and members[source_arn],
                f"writer {writer or 'none'}; expected {resource_prefix(source)} in {source_clients.region}",
                pair.global_cluster)  # fmt: skip
        run.add("secondary", target_member is not None,
                f"{resource_prefix(target)} in {target_clients.region} is "
                + ("a secondary member" if target_member else f"not a member (members: {sorted(members)})"),
                pair.global_cluster)  # fmt: skip
        run.target_arn = target_member or ""
    if run.target_arn and not run.already_promoted:
        _replication_lag(run, target, target_clients)
    return "pass"


def _source_answers(run: _Run, source: str, clients: Clients) -> None:
    cluster = resource_prefix(source)
    try:
        (info,) = clients("rds").describe_db_clusters(DBClusterIdentifier=cluster)["DBClusters"]
    except UNREACHABLE as err:
        raise OpsError(f"the region {clients.region} of {cluster} does not answer ({err}); a switchover needs "
                       "both regions: if the region is down, rerun with --mode failover (accepts losing up to the "
                       "replication lag)") from None  # fmt: skip
    except ClientError as err:
        if _code(err) != "DBClusterNotFoundFault":
            raise
        run.add("source-cluster", False, f"{cluster} not found in {clients.region}", cluster)
        return
    run.add("source-cluster", info.get("Status") == "available", f"status {info.get('Status')} in {clients.region}",
            cluster)  # fmt: skip


def _global_members(run: _Run) -> dict[str, bool] | None:
    """The global cluster's members (cluster ARN -> is writer), read in the target region."""
    name = run.pair.global_cluster
    try:
        found = run.target[1]("rds").describe_global_clusters(GlobalClusterIdentifier=name)["GlobalClusters"]
    except ClientError as err:
        if _code(err) != "GlobalClusterNotFoundFault":
            raise
        found = []
    clusters = [g for g in found if g.get("GlobalClusterIdentifier") == name]
    if not clusters:
        run.add("global-cluster", False, f"{name} not found", name)
        return None
    (cluster,) = clusters
    run.add("global-cluster", cluster.get("Status") == "available", f"status {cluster.get('Status')}", name)
    return {m["DBClusterArn"]: bool(m.get("IsWriter")) for m in cluster.get("GlobalClusterMembers", [])}


def _member(members: dict[str, bool], stack: str, region: str) -> str | None:
    """The member ARN of a stack's cluster in a region (arn:aws:rds:<region>:<account>:cluster:<id>)."""
    for arn in members:
        parts = arn.split(":")
        if len(parts) >= 7 and parts[3] == region and parts[-1] == resource_prefix(stack):
            return arn
    return None


def replication_lag(clients: Clients, cluster: str, now: datetime.datetime | None = None) -> float | None:
    """The highest AuroraGlobalDBReplicationLag (reported in milliseconds) of a secondary cluster over the
    last LAG_WINDOW_SECONDS, in seconds; None when the metric has no datapoints."""
    # EndTime one period ahead: the newest datapoint lies in the period still in progress, which a query
    # ending now may leave out.
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


def _replication_lag(run: _Run, target: str, clients: Clients) -> None:
    cluster = resource_prefix(target)
    lag = replication_lag(clients, cluster)
    # Failover: the data not yet replicated is lost either way; blocking the recovery would only add downtime.
    warn_only = run.mode == "failover"
    if lag is None:
        run.add("replication-lag", False, f"no AuroraGlobalDBReplicationLag datapoint in the last "
                f"{LAG_WINDOW_SECONDS} s in {clients.region}: is {cluster} replicating?", cluster,
                warn_only=warn_only)  # fmt: skip
        return
    loss = "; a failover loses up to this much of committed transactions" if run.mode == "failover" else ""
    run.add("replication-lag", lag <= RPO_SECONDS, f"{lag:.1f} s (RPO {RPO_SECONDS} s){loss}", cluster,
            warn_only=warn_only)  # fmt: skip


# --- 2. promote-database -----------------------------------------------------------------------------


def _promote_database(run: _Run) -> str:
    name = run.pair.global_cluster
    if run.already_promoted:
        run.add("writer", True, "already the writer; nothing to do", run.target_arn)
        return "skipped"
    rds = run.target[1]("rds")
    started = run.clock()
    try:
        if run.mode == "switchover":
            rds.switchover_global_cluster(GlobalClusterIdentifier=name, TargetDbClusterIdentifier=run.target_arn)
        else:
            rds.failover_global_cluster(GlobalClusterIdentifier=name, TargetDbClusterIdentifier=run.target_arn,
                                        AllowDataLoss=True)  # fmt: skip
    except ClientError as err:
        run.add(run.mode, False, f"refused: {_code(err)}: {err.response.get('Error', {}).get('Message', '')}", name)
        return "fail"
    run.progress(f"  {run.mode} of {name} to {run.target_arn} requested")
    while True:
        (cluster,) = [g for g in rds.describe_global_clusters(GlobalClusterIdentifier=name)["GlobalClusters"]
                      if g.get("GlobalClusterIdentifier") == name]  # fmt: skip
        writer = any(m["DBClusterArn"] == run.target_arn and m.get("IsWriter")
                     for m in cluster.get("GlobalClusterMembers", []))  # fmt: skip
        elapsed = run.clock() - started
        run.progress(f"  {elapsed:6.0f} s: {name} {cluster.get('Status')}, target writer: {writer}")
        if writer and cluster.get("Status") == "available":
            run.add("writer", True, f"{resource_prefix(run.target[0])} is the writer after {elapsed:.0f} s",
                    run.target_arn)  # fmt: skip
            return "pass"
        if elapsed >= run.timeout_seconds:
            run.add(
                "writer",
                False,
                f"{resource_prefix(run.target[0])} is not the writer after the "
                f"{run.timeout_seconds:.0f} s timeout (status {cluster.get('Status')})",
                run.target_arn,
            )
            return "fail"
        run.sleep(run.poll_seconds)


# --- 3. promote-secret -------------------------------------------------------------------------------


def master_secret_prefix(primary: str) -> str:
    """Name prefix of the primary's generated master credential (replicated to drRegion with the same name)."""
    return master_credential_prefix(resource_prefix(primary))


def _promote_secret(run: _Run) -> str:
    if run.direction == "failback":
        return "skipped"
    clients = run.standby
    prefix = master_secret_prefix(run.pair.primary)
    secretsmanager = clients("secretsmanager")
    secrets = [s for page in secretsmanager.get_paginator("list_secrets").paginate(
               Filters=[{"Key": "name", "Values": [prefix]}]) for s in page.get("SecretList", [])
               if str(s.get("Name", "")).startswith(prefix)]  # fmt: skip
    if len(secrets) != 1:
        run.add("master-secret", False, f"expected one secret named {prefix}* in {clients.region}, found "
                f"{[s.get('Name') for s in secrets]}")  # fmt: skip
        return "fail"
    (secret,) = secrets
    primary_region = secret.get("PrimaryRegion")
    if run.mode == "switchover":
        run.add("master-secret", bool(primary_region), "skipped: switchover; the replica keeps replicating from "
                f"{primary_region}" if primary_region else "not a replica: the standby region holds its own secret",
                secret["ARN"])  # fmt: skip
        return "skipped"
    if not primary_region or primary_region == clients.region:
        run.add("master-secret", True, f"already a standalone secret in {clients.region}", secret["ARN"])
        return "pass"
    try:
        secretsmanager.stop_replication_to_replica(SecretId=secret["ARN"])
    except ClientError as err:
        run.add("master-secret", False, f"StopReplicationToReplica refused: {_code(err)}", secret["ARN"])
        return "fail"
    run.add("master-secret", True, f"promoted to a standalone secret in {clients.region} (was a replica of "
            f"{primary_region})", secret["ARN"])  # fmt: skip
    return "pass"


# --- 4. scale-standby --------------------------------------------------------------------------------


def _scale_standby(run: _Run) -> str:
    sizes = run.pair.primary_config if run.direction == "failover" else run.pair.standby_config
    _scale_nodes(run, sizes)
    _scale_readers(run, sizes)
    _scale_cache(run, sizes)
    return "pass"


def _scale_nodes(run: _Run, sizes: StackConfig) -> None:
    eks = run.standby("eks")
    cluster = resource_prefix(run.pair.standby)
    try:
        groups = sorted(g for page in eks.get_paginator("list_nodegroups").paginate(clusterName=cluster)
                        for g in page.get("nodegroups", []))  # fmt: skip
    except ClientError as err:
        if _code(err) != "ResourceNotFoundException":
            raise
        groups = []
    if not groups:
        run.add("node-groups", False, f"no node group in EKS cluster {cluster}", cluster)
        return
    split = sizes.node_split()  # one node group per zone, the remainder to the first (stacks/capacity.py)
    for index, group in enumerate(groups):
        want_min, want_max = split.mins[index % len(split.mins)], split.maxes[index % len(split.maxes)]
        scaling = eks.describe_nodegroup(clusterName=cluster, nodegroupName=group)["nodegroup"]["scalingConfig"]
        low, high, desired = int(scaling["minSize"]), int(scaling["maxSize"]), int(scaling["desiredSize"])
        if run.direction == "failover":  # raise only: never take capacity away during a failover
            new_min, new_max = max(low, want_min), max(high, want_max)
        else:
            new_min, new_max = want_min, want_max
        new_desired = min(max(desired, new_min), new_max)
        if (new_min, new_max, new_desired) == (low, high, desired):
            run.add(f"node-group-{group}", True, f"already at size (min {low}, desired {desired}, max {high})", group)
            continue
        eks.update_nodegroup_config(
            clusterName=cluster,
            nodegroupName=group,
            scalingConfig={"minSize": new_min, "maxSize": new_max, "desiredSize": new_desired},
        )
        run.add(f"node-group-{group}", True, f"min {low}->{new_min}, desired {desired}->{new_desired}, "
                f"max {high}->{new_max} requested", group)  # fmt: skip


def _scale_readers(run: _Run, sizes: StackConfig) -> None:
    rds = run.standby("rds")
    cluster = resource_prefix(run.pair.standby)
    try:
        (info,) = rds.describe_db_clusters(DBClusterIdentifier=cluster)["DBClusters"]
    except ClientError as err:
        if _code(err) != "DBClusterNotFoundFault":
            raise
        run.add("aurora-instances", False, f"Aurora cluster {cluster} not found", cluster)
        return
    members = info.get("DBClusterMembers", [])
    want = sizes.aurora_instances
    if run.direction == "failback":
        _remove_readers(run, rds, cluster, members, want)
        return
    if len(members) >= want:
        run.add("aurora-instances", True, f"already at size ({len(members)} instance(s), {want} wanted)", cluster)
        return
    instances = [rds.describe_db_instances(DBInstanceIdentifier=m["DBInstanceIdentifier"])["DBInstances"][0]
                 for m in members]  # fmt: skip
    used = {i.get("AvailabilityZone") for i in instances}
    zones = [z for z in _zone_names(run.standby, run.pair.standby_config.availability_zone_ids) if z not in used]
    names = {m["DBInstanceIdentifier"] for m in members}
    added = []
    for zone in zones[: want - len(members)]:
        name = next(f"{cluster}-failover-{n}" for n in range(1, 10) if f"{cluster}-failover-{n}" not in names)
        names.add(name)
        rds.create_db_instance(
            DBInstanceIdentifier=name, DBClusterIdentifier=cluster, Engine="aurora-postgresql",
            DBInstanceClass="db.serverless", AvailabilityZone=zone, PubliclyAccessible=False,
            Tags=[{"Key": "purpose", "Value": FAILOVER_READER}, {"Key": "environment", "Value": run.pair.standby},
                  {"Key": "project", "Value": CONFIG_NAMESPACE}],
        )  # fmt: skip
        added.append(f"{name} in {zone}")
    missing = want - len(members) - len(added)
    run.add("aurora-instances", missing == 0, f"{len(members)} instance(s); added {', '.join(added) or 'none'}"
            + (f"; {missing} short: no free zone left" if missing else ""), cluster)  # fmt: skip


def _remove_readers(run: _Run, rds: Any, cluster: str, members: list[dict[str, Any]], want: int) -> None:
    extra = sorted((m["DBInstanceIdentifier"] for m in members if not m.get("IsClusterWriter")
                    and m["DBInstanceIdentifier"].startswith(f"{cluster}-failover-")), reverse=True)  # fmt: skip
    surplus = extra[: max(0, len(members) - want)]
    for name in surplus:
        rds.delete_db_instance(DBInstanceIdentifier=name, SkipFinalSnapshot=True)
    run.add("aurora-instances", True, f"deleted {', '.join(surplus)}" if surplus else
            f"already at size ({len(members)} instance(s), {want} wanted)", cluster)  # fmt: skip


def _zone_names(clients: Clients, zone_ids: tuple[str, ...]) -> list[str]:
    zones = clients("ec2").describe_availability_zones(Filters=[{"Name": "zone-id", "Values": list(zone_ids)}])
    name_of = {zone["ZoneId"]: zone["ZoneName"] for zone in zones["AvailabilityZones"]}
    return [name_of[zone_id] for zone_id in zone_ids if zone_id in name_of]


def _scale_cache(run: _Run, sizes: StackConfig) -> None:
    elasticache = run.standby("elasticache")
    group = resource_prefix(run.pair.standby)  # the replication group's id (components/cache.py)
    try:
        (info,) = elasticache.describe_replication_groups(ReplicationGroupId=group)["ReplicationGroups"]
    except ClientError as err:
        if _code(err) != "ReplicationGroupNotFoundFault":
            raise
        run.add("cache-replicas", False, f"replication group {group} not found", group)
        return
    replicas, want = len(info.get("MemberClusters", [])) - 1, sizes.cache_nodes - 1
    if (run.direction == "failover" and replicas >= want) or replicas == want:
        run.add("cache-replicas", True, f"already at size ({replicas} replica(s), {want} wanted)", group)
        return
    if run.direction == "failover":
        elasticache.increase_replica_count(ReplicationGroupId=group, NewReplicaCount=want, ApplyImmediately=True)
    else:
        elasticache.decrease_replica_count(ReplicationGroupId=group, NewReplicaCount=want, ApplyImmediately=True)
    run.add("cache-replicas", True, f"{replicas} -> {want} replica(s) requested", group)


# --- 5. move-traffic ---------------------------------------------------------------------------------


def health_check_healthy(observations: list[dict[str, Any]]) -> bool:
    """Whether Route 53 considers the endpoint healthy: more than HEALTHY_SHARE of checkers report success."""
    good = sum(str(o.get("StatusReport", {}).get("Status", "")).startswith("Success") for o in observations)
    return bool(observations) and good / len(observations) > HEALTHY_SHARE


def _move_traffic(run: _Run) -> str:
    try:
        return _move_traffic_calls(run)
    except UNREACHABLE as err:
        if run.mode != "failover":
            raise
        run.add("route53", False, f"the Route 53 control plane (us-east-1) does not answer ({err}); DNS follows "
                "the data-plane health checks on their own", warn_only=True)  # fmt: skip
        return "pass"


def _move_traffic_calls(run: _Run) -> str:
    config = run.pair.primary_config
    route53 = regional(run.standby, "us-east-1")("route53")  # the Route 53 control plane is in us-east-1
    name = config.dns_name.rstrip(".") + "."
    records = route53.list_resource_record_sets(HostedZoneId=config.dns_zone_id, StartRecordName=name,
                                                MaxItems="20")["ResourceRecordSets"]  # fmt: skip
    failover = {r["Failover"]: r for r in records if r.get("Name") == name and r.get("Failover")}
    if "PRIMARY" not in failover or "SECONDARY" not in failover or not failover["PRIMARY"].get("HealthCheckId"):
        run.add("failover-records", False, f"{name} in zone {config.dns_zone_id} needs a PRIMARY record with a health "
                f"check and a SECONDARY record; found {sorted(failover)}", config.dns_zone_id)  # fmt: skip
        return "fail"
    check_id = failover["PRIMARY"]["HealthCheckId"]
    inverted = bool(
        route53.get_health_check(HealthCheckId=check_id)["HealthCheck"]["HealthCheckConfig"].get("Inverted")
    )
    observed = health_check_healthy(route53.get_health_check_status(HealthCheckId=check_id)["HealthCheckObservations"])
    run.add("primary-health-check", True, f"the primary's endpoint is reported {'healthy' if observed else 'failing'}"
            f"{' (check inverted)' if inverted else ''}", check_id)  # fmt: skip
    want_inverted = run.direction == "failover" and (run.mode == "switchover" or observed)
    if run.direction == "failover" and run.mode == "failover" and not observed:
        run.add("health-check", True, "the primary's check already fails: Route 53 answers with the SECONDARY "
                "without a change", check_id)  # fmt: skip
    elif want_inverted != inverted:
        route53.update_health_check(HealthCheckId=check_id, Inverted=want_inverted)
        why = " (failover while the primary's ALB still answers: a partial outage)" if run.mode == "failover" else ""
        run.add("health-check", True, f"{'inverted' if want_inverted else 'un-inverted'}{why}", check_id)
        inverted = want_inverted
    else:
        run.add("health-check", True, f"already {'inverted' if inverted else 'not inverted'}", check_id)
    answer = "PRIMARY" if observed != inverted else "SECONDARY"
    expected = "SECONDARY" if run.direction == "failover" else "PRIMARY"
    run.add("dns-answer", answer == expected, f"{name} answers with the {answer} record (by the health check's "
            "status; resolvers follow within the record's TTL)", config.dns_zone_id)  # fmt: skip
    return "pass"


# --- 6. verify ---------------------------------------------------------------------------------------


def _verify_target(run: _Run) -> str:
    target, clients = run.target
    check_target_groups(run.report, target, clients)
    return "pass"


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


# --- dr-drill ----------------------------------------------------------------------------------------


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
) -> None:
    """The cross-region part of the DR drill: the global cluster's replication lag against the RPO and,
    unless dry_run, a timed switchover to the standby and back, each step's time next to its expected one."""
    standby = regional(clients, pair.standby_config.region)
    cluster = resource_prefix(pair.standby)
    lag = replication_lag(standby, cluster)
    report.add("cross-region-rpo", lag is not None and lag <= RPO_SECONDS,
               f"replication lag of {cluster} in {standby.region}: " +
               (f"{lag:.1f} s (RPO {RPO_SECONDS} s)" if lag is not None else "no datapoint (is it replicating?)"),
               pair.global_cluster)  # fmt: skip
    if dry_run:
        return
    for direction in ("failover", "failback"):
        result = run_runbook(pair, direction, clients, "switchover", timeout_seconds=timeout_seconds,
                             poll_seconds=poll_seconds, progress=progress, clock=clock, sleep=sleep)  # fmt: skip
        for finding in result.findings:
            report.findings.append(dataclasses.replace(finding, check=f"{direction} {finding.check}"))
        for step_result in result.results:
            expected = EXPECTED_SECONDS[step_result.key]
            report.add(
                f"{direction}-time {step_result.key}",
                step_result.status != "fail",
                f"{step_result.status}, measured {step_result.seconds or 0:.0f} s, expected {expected} s",
            )
        report.add(
            f"{direction}-rto",
            not result.failed and result.measured_total <= RTO_SECONDS,
            f"{result.measured_total:.0f} s measured, {result.expected_total} s expected, RTO {RTO_SECONDS} s",
        )
        if direction == "failover" and not any(r.key == "promote-database" and r.status in ("pass", "skipped")
                                               for r in result.results):  # fmt: skip
            report.add("failback", False, "not run: the switchover did not promote the standby, nothing to return")
            return
