"""Live audit: find a stack's deployed resources by their tags and check them against the baseline
of the policy pack (encryption, public exposure, backups, deletion protection, WAF association, and for a
region pair: the global database's encryption, secret replicas under customer-managed keys of their regions,
and a primary's replication of secrets and container images within its own account).

The checks re-implement the pack's rules on the AWS APIs' answers (a live resource is not a Pulumi
registration); the DNS failover records of region-pair-replication are not checked here: Route 53 records carry
no tags, so the tag inventory cannot find them (`ops failover --dry-run` reads them).

Thresholds come from the same place as the pack's: each rule's defaults under the stack's policy
config (policies/config/<stack>.json), so the live audit and a preview judge a stack alike.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from offline.audit import trail_stacks
from ops import common
from ops.common import Clients, OpsError, Report, require_pinned_account
from policies.pack_config import PackConfig, PolicyConfigError, parse_pack_config, stack_problems
from policies.rules import ALL_RULES
from policies.rules.region_pair import cmk_problem
from stacks.config import CONFIG_NAMESPACE, StackConfig


def thresholds(stack: str, config: StackConfig | None = None) -> dict[str, dict[str, Any]]:
    """Each rule's config: its strict defaults under the stack's policy config file, if any, read with the pack's
    own loader (policies/pack_config.py: levels, declared properties, schema values, no key twice) and, with
    `config`, checked against the stack as offline.audit checks it. A bad file raises OpsError naming it."""
    path = Path(common.PROJECT_DIR) / "policies" / "config" / f"{stack}.json"
    try:
        pack = parse_pack_config(path.read_text(encoding="utf-8"), ALL_RULES, path.name) if path.exists() else None
    except OSError as err:
        raise OpsError(f"policy config {path.name} cannot be read: {err.strerror or err}") from None
    except PolicyConfigError as err:
        raise OpsError(f"policy config {path.name} cannot be read: {err}") from None
    if pack is None:
        pack = PackConfig()
    if config is not None:
        problems = stack_problems(
            pack, ALL_RULES, stack, config.region_pair_role, trail_stacks(Path(common.PROJECT_DIR))
        )
        if problems:
            raise OpsError(f"policy config {path.name} does not fit stack '{stack}': " + "; ".join(problems))
    return {rule.name: {**rule.defaults(), **pack.config(rule)} for rule in ALL_RULES}


def tagged_resources(stack: str, clients: Clients) -> list[str]:
    """ARNs of every resource tagged as this stack of this project."""
    paginator = clients("resourcegroupstaggingapi").get_paginator("get_resources")
    filters = [{"Key": "environment", "Values": [stack]}, {"Key": "project", "Values": [CONFIG_NAMESPACE]}]
    return [item["ResourceARN"] for page in paginator.paginate(TagFilters=filters)
            for item in page["ResourceTagMappingList"]]  # fmt: skip


def live_audit(stack: str, config: StackConfig, clients: Clients) -> Report:
    """Check every tagged resource whose type the audit knows; the report fails on any finding.
    Refuses (OpsError) when the credentials belong to another account than the stack's pinned one."""
    require_pinned_account(stack, config, clients)
    report = Report("live audit", stack)
    limits = thresholds(stack, config)
    arns = tagged_resources(stack, clients)
    report.add("inventory", bool(arns), f"{len(arns)} resources tagged environment={stack}, project={CONFIG_NAMESPACE}")
    for arn in arns:
        service, kind = _kind(arn)
        check = CHECKS.get((service, kind))
        if check is not None:
            check(report, arn, clients, limits)
    if limits["region-pair-replication"]["role"] == "primary":
        _registry_replication(report, clients, config)
    return report


def _registry_replication(report: Report, clients: Clients, config: StackConfig) -> None:
    """A primary replicates its images to another region of its own account (rule region-pair-replication)."""
    rules = clients("ecr").describe_registry().get("replicationConfiguration", {}).get("rules", [])
    destinations = [d for rule in rules for d in rule.get("destinations", [])]
    report.add("ecr-replication", bool(destinations), f"{len(destinations)} replication destination(s)", "registry")
    for destination in destinations:
        account, region = destination.get("registryId"), destination.get("region")
        ok = account == config.account_id and bool(region) and region != config.region
        report.add("ecr-replication-destination", ok, f"images replicated to account {account} in {region} (must be "
                   f"{config.account_id}, another region than {config.region})", "registry")  # fmt: skip


def _kind(arn: str) -> tuple[str, str]:
    parts = arn.split(":")
    service, resource = parts[2], ":".join(parts[5:])
    kind = resource.split(":")[0].split("/")[0] if service != "s3" else "bucket"
    return service, kind


def _rds_cluster(report: Report, arn: str, clients: Clients, limits: dict[str, dict[str, Any]]) -> None:
    (cluster,) = clients("rds").describe_db_clusters(DBClusterIdentifier=arn.split(":")[-1])["DBClusters"]
    name = cluster["DBClusterIdentifier"]
    encrypted = cluster.get("StorageEncrypted") and cluster.get("KmsKeyId")
    report.add("aurora-encrypted", bool(encrypted), f"storage encrypted: {cluster.get('StorageEncrypted')}", name)
    report.add(
        "aurora-iam-auth", bool(cluster.get("IAMDatabaseAuthenticationEnabled")), "IAM database authentication", name
    )
    minimum = limits["aurora-backup-retention"]["minDays"]
    days = cluster.get("BackupRetentionPeriod", 0)
    report.add("aurora-backup-retention", days >= minimum, f"backups kept {days} days (minimum {minimum})", name)
    if limits["deletion-protection"]["required"]:
        report.add("aurora-deletion-protection", bool(cluster.get("DeletionProtection")), "deletion protection", name)
    global_id = cluster.get("GlobalClusterIdentifier")
    if global_id:
        (database,) = clients("rds").describe_global_clusters(GlobalClusterIdentifier=global_id)["GlobalClusters"]
        encrypted = database.get("StorageEncrypted")
        report.add("aurora-global-encrypted", bool(encrypted), f"global database {global_id} storage encrypted: "
                   f"{encrypted}", name)  # fmt: skip
    role = limits["region-pair-replication"]["role"]
    if role != "none":
        report.add("aurora-global-member", bool(global_id), f"member of a global database ({role}): "
                   f"{global_id or 'none'}", name)  # fmt: skip


def _secret(report: Report, arn: str, clients: Clients, limits: dict[str, dict[str, Any]]) -> None:
    secret = clients("secretsmanager").describe_secret(SecretId=arn)
    name, home = secret.get("Name", arn), arn.split(":")[3]
    replicas = secret.get("ReplicationStatus", [])
    for replica in replicas:
        problem = cmk_problem(replica.get("KmsKeyId"), replica.get("Region", ""))
        report.add("secret-replicas-cmk", problem is None, f"replica in {replica.get('Region')} "
                   f"{problem or 'uses a customer-managed key of its region'}", name)  # fmt: skip
    if limits["region-pair-replication"]["role"] == "primary":
        regions = [r.get("Region") for r in replicas if r.get("Region") not in (None, home)]
        report.add("secret-replicated", bool(regions), f"replicated to {regions or 'no other region'}", name)


def _rds_instance(report: Report, arn: str, clients: Clients, _: dict[str, dict[str, Any]]) -> None:
    (instance,) = clients("rds").describe_db_instances(DBInstanceIdentifier=arn.split(":")[-1])["DBInstances"]
    public = bool(instance.get("PubliclyAccessible"))
    report.add("database-not-public", not public, f"publicly accessible: {public}", instance["DBInstanceIdentifier"])


def _cache(report: Report, arn: str, clients: Clients, _: dict[str, dict[str, Any]]) -> None:
    groups = clients("elasticache").describe_replication_groups(ReplicationGroupId=arn.split(":")[-1])
    (group,) = groups["ReplicationGroups"]
    name = group["ReplicationGroupId"]
    report.add("cache-encrypted-at-rest", bool(group.get("AtRestEncryptionEnabled")), "at-rest encryption", name)
    report.add("cache-tls", bool(group.get("TransitEncryptionEnabled")), "in-transit encryption", name)
    report.add("cache-auth", bool(group.get("AuthTokenEnabled") or group.get("UserGroupIds")), "AUTH or RBAC", name)


def _kafka(report: Report, arn: str, clients: Clients, _: dict[str, dict[str, Any]]) -> None:
    info = clients("kafka").describe_cluster_v2(ClusterArn=arn)["ClusterInfo"]
    provisioned = info.get("Provisioned", {})
    at_rest = provisioned.get("EncryptionInfo", {}).get("EncryptionAtRest", {}).get("DataVolumeKMSKeyId")
    unauthenticated = provisioned.get("ClientAuthentication", {}).get("Unauthenticated", {}).get("Enabled", False)
    report.add("msk-encrypted", bool(at_rest), "at-rest encryption key", info.get("ClusterName", arn))
    report.add("msk-authenticated", not unauthenticated, "unauthenticated access off", info.get("ClusterName", arn))


def _bucket(report: Report, arn: str, clients: Clients, _: dict[str, dict[str, Any]]) -> None:
    bucket = arn.split(":")[-1]
    s3 = clients("s3")
    try:
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        blocked = all(block.get(flag) for flag in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls",
                                                   "RestrictPublicBuckets"))  # fmt: skip
    except ClientError:
        blocked = False
    report.add("bucket-public-access-blocked", blocked, "all four public access blocks on", bucket)
    try:
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        encrypted = bool(rules)
    except ClientError:
        encrypted = False
    report.add("bucket-encrypted", encrypted, "default encryption configured", bucket)


def _load_balancer(report: Report, arn: str, clients: Clients, limits: dict[str, dict[str, Any]]) -> None:
    (balancer,) = clients("elbv2").describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"]
    name = balancer["LoadBalancerName"]
    if balancer.get("Scheme") == "internet-facing":
        acl = clients("wafv2").get_web_acl_for_resource(ResourceArn=arn).get("WebACL")
        report.add("alb-has-waf", bool(acl), f"web ACL: {acl['Name'] if acl else 'none'}", name)
    if limits["deletion-protection"]["required"]:
        attributes = clients("elbv2").describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
        protected = any(a["Key"] == "deletion_protection.enabled" and a["Value"] == "true" for a in attributes)
        report.add("alb-deletion-protection", protected, "deletion protection", name)


def _log_group(report: Report, arn: str, clients: Clients, limits: dict[str, dict[str, Any]]) -> None:
    name = arn.split(":log-group:")[-1].removesuffix(":*")
    groups = [g for g in clients("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
              if g["logGroupName"] == name]  # fmt: skip
    if not groups:
        return
    group = groups[0]
    report.add("log-group-encrypted", bool(group.get("kmsKeyId")), "customer-managed key", name)
    minimum = limits["log-retention"]["minDays"]
    days = group.get("retentionInDays")
    report.add("log-retention", bool(days) and days >= minimum, f"kept {days} days (minimum {minimum})", name)


Check = Callable[[Report, str, Clients, dict[str, dict[str, Any]]], None]
CHECKS: dict[tuple[str, str], Check] = {
    ("rds", "cluster"): _rds_cluster,
    ("rds", "db"): _rds_instance,
    ("elasticache", "replicationgroup"): _cache,
    ("kafka", "cluster"): _kafka,
    ("s3", "bucket"): _bucket,
    ("elasticloadbalancing", "loadbalancer"): _load_balancer,
    ("logs", "log-group"): _log_group,
    ("secretsmanager", "secret"): _secret,
}
"""The resource kinds the live audit knows, by (service, resource type) of their ARN."""
