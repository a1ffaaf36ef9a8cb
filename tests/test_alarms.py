"""Every alarm watches a metric AWS really publishes: namespace, metric name and the dimension set the
service documents, with values that name the program's own resources. An alarm on dimensions a metric
never carries sits in INSUFFICIENT_DATA forever and pages no one.

Sources of the dimension sets:
- AWS/ElastiCache: per node, CacheClusterId (+ CacheNodeId); "Metrics for Valkey and Redis OSS",
  https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheMetrics.Redis.html
- AWS/RDS (Aurora): DBClusterIdentifier, DBClusterIdentifier+Role, DBInstanceIdentifier; "Amazon
  CloudWatch dimensions for Aurora", https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/dimensions.html
- AWS/Kafka: "Cluster Name", and "Cluster Name"+"Broker ID" for broker metrics; "Amazon MSK metrics",
  https://docs.aws.amazon.com/msk/latest/developerguide/metrics-details.html
- AWS/ApplicationELB: LoadBalancer, LoadBalancer+TargetGroup (UnHealthyHostCount and HealthyHostCount only per
  target group);
  https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html
- AWS/WAFV2: Region+Rule+WebACL; https://docs.aws.amazon.com/waf/latest/developerguide/waf-metrics.html
- AWS/RDS AuroraGlobalDBReplicationLag: DBClusterIdentifier of the secondary; "Monitoring Amazon Aurora global
  databases" (Aurora User Guide)
- AWS/Backup: BackupVaultName (and ResourceType); "Monitoring AWS Backup metrics with CloudWatch",
  https://docs.aws.amazon.com/aws-backup/latest/devguide/cloudwatch.html
"""

from __future__ import annotations

import re

from components.cache import member_cluster_ids
from offline.engine import OfflineRun
from tests.helpers import one

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
CACHE = [{"CacheClusterId"}, {"CacheClusterId", "CacheNodeId"}]
AURORA = [{"DBClusterIdentifier"}, {"DBClusterIdentifier", "Role"}, {"DBInstanceIdentifier"}]
ALB = [{"LoadBalancer"}, {"LoadBalancer", "AvailabilityZone"}, {"LoadBalancer", "TargetGroup"},
       {"LoadBalancer", "TargetGroup", "AvailabilityZone"}]  # fmt: skip
PER_TARGET_GROUP = [{"LoadBalancer", "TargetGroup"}, {"LoadBalancer", "TargetGroup", "AvailabilityZone"}]
DOCUMENTED: dict[tuple[str, str], list[set[str]]] = {
    ("AWS/ElastiCache", "EngineCPUUtilization"): CACHE,
    ("AWS/ElastiCache", "DatabaseMemoryUsagePercentage"): CACHE,
    ("AWS/ElastiCache", "Evictions"): CACHE,
    ("AWS/ElastiCache", "ReplicationLag"): CACHE,
    ("AWS/RDS", "CPUUtilization"): AURORA,
    ("AWS/RDS", "FreeableMemory"): AURORA,
    ("AWS/RDS", "ACUUtilization"): AURORA,
    ("AWS/RDS", "AuroraReplicaLagMaximum"): AURORA,
    ("AWS/RDS", "AuroraGlobalDBReplicationLag"): [{"DBClusterIdentifier"}],
    ("AWS/Backup", "NumberOfBackupJobsFailed"): [{"BackupVaultName"}, {"ResourceType"}],
    ("AWS/Backup", "NumberOfCopyJobsFailed"): [{"BackupVaultName"}, {"ResourceType"}],
    ("AWS/Kafka", "OfflinePartitionsCount"): [{"Cluster Name"}],
    ("AWS/Prometheus", "AlertManagerNotificationsFailed"): [{"Workspace"}],
    ("AWS/Kafka", "KafkaDataLogsDiskUsed"): [{"Cluster Name", "Broker ID"}],
    ("AWS/Kafka", "UnderReplicatedPartitions"): [{"Cluster Name", "Broker ID"}],
    ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count"): ALB,
    ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"): ALB,
    ("AWS/ApplicationELB", "TargetResponseTime"): ALB,
    ("AWS/ApplicationELB", "UnHealthyHostCount"): PER_TARGET_GROUP,
    ("AWS/ApplicationELB", "HealthyHostCount"): PER_TARGET_GROUP,
    ("AWS/WAFV2", "BlockedRequests"): [{"Region", "Rule", "WebACL"}],
    # Lambda publishes invocation metrics per FunctionName (also Resource, ExecutedVersion): Lambda Developer Guide,
    # "Types of metrics for Lambda functions", dimensions.
    ("AWS/Lambda", "Errors"): [{"FunctionName"}, {"FunctionName", "Resource"}],
}
"""Metrics the program alarms on, with the dimension sets AWS publishes them under."""


def _alarms(run: OfflineRun, namespace: str) -> list[dict[str, object]]:
    return [a.inputs for a in run.of_type(ALARM) if a.inputs.get("namespace") == namespace]


def test_every_alarm_uses_a_documented_metric_and_dimension_set(stack_run: OfflineRun) -> None:
    """AWS metrics: the table above; a metric of the program's own (a log metric filter) carries exactly
    the dimensions its filter publishes."""
    alarms = stack_run.of_type(ALARM)
    assert alarms
    filters = {
        (t["namespace"], t["name"]): set(t.get("dimensions") or {})
        for f in stack_run.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")
        for t in [f.inputs["metricTransformation"]]
    }
    for alarm in alarms:
        if alarm.inputs.get("metricQueries"):
            continue  # Metrics Insights alarms name no dimension set: test_insights_alarms_query_documented_metrics
        key = (alarm.inputs["namespace"], alarm.inputs["metricName"])
        if not key[0].startswith("AWS/"):
            assert key in filters, f"{alarm.name}: no log metric filter publishes {key}"
            assert set(alarm.inputs.get("dimensions") or {}) == filters[key], alarm.name
            continue
        assert key in DOCUMENTED, f"{alarm.name}: {key} has no documented dimensions in this test"
        assert set(alarm.inputs["dimensions"]) in DOCUMENTED[key], f"{alarm.name}: {alarm.inputs['dimensions']}"


INSIGHTS_METRICS = {("AWS/Prometheus", "RuleEvaluationFailures"), ("AWS/Prometheus", "RuleGroupIterationsMissed"),
                    ("AWS/Prometheus", "DiscardedSamples")}  # fmt: skip
"""Metrics alarmed through a Metrics Insights query (components/metrics.py WORKSPACE_QUERY_ALARMS): AMP User Guide,
"Use CloudWatch metrics to monitor Amazon Managed Service for Prometheus resources" lists them in AWS/Prometheus."""
INSIGHTS_QUERY = re.compile(r"^SELECT SUM\((\w+)\) FROM \"([\w/]+)\" WHERE Workspace = '(ws-[\w-]+)'$")


def test_insights_alarms_query_documented_metrics_of_the_stacks_workspace(stack_run: OfflineRun) -> None:
    """An alarm on a query names no dimension set, so nothing can be wrong there; what can be wrong is the metric,
    the namespace or the workspace."""
    workspace = stack_run.outputs["prometheusWorkspaceId"]
    found = set()
    for alarm in stack_run.of_type(ALARM):
        for query in alarm.inputs.get("metricQueries") or []:
            match = INSIGHTS_QUERY.match(query["expression"])
            assert match, query["expression"]
            metric, namespace, queried = match.groups()
            assert (namespace, metric) in INSIGHTS_METRICS and queried == workspace, alarm.name
            found.add((namespace, metric))
    assert found == INSIGHTS_METRICS


def test_cache_alarms_name_member_clusters(stack_run: OfflineRun) -> None:
    group = one(stack_run, "aws:elasticache/replicationGroup:ReplicationGroup").inputs
    members = set(member_cluster_ids(group["replicationGroupId"], int(group["numCacheClusters"])))
    watched = {a["dimensions"]["CacheClusterId"] for a in _alarms(stack_run, "AWS/ElastiCache")}  # type: ignore[index]
    assert watched == members


def test_aurora_alarms_name_the_cluster(stack_run: OfflineRun) -> None:
    cluster = one(stack_run, "aws:rds/cluster:Cluster").inputs["clusterIdentifier"]
    alarms = _alarms(stack_run, "AWS/RDS")
    assert alarms and all(a["dimensions"] == {"DBClusterIdentifier": cluster} for a in alarms)


def test_kafka_alarms_name_the_cluster_and_each_broker(stack_run: OfflineRun) -> None:
    cluster = one(stack_run, "aws:msk/cluster:Cluster").inputs
    alarms = _alarms(stack_run, "AWS/Kafka")
    assert {a["dimensions"]["Cluster Name"] for a in alarms} == {cluster["clusterName"]}  # type: ignore[index]
    brokers = {a["dimensions"]["Broker ID"] for a in alarms if "Broker ID" in a["dimensions"]}  # type: ignore[index,operator]
    assert brokers == {str(n) for n in range(1, int(cluster["numberOfBrokerNodes"]) + 1)}


def test_alb_alarms_name_the_load_balancer_and_target_groups(stack_run: OfflineRun) -> None:
    alb = one(stack_run, "aws:lb/loadBalancer:LoadBalancer").outputs["arnSuffix"]
    groups = {g.outputs["arnSuffix"] for g in stack_run.of_type("aws:lb/targetGroup:TargetGroup")}
    alarms = _alarms(stack_run, "AWS/ApplicationELB")
    assert {a["dimensions"]["LoadBalancer"] for a in alarms} == {alb}  # type: ignore[index]
    assert {a["dimensions"]["TargetGroup"] for a in alarms if "TargetGroup" in a["dimensions"]} == groups  # type: ignore[index,operator]


def test_waf_alarm_names_the_web_acl_metric(stack_run: OfflineRun) -> None:
    web_acl = one(stack_run, "aws:wafv2/webAcl:WebAcl").inputs
    (alarm,) = _alarms(stack_run, "AWS/WAFV2")
    assert alarm["dimensions"] == {
        "WebACL": web_acl["visibilityConfig"]["metricName"],
        "Rule": "ALL",
        "Region": "us-east-1",
    }


def test_backup_alarms_name_the_plans_own_vault(stack_run: OfflineRun) -> None:
    """A failed backup or copy job pages (issue 20.7d); the vault is the plan's source vault in this region."""
    vaults = {v.inputs["name"] for v in stack_run.of_type("aws:backup/vault:Vault") if not v.name.endswith("-dr-vault")}
    alarms = _alarms(stack_run, "AWS/Backup")
    assert {a["metricName"] for a in alarms} == (
        {"NumberOfBackupJobsFailed", "NumberOfCopyJobsFailed"} if vaults else set()
    )
    assert {a["dimensions"]["BackupVaultName"] for a in alarms} == vaults  # type: ignore[index]
