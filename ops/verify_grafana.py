"""`ops verify`, Grafana part (only with grafanaWorkspace): the Amazon Managed Grafana workspace ACTIVE on the
pinned Grafana version, and the deploying service account's token still valid.

All through the AMG control-plane API (ListWorkspaces, ListWorkspaceServiceAccounts,
ListWorkspaceServiceAccountTokens), reachable from anywhere with credentials; the Grafana API itself is not called.
An expired token is a warning, not a failure: the next `pulumi up` replaces it (components/grafana.py, rotation
window), but a `pulumi destroy` or `pulumi refresh` before that signs in with the expired key and fails.

An API error (AccessDenied, throttling after botocore's retries, no endpoint) is a failed finding of the check that
was reading ("could not read ...: <code>: <message>"): the findings already made, this check's and the others', stay
reported.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from components.grafana import GRAFANA_VERSION
from ops.common import Clients, Report, describe_error


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    return [item for page in client.get_paginator(operation).paginate(**kwargs) for item in page.get(key, [])]


def check_grafana(report: Report, clients: Clients, prefix: str, now: datetime | None = None) -> None:
    """The workspace `<prefix>-grafana` ACTIVE on GRAFANA_VERSION, and a token of the `<prefix>-pulumi` service
    account that has not expired (checked at `now`, default: the clock). An API error fails the check that was
    reading, named."""
    reading = ["grafana-workspace", f"the Grafana workspaces in {clients.region}"]
    try:
        _check_grafana(report, clients, prefix, now, reading)
    except (ClientError, BotoCoreError) as err:
        report.add(reading[0], False, f"could not read {reading[1]}: {describe_error(err)}", f"{prefix}-grafana")


def _check_grafana(report: Report, clients: Clients, prefix: str, now: datetime | None, reading: list[str]) -> None:
    """check_grafana's reads; `reading` is set to the check and the thing being read, for an API error's finding."""
    grafana = clients("grafana")
    name = f"{prefix}-grafana"
    found = [w for w in _pages(grafana, "list_workspaces", "workspaces") if w.get("name") == name]
    if len(found) != 1:
        report.add("grafana-workspace", False, f"expected one Grafana workspace named {name}, found {len(found)}",
                   remedy="run `pulumi up` for the stack (grafanaWorkspace is on)")  # fmt: skip
        return
    workspace = found[0]
    status, version = workspace.get("status"), workspace.get("grafanaVersion")
    report.add("grafana-workspace", status == "ACTIVE", f"workspace {name} is {status}", workspace["id"])
    report.add("grafana-version", version == GRAFANA_VERSION,
               f"Grafana {version} (the program pins {GRAFANA_VERSION})", workspace["id"])  # fmt: skip
    if status != "ACTIVE":
        return
    account_name = f"{prefix}-pulumi"
    reading[:] = ["grafana-deploy-token", f"the service account {account_name} and its tokens"]
    accounts = [a for a in _pages(grafana, "list_workspace_service_accounts", "serviceAccounts",
                                  workspaceId=workspace["id"]) if a.get("name") == account_name]  # fmt: skip
    if not accounts:
        report.add("grafana-deploy-token", False, f"no service account {account_name}: Pulumi cannot load dashboards",
                   workspace["id"], remedy="run `pulumi up` for the stack")  # fmt: skip
        return
    tokens = _pages(grafana, "list_workspace_service_account_tokens", "serviceAccountTokens",
                    workspaceId=workspace["id"], serviceAccountId=accounts[0]["id"])  # fmt: skip
    at = now or datetime.now(UTC)
    latest = max((t["expiresAt"] for t in tokens), default=None)
    valid = latest is not None and latest > at
    detail = (f"the deploy token of {account_name} expires {latest:%Y-%m-%d}" if latest is not None
              else f"{account_name} has no token")  # fmt: skip
    remedy = "run `pulumi up` before any `pulumi destroy` or `pulumi refresh` (it replaces the token)"
    report.add("grafana-deploy-token", valid, detail if valid else f"{detail}: expired", workspace["id"],
               warn_only=True, remedy="" if valid else remedy)  # fmt: skip
