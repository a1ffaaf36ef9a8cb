"""The Grafana switch: the Amazon Managed Grafana workspace, its Grafana provider signed in with a rotated
service-account token, the Prometheus data source and one dashboard per file of observability/dashboards/, wired to
that data source; the rules that audit it (cases run with every rule's in tests/test_policy_rules.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pulumi.runtime import rpc

from components.errors import InvalidArgumentError
from components.grafana import (
    DATASOURCE_PLUGIN,
    DATASOURCE_UID,
    GRAFANA_VERSION,
    MAX_TOKEN_SECONDS_TO_LIVE,
    TOKEN_ROTATION_DAYS,
    TOKEN_SECONDS_TO_LIVE,
    GrafanaWorkspaceArgs,
    rotation_window,
    wire_datasource,
)
from offline.audit import views
from offline.engine import PROJECT_DIR, OfflineRun, run_stack
from offline.plan import summarize
from policies.rules.base import ResourceView
from policies.rules.grafana_rules import API_KEY, RULES, TOKEN, WORKSPACE
from pricing.model import load_prices, price_plan
from stacks.builders import DASHBOARDS_DIR
from tests.helpers import one

KEY = "arn:aws:kms:us-east-1:111122223333:key/1234"
RESOURCE_CASES: dict[str, tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    "grafana-workspace-cmk": (WORKSPACE, {"kmsKeyId": KEY}, {"kmsKeyId": ""}, {}),
    "grafana-api-token-lifetime": (TOKEN, {"secondsToLive": MAX_TOKEN_SECONDS_TO_LIVE},
                                   {"secondsToLive": MAX_TOKEN_SECONDS_TO_LIVE + 1}, {}),
}  # fmt: skip
STACK_CASES: dict[str, tuple[list[ResourceView], list[ResourceView], list[ResourceView]]] = {}
DATASOURCE = "grafana:oss/dataSource:DataSource"
DASHBOARD = "grafana:oss/dashboard:Dashboard"


@pytest.fixture(scope="module")
def run() -> OfflineRun:
    """dev with the switch on (IAM Identity Center sign-in)."""
    result = run_stack("dev", {"fintech-platform:grafanaWorkspace": "true",
                               "fintech-platform:grafanaAuthentication": "AWS_SSO"})  # fmt: skip
    assert result.error is None, result.error
    return result


def _provider_urn(provider_ref: str) -> str:
    return provider_ref.rsplit("::", 1)[0]


def test_the_grafana_api_is_signed_in_with_a_secret_rotated_token(run: OfflineRun) -> None:
    workspace = one(run, "aws:grafana/workspace:Workspace")
    assert workspace.inputs["grafanaVersion"] == "12.4"
    account = one(run, "aws:grafana/workspaceServiceAccount:WorkspaceServiceAccount")
    assert account.inputs["grafanaRole"] == "ADMIN" and account.inputs["workspaceId"] == workspace.id
    token = one(run, TOKEN)
    assert token.inputs["secondsToLive"] == TOKEN_SECONDS_TO_LIVE == MAX_TOKEN_SECONDS_TO_LIVE
    # The name ends with the window of the run (which may have started before a window boundary the test crosses).
    window = datetime.fromisoformat(token.inputs["name"][-10:]).replace(tzinfo=UTC)
    assert rotation_window(window) == window.date().isoformat()
    assert timedelta(0) <= datetime.now(UTC) - window < timedelta(days=TOKEN_ROTATION_DAYS + 1)
    assert token.inputs["serviceAccountId"] == account.outputs["serviceAccountId"]
    provider = one(run, "pulumi:providers:grafana")
    assert provider.inputs["url"] == f"https://{workspace.outputs['endpoint']}"
    assert rpc.is_rpc_secret(provider.inputs["auth"]) and token.urn in provider.property_dependencies["auth"]
    outputs = json.dumps(run.outputs, default=str)
    assert run.outputs["grafanaEndpoint"] and token.outputs["key"] not in outputs


def test_the_prometheus_data_source_signs_with_the_workspace_role(run: OfflineRun) -> None:
    source = one(run, DATASOURCE)
    provider = one(run, "pulumi:providers:grafana")
    assert _provider_urn(source.provider) == provider.urn
    assert source.inputs["type"] == DATASOURCE_PLUGIN and source.inputs["uid"] == DATASOURCE_UID
    assert source.inputs["url"] == run.outputs["prometheusEndpoint"]
    signing = {"sigV4Auth": True, "sigV4AuthType": "ec2_iam_role", "sigV4Region": "us-east-1"}
    assert json.loads(source.inputs["jsonDataEncoded"]) == {"httpMethod": "POST", **signing}


def test_one_dashboard_per_file_wired_to_the_data_source(run: OfflineRun) -> None:
    files = {path.stem: json.loads(path.read_text()) for path in DASHBOARDS_DIR.glob("*.json")}
    source, folder = one(run, DATASOURCE), one(run, "grafana:oss/folder:Folder")
    boards = {json.loads(b.inputs["configJson"])["uid"]: b for b in run.of_type(DASHBOARD)}
    assert len(files) == 5 and sorted(boards) == sorted(doc["uid"] for doc in files.values())
    for document in files.values():
        board = boards[document["uid"]]
        loaded = json.loads(board.inputs["configJson"])
        assert _provider_urn(board.provider) == one(run, "pulumi:providers:grafana").urn
        assert board.inputs["folder"] == folder.outputs["uid"] and source.urn in board.dependencies
        (variable,) = loaded["templating"]["list"]
        assert variable["current"]["value"] == source.inputs["uid"]
        assert {p["datasource"]["uid"] for p in loaded["panels"] if "datasource" in p} == {"${datasource}"}
        del variable["current"]
        assert loaded == document  # nothing else changed


def test_no_token_and_no_provider_without_the_switch(dev_run: OfflineRun) -> None:
    assert not [r for r in dev_run.resources if r.type.startswith(("grafana:", "pulumi:providers:grafana"))]
    assert dev_run.of_type(TOKEN) == []


def _expired_before_an_update(ups: list[datetime]) -> list[datetime]:
    """Simulates `pulumi up` at `ups`: an up in a new rotation window makes a new token (living
    TOKEN_SECONDS_TO_LIVE); returns the ups before which the held token had already expired (a `pulumi destroy` or
    refresh in that gap would have used an expired token)."""
    window, expires = rotation_window(ups[0]), ups[0] + timedelta(seconds=TOKEN_SECONDS_TO_LIVE)
    expired = []
    for now in ups[1:]:
        if expires < now:
            expired.append(now)
        if rotation_window(now) != window:
            window, expires = rotation_window(now), now + timedelta(seconds=TOKEN_SECONDS_TO_LIVE)
    return expired


def _worst_case(gap_days: float, count: int = 40) -> list[datetime]:
    """Ups that keep a token as long as possible: the first up of a window on its first minute, the next just before
    the window ends (no rotation), then every `gap_days`."""
    start = datetime.fromisoformat(rotation_window(datetime(2026, 12, 5, tzinfo=UTC))).replace(tzinfo=UTC)
    last_in_window = start + timedelta(days=TOKEN_ROTATION_DAYS) - timedelta(minutes=1)
    return [start, last_in_window, *(last_in_window + n * timedelta(days=gap_days) for n in range(1, count))]


def test_a_token_rotated_each_window_never_expires_for_a_stack_updated_every_16_days() -> None:
    """30-day tokens rotated on the first up of each 14-day window: with ups at most 16 days apart the held token is
    never expired, even in the worst case; 17 days apart it can be (the documented limit is the real one)."""
    assert TOKEN_SECONDS_TO_LIVE == 30 * 86400 and TOKEN_ROTATION_DAYS == 14
    assert _expired_before_an_update(_worst_case(16)) == []
    assert _expired_before_an_update(_worst_case(17)) != []
    for offset_hours in (0, 1, 23, 24 * 6, 24 * 13 + 23):
        first = datetime(2026, 12, 5, tzinfo=UTC) + timedelta(hours=offset_hours)
        assert _expired_before_an_update([first + n * timedelta(days=16) for n in range(46)]) == []


def test_a_dashboard_not_reading_the_variable_is_refused() -> None:
    document = json.loads((DASHBOARDS_DIR / "kafka.json").read_text())
    document["panels"][0]["datasource"] = {"type": DATASOURCE_PLUGIN, "uid": "some-other"}
    with pytest.raises(InvalidArgumentError, match="panel 'Offline partitions' of 'Kafka' reads data source"):
        wire_datasource(document, DATASOURCE_UID, "p")
    with pytest.raises(InvalidArgumentError, match="needs one Prometheus data source variable 'datasource'"):
        wire_datasource({"title": "t", "panels": []}, DATASOURCE_UID, "p")


def test_every_grafana_rule_has_cases_and_api_keys_fail() -> None:
    assert {rule.name for rule in RULES} == set(RESOURCE_CASES) | set(STACK_CASES)
    rule = next(rule for rule in RULES if rule.name == "grafana-api-token-lifetime")
    key = ResourceView(API_KEY, "k", f"urn:pulumi:s::p::{API_KEY}::k", {"secondsToLive": 3600})
    assert rule.evaluate(key, {}) and rule.evaluate(ResourceView(TOKEN, "t", "u", {"secondsToLive": True}), {})


def test_the_programs_grafana_resources_pass_the_rules(run: OfflineRun) -> None:
    resources = views(run)
    assert {WORKSPACE, TOKEN} <= {r.type for r in resources}
    for rule in RULES:
        assert [m for r in resources for m in rule.evaluate(r, {})] == [], rule.name


def test_the_switch_prices_editor_and_viewer_licenses_and_nothing_else_new(run: OfflineRun) -> None:
    table = load_prices()
    report = price_plan(summarize(run), table)
    assert report.unpriced == []
    lines = {line.item: line.baseline for line in report.lines if line.resource.endswith("-grafana")}
    usage = table.usage["dev"]
    assert lines == {"editor licenses": usage["grafana_users"] * table.get("grafana_editor"),
                     "viewer licenses": usage["grafana_viewers"] * table.get("grafana_viewer")}  # fmt: skip


def test_the_figures_on_the_dashboards_page_are_the_code_s() -> None:
    page = (PROJECT_DIR / "docs" / "observability.md").read_text()
    section = " ".join(page.split("## Dashboards\n", 1)[1].split("\n## ", 1)[0].split())
    days = TOKEN_SECONDS_TO_LIVE // 86400
    for figure in (f"Grafana {GRAFANA_VERSION}", f"uid `{DATASOURCE_UID}`", f"at most {days} days",
                   f"{TOKEN_ROTATION_DAYS}-day rotation window", f"every {days - TOKEN_ROTATION_DAYS} days",
                   "`sigV4AuthType` `ec2_iam_role`", "PCI 3.5.1", "PCI 8.6.3"):  # fmt: skip
        assert figure in section, figure
    table = load_prices()
    cost = " ".join(page.split("## Cost", 1)[1].split())
    assert f"{table.get('grafana_editor'):g} USD per active editor" in cost
    assert f"{table.get('grafana_viewer'):g} USD per active viewer" in cost


def test_bad_arguments_are_refused_before_any_resource() -> None:
    base: dict[str, Any] = {"prometheus_workspace_arn": "arn", "prometheus_endpoint": "https://e/", "region": "r",
                            "kms_key_arn": KEY, "account_id": "1", "authentication": "AWS_SSO"}  # fmt: skip
    with pytest.raises(InvalidArgumentError, match="token_window: 'soon' is not an ISO date"):
        GrafanaWorkspaceArgs(**base, token_window="soon")
    with pytest.raises(InvalidArgumentError, match="needs one Prometheus data source variable"):
        GrafanaWorkspaceArgs(**base, token_window="2026-12-03", dashboards={"x": {"title": "x"}})
