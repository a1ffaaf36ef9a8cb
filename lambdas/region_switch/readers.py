"""Aurora reader capacity for the region an ARC Region switch plan activates (issue 24): a custom action, because ARC
has no execution block that adds reader instances to a cluster.

What ARC offers, and why it does not fit (arc-region-switch 2022-07-26 in botocore 1.44.18; ARC developer guide):
- AuroraServerlessScaling sets the activating cluster's min/max ACUs from the other region's usage: it sizes the
  instances that exist, it adds none;
- AuroraProvisionedScaling maps ONE instance ARN per region (instanceArns) and scales (or creates) that instance
  to the other region's instance class: one instance per block, for provisioned classes, and nothing removes it
  on the way back;
- RdsCreateCrossRegionReplica creates an RDS (not Aurora) read replica in another region.
So the plan's `add-readers` step (the failover workflow, before the database step) runs this function in the
standby's region, and the failback's `remove-readers` step (its last, after move-traffic) removes what it added.

    add-readers    create READERS instances `<cluster>-switch-reader-<n>` in the cluster, of the writer's class,
                   spread over the cluster's zones other than the writer's, tagged region-switch-reader=<cluster>;
                   succeed once every one is `available`, else raise: ARC reruns the step every
                   retryIntervalMinutes until its timeout, so each run creates only what is missing (idempotent).
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
from typing import Any

TAG_KEY = "region-switch-reader"
"""Tag on every instance this function creates; its value is the cluster (the role may delete only these)."""
PROMOTION_TIER = 15
"""Last in Aurora's failover order: the program's own instances are promoted first."""
ADD, REMOVE = "add-readers", "remove-readers"


class NotReadyError(RuntimeError):
    """The readers exist but are not all available yet: ARC retries the step."""


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point."""
    import boto3  # the Lambda runtime ships boto3

    return run(event, dict(os.environ), boto3.client("rds", region_name=os.environ["AWS_REGION"]))


def run(event: Mapping[str, Any], env: Mapping[str, str], rds: Any) -> dict[str, Any]:
    """Do the step named by the event; returns what was done (ARC logs the result)."""
    actions: dict[str, Callable[[Any, str, str, int], list[str]]] = {ADD: add_readers, REMOVE: remove_readers}
    step = str(event.get("StepName", ""))
    if step not in actions:
        raise ValueError(f"StepName {step!r}: this function runs only the plan's steps {sorted(actions)}")
    cluster, prefix, count = env["CLUSTER"], env["NAME_PREFIX"], int(env["READERS"])
    return {"step": step, "cluster": cluster, "done": actions[step](rds, cluster, prefix, count)}


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
    """Create the missing readers; raise NotReadyError until all of them are available."""
    if count == 0:
        return ["nothing to add (no failover readers configured for this region)"]
    (cluster,) = rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"]
    members = instances(rds, cluster_id)
    writer = writer_of(cluster, members, prefix)
    zones = [z for z in sorted(cluster.get("AvailabilityZones", [])) if z != writer.get("AvailabilityZone")]
    if not zones:
        raise RuntimeError(f"{cluster_id} has no zone other than its writer's ({writer.get('AvailabilityZone')})")
    ours = {m["DBInstanceIdentifier"]: m for m in members if m["DBInstanceIdentifier"].startswith(prefix)}
    done: list[str] = []
    for number in range(1, count + 1):
        name = f"{prefix}{number}"
        if name in ours:
            continue
        zone = zones[(number - 1) % len(zones)]
        rds.create_db_instance(**reader_request(writer, cluster_id, name, zone))
        ours[name] = {"DBInstanceIdentifier": name, "DBInstanceStatus": "creating"}
        done.append(f"{name} requested ({writer['DBInstanceClass']}, {zone})")
    status = {name: m.get("DBInstanceStatus") for name, m in sorted(ours.items())}
    waiting = {name: state for name, state in status.items() if state != "available"}
    if waiting:
        raise NotReadyError(f"{len(ours) - len(waiting)} of {len(ours)} reader(s) of {cluster_id} available; waiting "
                            f"for {waiting}" + (f" ({'; '.join(done)})" if done else ""))  # fmt: skip
    return [*done, f"{len(ours)} reader(s) available: {', '.join(sorted(ours))}"]


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


def remove_readers(rds: Any, cluster_id: str, prefix: str, count: int) -> list[str]:
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
