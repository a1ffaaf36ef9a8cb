"""`ops verify`: the Aurora master secret rotates (issue 20.8, PCI DSS 8.3.9 / 8.6.3).

The secret is the stack's master credential: in a region pair the generated one (its name starts with the pair's
credential prefix; the standby finds the primary's replica under the same name), elsewhere RDS's own master secret.
Checked through Secrets Manager DescribeSecret (RotationEnabled, RotationRules, LastRotatedDate, PrimaryRegion):

- a primary secret must have rotation on, a schedule of at most `max_days` (auroraMasterRotationDays), and a last
  rotation no older than its schedule plus one day (Secrets Manager rotates within the scheduled day's window;
  "Rotation schedules", Secrets Manager User Guide);
- a replica is rotated through its primary, in the primary's region (rotation is configured on the primary only,
  "Replicate AWS Secrets Manager secrets across Regions"): reported, not judged here;
- a primary secret's replicas must be in sync (DescribeSecret ReplicationStatus, Status 'InSync'): a rotated password
  that did not reach a replica's region leaves that region on an old one; a replica that is not in sync fails,
  naming its region, status and StatusMessage (a separate check, `master-secret-replication`);
- a standalone secret in the standby region is a replica the Region switch plan promoted during a failover
  (lambdas/region_switch/handler.py, StopReplicationToReplica): promotion does not turn rotation on, so it fails with
  what to do (fail back, which replicates the primary's secret over it).

An API error other than "not found" (AccessDenied, throttling after botocore's retries, no endpoint) is this check's
failed finding, "could not read the master secret ...: <code>: <message>": the other checks' findings stay reported.
"""

from __future__ import annotations

import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ops.common import Clients, Report, describe_error, error_code
from policies.rules.credential_rotation import rotation_period_days

NOT_FOUND = {"ResourceNotFoundException", "DBClusterNotFoundFault"}
GRACE = datetime.timedelta(days=1)
"""A scheduled rotation runs at some time within its day's rotation window, so an age of the schedule plus one day
is still on time."""


def schedule_days(rules: dict[str, Any]) -> float | None:
    """Days between rotations from DescribeSecret's RotationRules (AutomaticallyAfterDays, or a rate expression);
    None for a cron expression or no rules. The same reading as the policy rule's (rotation_period_days)."""
    return rotation_period_days(rules.get("AutomaticallyAfterDays"), rules.get("ScheduleExpression"))


def master_secret_arn(clients: Clients, identifier: str, credential: str) -> str | None:
    """ARN of the master secret: the one secret whose name starts with `credential` (a region pair), else the
    cluster's RDS-managed MasterUserSecret; None when there is none."""
    if credential:
        pages = (
            clients("secretsmanager")
            .get_paginator("list_secrets")
            .paginate(Filters=[{"Key": "name", "Values": [credential]}])
        )
        arns = [s["ARN"] for page in pages for s in page.get("SecretList", [])
                if str(s.get("Name", "")).startswith(credential)]  # fmt: skip
        return arns[0] if len(arns) == 1 else None
    try:
        (cluster,) = clients("rds").describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"]
    except ClientError as err:
        if error_code(err) not in NOT_FOUND:
            raise
        return None
    arn = cluster.get("MasterUserSecret", {}).get("SecretArn")
    return str(arn) if arn else None


def check_master_rotation(
    report: Report,
    clients: Clients,
    identifier: str,
    credential: str,
    max_days: int,
    standby: bool = False,
    now: datetime.datetime | None = None,
) -> None:
    """Whether the stack's master secret rotates on schedule (see the module docstring). `standby`: the stack is a
    region pair's standby, whose copy is a replica unless a failover promoted it; `now` defaults to the current UTC
    time."""
    now = now or datetime.datetime.now(datetime.UTC)
    check = "master-secret-rotation"
    try:
        arn = master_secret_arn(clients, identifier, credential)
    except (ClientError, BotoCoreError) as err:
        what = f"secrets named {credential}*" if credential else f"the RDS master secret of {identifier}"
        report.add(check, False, f"could not read the master secret ({what}) in {clients.region}: "
                   f"{describe_error(err)}", identifier)  # fmt: skip
        return
    if arn is None:
        what = f"no single secret named {credential}*" if credential else f"no RDS master secret on {identifier}"
        report.add(check, False, f"{what} in {clients.region}: nothing to rotate", identifier)
        return
    try:
        secret = clients("secretsmanager").describe_secret(SecretId=arn)
    except (ClientError, BotoCoreError) as err:
        found = not isinstance(err, ClientError) or error_code(err) not in NOT_FOUND
        report.add(check, False, f"could not read the master secret {arn}: {describe_error(err)}" if found
                   else f"{arn} not found", identifier)  # fmt: skip
        return
    region = arn.split(":")[3]
    primary_region = str(secret.get("PrimaryRegion") or region)
    if primary_region != region:
        report.add(check, True, f"a replica of the secret in {primary_region}: it rotates there and follows its "
                   f"primary (run ops verify on the primary's stack)", arn)  # fmt: skip
        return
    _check_replicas(report, arn, secret.get("ReplicationStatus") or [])
    if not secret.get("RotationEnabled"):
        remedy = (
            "The standby's copy is no longer a replica: the Region switch plan promoted it in a failover, and "
            "promotion does not turn rotation on. Fail back (the plan's custom action replicates the primary's secret "
            "over it; rotation continues on the primary), or while the writer stays here configure rotation on it in "
            "this region (docs/day2.md section 8)."
            if standby
            else "Run `pulumi up` (the stack configures rotation), then check the RotationFailed alarm."
        )
        report.add(check, False, "rotation is not enabled on the master secret", arn, remedy=remedy)
        return
    days = schedule_days(secret.get("RotationRules") or {})
    if days is None or days > max_days:
        shown = "no readable schedule" if days is None else f"every {days:g} days"
        report.add(check, False, f"rotation runs {shown}; at most every {max_days} days is allowed "
                   "(auroraMasterRotationDays)", arn)  # fmt: skip
        return
    last = secret.get("LastRotatedDate")
    if not isinstance(last, datetime.datetime):
        report.add(check, False, f"rotation is on (every {days:g} days) but the secret was never rotated: the first "
                   "rotation failed (see the rotation function's log and the RotationFailed alarm)", arn)  # fmt: skip
        return
    age = now - last
    late = age > datetime.timedelta(days=days) + GRACE
    report.add(check, not late, f"rotated {age.days} days ago (schedule every {days:g} days"
               f"{', overdue: rotations are failing' if late else ''})", arn)  # fmt: skip


def _check_replicas(report: Report, arn: str, replicas: list[dict[str, Any]]) -> None:
    """One finding on the primary's replicas (none when it has none): each must be 'InSync' (DescribeSecret
    ReplicationStatus: InSync, Failed or InProgress, with a StatusMessage; Secrets Manager API Reference,
    ReplicationStatusType). A replica that is not in sync kept an older version: after a rotation, its region reads
    a password the database no longer accepts."""
    if not replicas:
        return
    behind = [f"{r.get('Region', '?')}: {r.get('Status', 'no status')}"
              + (f" ({r['StatusMessage']})" if r.get("StatusMessage") else "")
              for r in replicas if r.get("Status") != "InSync"]  # fmt: skip
    regions = ", ".join(str(r.get("Region", "?")) for r in replicas)
    if behind:
        report.add("master-secret-replication", False, "replica not in sync: " + "; ".join(behind), arn,
                   remedy="The replica's region reads an old password. Check the replica key (its key policy must let "
                   "Secrets Manager use it) and the StatusMessage; see docs/day2.md section 8.")  # fmt: skip
        return
    report.add("master-secret-replication", True, f"replicas in sync: {regions}", arn)
