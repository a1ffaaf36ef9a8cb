"""The workloads' IAM database users: the SQL the Data API provider runs (against moto's rds-data), its
idempotency and life cycle, what it keeps in state, and how the stacks register it from the workload specs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.rdsdata.models import QueryResults, rdsdata_backends

from components import database_users as users_module
from components.database_users import (
    DatabaseUserProvider,
    DatabaseUsersArgs,
    grant_statements,
    retire_statements,
)
from components.errors import InvalidArgumentError
from offline.engine import OfflineRun
from stacks.workload_specs import WORKLOADS, database_users
from tests.helpers import one

REGION = "us-east-1"
CLUSTER = f"arn:aws:rds:{REGION}:{DEFAULT_ACCOUNT_ID}:cluster:fintech-dev"
SECRET = f"arn:aws:secretsmanager:{REGION}:{DEFAULT_ACCOUNT_ID}:secret:rds!cluster-abc"
PROPS = {"cluster_arn": CLUSTER, "secret_arn": SECRET, "database": "platform", "user": "payments_app",
         "schema": "payments_app", "region": REGION}  # fmt: skip
USER_TYPE = "pulumi-python:dynamic/aurora:DatabaseUser"


@pytest.fixture
def calls() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every AWS API call made (service.operation, parameters), against moto."""
    recorded: list[tuple[str, dict[str, Any]]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        recorded.append((f"{model.service_model.service_name}.{model.name}", params))

    with mock_aws():
        boto3.setup_default_session()
        assert boto3.DEFAULT_SESSION is not None
        boto3.DEFAULT_SESSION.events.register("provide-client-params", record)
        yield recorded
        boto3.DEFAULT_SESSION = None


def _sql(calls: list[tuple[str, dict[str, Any]]]) -> list[str]:
    assert {operation for operation, _ in calls} <= {"rds-data.ExecuteStatement"}
    for _, params in calls:
        assert (params["resourceArn"], params["secretArn"], params["database"]) == (CLUSTER, SECRET, "platform")
    return [params["sql"] for _, params in calls]


def test_create_gives_iam_login_and_its_own_schema_only(calls: list[tuple[str, dict[str, Any]]]) -> None:
    result = DatabaseUserProvider().create(dict(PROPS))
    assert _sql(calls) == [
        "SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = :user",
        'CREATE ROLE "payments_app" WITH LOGIN',
        'GRANT rds_iam TO "payments_app"',
        'REVOKE CONNECT, TEMPORARY ON DATABASE "platform" FROM PUBLIC',
        'GRANT CONNECT ON DATABASE "platform" TO "payments_app"',
        'CREATE SCHEMA IF NOT EXISTS "payments_app"',
        'GRANT USAGE, CREATE ON SCHEMA "payments_app" TO "payments_app"',
        'ALTER ROLE "payments_app" SET search_path = "payments_app"',
    ]
    assert calls[0][1]["parameters"] == [{"name": "user", "value": {"stringValue": "payments_app"}}]
    assert not any("PASSWORD" in sql.upper() for sql in _sql(calls))
    assert result.id == f"{CLUSTER}/platform/payments_app"
    assert result.outs == {**PROPS, "global_database": "", "login": True, "rds_iam": True}


def test_create_over_an_existing_role_repairs_it_instead_of_failing(calls: list[tuple[str, dict[str, Any]]]) -> None:
    backend = rdsdata_backends[DEFAULT_ACCOUNT_ID][REGION]
    backend.results_queue.append(QueryResults(records=[[{"longValue": 1}]]))
    DatabaseUserProvider().create(dict(PROPS))
    statements = _sql(calls)
    assert statements[1] == 'ALTER ROLE "payments_app" WITH LOGIN'
    assert not any(sql.startswith("CREATE ROLE") for sql in statements)
    assert statements[2:] == [s.sql for s in grant_statements("payments_app", "payments_app", "platform", True)[1:]]


def test_update_reapplies_the_grants_and_renames_replace(calls: list[tuple[str, dict[str, Any]]]) -> None:
    provider = DatabaseUserProvider()
    assert provider.diff("id", PROPS, dict(PROPS)).changes is False
    renamed = provider.diff("id", PROPS, {**PROPS, "user": "payments_v2"})
    assert renamed.changes and renamed.replaces == ["user"] and renamed.delete_before_replace is False
    other_schema = provider.diff("id", PROPS, {**PROPS, "schema": "payments"})
    assert other_schema.changes and other_schema.replaces == []
    result = provider.update("id", PROPS, {**PROPS, "schema": "payments"})
    assert 'GRANT USAGE, CREATE ON SCHEMA "payments" TO "payments_app"' in _sql(calls)
    assert result.outs is not None and result.outs["schema"] == "payments"


def test_delete_disables_the_login_and_keeps_the_data(calls: list[tuple[str, dict[str, Any]]]) -> None:
    DatabaseUserProvider().delete("id", dict(PROPS))
    assert _sql(calls) == ['ALTER ROLE "payments_app" WITH NOLOGIN', 'REVOKE rds_iam FROM "payments_app"']
    assert retire_statements("ledger_app")[0].sql == 'ALTER ROLE "ledger_app" WITH NOLOGIN'


@pytest.mark.parametrize("name", ['x"; DROP TABLE t; --', "Payments", "rds_iam", "public", ""])
def test_identifiers_are_checked_before_any_sql(name: str) -> None:
    with pytest.raises(InvalidArgumentError):
        DatabaseUsersArgs(cluster_arn=CLUSTER, master_secret_arn=SECRET, database_name="platform", region=REGION,
                          users=(name,))  # fmt: skip
    with pytest.raises(InvalidArgumentError, match="lists a user twice"):
        DatabaseUsersArgs(cluster_arn=CLUSTER, master_secret_arn=SECRET, database_name="platform", region=REGION,
                          users=("a", "a"))  # fmt: skip


def test_each_aurora_workload_has_its_own_user() -> None:
    assert database_users() == ("payments_app", "ledger_app")
    assert database_users() == tuple(spec.db_user for spec in WORKLOADS if "aurora" in spec.data_stores)


def test_users_are_registered_from_the_specs_after_the_writer(stack_run: OfflineRun) -> None:
    cluster = one(stack_run, "aws:rds/cluster:Cluster")
    assert cluster.inputs["enableHttpEndpoint"] is True
    writer = one(stack_run, "aws:rds/clusterInstance:ClusterInstance", "-0")
    users = {r.inputs["user"]: r for r in stack_run.of_type(USER_TYPE)}
    assert sorted(users) == sorted(database_users()) == stack_run.outputs["databaseUsers"]
    for user, registration in users.items():
        assert registration.inputs["schema"] == user
        assert registration.inputs["cluster_arn"] == cluster.outputs["arn"]
        assert registration.inputs["secret_arn"] == stack_run.outputs["auroraMasterSecretArn"]
        assert registration.inputs["database"] == "platform"
        assert writer.urn in registration.dependencies
        assert set(registration.outputs) - {"__provider"} == set(PROPS) | {"global_database"}


def test_iam_grants_and_chart_settings_name_the_created_users(stack_run: OfflineRun) -> None:
    resource_id = one(stack_run, "aws:rds/cluster:Cluster").outputs["clusterResourceId"]
    created = {r.inputs["user"] for r in stack_run.of_type(USER_TYPE)}
    connected = set()
    for spec in WORKLOADS:
        policy = one(stack_run, "aws:iam/rolePolicy:RolePolicy", f"-{spec.name}-workload").inputs["policy"]
        grants = [s["Resource"] for s in json.loads(policy)["Statement"] if s["Action"] == "rds-db:connect"]
        config = one(stack_run, "kubernetes:helm.sh/v4:Chart", f"-{spec.name}-chart").inputs["values"]["config"]
        if spec.db_user:
            (arn,) = grants
            assert arn.endswith(f":dbuser:{resource_id}/{spec.db_user}")
            assert config["DB_USER"] == spec.db_user
            connected.add(spec.db_user)
        else:
            assert grants == [] and "DB_USER" not in config
    assert connected == created


def test_releases_wait_for_their_topics_and_users(stack_run: OfflineRun) -> None:
    users = {r.urn for r in stack_run.of_type(USER_TYPE)}
    topics = {r.urn for r in stack_run.of_type("aws:msk/topic:Topic")}
    for spec in WORKLOADS:
        chart = one(stack_run, "kubernetes:helm.sh/v4:Chart", f"-{spec.name}-chart")
        assert users | topics <= set(chart.dependencies)


WEST_CLUSTER = f"arn:aws:rds:us-west-2:{DEFAULT_ACCOUNT_ID}:cluster:fintech-prod-dr"
GLOBAL = {**PROPS, "global_database": "fintech-prod-global"}


def _after_switchover(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """The global database's writer is now the us-west-2 member (a switchover happened outside Pulumi)."""
    asked: list[tuple[str, str]] = []

    def writer(global_database: str, region: str) -> str:
        asked.append((global_database, region))
        return WEST_CLUSTER

    monkeypatch.setattr(users_module, "global_writer", writer)
    return asked


def test_after_a_switchover_users_are_managed_on_the_current_writer(
    calls: list[tuple[str, dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 20.7a: prod's own cluster is read-only after a switchover; the SQL must reach the writer's region with the
    master secret's replica there, while the state keeps the program's own cluster and secret."""
    asked = _after_switchover(monkeypatch)
    result = DatabaseUserProvider().create(dict(GLOBAL))
    assert asked == [("fintech-prod-global", REGION)]
    targets = {(p["resourceArn"], p["secretArn"]) for _, p in calls}
    assert targets == {(WEST_CLUSTER, SECRET.replace(":us-east-1:", ":us-west-2:"))}
    assert result.outs is not None and result.outs["cluster_arn"] == CLUSTER and result.outs["secret_arn"] == SECRET
    DatabaseUserProvider().delete("id", dict(GLOBAL))
    assert {p["resourceArn"] for _, p in calls} == {WEST_CLUSTER}


def test_a_regional_cluster_is_used_as_it_is(calls: list[tuple[str, dict[str, Any]]]) -> None:
    DatabaseUserProvider().create(dict(PROPS))
    assert {(p["resourceArn"], p["secretArn"]) for _, p in calls} == {(CLUSTER, SECRET)}


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        ([], None),  # dropped: the refresh removes it from the state, the next up creates it
        ([[{"booleanValue": True}, {"booleanValue": True}]], {"login": True, "rds_iam": True}),
        ([[{"booleanValue": False}, {"booleanValue": True}]], {"login": False, "rds_iam": True}),
        ([[{"booleanValue": True}, {"booleanValue": False}]], {"login": True, "rds_iam": False}),
    ],
)
def test_read_sees_a_dropped_or_drifted_role_on_the_writer(
    records: list[Any],
    expected: dict[str, bool] | None,
    calls: list[tuple[str, dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _after_switchover(monkeypatch)
    provider = DatabaseUserProvider()
    state = provider.create(dict(GLOBAL)).outs
    assert state is not None
    calls.clear()
    rdsdata_backends[DEFAULT_ACCOUNT_ID]["us-west-2"].results_queue.append(QueryResults(records=records))
    read = provider.read("the-id", dict(state))
    ((_, params),) = calls
    assert params["resourceArn"] == WEST_CLUSTER and "pg_roles" in params["sql"] and "rds_iam" in params["sql"]
    if expected is None:
        assert (read.id, read.outs) == ("", {})
        return
    assert read.id == "the-id" and read.outs is not None
    assert {key: read.outs[key] for key in ("login", "rds_iam")} == expected
    diff = provider.diff("the-id", read.outs, dict(GLOBAL))
    assert diff.changes is (expected != {"login": True, "rds_iam": True}) and diff.replaces == []


def test_the_writer_is_the_member_rds_names_writer(monkeypatch: pytest.MonkeyPatch) -> None:
    """DescribeGlobalClusters is asked in the stack's region; exactly one member may be the writer."""
    from botocore.stub import Stubber

    client = boto3.client("rds", region_name=REGION)
    stubber = Stubber(client)
    members = [{"DBClusterArn": CLUSTER, "IsWriter": False}, {"DBClusterArn": WEST_CLUSTER, "IsWriter": True}]
    stubber.add_response("describe_global_clusters", {"GlobalClusters": [{"GlobalClusterMembers": members}]},
                         {"GlobalClusterIdentifier": "g"})  # fmt: skip
    stubber.add_response("describe_global_clusters", {"GlobalClusters": [{"GlobalClusterMembers": [
        {"DBClusterArn": CLUSTER, "IsWriter": False}, {"DBClusterArn": WEST_CLUSTER, "IsWriter": False}]}]},
        {"GlobalClusterIdentifier": "g"})  # fmt: skip
    stubber.activate()
    monkeypatch.setattr(boto3, "client", lambda *_a, **_k: client)
    assert users_module.global_writer("g", REGION) == WEST_CLUSTER
    with pytest.raises(RuntimeError, match="has 0 writers"):
        users_module.global_writer("g", REGION)


def test_prod_manages_users_through_its_global_database(prod_run: OfflineRun) -> None:
    users = prod_run.of_type(USER_TYPE)
    (cluster,) = prod_run.of_type("aws:rds/cluster:Cluster")
    assert users and {u.inputs["global_database"] for u in users} == {cluster.inputs["globalClusterIdentifier"]}
