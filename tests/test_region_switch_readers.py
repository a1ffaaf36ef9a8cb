"""The Aurora readers the Region switch plan adds to the standby's cluster (lambdas/region_switch/readers.py): the
steps in the plan's workflows, the function and its least-privilege role in the offline plans, the dry run, and the
handler against botocore's Stubber with the real RDS model (moto is not needed: every call is stubbed)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from components.region_switch_model import READERS_TIMEOUT_MINUTES
from lambdas.region_switch import readers
from offline.plan import summarize
from ops import recovery_budget
from ops.common import load_config
from ops.failover import pair_stacks, plan_report
from ops.recovery_budget import budget
from pricing.model import price_plan
from tests.conftest import offline_run
from tests.helpers import PROD_ACCOUNT, one, plain

CLUSTER = "fintech-prod-dr"
PREFIX = f"{CLUSTER}-switch-reader-"
ENV = {"CLUSTER": CLUSTER, "NAME_PREFIX": PREFIX, "READERS": "2"}
ZONES = ["us-west-2a", "us-west-2b", "us-west-2c"]
WRITER = {
    "DBInstanceIdentifier": f"{CLUSTER}-0", "DBInstanceClass": "db.serverless", "Engine": "aurora-postgresql",
    "AvailabilityZone": "us-west-2a", "PromotionTier": 0, "DBInstanceStatus": "available",
    "AutoMinorVersionUpgrade": False, "CACertificateIdentifier": "rds-ca-rsa2048-g1",
    "DBParameterGroups": [{"DBParameterGroupName": f"{CLUSTER}-instance-5f3a2b1", "ParameterApplyStatus": "in-sync"}],
    "PerformanceInsightsEnabled": True, "PerformanceInsightsKMSKeyId": "arn:aws:kms:us-west-2:111122223333:key/data",
    "PerformanceInsightsRetentionPeriod": 7, "MonitoringInterval": 60,
    "MonitoringRoleArn": f"arn:aws:iam::111122223333:role/{CLUSTER}-monitoring-9c8d7e6",
}  # fmt: skip
FILTER = {"Filters": [{"Name": "db-cluster-id", "Values": [CLUSTER]}]}
TAG = [{"Key": "region-switch-reader", "Value": CLUSTER}]


def _reader(number: int, status: str, tags: list[dict[str, str]] = TAG) -> dict[str, Any]:
    return {"DBInstanceIdentifier": f"{PREFIX}{number}", "DBInstanceClass": "db.serverless",
            "DBInstanceStatus": status, "TagList": tags}  # fmt: skip


def _rds() -> tuple[Any, Stubber]:
    client = boto3.client("rds", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="y")
    return client, Stubber(client)


def _cluster(stubber: Stubber, members: list[dict[str, Any]]) -> None:
    # A global database's secondary: no member is the writer until it is promoted.
    stubber.add_response("describe_db_clusters", {"DBClusters": [{
        "DBClusterIdentifier": CLUSTER, "AvailabilityZones": list(reversed(ZONES)),
        "DBClusterMembers": [{"DBInstanceIdentifier": m["DBInstanceIdentifier"], "IsClusterWriter": False}
                             for m in members]}]}, {"DBClusterIdentifier": CLUSTER})  # fmt: skip
    stubber.add_response("describe_db_instances", {"DBInstances": members}, FILTER)


def _created(stubber: Stubber, number: int, zone: str) -> None:
    expected = {
        "DBInstanceIdentifier": f"{PREFIX}{number}", "DBClusterIdentifier": CLUSTER, "Engine": "aurora-postgresql",
        "DBInstanceClass": "db.serverless", "AvailabilityZone": zone, "PromotionTier": 15,
        "PubliclyAccessible": False, "AutoMinorVersionUpgrade": False, "Tags": TAG,
        "DBParameterGroupName": f"{CLUSTER}-instance-5f3a2b1", "CACertificateIdentifier": "rds-ca-rsa2048-g1",
        "EnablePerformanceInsights": True, "PerformanceInsightsKMSKeyId": WRITER["PerformanceInsightsKMSKeyId"],
        "PerformanceInsightsRetentionPeriod": 7, "MonitoringInterval": 60,
        "MonitoringRoleArn": WRITER["MonitoringRoleArn"],
    }  # fmt: skip
    stubber.add_response("create_db_instance", {"DBInstance": _reader(number, "creating")}, expected)


# --- the handler ------------------------------------------------------------------------------------------------


def test_the_request_sets_nothing_aurora_ignores() -> None:
    # RDS API reference, CreateDBInstance.CopyTagsToSnapshot: "doesn't apply to Amazon Aurora DB instances".
    assert "CopyTagsToSnapshot" not in readers.reader_request(WRITER, CLUSTER, f"{PREFIX}1", "us-west-2b")


def test_add_readers_creates_them_like_the_writer_in_other_zones_and_does_not_wait() -> None:
    client, stubber = _rds()
    _cluster(stubber, [WRITER])
    _created(stubber, 1, "us-west-2b")
    _created(stubber, 2, "us-west-2c")
    stubber.activate()
    result = readers.run({"StepName": "add-readers", "PlanArn": "arn:aws:arc-region-switch::1:plan/x"}, ENV, client)
    stubber.assert_no_pending_responses()  # no describe after the creates: nothing waits for `available`
    assert result["done"] == [
        f"{PREFIX}1 requested (db.serverless, us-west-2b)", f"{PREFIX}2 requested (db.serverless, us-west-2c)",
        f"2 reader(s) exist, not waited for: {PREFIX}1 creating, {PREFIX}2 creating"]  # fmt: skip


def test_a_retry_creates_only_what_is_missing() -> None:
    client, stubber = _rds()
    _cluster(stubber, [WRITER, _reader(1, "creating")])  # ARC's retry after one create went through
    _created(stubber, 2, "us-west-2c")
    _cluster(stubber, [WRITER, _reader(1, "available"), _reader(2, "creating")])  # a rerun: nothing to create
    stubber.activate()
    assert readers.run({"StepName": "add-readers"}, ENV, client)["done"][0] == (
        f"{PREFIX}2 requested (db.serverless, us-west-2c)")  # fmt: skip
    result = readers.run({"StepName": "add-readers"}, ENV, client)
    stubber.assert_no_pending_responses()  # no second create of either reader
    assert result["done"] == [f"2 reader(s) exist, not waited for: {PREFIX}1 available, {PREFIX}2 creating"]


def test_a_reader_still_being_deleted_is_reported_and_does_not_hold_the_failover_back() -> None:
    client, stubber = _rds()
    _cluster(stubber, [WRITER, _reader(1, "deleting")])  # a failback's remove-readers just before
    _created(stubber, 2, "us-west-2c")
    stubber.activate()
    done = readers.run({"StepName": "add-readers"}, ENV, client)["done"]
    stubber.assert_no_pending_responses()  # no create of the name still taken
    assert done[1:] == [f"2 reader(s) exist, not waited for: {PREFIX}1 deleting, {PREFIX}2 creating",
                        f"NOT adding capacity (once gone, invoke this function with StepName add-readers; "
                        f"remove-readers deletes a failed one): "
                        f"{PREFIX}1"]  # fmt: skip


def test_the_promoted_writer_is_the_one_copied() -> None:
    tier1 = {**WRITER, "DBInstanceIdentifier": f"{CLUSTER}-1", "AvailabilityZone": "us-west-2b", "PromotionTier": 1,
             "DBInstanceClass": "db.r6g.large"}  # fmt: skip
    cluster = {"DBClusterIdentifier": CLUSTER, "AvailabilityZones": ZONES,
               "DBClusterMembers": [{"DBInstanceIdentifier": f"{CLUSTER}-1", "IsClusterWriter": True}]}  # fmt: skip
    assert readers.writer_of(cluster, [WRITER, tier1], PREFIX) is tier1
    assert readers.writer_of({**cluster, "DBClusterMembers": []}, [tier1, WRITER], PREFIX) is WRITER


def test_remove_readers_deletes_only_what_the_plan_added_and_is_idempotent() -> None:
    client, stubber = _rds()
    foreign = _reader(3, "available", tags=[{"Key": "owner", "Value": "someone"}])
    stubber.add_response("describe_db_instances", {"DBInstances": [
        WRITER, _reader(1, "available"), _reader(2, "deleting"), foreign]}, FILTER)  # fmt: skip
    stubber.add_response("delete_db_instance", {"DBInstance": _reader(1, "deleting")},
                         {"DBInstanceIdentifier": f"{PREFIX}1"})  # fmt: skip
    stubber.add_response("describe_db_instances", {"DBInstances": [WRITER, _reader(1, "deleting"), foreign]}, FILTER)
    stubber.add_response("describe_db_instances", {"DBInstances": [WRITER]}, FILTER)
    stubber.activate()
    first = readers.run({"StepName": "remove-readers"}, ENV, client)
    assert first["done"] == [f"{PREFIX}1 deleting", f"{PREFIX}2 already deleting"]
    assert readers.run({"StepName": "remove-readers"}, ENV, client)["done"] == [f"{PREFIX}1 already deleting"]
    assert readers.run({"StepName": "remove-readers"}, ENV, client)["done"] == [
        "no reader of fintech-prod-dr added by the plan"]  # fmt: skip
    stubber.assert_no_pending_responses()  # the untagged instance and the writer were never deleted


def test_nothing_configured_adds_nothing_and_an_unknown_step_is_refused() -> None:
    client, stubber = _rds()
    stubber.activate()
    assert readers.run({"StepName": "add-readers"}, ENV | {"READERS": "0"}, client)["done"] == [
        "nothing to add (no failover readers configured for this region)"]  # fmt: skip
    with pytest.raises(ValueError, match=r"StepName 'region-actions': this function runs only the plan's steps"):
        readers.run({"StepName": "region-actions"}, ENV, client)
    with pytest.raises(ValueError, match=r"StepName ''"):
        readers.run({}, ENV, client)
    stubber.assert_no_pending_responses()


def _refused(stubber: Stubber, number: int, zone: str, code: str = "InsufficientDBInstanceCapacity") -> None:
    expected = readers.reader_request(WRITER, CLUSTER, f"{PREFIX}{number}", zone)
    stubber.add_client_error("create_db_instance", code, f"{code} in {zone}", expected_params=expected)


def test_a_zone_without_capacity_is_skipped_for_the_next_one() -> None:
    client, stubber = _rds()
    _cluster(stubber, [WRITER])
    _refused(stubber, 1, "us-west-2b")
    _created(stubber, 1, "us-west-2c")  # the next zone other than the writer's (us-west-2a) takes it
    stubber.activate()
    result = readers.run({"StepName": "add-readers"}, ENV | {"READERS": "1"}, client)
    stubber.assert_no_pending_responses()
    assert result["done"][0] == f"{PREFIX}1 requested (db.serverless, us-west-2c)"


def test_every_zone_refusing_or_another_error_fails_the_step_so_arc_retries_it() -> None:
    client, stubber = _rds()
    _cluster(stubber, [WRITER, _reader(1, "creating")])
    _refused(stubber, 2, "us-west-2c")  # reader 2 starts at the second zone, goes round to the first
    _refused(stubber, 2, "us-west-2b")
    _cluster(stubber, [WRITER])
    _refused(stubber, 1, "us-west-2b", code="DBInstanceQuotaExceeded")  # not a capacity error: no other zone
    stubber.activate()
    with pytest.raises(client.exceptions.ClientError, match="InsufficientDBInstanceCapacity in us-west-2b"):
        readers.run({"StepName": "add-readers"}, ENV, client)
    with pytest.raises(client.exceptions.ClientError, match="DBInstanceQuotaExceeded"):
        readers.run({"StepName": "add-readers"}, ENV | {"READERS": "1"}, client)
    stubber.assert_no_pending_responses()


# --- the plan and the program -----------------------------------------------------------------------------------


def _steps(workflow: dict[str, Any]) -> list[str]:
    return [step["name"] for step in workflow["steps"]]


def test_the_failover_adds_readers_after_the_database_and_the_failback_removes_them_after_the_traffic() -> None:
    plan = plain(one(offline_run("prod"), "aws:arcregionswitch/plan:Plan").inputs)
    failover, failback = plan["workflows"]
    # failover: DNS last; failback: the standby gives its capacity back only once the traffic has left it
    # failover: the readers only once the database has moved (no instance created in the secondary just before the
    # global operation), before the traffic
    assert _steps({"steps": failover["steps"]}) == [
        "scale-capacity", "decide", "promote-database", "region-actions", "add-readers", "move-traffic"]  # fmt: skip
    assert _steps({"steps": failback["steps"]}) == [
        "scale-capacity", "decide", "promote-database", "region-actions", "move-traffic", "peer-actions",
        "remove-readers"]  # fmt: skip
    add = failover["steps"][4]["customActionLambdaConfigs"][0]
    lambdas = [f"arn:aws:lambda:{r}:{PROD_ACCOUNT}:function:fintech-{s}-region-switch-readers"
               for r, s in (("us-east-1", "prod"), ("us-west-2", "prod-dr"))]  # fmt: skip
    assert add["regionToRun"] == "activatingRegion" and add["lambdas"] == [{"arn": arn} for arn in lambdas]
    assert add["timeoutMinutes"] == READERS_TIMEOUT_MINUTES == 5 and "ungracefuls" not in add  # a failover too
    remove = failback["steps"][6]["customActionLambdaConfigs"][0]
    assert remove["regionToRun"] == "deactivatingRegion" and remove["ungracefuls"] == [{"behavior": "skip"}]
    policy = json.loads(plain(one(offline_run("prod"), "aws:iam/rolePolicy:RolePolicy",
                                  "region-switch-execution").inputs)["policy"])  # fmt: skip
    invoke = next(s for s in policy["Statement"] if s["Sid"] == "CustomActions")
    assert set(lambdas) <= set(invoke["Resource"])  # the plan's execution role may invoke them


@pytest.mark.parametrize(("stack", "count"), [("prod", "0"), ("prod-dr", "1")])
def test_each_region_has_a_readers_function_for_its_own_cluster(stack: str, count: str) -> None:
    run = offline_run(stack)
    function = plain(one(run, "aws:lambda/function:Function", "region-switch-readers-function").inputs)
    assert function["name"] == f"fintech-{stack}-region-switch-readers" and function["handler"] == "readers.handler"
    assert function["environment"]["variables"] == {
        "CLUSTER": f"fintech-{stack}",
        "NAME_PREFIX": f"fintech-{stack}-switch-reader-",
        "READERS": count,
    }
    logs = plain(one(run, "aws:cloudwatch/logGroup:LogGroup", "region-switch-readers-logs").inputs)
    assert ":key/" in logs["kmsKeyId"] and function["loggingConfig"]["logGroup"] == logs["name"]


def test_the_readers_role_may_create_and_delete_only_the_clusters_tagged_readers() -> None:
    policy = plain(one(offline_run("prod-dr"), "aws:iam/rolePolicy:RolePolicy", "region-switch-readers-function"
                       ).inputs)  # fmt: skip
    by_sid = {s["Sid"]: s for s in json.loads(policy["policy"])["Statement"]}
    rds = f"arn:aws:rds:us-west-2:{PROD_ACCOUNT}"
    create = by_sid["CreateOwnReaders"]
    assert create["Action"] == "rds:CreateDBInstance"
    assert create["Resource"] == [f"{rds}:db:{PREFIX}*", f"{rds}:cluster:{CLUSTER}", f"{rds}:pg:{CLUSTER}-instance-*"]
    assert create["Condition"]["StringEquals"] == {"aws:RequestTag/region-switch-reader": CLUSTER}
    assert create["Condition"]["Bool"] == {"rds:PubliclyAccessible": "false"}
    delete = by_sid["DeleteOwnReaders"]
    assert delete["Resource"] == f"{rds}:db:{PREFIX}*"
    assert delete["Condition"] == {"StringEquals": {"aws:ResourceTag/region-switch-reader": CLUSTER}}
    actions = {a for s in by_sid.values() for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert not {"rds:DeleteDBCluster", "rds:ModifyDBInstance", "rds:ModifyDBCluster"} & actions
    assert all(s["Resource"] != "*" for s in by_sid.values())


def test_the_dry_run_shows_the_readers_steps() -> None:
    pair = pair_stacks("prod", load_config("prod"), "prod-dr", load_config("prod-dr"))
    failover = plan_report(pair, "failover", "switchover", dry_run=True).text()
    assert "4. region-actions" in failover and "5. add-readers" in failover and "6. move-traffic" in failover
    assert "prod-dr's readers function: create the configured readers" in failover and "not waited for" in failover
    failback = plan_report(pair, "failback", "switchover", dry_run=True).text()
    assert "5. move-traffic" in failback and "7. remove-readers" in failback
    assert "add-readers" not in failback.split("remove-readers")[0]


def test_the_readers_cost_nothing_at_baseline_and_the_writers_peak_each_at_peak() -> None:
    lines = {line.item: line for line in price_plan(summarize(offline_run("prod-dr"))).lines}
    readers = lines["1 failover reader(s) like the writer (only while the region is active)"]
    writer = lines["Serverless v2 (0.5 to 16 ACU)"]  # prod-dr's one instance: the writer once promoted
    assert readers.baseline == 0 and readers.peak == writer.peak > 0
    prod = [line.item for line in price_plan(summarize(offline_run("prod"))).lines]
    assert not any("failover reader" in item for item in prod)  # the primary's readers are its own instances


def test_the_recovery_budget_has_the_readers_step_of_its_own_and_its_timeout_fits_the_rto() -> None:
    step = recovery_budget.step("add-readers")
    keys = list(recovery_budget.RUNBOOK_KEYS)
    assert keys.index("promote-database") < keys.index("add-readers") < keys.index("move-traffic")
    assert step.expected_seconds == 30 and step.source.startswith(recovery_budget.NO_FIGURE)
    # the worst case: every create refused until ARC's timeout, the rest of the budget as estimated
    worst = recovery_budget.rto_total() - step.expected_seconds + READERS_TIMEOUT_MINUTES * 60
    assert worst <= recovery_budget.RTO_TARGET_SECONDS
    lines = {line.key: line for line in budget({"scale-capacity": 300.0, "add-readers": 12.0})}
    assert (lines["scale-standby"].seconds, lines["scale-standby"].origin) == (300.0, "measured (scale-capacity)")
    assert (lines["add-readers"].seconds, lines["add-readers"].origin) == (12.0, "measured (add-readers)")
    assert budget({})[keys.index("add-readers")].seconds == 30.0
