"""Verify, after `pulumi up`: does the platform the stack left work?

Checks, each through the AWS control-plane APIs (reachable from anywhere with credentials):
- nodes: the EKS cluster and every managed node group are ACTIVE, each node group has at least its
  minimum of in-service, healthy instances, and every pinned zone has one; where the Kubernetes API is
  reachable from here, every node is Ready (the output says when it is not reachable);
- target groups: each public workload's target group has a healthy target;
- topics: every topic a workload produces or consumes exists (MSK topic API);
- alarms: every alarm of the stack notifies the alarm topic on ALARM and on OK;
- metrics: the Prometheus workspace, both managed collectors (and the EKS one's access entry), every rule group
  and the Alertmanager definition are ACTIVE, and every scrape job's targets are `up` (ops/verify_metrics.py);
- master secret rotation: the Aurora master secret has rotation on, a schedule within auroraMasterRotationDays and
  a last rotation within its schedule (ops/verify_rotation.py);
- grafana (with grafanaWorkspace): the Grafana workspace ACTIVE on the pinned version and the deploy token not
  expired (ops/verify_grafana.py);
- database: each workload's database user exists, can log in, is a member of rds_iam and may connect
  to the database (checked through the RDS Data API with the master secret: a login as the IAM user
  itself needs a network path to the cluster, which only the workloads' subnets have);
- region switch (a stack of a region pair): the pair's ARC Region switch plan exists and its last evaluation
  passed with no active warning (ops/verify_region_switch.py).
"""

from __future__ import annotations

import base64
import json
import ssl
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from botocore.exceptions import ClientError
from botocore.signers import RequestSigner

from ops.common import (
    Clients,
    OpsInterruptedError,
    Progress,
    Report,
    describe_error,
    error_code,
    require_pinned_account,
    stderr_progress,
)
from ops.verify_grafana import check_grafana
from ops.verify_metrics import check_metrics
from ops.verify_region_switch import check_region_switch
from ops.verify_rotation import check_master_rotation
from stacks.config import CONFIG_NAMESPACE, StackConfig
from stacks.names import global_database_name, master_credential_prefix, primary_prefix, resource_prefix
from stacks.region_switch import plan_name
from stacks.tiers import TIER_RULES
from stacks.workload_specs import WORKLOADS

NOT_FOUND = {"ResourceNotFoundException", "NotFoundException", "DBClusterNotFoundFault", "NotFound"}
KUBERNETES_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class NodeStatus:
    """One Kubernetes node: its zone label and whether its Ready condition is True."""

    name: str
    zone: str
    ready: bool


NodeReader = Callable[[str, str, str], list[NodeStatus]]


class MetricsCheck(Protocol):
    """The metrics step: checks the Prometheus workspace, its collectors and X-Ray's encryption into `report`
    (ops/verify_metrics.check_metrics)."""

    def __call__(self, report: Report, clients: Clients, prefix: str, *, trace_encryption: bool) -> None: ...


RDS_MANAGED_ROTATION_DAYS = 7
"""RDS rotates the master secret it manages every 7 days by default ("Password management with Amazon RDS and AWS
Secrets Manager", RDS User Guide); the stack does not change that schedule (stacks/builders.py master_rotation)."""


def master_rotation_days(config: StackConfig) -> int:
    """The longest rotation schedule verify accepts for the stack's master secret: auroraMasterRotationDays where
    the stack rotates the secret with Secrets Manager's function (a region pair's primary,
    StackConfig.rotates_master_secret) and on a standby (its replica follows the primary; a promoted copy is rotated
    by hand on that schedule; the config refuses the key there, so this is its default); RDS's own 7 days for a
    regional cluster's RDS-managed secret, where the key does nothing."""
    if config.rotates_master_secret or config.region_pair_role == "standby":
        return config.aurora_master_rotation_days
    return RDS_MANAGED_ROTATION_DAYS


def verify(
    stack: str,
    config: StackConfig,
    clients: Clients,
    progress: Progress = stderr_progress,
    read_nodes: NodeReader | None = None,
    metrics: MetricsCheck = check_metrics,
) -> Report:
    """Every check; the report fails when any check fails. `read_nodes(endpoint, ca_pem, token)` lists
    the Kubernetes nodes (default: GET /api/v1/nodes over TLS, verified against the cluster's CA); `metrics(report,
    clients, prefix, trace_encryption=...)` checks the Prometheus workspace, its collectors and X-Ray's encryption
    (default: ops/verify_metrics.py)."""
    require_pinned_account(stack, config, clients)
    report = Report("verify", stack)
    prefix = resource_prefix(stack)
    steps: list[tuple[str, Callable[[], None]]] = [
        ("nodes", lambda: check_nodes(report, config, clients, prefix, read_nodes or kubernetes_nodes)),
        ("target groups", lambda: check_target_groups(report, stack, clients)),
        ("topics", lambda: check_topics(report, clients, prefix)),
        ("alarms", lambda: check_alarms(report, stack, clients, prefix)),
        ("metrics", lambda: metrics(report, clients, prefix, trace_encryption=config.trace_encryption)),
        *([("grafana", lambda: check_grafana(report, clients, prefix))] if config.grafana_workspace else []),
        (
            "master secret rotation",
            lambda: check_master_rotation(
                report,
                clients,
                prefix,
                credential_prefix(stack, config),
                master_rotation_days(config),
                standby=bool(config.standby_for),
            ),
        ),
        (
            "database users",
            lambda: check_database_users(
                report, clients, prefix, credential_prefix(stack, config), global_database_of(stack, config)
            ),
        ),
    ]
    if config.region_pair_role != "none":  # the plan's readiness, read in this stack's region (its data plane)
        plan = plan_name(config.standby_for or stack)
        steps.append(("region switch plan", lambda: check_region_switch(report, clients, plan)))
    for number, (label, step) in enumerate(steps, 1):
        progress(f"[{number}/{len(steps)}] checking {label} of {prefix} ...")
        before = len(report.findings)
        try:
            step()
        except KeyboardInterrupt:
            raise OpsInterruptedError(f"interrupted while checking {label} ({number}/{len(steps)}); the checks before "
                              "it are reported, nothing was changed", report) from None  # fmt: skip
        failures = sum(f.status == "fail" for f in report.findings[before:])
        progress(f"[{number}/{len(steps)}] {label}: {len(report.findings) - before} checks, {failures} failed")
    return report


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    return [item for page in client.get_paginator(operation).paginate(**kwargs) for item in page.get(key, [])]


def _tags_match(tags: Iterable[dict[str, str]], stack: str) -> bool:
    found = {tag["Key"]: tag["Value"] for tag in tags}
    return found.get("environment") == stack and found.get("project") == CONFIG_NAMESPACE


# --- nodes -------------------------------------------------------------------------------------------


def check_nodes(report: Report, config: StackConfig, clients: Clients, cluster: str, read_nodes: NodeReader) -> None:
    """Cluster and node groups ACTIVE, in-service instances per node group and per pinned zone, Ready nodes."""
    eks = clients("eks")
    try:
        info = eks.describe_cluster(name=cluster)["cluster"]
    except ClientError as err:
        if error_code(err) not in NOT_FOUND:
            raise
        report.add("eks-cluster", False, f"cluster {cluster} not found", cluster)
        return
    report.add("eks-cluster", info.get("status") == "ACTIVE", f"status {info.get('status')}", cluster)
    zone_names = _zone_names(clients, config.availability_zone_ids)
    in_service: Counter[str] = Counter()
    groups = _pages(eks, "list_nodegroups", "nodegroups", clusterName=cluster)
    report.add("node-groups", bool(groups), f"{len(groups)} managed node group(s)", cluster)
    for group_name in groups:
        group = eks.describe_nodegroup(clusterName=cluster, nodegroupName=group_name)["nodegroup"]
        asg_names = [asg["name"] for asg in group.get("resources", {}).get("autoScalingGroups", [])]
        instances = _in_service_instances(clients, asg_names)
        in_service.update(instance["AvailabilityZone"] for instance in instances)
        minimum = int(group.get("scalingConfig", {}).get("minSize", 1))
        status = group.get("status")
        report.add(f"node-group-{group_name}", status == "ACTIVE" and len(instances) >= minimum,
                   f"status {status}, {len(instances)} in-service healthy instance(s) (minimum {minimum})",
                   group_name)  # fmt: skip
    high_availability = TIER_RULES[config.tier].high_availability
    for zone_id, zone in zone_names.items():
        count = in_service[zone]
        report.add(f"nodes-{zone_id}", count > 0, f"{count} in-service node(s) in {zone}", zone,
                   warn_only=not high_availability)  # fmt: skip
    _kubernetes_readiness(report, clients, cluster, info, zone_names, read_nodes, high_availability)


def _zone_names(clients: Clients, zone_ids: Sequence[str]) -> dict[str, str]:
    zones = clients("ec2").describe_availability_zones(Filters=[{"Name": "zone-id", "Values": list(zone_ids)}])
    name_of = {zone["ZoneId"]: zone["ZoneName"] for zone in zones["AvailabilityZones"]}
    return {zone_id: name_of.get(zone_id, zone_id) for zone_id in zone_ids}


def _in_service_instances(clients: Clients, asg_names: list[str]) -> list[dict[str, Any]]:
    if not asg_names:
        return []
    groups = _pages(clients("autoscaling"), "describe_auto_scaling_groups", "AutoScalingGroups",
                    AutoScalingGroupNames=asg_names)  # fmt: skip
    return [instance for group in groups for instance in group.get("Instances", [])
            if instance.get("LifecycleState") == "InService" and instance.get("HealthStatus") == "Healthy"]  # fmt: skip


def _kubernetes_readiness(
    report: Report,
    clients: Clients,
    cluster: str,
    info: dict[str, Any],
    zone_names: dict[str, str],
    read_nodes: NodeReader,
    high_availability: bool,
) -> None:
    endpoint = str(info.get("endpoint", ""))
    ca_pem = base64.b64decode(info.get("certificateAuthority", {}).get("data", "")).decode("ascii", "replace")
    try:
        nodes = read_nodes(endpoint, ca_pem, eks_token(clients, cluster))
    except urllib.error.HTTPError as err:
        report.add("kubernetes-nodes-ready", False, f"the Kubernetes API at {endpoint} refused the caller "
                   f"(HTTP {err.code}): give this role an EKS access entry to check node readiness; "
                   "the node Ready condition was not checked", cluster, warn_only=True)  # fmt: skip
        return
    except (OSError, ValueError) as err:
        reason = err.reason if isinstance(err, urllib.error.URLError) else err
        if isinstance(reason, ssl.SSLCertVerificationError):
            report.add("kubernetes-nodes-ready", False, f"the server at {endpoint} does not present a certificate "
                       f"of the cluster's CA ({reason.verify_message}); nodes not checked", cluster)  # fmt: skip
            return
        report.add("kubernetes-nodes-ready", False, f"the Kubernetes API at {endpoint} is not reachable from here "
                   f"({reason}); the node Ready condition was not checked (run verify from inside the VPC, "
                   "e.g. on the CI runner)", cluster, warn_only=True)  # fmt: skip
        return
    not_ready = sorted(node.name for node in nodes if not node.ready)
    report.add("kubernetes-nodes-ready", bool(nodes) and not not_ready,
               f"{len(nodes) - len(not_ready)} of {len(nodes)} node(s) Ready" +
               (f"; not Ready: {', '.join(not_ready)}" if not_ready else ""), cluster)  # fmt: skip
    ready_zones = Counter(node.zone for node in nodes if node.ready)
    missing = [zone for zone in zone_names.values() if not ready_zones[zone]]
    report.add("kubernetes-ready-zones", not missing, f"Ready nodes per zone: {dict(sorted(ready_zones.items()))}"
               + (f"; none in {', '.join(missing)}" if missing else ""), cluster,
               warn_only=not high_availability)  # fmt: skip


def eks_token(clients: Clients, cluster: str) -> str:
    """A bearer token for the cluster's API, as `aws eks get-token` makes it: a presigned STS
    GetCallerIdentity URL bound to the cluster name by the x-k8s-aws-id header, valid 60 seconds.
    (aws-iam-authenticator, https://github.com/kubernetes-sigs/aws-iam-authenticator#api-authorization-from-outside-a-cluster)"""
    sts = clients("sts")
    credentials = clients.session.get_credentials()
    if credentials is None:
        raise ValueError("no AWS credentials to sign a Kubernetes token")
    signer = RequestSigner(sts.meta.service_model.service_id, clients.region, "sts", "v4", credentials,
                           sts.meta.events)  # fmt: skip
    request = {
        "method": "GET",
        "url": f"{sts.meta.endpoint_url.rstrip('/')}/?Action=GetCallerIdentity&Version=2011-06-15",
        "body": {},
        "headers": {"x-k8s-aws-id": cluster},
        "context": {},
    }
    url = signer.generate_presigned_url(request, region_name=clients.region, expires_in=60, operation_name="")
    return "k8s-aws-v1." + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def kubernetes_nodes(endpoint: str, ca_pem: str, token: str) -> list[NodeStatus]:
    """The cluster's nodes from GET /api/v1/nodes, over TLS verified against the cluster's CA."""
    if not endpoint.startswith("https://"):
        raise ValueError(f"no https API endpoint ({endpoint!r})")
    context = ssl.create_default_context(cadata=ca_pem)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    request = urllib.request.Request(f"{endpoint.rstrip('/')}/api/v1/nodes", headers=headers)
    with urllib.request.urlopen(request, timeout=KUBERNETES_TIMEOUT_SECONDS, context=context) as response:
        document = json.load(response)
    nodes = []
    for item in document.get("items", []):
        metadata = item.get("metadata", {})
        conditions = item.get("status", {}).get("conditions", [])
        ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
        zone = metadata.get("labels", {}).get("topology.kubernetes.io/zone", "")
        nodes.append(NodeStatus(str(metadata.get("name", "")), str(zone), ready))
    return nodes


# --- target groups -----------------------------------------------------------------------------------


def check_target_groups(report: Report, stack: str, clients: Clients) -> None:
    """Each public workload's target group (found by the stack's tags and its workload tag) has a healthy target."""
    elbv2 = clients("elbv2")
    groups = _pages(elbv2, "describe_target_groups", "TargetGroups")
    by_workload: dict[str, str] = {}
    arns = [group["TargetGroupArn"] for group in groups]
    for start in range(0, len(arns), 20):  # DescribeTags takes at most 20 ARNs
        for description in elbv2.describe_tags(ResourceArns=arns[start : start + 20])["TagDescriptions"]:
            tags = description.get("Tags", [])
            workload = next((tag["Value"] for tag in tags if tag["Key"] == "workload"), "")
            if workload and _tags_match(tags, stack):
                by_workload[workload] = description["ResourceArn"]
    for spec in WORKLOADS:
        if not spec.public:
            continue
        arn = by_workload.get(spec.name)
        if arn is None:
            report.add(f"targets-{spec.name}", False, f"no target group tagged workload={spec.name} in this stack")
            continue
        health = elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
        states = Counter(str(target.get("TargetHealth", {}).get("State")) for target in health)
        report.add(f"targets-{spec.name}", states["healthy"] > 0,
                   f"targets by state: {dict(sorted(states.items())) or 'none registered'}", arn)  # fmt: skip


# --- topics ------------------------------------------------------------------------------------------


def check_topics(report: Report, clients: Clients, cluster_name: str) -> None:
    """Every topic a workload produces or consumes exists on the stack's MSK cluster."""
    kafka = clients("kafka")
    clusters = [c for c in _pages(kafka, "list_clusters_v2", "ClusterInfoList", ClusterNameFilter=cluster_name)
                if c.get("ClusterName") == cluster_name]  # fmt: skip
    if not clusters:
        report.add("kafka-cluster", False, f"MSK cluster {cluster_name} not found", cluster_name)
        return
    arn = clusters[0]["ClusterArn"]
    report.add("kafka-cluster", clusters[0].get("State") == "ACTIVE", f"state {clusters[0].get('State')}", arn)
    present = {topic["TopicName"] for topic in _pages(kafka, "list_topics", "Topics", ClusterArn=arn)}
    expected = sorted({topic for spec in WORKLOADS for topic in (*spec.produces, *spec.consumes)})
    for topic in expected:
        users = [s.name for s in WORKLOADS if topic in s.produces or topic in s.consumes]
        report.add(f"topic-{topic}", topic in present,
                   f"{'present' if topic in present else 'missing'} (used by {', '.join(users)})", arn)  # fmt: skip


# --- alarms ------------------------------------------------------------------------------------------


def check_alarms(report: Report, stack: str, clients: Clients, prefix: str) -> None:
    """Every metric alarm of the stack notifies the stack's alarm topic when it fires and when it clears."""
    topics = _stack_alarm_topics(stack, clients)
    if len(topics) != 1:
        report.add("alarm-topic", False, f"expected one SNS alarm topic tagged environment={stack}, found {topics}")
        return
    (topic,) = topics
    report.add("alarm-topic", True, "the stack's alarm topic", topic)
    cloudwatch = clients("cloudwatch")
    named = _pages(cloudwatch, "describe_alarms", "MetricAlarms", AlarmNamePrefix=f"{prefix}-")
    tags_of = {alarm["AlarmArn"]: cloudwatch.list_tags_for_resource(ResourceARN=alarm["AlarmArn"]) for alarm in named}
    alarms = [alarm for alarm in named if _tags_match(tags_of[alarm["AlarmArn"]].get("Tags", []), stack)]
    report.add("alarms", bool(alarms), f"{len(alarms)} metric alarm(s) tagged environment={stack}")
    unwired = [alarm["AlarmName"] for alarm in alarms
               if topic not in alarm.get("AlarmActions", []) or topic not in alarm.get("OKActions", [])
               or not alarm.get("ActionsEnabled", True)]  # fmt: skip
    for name in unwired:
        report.add(f"alarm-{name}", False, "does not notify the alarm topic on ALARM and OK (or actions are off)", name)
    if alarms and not unwired:
        report.add("alarms-wired", True, f"all {len(alarms)} alarm(s) notify the topic on ALARM and OK", topic)


def _stack_alarm_topics(stack: str, clients: Clients) -> list[str]:
    sns = clients("sns")
    arns = [topic["TopicArn"] for topic in _pages(sns, "list_topics", "Topics")]
    return [arn for arn in arns if arn.endswith("-alarms")
            and _tags_match(sns.list_tags_for_resource(ResourceArn=arn).get("Tags", []), stack)]  # fmt: skip


# --- database users ----------------------------------------------------------------------------------

USERS_SQL = (
    "SELECT r.rolname, r.rolcanlogin, pg_has_role(r.rolname, 'rds_iam', 'MEMBER'), "
    "has_database_privilege(r.rolname, current_database(), 'CONNECT') FROM pg_roles r WHERE r.rolname IN ({names})"
)
"""Each user: may log in, is a member of rds_iam (IAM authentication), may connect to the database."""


def credential_prefix(stack: str, config: StackConfig) -> str:
    """Name prefix of the generated master credential of the stack's region pair (AppSecrets names it
    '<primary prefix>/aurora-master-'; a standby reads the primary's replica of the same name), or '' outside a
    pair, where RDS manages the master secret."""
    if config.region_pair_role == "none":
        return ""
    return master_credential_prefix(primary_prefix(stack, config.standby_for))


def global_database_of(stack: str, config: StackConfig) -> str:
    """The Aurora global database of the stack's region pair, or '' outside a pair."""
    if config.region_pair_role == "none":
        return ""
    return global_database_name(primary_prefix(stack, config.standby_for))


def _is_global_secondary(clients: Clients, global_database: str, cluster_arn: str) -> bool:
    """Whether the cluster is a member of the global database other than its writer."""
    try:
        found = clients("rds").describe_global_clusters(GlobalClusterIdentifier=global_database)["GlobalClusters"]
    except ClientError as err:
        if error_code(err) != "GlobalClusterNotFoundFault":
            raise
        return False
    members = [m for g in found for m in g.get("GlobalClusterMembers", []) if m.get("DBClusterArn") == cluster_arn]
    return bool(members) and not members[0].get("IsWriter")


def _credential_arn(clients: Clients, name_prefix: str) -> str | None:
    """ARN of the one secret whose name starts with name_prefix in the clients' region, else None."""
    secrets = _pages(clients("secretsmanager"), "list_secrets", "SecretList",
                     Filters=[{"Key": "name", "Values": [name_prefix]}])  # fmt: skip
    arns = [s["ARN"] for s in secrets if str(s.get("Name", "")).startswith(name_prefix)]
    return arns[0] if len(arns) == 1 else None


def check_database_users(
    report: Report, clients: Clients, identifier: str, credential: str = "", global_database: str = ""
) -> None:
    """Each workload's database user exists with rds_iam and CONNECT, read through the RDS Data API as the master
    user: RDS's own master secret, or (`credential`, a region pair) the generated credential whose name starts
    with that prefix. A secondary of `global_database` has no writer until promoted, so the Data API cannot answer
    there (Data API limitations): reported, not failed - its users are the primary's, replicated with the data."""
    users = [spec.db_user for spec in WORKLOADS if spec.db_user]
    try:
        (cluster,) = clients("rds").describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"]
    except ClientError as err:
        if error_code(err) not in NOT_FOUND:
            raise
        report.add("database", False, f"Aurora cluster {identifier} not found", identifier)
        return
    arn = cluster["DBClusterArn"]
    report.add("database", cluster.get("Status") == "available", f"status {cluster.get('Status')}", identifier)
    if global_database and _is_global_secondary(clients, global_database, arn):
        report.add("database-users", False, "not checked: a global database secondary has no writer for the Data API "
                   "until it is promoted; its users are the primary's, replicated with the data", identifier,
                   warn_only=True)  # fmt: skip
        return
    secret = (
        _credential_arn(clients, credential) if credential else cluster.get("MasterUserSecret", {}).get("SecretArn")
    )
    if not cluster.get("HttpEndpointEnabled") or not secret:
        report.add("database-users", False, "not checked: the cluster's RDS Data API is off or its master secret "
                   "was not found; check the users from inside the VPC", identifier,
                   warn_only=True)  # fmt: skip
        return
    names = ", ".join(f":u{i}" for i in range(len(users)))
    parameters = [{"name": f"u{i}", "value": {"stringValue": user}} for i, user in enumerate(users)]
    try:
        result = clients("rds-data").execute_statement(
            resourceArn=arn, secretArn=secret, database=cluster.get("DatabaseName") or "postgres",
            sql=USERS_SQL.format(names=names), parameters=parameters,
        )  # fmt: skip
    except ClientError as err:
        if error_code(err) in ("AccessDeniedException", "UnrecognizedClientException"):
            raise
        report.add("database-users", False, f"the Data API refused the query: {describe_error(err)}", identifier)
        return
    roles = {}
    for record in result.get("records", []):
        name, can_login, iam, can_connect = (next(iter(field.values())) for field in record)
        roles[str(name)] = (bool(can_login), bool(iam), bool(can_connect))
    for user in users:
        can_login, iam, can_connect = roles.get(user, (False, False, False))
        ok = user in roles and can_login and iam and can_connect
        detail = (f"exists: {user in roles}, can log in: {can_login}, rds_iam: {iam}, CONNECT: {can_connect} "
                  "(checked as the master user through the Data API; a login as this IAM user needs a network "
                  "path to the cluster, which only the workloads' subnets have)")  # fmt: skip
        report.add(f"database-user-{user}", ok, detail, identifier)
