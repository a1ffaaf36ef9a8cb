"""Aurora reader capacity for the region an ARC Region switch plan activates (issue 24): a custom action, because ARC
has no execution block that adds reader instances to a cluster.

What ARC offers, and why it does not fit (arc-region-switch 2022-07-26 in botocore 1.44.18; ARC developer guide):
- AuroraServerlessScaling sets the activating cluster's min/max ACUs from the other region's usage: it sizes the
  instances that exist, it adds none;
- AuroraProvisionedScaling maps ONE instance ARN per region (instanceArns) and scales (or creates) that instance
  to the other region's instance class: one instance per block, for provisioned classes, and nothing removes it
  on the way back;
- RdsCreateCrossRegionReplica creates an RDS (not Aurora) read replica in another region.
So the plan's `add-readers` step (the failover workflow, AFTER promote-database and region-actions, before
move-traffic) runs this function in the standby's region, and the failback's `remove-readers` step (its last, after
move-traffic) removes what it added. Not before the database step: creating an instance in a global database's
secondary just before a switchover or failover may get in the way of the global operation, and waiting for new
instances there would spend the RTO; the promoted Serverless v2 writer serves reads and writes meanwhile.

    add-readers    create READERS instances `<cluster>-switch-reader-<n>` in the cluster, of the writer's class,
                   spread over the cluster's zones other than the writer's, tagged region-switch-reader=<cluster>.
                   It does not wait for them: it succeeds once every one exists and is on its way (creating,
                   available or another live state); the readers add read capacity when they are ready. Where a
                   zone has no capacity (InsufficientDBInstanceCapacity) it tries the cluster's next zone (never
                   the writer's). It fails - so ARC reruns it every retryIntervalMinutes until its timeout - only
                   when a create call fails; each run creates only what is missing (idempotent). A reader of an
                   earlier run still `deleting` (or `failed`) keeps its name: reported, not re-created.
    remove-readers delete the instances this function created (name prefix AND tag); already deleting or gone
                   counts as done.

The step comes from the event's StepName. What the API reference (Lambdas.payload, botocore 1.44.18) says: with no
payload, "Region switch invokes the function with only the execution metadata"; with a JSON object payload it
"merges execution metadata keys (InvokedBy, PlanArn, ExecutionId, StepName) into the top level". It names the keys
only for the merge case; that the payload-less event carries the same keys is our reading, not seen live. A payload
cannot be set here anyway: pulumi-aws 7.51.1's PlanWorkflowStepCustomActionLambdaConfigLambdaArgs has arn,
cross_account_role and external_id only. An unknown or missing StepName raises, so a misconfigured plan (or an
event without it) fails the step instead of doing the wrong thing.

The instances are created by this function, not by Pulumi: they are not in any stack's state, so a `pulumi up` of
the promoted stack - refreshed or not - neither sees nor deletes them (a refresh re-reads only the resources in
the state; the program's own instances are `<cluster>-0..n`). The failback removes them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

TAG_KEY = "region-switch-reader"
"""Tag on every instance this function creates; its value is the cluster (the role may delete only these)."""
PROMOTION_TIER = 15
"""Last in Aurora's failover order: the program's own instances are promoted first."""
ADD, REMOVE = "add-readers", "remove-readers"
NO_CAPACITY = "InsufficientDBInstanceCapacity"
"""CreateDBInstance's error code when the zone has no capacity for the class (RDS API reference, Errors)."""
GOING = frozenset({"deleting", "failed"})
"""States in which an existing reader adds no capacity: still being deleted (a failback's remove-readers just before)
or failed. Its name is taken, so it is reported, not re-created, and the step does not fail for it: a failed step
would hold back move-traffic, while the promoted writer serves alone. RDS DB instance statuses:
https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/accessing-monitoring.html"""


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point."""
    import boto3  # the Lambda runtime ships boto3

    return run(event, dict(os.environ), boto3.client("rds", region_name=os.environ["AWS_REGION"]))


def run(event: Mapping[str, Any], env: Mapping[str, str], rds: Any) -> dict[str, Any]:
    """Do the step named by the event; returns what was done (ARC logs the result)."""
    cluster, prefix = env["CLUSTER"], env["NAME_PREFIX"]
    actions: dict[str, Callable[[], list[str]]] = {
        ADD: lambda: add_readers(rds, cluster, prefix, int(env["READERS"])),
        REMOVE: lambda: remove_readers(rds, cluster, prefix),
    }
    step = str(event.get("StepName", ""))
    if step not in actions:
        raise ValueError(f"StepName {step!r}: this function runs only the plan's steps {sorted(actions)}")
    return {"step": step, "cluster": cluster, "done": actions[step]()}


def instances(rds: Any, cluster: str) -> list[dict[str, Any]]:
    """Every instance of the cluster."""
    pages = rds.get_paginator("describe_db_instances").paginate(
        Filters=[{"Name": "db-cluster-id", "Values": [cluster]}]
    )
    return [instance for page in pages for instance in page.get("DBInstances", [])]


def writer_of(cluster: dict[str, Any], members: list[dict[str, Any]], prefix: str) -> dict[str, Any]:
    """The writer, or - a global database's secondary has none until it is promoted - the program's instance Aurora
    promotes first (lowest promotion tier)."""
    writers = {m["DBInstanceIdentifier"] for m in cluster.get("DBClusterMembers", []) if m.get("IsClusterWriter")}
    own = [m for m in members if not m["DBInstanceIdentifier"].startswith(prefix)]
    chosen = [m for m in own if m["DBInstanceIdentifier"] in writers] or sorted(
        own, key=lambda m: (m.get("PromotionTier", 15), m["DBInstanceIdentifier"])
    )
    if not chosen:
        raise RuntimeError(f"{cluster['DBClusterIdentifier']} has no instance of its own to copy the class from")
    return chosen[0]


def add_readers(rds: Any, cluster_id: str, prefix: str, count: int) -> list[str]:
    """Create the missing readers and return without waiting for them; a create call's error (other than a zone's
    lack of capacity) propagates, so ARC retries the step."""
    if count == 0:
        return ["nothing to add (no failover readers configured for this region)"]
    (cluster,) = rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"]
    members = instances(rds, cluster_id)
    writer = writer_of(cluster, members, prefix)
    zones = [z for z in sorted(cluster.get("AvailabilityZones", [])) if z != writer.get("AvailabilityZone")]
    if not zones:
        raise RuntimeError(f"{cluster_id} has no zone other than its writer's ({writer.get('AvailabilityZone')})")
    ours = {m["DBInstanceIdentifier"]: m.get("DBInstanceStatus") for m in members
            if m["DBInstanceIdentifier"].startswith(prefix)}  # fmt: skip
    done: list[str] = []
    for number in range(1, count + 1):
        name = f"{prefix}{number}"
        if name not in ours:
            zone = create_in_some_zone(rds, partial(reader_request, writer, cluster_id, name), zones, number - 1)
            ours[name] = "creating"
            done.append(f"{name} requested ({writer['DBInstanceClass']}, {zone})")
    states = ", ".join(f"{name} {state}" for name, state in sorted(ours.items()))
    going = sorted(name for name, state in ours.items() if state in GOING)
    unusable = [f"NOT adding capacity (once gone, invoke this function with StepName add-readers; "
                f"remove-readers deletes a failed one): {', '.join(going)}"] if going else []  # fmt: skip
    return [*done, f"{len(ours)} reader(s) exist, not waited for: {states}", *unusable]


def create_in_some_zone(rds: Any, request: Callable[[str], dict[str, Any]], zones: list[str], first: int) -> str:
    """CreateDBInstance (`request(zone)`'s arguments) in zones[first], then - while a zone has no capacity for the
    class - in the next ones, round the list; returns the zone that took it. When every zone refuses, the last
    refusal propagates and ARC's retry tries them again."""
    order = [zones[(first + step) % len(zones)] for step in range(len(zones))]
    for zone in order[:-1]:
        try:
            rds.create_db_instance(**request(zone))
            return zone
        except rds.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") != NO_CAPACITY:
                raise
    rds.create_db_instance(**request(order[-1]))
    return order[-1]


def reader_request(writer: dict[str, Any], cluster_id: str, name: str, zone: str) -> dict[str, Any]:
    """CreateDBInstance arguments: a reader like the writer (class, parameter group, CA, monitoring, Performance
    Insights with its key), private, last in the failover order, tagged as this function's."""
    request: dict[str, Any] = {
        "DBInstanceIdentifier": name,
        "DBClusterIdentifier": cluster_id,
        "Engine": writer["Engine"],
        "DBInstanceClass": writer["DBInstanceClass"],
        "AvailabilityZone": zone,
        "PromotionTier": PROMOTION_TIER,
        "PubliclyAccessible": False,
        "AutoMinorVersionUpgrade": bool(writer.get("AutoMinorVersionUpgrade", False)),
        # No CopyTagsToSnapshot: it "doesn't apply to Amazon Aurora DB instances" (RDS API reference,
        # CreateDBInstance); the cluster's copy_tags_to_snapshot governs Aurora snapshots.
        "Tags": [{"Key": TAG_KEY, "Value": cluster_id}],
    }
    groups = [g["DBParameterGroupName"] for g in writer.get("DBParameterGroups", []) if g.get("DBParameterGroupName")]
    if groups:
        request["DBParameterGroupName"] = groups[0]
    if writer.get("CACertificateIdentifier"):
        request["CACertificateIdentifier"] = writer["CACertificateIdentifier"]
    if writer.get("PerformanceInsightsEnabled"):
        request["EnablePerformanceInsights"] = True
        request["PerformanceInsightsKMSKeyId"] = writer["PerformanceInsightsKMSKeyId"]
        request["PerformanceInsightsRetentionPeriod"] = writer.get("PerformanceInsightsRetentionPeriod", 7)
    if writer.get("MonitoringInterval"):
        request["MonitoringInterval"] = writer["MonitoringInterval"]
        request["MonitoringRoleArn"] = writer["MonitoringRoleArn"]
    return request


def remove_readers(rds: Any, cluster_id: str, prefix: str) -> list[str]:
    """Delete every instance this function created in the cluster (name prefix and tag); idempotent."""
    done = []
    for member in instances(rds, cluster_id):
        name = member["DBInstanceIdentifier"]
        tags = {t.get("Key"): t.get("Value") for t in member.get("TagList", [])}
        if not name.startswith(prefix) or tags.get(TAG_KEY) != cluster_id:
            continue
        if member.get("DBInstanceStatus") == "deleting":
            done.append(f"{name} already deleting")
            continue
        try:
            rds.delete_db_instance(DBInstanceIdentifier=name)
        except rds.exceptions.DBInstanceNotFoundFault:
            done.append(f"{name} already gone")
            continue
        done.append(f"{name} deleting")
    return done or [f"no reader of {cluster_id} added by the plan"]
