"""Region pair (issue 14): the Aurora global database and the secret replicas are encrypted with customer-managed
keys of their own regions, and a primary stack replicates what its standby needs (database, images, secrets,
DNS failover) to another region of its own account.

A stack's role comes from the pack config of `region-pair-replication` (policies/config/<stack>.json), never
from what the stack happens to contain: a primary that lost its replication must fail, not turn into a
"none". The default is `primary`, the strictest role (the pack's defaults are the prod values); a stack that
is not part of a pair says `none` in its config (dev), a standby says `standby` (prod-dr).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity
from pulumi_policy.proxy import UnknownValueError

from policies.rules.base import ResourceView, Rule, is_list, of_type

AREA_ENCRYPTION = "encryption-at-rest"
AREA_RECOVERY = "resilience"
GLOBAL_CLUSTER = "aws:rds/globalCluster:GlobalCluster"
CLUSTER = "aws:rds/cluster:Cluster"
SECRET = "aws:secretsmanager/secret:Secret"
ECR_REPLICATION = "aws:ecr/replicationConfiguration:ReplicationConfiguration"
RECORD = "aws:route53/record:Record"
HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):key/[A-Za-z0-9-]+$")
"""A customer-managed key by ARN. A bare key id or an alias would be resolved in the caller's region and account;
a cross-region secondary cluster and a secret replica must name a key of their own region
(https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-getting-started.html,
https://docs.aws.amazon.com/secretsmanager/latest/userguide/create-manage-multi-region-secrets.html)."""
ROLES = ("primary", "standby", "none")


def _list(value: Any) -> list[Any]:
    if is_list(value):
        return list(value)
    return [value] if value else []


def is_secondary(cluster: ResourceView) -> bool:
    """A cluster that joins a global database as a secondary: it names the global cluster and has no master user
    of its own (it replicates the primary's; CreateDBCluster refuses MasterUsername for a secondary)."""
    return bool(cluster.get("globalClusterIdentifier")) and not cluster.get("masterUsername")


def _stack_region(resource: ResourceView) -> str:
    region = resource.provider_props.get("region")
    return region if isinstance(region, str) else ""


def _stack_accounts(resource: ResourceView) -> set[str]:
    """The accounts the resource's provider is pinned to (allowedAccountIds; a provider's list inputs reach the
    analyzer as JSON text)."""
    accounts: Any = resource.provider_props.get("allowedAccountIds")
    if isinstance(accounts, str):
        try:
            accounts = json.loads(accounts)
        except ValueError:
            accounts = [accounts]
    return {str(a) for a in _list(accounts)}


def cmk_problem(key: Any, region: str) -> str | None:
    """Why `key` is not a customer-managed key of `region` (None when it is one)."""
    if not isinstance(key, str) or not key:
        return "names no KMS key (the AWS-managed key would be used)"
    match = KMS_KEY_ARN.match(key)
    if match is None:
        return f"names {key!r}, not a customer-managed key ARN (arn:aws:kms:<region>:<account>:key/<id>)"
    if region and match["region"] != region:
        return f"names a key of {match['region']}, not of {region}"
    return None


# --- aurora-global-encrypted ------------------------------------------------------------------------------------


def _aurora_global_encrypted(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if r.type == GLOBAL_CLUSTER:
        # storageEncrypted defaults to false unless the global cluster is made from an (encrypted) source cluster,
        # whose encryption it inherits; that cluster is judged by aurora-storage-encrypted-cmk.
        encrypted = r.get("storageEncrypted")
        if encrypted is not True and not (encrypted is None and r.get("sourceDbClusterIdentifier")):
            yield "the global database's storage is not encrypted (storageEncrypted must be true)"
        return
    if is_secondary(r):
        # aurora-storage-encrypted-cmk requires a key on every cluster; a secondary in another region must name a
        # key of its own region by ARN (CreateDBCluster KmsKeyId for a cross-region replica).
        problem = cmk_problem(r.get("kmsKeyId"), _stack_region(r))
        if problem:
            yield f"the secondary cluster's kmsKeyId {problem}"


# --- secret-replicas-cmk ----------------------------------------------------------------------------------------


def _secret_replicas_cmk(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    for replica in _list(r.get("replicas")):
        region = str(replica.get("region") or "")
        problem = cmk_problem(replica.get("kmsKeyId"), region)
        if problem:
            yield f"the replica in {region or '(no region)'} {problem}"


# --- region-pair-replication ------------------------------------------------------------------------------------


def _known_and_set(resource: ResourceView, key: str) -> bool:
    """The property is set; a value unknown until deployment (an id computed by the provider) counts as set."""
    try:
        return bool(resource.get(key))
    except UnknownValueError:
        return True


def _stack_urn(resources: Sequence[ResourceView]) -> str:
    return next((r.urn for r in resources if r.type == "pulumi:pulumi:Stack"), resources[0].urn if resources else "")


def _failover_records(resources: Sequence[ResourceView], kind: str) -> list[ResourceView]:
    return [record for record in of_type(resources, RECORD)
            if any(p.get("type") == kind for p in _list(record.get("failoverRoutingPolicies")))]  # fmt: skip


def _primary(resources: Sequence[ResourceView]) -> Iterable[tuple[str, str]]:
    stack = _stack_urn(resources)
    globals_ = of_type(resources, GLOBAL_CLUSTER)
    clusters = of_type(resources, CLUSTER)
    identifiers = {g.get("globalClusterIdentifier") for g in globals_}
    urns = {g.urn for g in globals_}
    members = [
        c for c in clusters if not is_secondary(c)
        and (c.depends_on("globalClusterIdentifier") & urns or c.get("globalClusterIdentifier") in identifiers)
    ]  # fmt: skip
    if not globals_:
        yield stack, "a primary builds no Aurora global database (aws:rds/globalCluster:GlobalCluster)"
    elif not members:
        yield globals_[0].urn, "no Aurora cluster of the stack is the writer of the global database"
    yield from _ecr_replication(resources, stack)
    for secret in of_type(resources, SECRET):
        region = _stack_region(secret)
        regions = [str(replica.get("region") or "") for replica in _list(secret.get("replicas"))]
        if not [r for r in regions if r and r != region]:
            yield secret.urn, "the secret is not replicated to another region (replicas is empty)"
    yield from _failover_record(resources, stack, "PRIMARY", "Route 53 would never fail over")


def _failover_record(resources: Sequence[ResourceView], stack: str, kind: str, why: str) -> Iterable[tuple[str, str]]:
    """The stack has a failover record of the role, each with a health check (the stack's own when it names one)."""
    records = _failover_records(resources, kind)
    checks = {h.urn for h in of_type(resources, HEALTH_CHECK)}
    if not records:
        yield stack, f"a {'primary' if kind == 'PRIMARY' else 'standby'} has no Route 53 {kind} failover record"
    for record in records:
        if not _known_and_set(record, "healthCheckId"):
            yield record.urn, f"the {kind} failover record has no health check: {why}"
        elif record.depends_on("healthCheckId") and not record.depends_on("healthCheckId") & checks:
            yield record.urn, f"the {kind} failover record's health check is not one of the stack's"


def _ecr_replication(resources: Sequence[ResourceView], stack: str) -> Iterable[tuple[str, str]]:
    configurations = of_type(resources, ECR_REPLICATION)
    if not configurations:
        yield stack, "a primary does not replicate its container images (no ECR ReplicationConfiguration)"
    for configuration in configurations:
        region, accounts = _stack_region(configuration), _stack_accounts(configuration)
        destinations = [d for rule in _list(configuration.get("replicationConfiguration.rules"))
                        for d in _list(rule.get("destinations"))]  # fmt: skip
        if not destinations:
            yield configuration.urn, "the registry replication has no destination"
        if not accounts:
            yield configuration.urn, ("the stack's account is unknown (the provider pins no allowedAccountIds): "
                                      "replication destinations cannot be checked")  # fmt: skip
            continue
        for destination in destinations:
            target_account, target_region = str(destination.get("registryId")), str(destination.get("region"))
            if target_account not in accounts:
                yield configuration.urn, (f"images are replicated to account {target_account}, outside the "
                                          f"stack's account {sorted(accounts)}")  # fmt: skip
            if not target_region or target_region == region:
                yield configuration.urn, f"images are replicated within {region or 'the same region'}, not to another"


def _standby(resources: Sequence[ResourceView]) -> Iterable[tuple[str, str]]:
    stack = _stack_urn(resources)
    if not [c for c in of_type(resources, CLUSTER) if is_secondary(c)]:
        yield stack, "a standby has no Aurora cluster joined to a global database as a secondary"
    # Without a health check on the secondary, Route 53 answers with it whenever the primary is unhealthy, healthy
    # or not; with one, an unhealthy secondary makes Route 53 answer with the primary (Route 53 API Reference,
    # ResourceRecordSet, Failover: https://docs.aws.amazon.com/Route53/latest/APIReference/API_ResourceRecordSet.html).
    yield from _failover_record(resources, stack, "SECONDARY", "Route 53 would send traffic to a standby that "
                                "cannot serve")  # fmt: skip


def _region_pair(resources: Sequence[ResourceView], config: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    role = config["role"]
    if role == "primary":
        yield from _primary(resources)
    elif role == "standby":
        yield from _standby(resources)


RULES = [
    Rule("aurora-global-encrypted", AREA_ENCRYPTION, "The Aurora global database is encrypted, and a secondary "
         "cluster encrypts with a customer-managed key of its own region.", Severity.CRITICAL, "3.5.1",
         "Set storageEncrypted=true on the GlobalCluster; give the secondary cluster kmsKeyId = the ARN of the data "
         "key in its region (both replace the resource).", (GLOBAL_CLUSTER, CLUSTER), _aurora_global_encrypted),
    Rule("secret-replicas-cmk", AREA_ENCRYPTION, "Every replica of a secret is encrypted with a customer-managed key "
         "of the replica's region.", Severity.HIGH, "3.5.1",
         "Set replicas[].kmsKeyId to the ARN of a customer-managed key in the replica's region.", (SECRET,),
         _secret_replicas_cmk),
    Rule("region-pair-replication", AREA_RECOVERY, "A primary replicates to its standby region in the same account "
         "(Aurora global database, ECR images, every secret) and fronts DNS with a health-checked PRIMARY failover "
         "record; a standby holds the Aurora secondary and a health-checked SECONDARY record (also SOC 2 A1.2, "
         "A1.3).", Severity.HIGH, "12.10.1",
         "Set drStack (primary) or standbyFor (standby) in the stack config; set role in the policy config "
         "(primary, standby, or none for a stack outside a region pair).", stack_check=_region_pair,
         config={"role": {"type": "string", "enum": list(ROLES), "default": "primary",
                          "description": "The stack's place in a region pair: primary, standby, or none. Default: "
                                         "primary (fails closed: a stack must declare that it is not a primary)."}}),
]  # fmt: skip
