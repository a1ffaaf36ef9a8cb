"""The region pair's ARC Region switch plan as the program registers it (components/region_switch*.py,
stacks/region_switch.py) and its custom action (lambdas/region_switch/handler.py)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from components.errors import InvalidArgumentError
from components.region_switch import EVALUATION, EXECUTION, access_entries, event_pattern
from components.region_switch_model import PlanModel
from lambdas.region_switch import handler
from ops.common import load_config
from stacks.region_switch import plan_model
from tests.conftest import offline_run
from tests.helpers import PROD_ACCOUNT, one, plain

PLAN = "aws:arcregionswitch/plan:Plan"
FUNCTION = "aws:lambda/function:Function"


def _inputs(stack: str, type_token: str, suffix: str = "") -> dict[str, Any]:
    found: dict[str, Any] = plain(one(offline_run(stack), type_token, suffix).inputs)
    return found


def test_the_primary_holds_one_active_passive_plan_of_both_regions_with_rto_30() -> None:
    plan = _inputs("prod", PLAN)
    assert plan["name"] == "fintech-prod-switch" and plan["recoveryApproach"] == "activePassive"
    assert plan["regions"] == ["us-east-1", "us-west-2"] and plan["primaryRegion"] == "us-east-1"
    assert plan["recoveryTimeObjectiveMinutes"] == 30
    assert plan["executionRole"] == f"arn:aws:iam::{PROD_ACCOUNT}:role/fintech-prod-switch"
    assert [(w["workflowTargetAction"], w["workflowTargetRegion"]) for w in plan["workflows"]] == [
        ("activate", "us-west-2"), ("activate", "us-east-1")]  # fmt: skip
    failover = plan["workflows"][0]["steps"]
    assert [(s["name"], s["executionBlockType"]) for s in failover] == [
        ("scale-capacity", "EKSResourceScaling"), ("decide", "ManualApproval"),
        ("promote-database", "AuroraGlobalDatabase"), ("region-actions", "CustomActionLambda"),
        ("add-readers", "CustomActionLambda"), ("move-traffic", "Route53HealthCheck")]  # fmt: skip
    aurora = failover[2]["globalAuroraConfigs"][0]
    assert aurora["behavior"] == "switchoverOnly" and aurora["ungracefuls"] == [{"ungraceful": "failover"}]
    rds = f"arn:aws:rds:{{}}:{PROD_ACCOUNT}:cluster:"
    assert aurora["databaseClusterArns"] == [rds.format("us-east-1") + "fintech-prod",
                                             rds.format("us-west-2") + "fintech-prod-dr"]  # fmt: skip
    traffic = failover[-1]["route53HealthCheckConfigs"][0]
    assert traffic["recordName"] == "api.fintech.example.com"
    assert traffic["recordSets"] == [{"recordSetIdentifier": "prod", "region": "us-east-1"},
                                     {"recordSetIdentifier": "prod-dr", "region": "us-west-2"}]  # fmt: skip
    # The failback also returns the standby's cache to its size, in the region handing over, once the traffic
    # has moved back (the standby serves everything until move-traffic).
    failback = plan["workflows"][1]["steps"]
    assert [s["name"] for s in failback[4:6]] == ["move-traffic", "peer-actions"]
    assert failback[5]["customActionLambdaConfigs"][0]["regionToRun"] == "deactivatingRegion"
    assert failback[5]["customActionLambdaConfigs"][0]["ungracefuls"] == [{"behavior": "skip"}]
    # The activating region's action (the credential's promotion) is not marked skip (whether ARC runs a Lambda
    # step in an ungraceful execution at all is open: docs/region-switch.md, "Not exercised here").
    assert failover[3]["name"] == "region-actions"
    assert "ungracefuls" not in failover[3]["customActionLambdaConfigs"][0]
    report = plan["reportConfigurations"][0]["reportOutputs"][0]["s3Configurations"][0]
    assert report["bucketOwner"] == PROD_ACCOUNT and report["bucketPath"].endswith("/region-switch")


def test_the_reports_go_to_the_immutable_kms_encrypted_bucket() -> None:
    run = offline_run("prod")
    plan = one(run, PLAN)
    bucket = one(run, "aws:s3/bucket:Bucket", "region-switch-reports")
    assert plan.inputs["reportConfigurations"][0]["reportOutputs"][0]["s3Configurations"][0]["bucketPath"] == (
        f"{bucket.outputs['bucket']}/region-switch"
    )
    sse = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    encryption = plain(one(run, sse, "region-switch-reports").inputs)
    default = encryption["rules"][0]["applyServerSideEncryptionByDefault"]
    assert default["sseAlgorithm"] == "aws:kms" and ":key/" in default["kmsMasterKeyId"]
    lock = plain(one(run, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
                     "region-switch-reports").inputs)  # fmt: skip
    assert lock["rule"]["defaultRetention"] == {"mode": "COMPLIANCE", "days": 365}


def test_the_execution_role_is_least_privilege() -> None:
    run = offline_run("prod")
    role = plain(one(run, "aws:iam/role:Role", "region-switch-execution").inputs)
    trust = json.loads(role["assumeRolePolicy"])["Statement"]
    assert trust == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "arc-region-switch.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": PROD_ACCOUNT}},
        }
    ]
    policy = json.loads(plain(one(run, "aws:iam/rolePolicy:RolePolicy", "region-switch-execution").inputs)["policy"])
    for statement in policy["Statement"]:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        assert "*" not in resources and statement["Effect"] == "Allow", statement
        assert not any(action.endswith(":*") for action in statement["Action"] if isinstance(action, str))
    actions = {a for s in policy["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert {"rds:SwitchoverGlobalCluster", "rds:FailoverGlobalCluster", "lambda:InvokeFunction", "s3:PutObject",
            "route53:ListResourceRecordSets"} <= actions  # fmt: skip


def test_the_execution_role_has_the_guide_s_baseline_and_eks_statements() -> None:
    """ARC developer guide: "Complete plan execution role permissions" (SimulatePrincipalPolicy on the role itself;
    GetPlan, GetPlanExecution, ListPlanExecutions) and the EKS scaling block's sample policy (DescribeCluster on
    the clusters, ListAssociatedAccessPolicies on their access entries)."""
    run = offline_run("prod")
    policy = json.loads(plain(one(run, "aws:iam/rolePolicy:RolePolicy", "region-switch-execution").inputs)["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    role = plain(one(run, "aws:iam/role:Role", "region-switch-execution").inputs)
    assert by_sid["PlanEvaluation"]["Action"] == "iam:SimulatePrincipalPolicy"
    assert by_sid["PlanEvaluation"]["Resource"] == f"arn:aws:iam::{PROD_ACCOUNT}:role/{role['name']}"
    assert set(by_sid["PlanAndExecutions"]["Action"]) == {
        "arc-region-switch:GetPlan",
        "arc-region-switch:GetPlanExecution",
        "arc-region-switch:ListPlanExecutions",
    }
    plan = plain(one(run, PLAN).inputs)
    assert by_sid["PlanAndExecutions"]["Resource"] == (
        f"arn:aws:arc-region-switch::{PROD_ACCOUNT}:plan/{plan['name']}:*")  # fmt: skip
    clusters = [c["clusterArn"] for c in
                plan["workflows"][0]["steps"][0]["eksResourceScalingConfigs"][0]["eksClusters"]]  # fmt: skip
    assert by_sid["EksResourceScaling"]["Resource"] == clusters
    assert by_sid["EksAccessEntries"] == {
        "Sid": "EksAccessEntries", "Effect": "Allow", "Action": "eks:ListAssociatedAccessPolicies",
        "Resource": [f"arn:aws:eks:us-east-1:{PROD_ACCOUNT}:access-entry/fintech-prod/*",
                     f"arn:aws:eks:us-west-2:{PROD_ACCOUNT}:access-entry/fintech-prod-dr/*"]}  # fmt: skip


def test_access_entries_need_a_cluster_arn() -> None:
    assert access_entries("arn:aws:eks:us-west-2:1:cluster/c") == "arn:aws:eks:us-west-2:1:access-entry/c/*"
    with pytest.raises(InvalidArgumentError, match="eks_cluster_arn: 'arn:aws:eks:us-west-2:1:nodegroup/c/n/x'"):
        access_entries("arn:aws:eks:us-west-2:1:nodegroup/c/n/x")


def test_warnings_and_failed_executions_reach_the_alarm_topic() -> None:
    run = offline_run("prod")
    rule = plain(one(run, "aws:cloudwatch/eventRule:EventRule", "region-switch-events").inputs)
    pattern = json.loads(rule["eventPattern"])
    assert pattern["source"] == ["aws.arc-region-switch"]
    assert {EVALUATION, EXECUTION} == {kind for branch in pattern["$or"] for kind in branch["detail-type"]}
    target = plain(one(run, "aws:cloudwatch/eventTarget:EventTarget", "region-switch-events").inputs)
    assert target["arn"] == run.outputs["alarmTopicArn"]


def test_event_pattern_matches_what_it_must_and_nothing_else() -> None:
    """EventBridge's own matcher is not available offline; the pattern's branches are checked by structure."""
    branches = json.loads(event_pattern())["$or"]
    assert {"detail-type": [EVALUATION]} in branches
    failures = next(b for b in branches if "eventType" in b.get("detail", {}))["detail"]["eventType"]
    assert "stepFailed" in failures and "StepFailed" in failures and "stepSucceeded" not in failures


@pytest.mark.parametrize("stack", ["prod", "prod-dr"])
def test_each_region_has_its_custom_action_with_encrypted_logs_and_the_plan_s_eks_access(stack: str) -> None:
    run = offline_run(stack)
    function = plain(one(run, FUNCTION, "region-switch-function").inputs)
    assert function["name"] == f"fintech-{stack}-region-switch" and function["runtime"] == "python3.12"
    assert function["code"] == {"FileArchive": "lambdas/region_switch"}
    assert function["environment"]["variables"]["ROLE"] == ("primary" if stack == "prod" else "standby")
    logs = plain(one(run, "aws:cloudwatch/logGroup:LogGroup", "region-switch-logs").inputs)
    assert logs["name"] == f"/aws/lambda/fintech-{stack}-region-switch" and ":key/" in logs["kmsKeyId"]
    assert function["loggingConfig"]["logGroup"] == logs["name"]
    access = plain(one(run, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "plan-access").inputs)
    assert access["principalArn"] == f"arn:aws:iam::{PROD_ACCOUNT}:role/fintech-prod-switch"
    assert access["policyArn"].endswith("cluster-access-policy/AmazonARCRegionSwitchScalingPolicy")
    assert access["accessScope"] == {"type": "namespace", "namespaces": ["validator", "payments", "ledger"]}
    plans = run.of_type(PLAN)
    assert len(plans) == (1 if stack == "prod" else 0)  # one plan per pair, in the primary


def test_the_function_may_touch_only_its_region_s_share() -> None:
    standby = json.loads(plain(one(offline_run("prod-dr"), "aws:iam/rolePolicy:RolePolicy", "region-switch-function")
                               .inputs)["policy"])["Statement"]  # fmt: skip
    by_sid = {s["Sid"]: s for s in standby}
    assert by_sid["PromoteTheReplica"]["Resource"].startswith(
        f"arn:aws:secretsmanager:us-west-2:{PROD_ACCOUNT}:secret:fintech-prod/aurora-master-"
    )
    assert "ReplicateTheCredential" not in by_sid and by_sid["ScaleTheCache"]["Resource"][0].endswith(
        ":replicationgroup:fintech-prod-dr")  # fmt: skip
    policy = one(offline_run("prod"), "aws:iam/rolePolicy:RolePolicy", "region-switch-function")
    primary = {s["Sid"] for s in json.loads(plain(policy.inputs)["policy"])["Statement"]}
    assert "ReplicateTheCredential" in primary and "PromoteTheReplica" not in primary and "ScaleTheCache" not in primary


def test_what_the_plan_changes_is_ignored_where_the_plan_owns_it() -> None:
    cache = one(offline_run("prod-dr"), "aws:elasticache/replicationGroup:ReplicationGroup")
    assert "numCacheClusters" in cache.ignore_changes
    assert "numCacheClusters" not in one(offline_run("prod"), "aws:elasticache/replicationGroup:ReplicationGroup"
                                         ).ignore_changes  # fmt: skip
    secret = one(offline_run("prod"), "aws:secretsmanager/secret:Secret", "aurora-master")
    assert "replicas" in secret.ignore_changes


def test_the_primary_record_follows_the_plan_s_health_check_and_its_alarm() -> None:
    run = offline_run("prod")
    record = plain(one(run, "aws:route53/record:Record").inputs)
    switch = one(run, "aws:route53/healthCheck:HealthCheck", "health-switch")
    alarm = one(run, "aws:route53/healthCheck:HealthCheck", "dns-health")
    assert record["healthCheckId"] == switch.id
    inputs = plain(switch.inputs)
    assert inputs["type"] == "CALCULATED" and inputs["childHealthThreshold"] == 2
    # The alarm's check and the check the plan created for us-east-1 (the offline engine answers
    # ListRoute53HealthChecks from the plan's inputs, one check per region of its Route 53 block).
    assert inputs["childHealthchecks"][0] == alarm.id and inputs["childHealthchecks"][1].startswith("arc-")
    standby = plain(one(offline_run("prod-dr"), "aws:route53/record:Record").inputs)
    assert not offline_run("prod-dr").of_type("aws:route53/healthCheck:HealthCheck")[1:]  # the SECONDARY: alarm only
    assert standby["failoverRoutingPolicies"] == [{"type": "SECONDARY"}]


def test_dev_has_no_plan() -> None:
    run = offline_run("dev")
    assert not run.of_type(PLAN) and not run.of_type(FUNCTION)


def test_the_same_model_from_either_stack_of_the_pair() -> None:
    primary = plan_model("prod", load_config("prod"), PROD_ACCOUNT, "aws")
    standby = plan_model("prod-dr", load_config("prod-dr"), PROD_ACCOUNT, "aws")
    assert primary == standby


@pytest.mark.parametrize(("change", "words"), [
    ({"name": "x" * 33}, "name: '"), ({"rto_minutes": 31}, "rto_minutes: 31 must be 1-30"),
    ({"scale_percent": 0}, "scale_percent: 0"), ({"standby": "primary"}, "standby.region"),
])  # fmt: skip
def test_the_model_refuses_what_arc_or_the_objective_would(change: dict[str, Any], words: str) -> None:
    base = plan_model("prod", load_config("prod"), PROD_ACCOUNT, "aws")
    fields = {k: getattr(base, k) for k in base.__dataclass_fields__}
    if change.get("standby") == "primary":
        change = {"standby": base.primary}
    with pytest.raises(InvalidArgumentError, match=words.replace("(", r"\(")):
        PlanModel(**(fields | change))


# --- the custom action -------------------------------------------------------------------------------------

GLOBAL = "fintech-prod-global"
SECRET = f"arn:aws:secretsmanager:us-west-2:{PROD_ACCOUNT}:secret:fintech-prod/aurora-master-a1b2c3-XyZ"
ENV = {"GLOBAL_CLUSTER_ID": GLOBAL, "SECRET_PREFIX": "fintech-prod/aurora-master-", "CACHE_GROUP": "fintech-prod-dr",
       "ACTIVE_CACHE_REPLICAS": "2", "STANDBY_CACHE_REPLICAS": "0", "PEER_REGION": "us-west-2",
       "PEER_KMS_KEY": f"arn:aws:kms:us-west-2:{PROD_ACCOUNT}:key/abc"}  # fmt: skip


class Stubs:
    """Stubbed clients of one region for the handler."""

    def __init__(self, region: str) -> None:
        self.region = region
        self.clients = {name: boto3.client(name, region_name=region, aws_access_key_id="t", aws_secret_access_key="t")
                        for name in ("rds", "secretsmanager", "elasticache")}  # fmt: skip
        self.stubs = {name: Stubber(client) for name, client in self.clients.items()}
        for stub in self.stubs.values():
            stub.activate()

    def __call__(self, service: str) -> Any:
        return self.clients[service]

    def writer(self, region: str) -> None:
        members = [{"DBClusterArn": f"arn:aws:rds:{r}:{PROD_ACCOUNT}:cluster:c-{r}", "IsWriter": r == region}
                   for r in ("us-east-1", "us-west-2")]  # fmt: skip
        self.stubs["rds"].add_response("describe_global_clusters", {"GlobalClusters": [
            {"GlobalClusterIdentifier": GLOBAL, "GlobalClusterMembers": members}]},
            {"GlobalClusterIdentifier": GLOBAL})  # fmt: skip

    def secret(self, primary_region: str | None) -> None:
        entry: dict[str, Any] = {"ARN": SECRET, "Name": "fintech-prod/aurora-master-a1b2c3"}
        if primary_region:
            entry["PrimaryRegion"] = primary_region
        self.stubs["secretsmanager"].add_response("list_secrets", {"SecretList": [entry]})

    def cache(self, members: int) -> None:
        self.stubs["elasticache"].add_response("describe_replication_groups", {"ReplicationGroups": [
            {"ReplicationGroupId": "fintech-prod-dr", "MemberClusters": [f"n{i}" for i in range(members)]}]},
            {"ReplicationGroupId": "fintech-prod-dr"})  # fmt: skip

    def done(self) -> None:
        for stub in self.stubs.values():
            stub.assert_no_pending_responses()


def test_standby_activated_promotes_the_replica_and_raises_the_cache() -> None:
    stubs = Stubs("us-west-2")
    stubs.writer("us-west-2")
    stubs.secret("us-east-1")
    stubs.stubs["secretsmanager"].add_response("stop_replication_to_replica", {"ARN": SECRET}, {"SecretId": SECRET})
    stubs.cache(1)
    stubs.stubs["elasticache"].add_response("increase_replica_count", {}, {
        "ReplicationGroupId": "fintech-prod-dr", "NewReplicaCount": 2, "ApplyImmediately": True})  # fmt: skip
    result = handler.run(ENV | {"ROLE": "standby", "AWS_REGION": "us-west-2"}, stubs)
    stubs.done()
    assert "promoted to a standalone secret in us-west-2 (was a replica of us-east-1)" in result["done"][1]
    assert result["done"][2] == "fintech-prod-dr: 0 -> 2 replica(s) requested"


def test_a_rerun_finds_everything_done() -> None:
    stubs = Stubs("us-west-2")
    stubs.writer("us-west-2")
    stubs.secret(None)
    stubs.cache(3)
    result = handler.run(ENV | {"ROLE": "standby", "AWS_REGION": "us-west-2"}, stubs)
    stubs.done()
    assert "already a standalone secret" in result["done"][1] and "already has 2 replica(s)" in result["done"][2]


def test_standby_handing_over_returns_its_cache_to_its_size() -> None:
    stubs = Stubs("us-west-2")
    stubs.writer("us-east-1")
    stubs.cache(3)
    stubs.stubs["elasticache"].add_response("decrease_replica_count", {}, {
        "ReplicationGroupId": "fintech-prod-dr", "NewReplicaCount": 0, "ApplyImmediately": True})  # fmt: skip
    handler.run(ENV | {"ROLE": "standby", "AWS_REGION": "us-west-2"}, stubs)
    stubs.done()


def test_primary_activated_replicates_the_credential_back_over_the_standalone_copy() -> None:
    stubs = Stubs("us-east-1")
    stubs.writer("us-east-1")
    stubs.secret("us-east-1")
    stubs.stubs["secretsmanager"].add_response("describe_secret", {"ARN": SECRET, "ReplicationStatus": []},
                                               {"SecretId": SECRET})  # fmt: skip
    stubs.stubs["secretsmanager"].add_response("replicate_secret_to_regions", {"ARN": SECRET}, {
        "SecretId": SECRET, "AddReplicaRegions": [{"Region": "us-west-2", "KmsKeyId": ENV["PEER_KMS_KEY"]}],
        "ForceOverwriteReplicaSecret": True})  # fmt: skip
    result = handler.run(ENV | {"ROLE": "primary", "AWS_REGION": "us-east-1"}, stubs)
    stubs.done()
    assert "replicates to us-west-2 again" in result["done"][1]


def test_a_failed_call_fails_the_step_so_arc_retries_it() -> None:
    stubs = Stubs("us-west-2")
    stubs.writer("us-west-2")
    stubs.secret("us-east-1")
    stubs.stubs["secretsmanager"].add_client_error("stop_replication_to_replica", "AccessDeniedException")
    with pytest.raises(Exception, match="AccessDeniedException"):
        handler.run(ENV | {"ROLE": "standby", "AWS_REGION": "us-west-2"}, stubs)
