"""The metrics components on the offline plans of both stacks: the workspace's key and log group, the collectors'
sources, configurations and network access, the rule groups, the Alertmanager, and the key and topic policies that
admit exactly this workspace."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from components.errors import InvalidArgumentError
from components.metrics import MetricsCollectionArgs
from components.prometheus_config import (
    SCRAPED_METRICS,
    WORKLOAD_METRICS_PORT,
    alertmanager_definition,
    broker_hosts,
    eks_scrape_config,
)
from offline.engine import OfflineRun
from tests.helpers import one

WORKSPACE = "aws:amp/workspace:Workspace"
SCRAPER = "aws:amp/scraper:Scraper"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"


def _key_arn(run: OfflineRun, alias_suffix: str) -> str:
    alias = one(run, "aws:kms/alias:Alias", alias_suffix)
    key = next(k for k in run.of_type("aws:kms/key:Key") if k.outputs.get("keyId") == alias.inputs["targetKeyId"])
    return str(key.outputs["arn"])


def test_the_workspace_has_its_own_key_and_logs_to_a_log_group_under_it(stack_run: OfflineRun) -> None:
    workspace = one(stack_run, WORKSPACE)
    metrics_key = _key_arn(stack_run, "-amp-metrics")
    assert workspace.inputs["kmsKeyArn"] == metrics_key
    group = one(stack_run, "aws:cloudwatch/logGroup:LogGroup", "-prometheus")
    assert workspace.inputs["loggingConfiguration"]["logGroupArn"] == group.outputs["arn"] + ":*"
    assert group.inputs["kmsKeyId"] == metrics_key
    days = {"dev": 30, "prod": 365}[stack_run.stack]
    assert group.inputs["retentionInDays"] == days
    assert workspace.protect is (stack_run.stack == "prod")
    key = next(k for k in stack_run.of_type("aws:kms/key:Key") if k.outputs["arn"] == metrics_key)
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    via = statements["UseThroughDomainServices"]["Condition"]["StringEquals"]["kms:ViaService"]
    region = stack_run.outputs["prometheusEndpoint"].split(".")[1]
    assert via == [f"aps.{region}.amazonaws.com", f"grafana.{region}.amazonaws.com"]
    assert "CloudWatchLogsOfThisAccount" in statements


def test_the_alerts_key_and_the_topic_admit_this_workspace_only(stack_run: OfflineRun) -> None:
    workspace_arn = stack_run.outputs["prometheusWorkspaceArn"]
    account = workspace_arn.split(":")[4]
    alerts = next(k for k in stack_run.of_type("aws:kms/key:Key") if k.inputs["tags"].get("key-domain") == "alerts")
    statement = next(s for s in json.loads(alerts.inputs["policy"])["Statement"]
                     if s["Sid"] == "PrometheusAlertmanagerOfThisStack")  # fmt: skip
    assert statement["Principal"] == {"Service": "aps.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": account},
                                      "ArnEquals": {"aws:SourceArn": [workspace_arn]}}  # fmt: skip
    topic_policy = json.loads(one(stack_run, "aws:sns/topicPolicy:TopicPolicy").inputs["policy"])
    publish = next(s for s in topic_policy["Statement"] if s["Sid"] == "PrometheusAlertmanagerOfThisStack")
    assert set(publish["Action"]) == {"sns:Publish", "sns:GetTopicAttributes"}
    assert publish["Condition"] == {"StringEquals": {"aws:SourceAccount": account},
                                    "ArnEquals": {"aws:SourceArn": workspace_arn}}  # fmt: skip


def _scrapers(run: OfflineRun) -> dict[str, Any]:
    return {("msk" if s.inputs["source"].get("vpc") else "eks"): s for s in run.of_type(SCRAPER)}


def test_the_eks_collector_scrapes_the_cluster_from_its_private_subnets(stack_run: OfflineRun) -> None:
    eks = _scrapers(stack_run)["eks"].inputs
    cluster = stack_run.outputs["eksClusterName"]
    assert eks["source"]["eks"]["clusterArn"].endswith(f":cluster/{cluster}")
    assert eks["source"]["eks"]["subnetIds"] == stack_run.outputs["privateSubnetIds"]
    assert eks["destination"]["amp"]["workspaceArn"] == stack_run.outputs["prometheusWorkspaceArn"]
    config = yaml.safe_load(eks["scrapeConfiguration"])
    interval = {"dev": "60s", "prod": "30s"}[stack_run.stack]
    assert config["global"]["scrape_interval"] == interval
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {"kubelet", "kubelet-cadvisor", "kube-state-metrics", "node-exporter", "workloads"}
    for name, job in jobs.items():
        assert job["metric_relabel_configs"][0]["regex"].split("|") == list(SCRAPED_METRICS[name])
        assert all(sd["role"] in ("node", "pod") for sd in job["kubernetes_sd_configs"])
    keep = jobs["workloads"]["relabel_configs"][0]
    assert keep == {"source_labels": ["__meta_kubernetes_namespace"], "regex": "validator|payments|ledger",
                    "action": "keep"}  # fmt: skip
    assert eks["timeouts"]["create"] == "30m"


def test_the_msk_collector_finds_every_broker_by_name(stack_run: OfflineRun) -> None:
    msk = _scrapers(stack_run)["msk"].inputs
    config = yaml.safe_load(msk["scrapeConfiguration"])
    brokers = broker_hosts(stack_run.outputs["kafkaBootstrapBrokersSaslIam"])
    assert len(brokers) == {"dev": 2, "prod": 3}[stack_run.stack]
    ports = {job["job_name"]: job["dns_sd_configs"][0]["port"] for job in config["scrape_configs"]}
    assert ports == {"msk-jmx": 11001, "msk-node": 11002}
    assert all(job["dns_sd_configs"][0]["names"] == brokers for job in config["scrape_configs"])


def test_each_collector_reaches_exactly_its_targets_ports(stack_run: OfflineRun) -> None:
    cluster_sg = stack_run.outputs["eksClusterSecurityGroupId"]
    kafka_sg = stack_run.outputs["kafkaSecurityGroupId"]
    for label, target, ports in (("eks", cluster_sg, {443, 8080, 9100, WORKLOAD_METRICS_PORT}),
                                 ("msk", kafka_sg, {11001, 11002})):  # fmt: skip
        group = one(stack_run, "aws:ec2/securityGroup:SecurityGroup", f"-{label}-collector")
        assert _scrapers(stack_run)[label].inputs["source"][label if label == "eks" else "vpc"]["securityGroupIds"] == [
            group.id
        ]
        egress = [r.inputs for r in stack_run.of_type(EGRESS) if r.inputs["securityGroupId"] == group.id]
        assert {(r["referencedSecurityGroupId"], r["fromPort"], r["toPort"]) for r in egress} == {
            (target, port, port) for port in ports
        }
        ingress = [
            r.inputs for r in stack_run.of_type(INGRESS) if r.inputs.get("referencedSecurityGroupId") == group.id
        ]
        assert {(r["securityGroupId"], r["fromPort"]) for r in ingress} == {(target, port) for port in ports}
        assert not any("cidrIpv4" in r for r in egress + ingress)


def test_rule_groups_and_the_alertmanager_are_loaded(stack_run: OfflineRun) -> None:
    namespaces = {
        r.inputs["name"]: r.inputs for r in stack_run.of_type("aws:amp/ruleGroupNamespace:RuleGroupNamespace")
    }
    assert set(namespaces) == {"platform", "slo-alerts", "slo-objectives", "slo-sli", "workloads"}
    target = {"dev": "0.99", "prod": "0.999"}[stack_run.stack]
    objectives = yaml.safe_load(namespaces["slo-objectives"]["data"])["groups"][0]["rules"]
    assert {r["expr"] for r in objectives if r["labels"]["slo"] == "payments-availability"
            and r["record"] == "slo:objective:ratio"} == {target}  # fmt: skip
    definition = one(stack_run, "aws:amp/alertManagerDefinition:AlertManagerDefinition").inputs
    config = yaml.safe_load(yaml.safe_load(definition["definition"])["alertmanager_config"])
    topic = stack_run.outputs["alarmTopicArn"]
    assert {sns["topic_arn"] for r in config["receivers"] for sns in r["sns_configs"]} == {topic}


def test_the_alertmanager_routes_by_severity_and_inhibits_slow_burns() -> None:
    config = yaml.safe_load(yaml.safe_load(alertmanager_definition("arn:aws:sns:us-east-1:1:t", "us-east-1"))[
        "alertmanager_config"])  # fmt: skip
    routes = {tuple(r["matchers"]): (r["receiver"], r["repeat_interval"]) for r in config["route"]["routes"]}
    assert routes == {('severity="page"',): ("page", "1h"), ('severity="ticket"',): ("ticket", "12h")}
    receivers = {r["name"]: r["sns_configs"][0] for r in config["receivers"]}
    assert receivers["page"]["attributes"]["severity"] == "page"
    assert receivers["page"]["sigv4"] == {"region": "us-east-1"}
    fast = config["inhibit_rules"][0]
    assert fast == {"source_matchers": ['burn="fast"'], "target_matchers": ['burn=~"slow|long"'], "equal": ["slo"]}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"scrape_interval_seconds": 15}, "scrape_interval_seconds: 15 is outside 30-75"),
        ({"subnet_ids": ["a"]}, "subnet_ids: a managed collector needs subnets in at least two zones"),
        ({"rule_groups": {}}, "rule_groups: at least one rule group is required"),
    ],
)
def test_bad_collection_arguments_are_refused(changes: dict[str, Any], message: str) -> None:
    values: dict[str, Any] = {
        "workspace_id": "ws", "workspace_arn": "arn", "cluster_name": "c", "cluster_arn": "arn", "region": "us-east-1",
        "cluster_security_group_id": "sg", "vpc_id": "vpc", "subnet_ids": ["a", "b"], "alarm_topic_arn": "t",
        "rule_groups": {"x": "groups: []"}, "workload_namespaces": ("a",), **changes,
    }  # fmt: skip
    with pytest.raises(InvalidArgumentError, match=message):
        MetricsCollectionArgs(**values)


def test_scrape_config_refuses_what_the_collector_would() -> None:
    with pytest.raises(ValueError, match="interval_seconds: 20 is outside 30-75"):
        eks_scrape_config(20, "c", ["a"])
    with pytest.raises(ValueError, match="no broker"):
        broker_hosts(" , ")


def test_the_grafana_switch_builds_a_query_only_workspace_with_saml_sign_in() -> None:
    from offline.engine import run_stack

    url = "https://idp.example.com/saml/metadata"
    run = run_stack("dev", {"fintech-platform:grafanaWorkspace": "true",
                            "fintech-platform:grafanaAuthentication": "SAML",
                            "fintech-platform:grafanaSamlMetadataUrl": url})  # fmt: skip
    assert run.error is None, run.error
    workspace = one(run, "aws:grafana/workspace:Workspace").inputs
    assert workspace["authenticationProviders"] == ["SAML"] and workspace["dataSources"] == ["PROMETHEUS"]
    assert workspace["permissionType"] == "CUSTOMER_MANAGED"
    assert workspace["kmsKeyId"] == _key_arn(run, "-amp-metrics")
    assert one(run, "aws:grafana/workspaceSamlConfiguration:WorkspaceSamlConfiguration").inputs["idpMetadataUrl"] == url
    policy = json.loads(one(run, "aws:iam/rolePolicy:RolePolicy", "-grafana-query").inputs["policy"])
    query = policy["Statement"][0]
    assert query["Resource"] == run.outputs["prometheusWorkspaceArn"] and "aps:RemoteWrite" not in query["Action"]
    assert run.outputs["grafanaEndpoint"]


def test_no_grafana_workspace_without_the_switch(dev_run: OfflineRun) -> None:
    assert dev_run.of_type("aws:grafana/workspace:Workspace") == []


def test_a_silent_alert_path_raises_a_cloudwatch_alarm(stack_run: OfflineRun) -> None:
    alarms = {a.inputs["metricName"]: a.inputs for a in stack_run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
              if a.inputs.get("namespace") == "AWS/Prometheus"}  # fmt: skip
    assert set(alarms) == {"AlertManagerNotificationsFailed"}
    workspace = stack_run.outputs["prometheusWorkspaceId"]
    topic = stack_run.outputs["alarmTopicArn"]
    assert all(a["dimensions"] == {"Workspace": workspace} and a["alarmActions"] == [topic] for a in alarms.values())
    # A healthy workspace publishes no AlertManagerNotificationsFailed at all (missing = 0, AMP User Guide): the alarm
    # must read that as OK, or it would sit in INSUFFICIENT_DATA and never send its OK action after a failure.
    assert all(a["treatMissingData"] == "notBreaching" for a in alarms.values())


def test_rule_and_ingestion_failures_of_the_workspace_raise_cloudwatch_alarms(stack_run: OfflineRun) -> None:
    """Metrics Insights alarms: the sum of the AWS/Prometheus metric over every dimension set of this workspace."""
    workspace = stack_run.outputs["prometheusWorkspaceId"]
    topic = stack_run.outputs["alarmTopicArn"]
    queried = {}
    for alarm in stack_run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        queries = alarm.inputs.get("metricQueries") or []
        if not queries:
            continue
        (query,) = queries
        assert "namespace" not in alarm.inputs and "metricName" not in alarm.inputs and "dimensions" not in alarm.inputs
        assert query["returnData"] is True and query["period"] == 300
        assert (alarm.inputs["threshold"], alarm.inputs["comparisonOperator"]) == (0, "GreaterThanThreshold")
        assert alarm.inputs["treatMissingData"] == "notBreaching"
        assert alarm.inputs["alarmActions"] == [topic] and alarm.inputs["okActions"] == [topic]
        queried[query["label"]] = (query["expression"], alarm.inputs["evaluationPeriods"])
    assert queried == {
        metric: (f"SELECT SUM({metric}) FROM \"AWS/Prometheus\" WHERE Workspace = '{workspace}'", periods)
        for metric, periods in [
            ("RuleEvaluationFailures", 2),
            ("RuleGroupIterationsMissed", 2),
            ("DiscardedSamples", 3),
        ]
    }
