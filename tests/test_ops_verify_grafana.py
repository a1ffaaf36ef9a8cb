"""`ops verify`, Grafana part: the workspace ACTIVE on the pinned version and the deploy token not expired.

moto 5.2.5 has no Amazon Managed Grafana backend, so the calls run against botocore's Stubber with the real service
model (a wrong parameter or response shape fails the test)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber

from components.grafana import GRAFANA_VERSION
from ops.common import Clients, Report
from ops.verify_grafana import check_grafana

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
WORKSPACE_ID = "g-0123456789"


def _clients(status: str = "ACTIVE", version: str = GRAFANA_VERSION, expires: datetime | None = None,
             account: bool = True) -> Clients:  # fmt: skip
    clients = Clients("us-east-1", session=boto3.session.Session(aws_access_key_id="a", aws_secret_access_key="b"))
    stub = Stubber(clients("grafana"))
    workspace = {"id": WORKSPACE_ID, "name": "fintech-prod-grafana", "status": status, "grafanaVersion": version,
                 "created": NOW, "modified": NOW, "endpoint": f"{WORKSPACE_ID}.grafana-workspace.amazonaws.com",
                 "authentication": {"providers": ["AWS_SSO"]}}  # fmt: skip
    other = {**workspace, "id": "g-9999999999", "name": "fintech-dev-grafana"}
    stub.add_response("list_workspaces", {"workspaces": [other, workspace]}, {})
    if status == "ACTIVE":
        accounts = [{"id": "7", "name": "fintech-prod-pulumi", "isDisabled": "false", "grafanaRole": "ADMIN"}]
        stub.add_response("list_workspace_service_accounts",
                          {"serviceAccounts": accounts if account else [], "workspaceId": WORKSPACE_ID},
                          {"workspaceId": WORKSPACE_ID})  # fmt: skip
        if account:
            old = {"id": "1", "name": "fintech-prod-pulumi-2026-11-05", "createdAt": NOW - timedelta(days=30),
                   "expiresAt": NOW - timedelta(days=1)}  # fmt: skip
            new = {**old, "id": "2", "name": "fintech-prod-pulumi-2026-11-19", "expiresAt": expires or NOW}
            stub.add_response("list_workspace_service_account_tokens",
                              {"serviceAccountTokens": [old, new], "serviceAccountId": "7",
                               "workspaceId": WORKSPACE_ID},
                              {"workspaceId": WORKSPACE_ID, "serviceAccountId": "7"})  # fmt: skip
    stub.activate()
    return clients


def _statuses(clients: Clients) -> dict[str, str]:
    report = Report("verify", "prod")
    check_grafana(report, clients, "fintech-prod", NOW)
    return {f.check: f.status for f in report.findings}


def test_an_active_workspace_with_a_valid_token_passes() -> None:
    assert _statuses(_clients(expires=NOW + timedelta(days=9))) == {
        "grafana-workspace": "pass", "grafana-version": "pass", "grafana-deploy-token": "pass"}  # fmt: skip


@pytest.mark.parametrize(
    ("clients", "expected"),
    [
        (lambda: _clients(status="CREATING"), {"grafana-workspace": "fail", "grafana-version": "pass"}),
        (
            lambda: _clients(version="10.4", expires=NOW + timedelta(days=1)),
            {"grafana-workspace": "pass", "grafana-version": "fail", "grafana-deploy-token": "pass"},
        ),
        (
            lambda: _clients(expires=NOW - timedelta(hours=1)),
            {"grafana-workspace": "pass", "grafana-version": "pass", "grafana-deploy-token": "warn"},
        ),
        (
            lambda: _clients(account=False),
            {"grafana-workspace": "pass", "grafana-version": "pass", "grafana-deploy-token": "fail"},
        ),
    ],
    ids=["not-active", "other-version", "token-expired", "no-service-account"],
)
def test_each_fault_is_named(clients: object, expected: dict[str, str]) -> None:
    assert _statuses(clients()) == expected  # type: ignore[operator]


def test_a_missing_workspace_fails() -> None:
    clients = Clients("us-east-1", session=boto3.session.Session(aws_access_key_id="a", aws_secret_access_key="b"))
    stub = Stubber(clients("grafana"))
    stub.add_response("list_workspaces", {"workspaces": []}, {})
    stub.activate()
    assert _statuses(clients) == {"grafana-workspace": "fail"}


@pytest.mark.parametrize("switch", [True, False])
def test_verify_checks_grafana_only_with_the_switch(switch: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    from ops import verify as verify_module
    from ops.common import load_config

    # Every other step is a no-op here (each has its own tests): only whether the Grafana step runs is under test.
    others = [name for name in vars(verify_module) if name.startswith("check_") and name != "check_grafana"]
    for step in ("require_pinned_account", *others):
        monkeypatch.setattr(verify_module, step, lambda *args, **kwargs: None)
    called: list[str] = []
    monkeypatch.setattr(verify_module, "check_grafana", lambda report, clients, prefix: called.append(prefix))
    config = load_config("prod").model_copy(update={"grafana_workspace": switch, "grafana_authentication": "AWS_SSO"})
    lines: list[str] = []
    verify_module.verify("prod", config, _clients(), progress=lines.append, metrics=lambda *args, **kwargs: None)
    assert called == (["fintech-prod"] if switch else [])
    assert any("checking grafana of fintech-prod" in line for line in lines) == switch


def _session_clients() -> Clients:
    return Clients("us-east-1", session=boto3.session.Session(aws_access_key_id="a", aws_secret_access_key="b"))


@pytest.mark.parametrize("code", ["AccessDeniedException", "ThrottlingException"])
def test_an_api_error_listing_workspaces_is_a_failed_finding_not_an_exception(code: str) -> None:
    clients = _session_clients()
    stub = Stubber(clients("grafana"))
    stub.add_client_error("list_workspaces", code, "not now", 403)
    stub.activate()
    report = Report("verify", "prod")
    check_grafana(report, clients, "fintech-prod", NOW)
    (finding,) = report.findings
    assert (finding.check, finding.status) == ("grafana-workspace", "fail")
    assert finding.detail == f"could not read the Grafana workspaces in us-east-1: {code}: not now"


@pytest.mark.parametrize("code", ["AccessDeniedException", "ThrottlingException"])
def test_an_api_error_reading_the_token_keeps_the_workspace_findings(code: str) -> None:
    clients = _session_clients()
    stub = Stubber(clients("grafana"))
    workspace = {"id": WORKSPACE_ID, "name": "fintech-prod-grafana", "status": "ACTIVE",
                 "grafanaVersion": GRAFANA_VERSION, "created": NOW, "modified": NOW,
                 "endpoint": f"{WORKSPACE_ID}.grafana-workspace.amazonaws.com",
                 "authentication": {"providers": ["AWS_SSO"]}}  # fmt: skip
    stub.add_response("list_workspaces", {"workspaces": [workspace]}, {})
    stub.add_client_error("list_workspace_service_accounts", code, "not now", 403,
                          expected_params={"workspaceId": WORKSPACE_ID})  # fmt: skip
    stub.activate()
    report = Report("verify", "prod")
    check_grafana(report, clients, "fintech-prod", NOW)
    assert [(f.check, f.status) for f in report.findings] == [
        ("grafana-workspace", "pass"), ("grafana-version", "pass"), ("grafana-deploy-token", "fail")]  # fmt: skip
    assert report.findings[-1].detail == (
        f"could not read the service account fintech-prod-pulumi and its tokens: {code}: not now"
    )


def test_verify_keeps_the_earlier_findings_when_grafana_and_rotation_are_denied(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The defect this guards: an AccessDenied in a late check reached ops/__main__.py and the whole report (nodes,
    alarms, metrics) was lost. Both checks run for real against denying stubs; the steps before them add a finding."""
    from ops import verify as verify_module
    from ops.common import load_config

    for step in ("require_pinned_account", "check_target_groups", "check_topics", "check_alarms",
                 "check_database_users", "check_region_switch"):  # fmt: skip
        monkeypatch.setattr(verify_module, step, lambda *args, **kwargs: None)
    monkeypatch.setattr(verify_module, "check_nodes", lambda report, *args: report.add("eks-cluster", True, "ok"))
    config = load_config("prod").model_copy(update={"grafana_workspace": True, "grafana_authentication": "AWS_SSO"})
    clients = _session_clients()
    for service, operation, code in [("grafana", "list_workspaces", "AccessDeniedException"),
                                     ("secretsmanager", "list_secrets", "ThrottlingException")]:  # fmt: skip
        stub = Stubber(clients(service))
        stub.add_client_error(operation, code, "denied", 403)
        stub.activate()
    report = verify_module.verify(
        "prod", config, clients, progress=lambda line: None,
        metrics=lambda report, clients, prefix, *, trace_encryption: report.add("amp-workspace", True, "ok"),
    )  # fmt: skip
    assert [(f.check, f.status) for f in report.findings] == [
        ("eks-cluster", "pass"), ("amp-workspace", "pass"), ("grafana-workspace", "fail"),
        ("master-secret-rotation", "fail")]  # fmt: skip
    assert "AccessDeniedException: denied" in report.findings[2].detail
    assert "ThrottlingException: denied" in report.findings[3].detail
