"""An Amazon Managed Grafana workspace that reads the stack's Prometheus workspace, with the Prometheus data source
and the repository's dashboards loaded (optional, behind a config switch).

Sign-in is IAM Identity Center (AWS_SSO, which must be enabled for the account or its organization before the
workspace is created) or a SAML identity provider (its metadata URL); Amazon Managed Grafana has no other
(AMG User Guide, "User authentication in Amazon Managed Grafana workspaces"). The workspace reads Prometheus
through a role of its own that may only query this one workspace (CUSTOMER_MANAGED permissions, so no
service-managed role with account-wide read). Its data is encrypted with the metrics key. Grafana version: 12.4
(GRAFANA_VERSION).

Loading: the workspace's Grafana API is driven by the Pulumi Grafana provider (pulumiverse-grafana), signed in with a
workspace service account (ADMIN: creating data sources is an org-admin permission in Grafana) and a token of it.
The provider's children: the Prometheus data source (uid DATASOURCE_UID, SigV4 with the workspace's IAM role), a
folder, and one dashboard per JSON file given (observability/dashboards/), each wired to that data source.

Token life cycle: AMG tokens live at most 30 days (CreateWorkspaceServiceAccountToken, secondsToLive), and the
Grafana provider keeps the token it was configured with in the state, so an expired one breaks the next update or
destroy. The token's name carries the rotation window (a TOKEN_ROTATION_DAYS window of the calendar, see
rotation_window); the first `pulumi up` in a new window replaces the token (every input of the token is
replace-only: AMG has no update call), create-before-delete, and the provider takes the new key in place. A token
lives TOKEN_SECONDS_TO_LIVE, so a stack updated at least once every 16 days (30 - 14) never runs on an expired one.
A `pulumi destroy` (or the switch turned off) deletes the Grafana objects with the token in the state: after a quiet
month, `pulumi up` first. pulumiverse_time.Rotating was not chosen: it rotates only on `pulumi refresh`, which
`pulumi up` does not run by default (pulumi/pulumi#3664).

Reachability: the workspace URL is public (no network access control; sign-in still required), so the in-VPC runner
that runs `pulumi up` reaches its API through the NAT gateway.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumiverse_grafana as grafana

from components.errors import InvalidArgumentError
from components.iam import policy_document

QUERY_ACTIONS = ("aps:QueryMetrics", "aps:GetSeries", "aps:GetLabels", "aps:GetMetricMetadata", "aps:DescribeWorkspace")
"""What the Prometheus data source needs of one workspace (AMP User Guide, 'Set up Amazon Managed Grafana')."""
GRAFANA_VERSION = "12.4"
"""The workspace's Grafana. Service accounts need 9 or newer (AMG API Reference, CreateWorkspaceServiceAccount); the
dashboards are built with grafana-foundation-sdk 11.6 (dashboard schemaVersion 41, which 10.4 predates); the Amazon
Managed Service for Prometheus data source plugin (DATASOURCE_PLUGIN) needs Grafana 12.2.5 or newer (its
plugin.json)."""
DATASOURCE_PLUGIN = "grafana-amazonprometheus-datasource"
"""The data source plugin the dashboards read: Amazon Managed Service for Prometheus (SigV4). From Grafana 12 the core
`prometheus` plugin no longer signs with SigV4 and Amazon Managed Grafana moves such data sources to this plugin
(AMG User Guide, "Manually add the Prometheus data source"; terraform-provider-grafana checkDeprecatedPrometheusAuth);
a dashboard variable lists only data sources of its own plugin id (grafana/scenes DataSourceVariable)."""
DATASOURCE_UID = "fintech-amp"
"""uid of the Prometheus data source: every loaded dashboard's `datasource` variable defaults to it."""
DATASOURCE_VARIABLE = "datasource"
"""The dashboards' data source variable (components/dashboards.py): every panel reads `${datasource}`."""
FOLDER_UID = "fintech-platform"
"""uid of the folder holding the loaded dashboards."""
MAX_TOKEN_SECONDS_TO_LIVE = 30 * 24 * 3600
"""AMG refuses a longer token lifetime (CreateWorkspaceServiceAccountToken, secondsToLive: up to 30 days)."""
TOKEN_SECONDS_TO_LIVE = MAX_TOKEN_SECONDS_TO_LIVE
"""Lifetime of the service-account token: the AMG maximum, 30 days (2,592,000 s)."""
TOKEN_ROTATION_DAYS = 14
"""Length of a rotation window: the first `pulumi up` of a window replaces the token (shorter than the lifetime,
so a stack updated at least every 30 - 14 = 16 days always holds a valid token)."""


def rotation_window(now: datetime, days: int = TOKEN_ROTATION_DAYS) -> str:
    """The first day (ISO date) of the `days`-long window of the calendar that holds `now` (UTC), counted from
    1970-01-01; the token's name carries it. Default window: TOKEN_ROTATION_DAYS."""
    epoch = date(1970, 1, 1)
    elapsed = (now.astimezone(UTC).date() - epoch).days
    return (epoch + timedelta(days=elapsed - elapsed % days)).isoformat()


def current_rotation_window() -> str:
    """The rotation window of the clock now (what a `pulumi up` run now uses)."""
    return rotation_window(datetime.now(UTC))


def wire_datasource(document: Mapping[str, Any], uid: str, name: str) -> dict[str, Any]:
    """The dashboard with its data source variable set to the data source `uid` (named `name`).

    Every panel must read the variable (`${datasource}`), which is what makes the same JSON importable into any
    Grafana (pick the data source on import) and loadable here (the variable defaults to the loaded data source).
    A panel with a fixed data source, or a dashboard without the variable, is refused: it would read whatever
    that uid means in the workspace."""
    title = document.get("title", "?")
    wired: dict[str, Any] = json.loads(json.dumps(document))
    variables = [v for v in wired.get("templating", {}).get("list", []) if v.get("name") == DATASOURCE_VARIABLE]
    if (
        len(variables) != 1
        or variables[0].get("type") != "datasource"
        or variables[0].get("query") != DATASOURCE_PLUGIN
    ):
        raise InvalidArgumentError(
            f"dashboards: '{title}' needs one Prometheus data source variable '{DATASOURCE_VARIABLE}' "
            "(components/dashboards.py builds it)"
        )
    for panel in _panels(wired):
        source = panel.get("datasource")
        if source is not None and source.get("uid") != f"${{{DATASOURCE_VARIABLE}}}":
            raise InvalidArgumentError(
                f"dashboards: panel '{panel.get('title', '?')}' of '{title}' reads data source {source!r}; every "
                f"panel must read '${{{DATASOURCE_VARIABLE}}}'"
            )
    variables[0]["current"] = {"selected": True, "text": name, "value": uid}
    return wired


def _panels(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    panels: list[dict[str, Any]] = []
    for panel in document.get("panels", []):
        panels.append(panel)
        panels.extend(panel.get("panels", []))  # panels folded into a collapsed row
    return panels


@dataclass(frozen=True)
class GrafanaWorkspaceArgs:
    """Arguments of GrafanaWorkspace."""

    prometheus_workspace_arn: pulumi.Input[str]
    """The Prometheus workspace the data source reads. Required."""
    prometheus_endpoint: pulumi.Input[str]
    """That workspace's Prometheus endpoint (https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>/): the
    data source URL. Required."""
    region: str
    """Region of the Prometheus workspace: the data source signs its queries for it. Required."""
    kms_key_arn: pulumi.Input[str]
    """Key of the Grafana workspace's data. Required."""
    account_id: str
    """Account of both workspaces. Required."""
    authentication: Literal["AWS_SSO", "SAML"]
    """How people sign in. Required."""
    token_window: str
    """The token's rotation window (rotation_window); a new value replaces the token. Required."""
    saml_metadata_url: str = ""
    """The SAML identity provider's metadata URL; required with SAML. Default: empty."""
    dashboards: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Dashboards to load, by file stem (such as 'kafka') -> the dashboard JSON. Default: none."""

    def __post_init__(self) -> None:
        if self.authentication == "SAML" and not self.saml_metadata_url.startswith("https://"):
            raise InvalidArgumentError("saml_metadata_url: SAML sign-in needs the identity provider's https:// URL")
        try:
            date.fromisoformat(self.token_window)
        except ValueError:
            raise InvalidArgumentError(
                f"token_window: {self.token_window!r} is not an ISO date (rotation_window gives one)"
            ) from None
        for document in self.dashboards.values():
            wire_datasource(document, DATASOURCE_UID, "check")  # refused here, before any resource is registered


class GrafanaWorkspace(pulumi.ComponentResource):
    """Amazon Managed Grafana with a query-only role on the stack's Prometheus workspace, the Prometheus data source
    and the dashboards."""

    endpoint: pulumi.Output[str]
    datasource_uid: pulumi.Output[str]
    dashboard_urls: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, args: GrafanaWorkspaceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:grafana:GrafanaWorkspace", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        workspace = self._workspace(name, args, child)
        grafana_api = self._api_provider(name, args, workspace, child)
        on_api = pulumi.ResourceOptions(parent=self, provider=grafana_api)
        # The data source (Grafana HTTP API, POST /api/datasources), of the Amazon Managed Service for Prometheus
        # plugin: from Grafana 12 the core `prometheus` type no longer signs with SigV4 and AMG migrates such a data
        # source to this plugin, which would then fight a declared `prometheus` type on every `pulumi up` (AMG User
        # Guide, "Manually add the Prometheus data source"). jsonData as the plugin's provisioning documents it: SigV4
        # with the workspace's IAM role (sigV4AuthType
        # 'ec2_iam_role', labelled "Workspace IAM role" in the editor; grafana-aws-sdk awsds.AuthTypeEC2IAMRole),
        # signed for the workspace's region; POST queries (long PromQL of the SLO panels).
        datasource_name = f"{name} Prometheus"
        datasource = grafana.oss.DataSource(
            f"{name}-prometheus",
            type=DATASOURCE_PLUGIN,
            name=datasource_name,
            uid=DATASOURCE_UID,
            url=args.prometheus_endpoint,
            is_default=True,
            json_data_encoded=json.dumps(
                {"httpMethod": "POST", "sigV4Auth": True, "sigV4AuthType": "ec2_iam_role", "sigV4Region": args.region}
            ),
            opts=on_api,
        )
        folder = grafana.oss.Folder(f"{name}-dashboards", title=f"{name} platform", uid=FOLDER_UID, opts=on_api)
        urls: dict[str, pulumi.Output[str]] = {}
        for stem, document in sorted(args.dashboards.items()):
            # overwrite: a dashboard of the same uid imported by hand before (the documented way without the switch)
            # is taken over instead of failing with 412. depends_on the data source: the variable's default names it.
            board = grafana.oss.Dashboard(
                f"{name}-dashboard-{stem}",
                config_json=json.dumps(wire_datasource(document, DATASOURCE_UID, datasource_name), sort_keys=True),
                folder=folder.uid,
                overwrite=True,
                message=f"observability/dashboards/{stem}.json, loaded by Pulumi",
                opts=pulumi.ResourceOptions.merge(on_api, pulumi.ResourceOptions(depends_on=[datasource])),
            )
            urls[stem] = board.url
        self.endpoint = workspace.endpoint
        self.datasource_uid = datasource.uid
        self.dashboard_urls = pulumi.Output.all(**urls) if urls else pulumi.Output.from_input({})
        self.register_outputs(
            {"endpoint": self.endpoint, "datasource_uid": self.datasource_uid, "dashboard_urls": self.dashboard_urls}
        )

    def _workspace(self, name: str, args: GrafanaWorkspaceArgs, child: pulumi.ResourceOptions) -> aws.grafana.Workspace:
        role = aws.iam.Role(
            f"{name}-grafana",
            assume_role_policy=policy_document(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "grafana.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": args.account_id}},
                }
            ),
            description="Amazon Managed Grafana: query the stack's Prometheus workspace only",
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-grafana-query",
            role=role.id,
            policy=pulumi.Output.from_input(args.prometheus_workspace_arn).apply(
                lambda arn: policy_document(
                    {"Effect": "Allow", "Action": list(QUERY_ACTIONS), "Resource": arn},
                    {"Effect": "Allow", "Action": "aps:ListWorkspaces", "Resource": "*"},
                )
            ),
            opts=child,
        )
        # No network_access_control: the workspace URL is served publicly (sign-in still required), so `pulumi up`
        # reaches its API from the in-VPC runner through the NAT gateway (AMG User Guide, "Configure network access
        # to your Amazon Managed Grafana workspace": restricting it needs a VPC endpoint of the runner's VPC).
        # grafana_version is upgraded in place (UpdateWorkspaceConfiguration); AMG cannot downgrade.
        workspace = aws.grafana.Workspace(
            f"{name}-grafana",
            name=f"{name}-grafana",
            account_access_type="CURRENT_ACCOUNT",
            authentication_providers=[args.authentication],
            permission_type="CUSTOMER_MANAGED",
            role_arn=role.arn,
            data_sources=["PROMETHEUS"],
            grafana_version=GRAFANA_VERSION,
            kms_key_id=args.kms_key_arn,
            opts=child,
        )
        if args.authentication == "SAML":
            aws.grafana.WorkspaceSamlConfiguration(
                f"{name}-grafana-saml",
                workspace_id=workspace.id,
                idp_metadata_url=args.saml_metadata_url,
                role_assertion="role",
                editor_role_values=["editor"],
                admin_role_values=["admin"],
                opts=child,
            )
        return workspace

    def _api_provider(
        self, name: str, args: GrafanaWorkspaceArgs, workspace: aws.grafana.Workspace, child: pulumi.ResourceOptions
    ) -> grafana.Provider:
        """The Grafana provider on the workspace's API, signed in with a service-account token."""
        account = aws.grafana.WorkspaceServiceAccount(
            f"{name}-grafana-pulumi",
            name=f"{name}-pulumi",
            grafana_role="ADMIN",
            workspace_id=workspace.id,
            opts=child,
        )
        # The key is a secret output of the AWS provider (additional_secret_outputs ["key"]): it stays encrypted in
        # the state and never reaches a stack output. The name carries the rotation window (module docstring);
        # replace_on_changes makes the replacement explicit, create-before-delete keeps the provider signed in.
        token = aws.grafana.WorkspaceServiceAccountToken(
            f"{name}-grafana-pulumi",
            name=f"{name}-pulumi-{args.token_window}",
            service_account_id=account.service_account_id,
            seconds_to_live=TOKEN_SECONDS_TO_LIVE,
            workspace_id=workspace.id,
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(replace_on_changes=["name"])),
        )
        # A changed auth is an in-place provider update: the bridge replaces a provider (and so every dashboard) only
        # for properties marked ForcesProviderReplace (pulumi-terraform-bridge PR #1683, DiffConfig).
        return grafana.Provider(
            f"{name}-grafana",
            url=workspace.endpoint.apply(lambda host: f"https://{host}"),
            auth=token.key.apply(pulumi.Output.secret),
            opts=child,
        )
