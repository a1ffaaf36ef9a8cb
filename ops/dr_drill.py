"""DR drill for the stack's Aurora cluster: how much data a restore would lose (RPO) and how long it
takes (RTO), measured by really restoring into a temporary cluster and deleting it afterwards.

For a primary stack with a standby (drStack), the drill also takes the cross-region path
(ops/region_drill.py): the global cluster's replication lag against the 300 s RPO and, unless --dry-run, a
practice switchover to the standby and back through the pair's ARC Region switch plan, each step's measured
time recorded for the recovery budget.

--dry-run only reports the latest restorable time, the snapshots and the replication lag, and changes nothing.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from ops.common import Clients, Progress, Report, load_config, require_pinned_account, stderr_progress
from ops.failover import pair_stacks
from ops.region_drill import cross_region_drill
from stacks.config import StackConfig
from stacks.names import resource_prefix


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def dr_drill(
    stack: str,
    config: StackConfig,
    clients: Clients,
    dry_run: bool = True,
    timeout_seconds: float = 3600,
    poll_seconds: float = 30,
    progress: Progress = stderr_progress,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Report:
    """Report RPO and snapshots; unless dry_run, restore, time it, and delete the temporary cluster.

    Refuses (OpsError) on another account than the stack's pinned one, and, unless dry_run, on a stack
    that pins no account: a restore and a delete must never land in an account chosen by accident."""
    require_pinned_account(stack, config, clients, destructive=not dry_run)
    report = Report("DR drill" + (" (dry run)" if dry_run else ""), stack)
    rds = clients("rds")
    identifier = resource_prefix(stack)
    try:
        (cluster,) = rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"]
    except ClientError as err:
        if err.response["Error"]["Code"] != "DBClusterNotFoundFault":
            raise
        report.add("cluster", False, f"{identifier} not found: {err.response['Error']['Code']}")
        return report
    latest = cluster.get("LatestRestorableTime")
    if latest is None:
        report.add("rpo", False, "no latest restorable time: point-in-time recovery is not available", identifier)
    else:
        lag = (_now() - latest.astimezone(datetime.UTC)).total_seconds()
        report.add("rpo", lag <= 300, f"latest restorable time {latest.isoformat()} ({lag:.0f} s ago; target 300 s)",
                   identifier)  # fmt: skip
    snapshots = rds.describe_db_cluster_snapshots(DBClusterIdentifier=identifier)["DBClusterSnapshots"]
    newest = max((s.get("SnapshotCreateTime") for s in snapshots if s.get("SnapshotCreateTime")), default=None)
    report.add("snapshots", bool(snapshots), f"{len(snapshots)} snapshot(s), newest {newest}", identifier)
    if not dry_run:
        _restore(report, cluster, rds, timeout_seconds, poll_seconds, progress, clock, sleep)
    if config.dr_stack:
        pair = pair_stacks(stack, config, config.dr_stack, load_config(config.dr_stack))
        cross_region_drill(report, pair, clients, dry_run, timeout_seconds, progress, clock, sleep)
    return report


def _restore(
    report: Report,
    cluster: dict[str, Any],
    rds: Any,
    timeout_seconds: float,
    poll_seconds: float,
    progress: Progress,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> None:
    source = cluster["DBClusterIdentifier"]
    drill = f"{source}-drill-{_now():%Y%m%d%H%M%S}"
    started = clock()
    progress(f"restoring {source} to its latest restorable time as {drill} ...")
    try:
        rds.restore_db_cluster_to_point_in_time(
            SourceDBClusterIdentifier=source,
            DBClusterIdentifier=drill,
            UseLatestRestorableTime=True,
            DBSubnetGroupName=cluster.get("DBSubnetGroup"),
            VpcSecurityGroupIds=[g["VpcSecurityGroupId"] for g in cluster.get("VpcSecurityGroups", [])],
            KmsKeyId=cluster.get("KmsKeyId"),
            DeletionProtection=False,
            CopyTagsToSnapshot=False,
            Tags=[{"Key": "purpose", "Value": "dr-drill"}],
        )
    except ClientError as err:
        report.add(
            "restore", False, f"restore refused: {err.response['Error']['Code']}: {err.response['Error']['Message']}"
        )
        return
    try:
        status = _wait_available(rds, drill, started, timeout_seconds, poll_seconds, progress, clock, sleep)
        elapsed = clock() - started
        report.add("rto", status == "available" and elapsed <= 1800,
                   f"temporary cluster {status} after {elapsed:.0f} s (target 1800 s)", drill)  # fmt: skip
    finally:
        progress(f"deleting {drill} ...")
        try:
            rds.delete_db_cluster(DBClusterIdentifier=drill, SkipFinalSnapshot=True)
            report.add("cleanup", True, "temporary cluster deleted", drill)
        except ClientError as err:
            report.add("cleanup", False, f"delete it by hand: {err.response['Error']['Code']}", drill)


def _wait_available(
    rds: Any,
    identifier: str,
    started: float,
    timeout_seconds: float,
    poll_seconds: float,
    progress: Progress,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> str:
    status = "unknown"
    while clock() - started < timeout_seconds:
        (cluster,) = rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"]
        status = cluster["Status"]
        progress(f"  {clock() - started:6.0f} s: {identifier} is {status}")
        if status in ("available", "failed", "incompatible-restore", "inaccessible-encryption-credentials"):
            return str(status)
        sleep(poll_seconds)
    return f"still {status} at the {timeout_seconds:.0f} s timeout"
