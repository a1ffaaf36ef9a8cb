"""Amazon Managed Grafana: the workspace's data under a customer-managed key, and the workspace's API reached only
with short-lived service-account tokens.

PCI DSS v4.0.1 requirements: 3.5.1 (stored data rendered unreadable - the workspace stores dashboards and data
source settings, under a customer-managed key like every other store here) and 8.6.3 (passwords of system and
application accounts protected against misuse - the deploying account's Grafana credential expires within AMG's
30-day maximum and is a service-account token, not a legacy workspace API key)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from policies.rules.base import ResourceView, Rule, arn_or_id_set

KEY_AREA = "encryption-at-rest"
"""PCI DSS requirement 3 (protect stored account data): the area of the key rule."""
TOKEN_AREA = "identity"
"""PCI DSS requirement 8 (identify users and authenticate access): the area of the token rule."""
WORKSPACE = "aws:grafana/workspace:Workspace"
TOKEN = "aws:grafana/workspaceServiceAccountToken:WorkspaceServiceAccountToken"
API_KEY = "aws:grafana/workspaceApiKey:WorkspaceApiKey"
MAX_TOKEN_SECONDS = 30 * 24 * 3600
"""AMG's longest token lifetime (CreateWorkspaceServiceAccountToken secondsToLive: up to 30 days)."""


def _workspace_cmk(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if not arn_or_id_set(r.get("kmsKeyId")):
        yield "the workspace's data is encrypted with an AWS-owned key (kmsKeyId is unset)"


def _token_lifetime(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if r.type == API_KEY:
        yield ("a workspace API key is a legacy Grafana key outside any service account; use an "
               "aws.grafana.WorkspaceServiceAccountToken")  # fmt: skip
        return
    seconds = r.get("secondsToLive")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or not 0 < seconds <= MAX_TOKEN_SECONDS:
        yield f"secondsToLive {seconds!r} must be set, above 0 and at most {MAX_TOKEN_SECONDS} (30 days)"


RULES = [
    Rule("grafana-workspace-cmk", KEY_AREA, "Grafana workspaces encrypt their data with a customer-managed key.",
         Severity.HIGH, "3.5.1", "Set kmsKeyId on the aws.grafana.Workspace.", (WORKSPACE,), _workspace_cmk),
    Rule("grafana-api-token-lifetime", TOKEN_AREA, "The Grafana API is reached with service-account tokens that expire "
         "within 30 days, never with workspace API keys.", Severity.HIGH, "8.6.3",
         "Use an aws.grafana.WorkspaceServiceAccountToken with secondsToLive at most 2592000 and rotate it (see "
         "components/grafana.py); remove aws.grafana.WorkspaceApiKey resources.", (TOKEN, API_KEY), _token_lifetime),
]  # fmt: skip
