"""The custom action of an ARC Region switch plan, for what ARC has no execution block for (issue 24).

ARC Region switch has blocks for Aurora global databases, EKS/ECS/EC2 scaling, Route 53 health checks and manual
approvals (https://docs.aws.amazon.com/r53recovery/latest/dg/region-switch-plans.html), but none for:
- the Aurora master credential's Secrets Manager replica: a failover promotes it to a standalone secret of its
  region (StopReplicationToReplica, called in the replica's region:
  https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_StopReplicationToReplica.html), and the
  failback must replicate the primary's secret to the standby region again, overwriting the standalone copy of
  the same name (ReplicateSecretToRegions with ForceOverwriteReplicaSecret:
  https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ReplicateSecretToRegions.html);
- an ElastiCache replication group's replica count (IncreaseReplicaCount / DecreaseReplicaCount).

One function per region (the stack of that region deploys it). The plan calls it as a step after the database
step of both workflows; the function reads which region holds the global database's writer and does what its
region needs, so the same code serves failover, failback and a rerun (every action is idempotent):

    standby region, writer here      -> promote the credential's replica, raise the cache replicas
    standby region, writer elsewhere -> lower the cache replicas back to the standby's own size
    primary region, writer here      -> replicate the credential to the standby region again (if it is not)
    primary region, writer elsewhere -> nothing (the standby's function acts)

Configuration comes from environment variables set by components/region_switch_actions.py. A failed call
raises: ARC retries the step and reports the error in the execution's events.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

Client = Callable[[str], Any]
"""boto3 client factory of the function's region, by service name."""


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point."""
    import boto3  # the Lambda runtime ships boto3

    region = os.environ["AWS_REGION"]
    return run(dict(os.environ), lambda service, where=region: boto3.client(service, region_name=where))


def run(env: Mapping[str, str], client: Callable[..., Any]) -> dict[str, Any]:
    """Do this region's share of the switch; returns what was done (ARC logs the function's result)."""
    region = env["AWS_REGION"]
    writer = writer_region(client("rds"), env["GLOBAL_CLUSTER_ID"])
    done: list[str] = [f"writer of {env['GLOBAL_CLUSTER_ID']} is in {writer}"]
    if env["ROLE"] == "standby":
        if writer == region:
            done.append(promote_secret(client("secretsmanager"), env["SECRET_PREFIX"], region))
            done.append(scale_cache(client("elasticache"), env["CACHE_GROUP"], int(env["ACTIVE_CACHE_REPLICAS"])))
        else:
            done.append(scale_cache(client("elasticache"), env["CACHE_GROUP"], int(env["STANDBY_CACHE_REPLICAS"])))
    elif writer == region:
        done.append(
            restore_replica(client("secretsmanager"), env["SECRET_PREFIX"], env["PEER_REGION"], env["PEER_KMS_KEY"])
        )
    else:
        done.append("nothing to do in the primary region while the standby holds the writer")
    return {"region": region, "role": env["ROLE"], "done": done}


def writer_region(rds: Any, global_cluster_id: str) -> str:
    """Region of the global database's writer cluster (from its ARN, arn:aws:rds:<region>:...)."""
    (cluster,) = rds.describe_global_clusters(GlobalClusterIdentifier=global_cluster_id)["GlobalClusters"]
    writers = [m["DBClusterArn"] for m in cluster.get("GlobalClusterMembers", []) if m.get("IsWriter")]
    if len(writers) != 1:
        raise RuntimeError(f"{global_cluster_id} has {len(writers)} writers ({writers}); expected one")
    return str(writers[0].split(":")[3])


def master_secret(secretsmanager: Any, prefix: str) -> dict[str, Any]:
    """The one secret whose name starts with prefix (AppSecrets names it '<prefix><random suffix>')."""
    found = [
        s
        for page in secretsmanager.get_paginator("list_secrets").paginate(Filters=[{"Key": "name", "Values": [prefix]}])
        for s in page.get("SecretList", [])
        if str(s.get("Name", "")).startswith(prefix)
    ]
    if len(found) != 1:
        raise RuntimeError(f"expected one secret named {prefix}*, found {[s.get('Name') for s in found]}")
    return dict(found[0])


def promote_secret(secretsmanager: Any, prefix: str, region: str) -> str:
    """Make this region's replica of the credential a standalone secret (no-op when it already is one)."""
    secret = master_secret(secretsmanager, prefix)
    primary = secret.get("PrimaryRegion")
    if not primary or primary == region:
        return f"{secret['Name']} is already a standalone secret in {region}"
    secretsmanager.stop_replication_to_replica(SecretId=secret["ARN"])
    return f"{secret['Name']} promoted to a standalone secret in {region} (was a replica of {primary})"


def restore_replica(secretsmanager: Any, prefix: str, peer_region: str, peer_kms_key: str) -> str:
    """Replicate this region's credential to the peer region again, overwriting a standalone copy there."""
    secret = master_secret(secretsmanager, prefix)
    described = secretsmanager.describe_secret(SecretId=secret["ARN"])
    replicas = {r.get("Region"): r.get("Status") for r in described.get("ReplicationStatus", [])}
    if replicas.get(peer_region) in ("InSync", "InProgress"):
        return f"{secret['Name']} already replicates to {peer_region} ({replicas[peer_region]})"
    secretsmanager.replicate_secret_to_regions(
        SecretId=secret["ARN"],
        AddReplicaRegions=[{"Region": peer_region, "KmsKeyId": peer_kms_key}],
        ForceOverwriteReplicaSecret=True,
    )
    return f"{secret['Name']} replicates to {peer_region} again (the standalone copy there is overwritten)"


def scale_cache(elasticache: Any, group: str, replicas: int) -> str:
    """Set the replication group's replica count (primary + replicas = nodes); no-op when it is there."""
    (info,) = elasticache.describe_replication_groups(ReplicationGroupId=group)["ReplicationGroups"]
    current = len(info.get("MemberClusters", [])) - 1
    if current == replicas:
        return f"{group} already has {replicas} replica(s)"
    call = elasticache.increase_replica_count if replicas > current else elasticache.decrease_replica_count
    call(ReplicationGroupId=group, NewReplicaCount=replicas, ApplyImmediately=True)
    return f"{group}: {current} -> {replicas} replica(s) requested"
