"""An Amazon Managed Grafana workspace that reads the stack's Prometheus workspace (optional, behind a config switch).

Sign-in is IAM Identity Center (AWS_SSO, which must be enabled for the account or its organization before the
workspace is created) or a SAML identity provider (its metadata URL); Amazon Managed Grafana has no other
(AMG User Guide, "User authentication in Amazon Managed Grafana workspaces"). The workspace reads Prometheus
through a role of its own that may only query this one workspace (CUSTOMER_MANAGED permissions, so no
service-managed role with account-wide read). Its data is encrypted with the metrics key.

Dashboards: the JSON in observability/dashboards/ is imported into any Grafana (docs/observability.md); loading
it through the Grafana API needs a Grafana provider and a service-account token, which this stack does not hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.errors import InvalidArgumentError
from components.iam import policy_document

QUERY_ACTIONS = ("aps:QueryMetrics", "aps:GetSeries", "aps:GetLabels", "aps:GetMetricMetadata", "aps:DescribeWorkspace")
"""What the Prometheus data source needs of one workspace (AMP User Guide, 'Set up Amazon Managed Grafana')."""


@dataclass(frozen=True)
class GrafanaWorkspaceArgs:
    """Arguments of GrafanaWorkspace."""

    prometheus_workspace_arn: pulumi.Input[str]
    """The Prometheus workspace the data source reads. Required."""
    kms_key_arn: pulumi.Input[str]
    """Key of the Grafana workspace's data. Required."""
    account_id: str
    """Account of both workspaces. Required."""
    authentication: Literal["AWS_SSO", "SAML"]
    """How people sign in. Required."""
    saml_metadata_url: str = ""
    """The SAML identity provider's metadata URL; required with SAML. Default: empty."""

    def __post_init__(self) -> None:
        if self.authentication == "SAML" and not self.saml_metadata_url.startswith("https://"):
            raise InvalidArgumentError("saml_metadata_url: SAML sign-in needs the identity provider's https:// URL")


class GrafanaWorkspace(pulumi.ComponentResource):
    """Amazon Managed Grafana with a query-only role on the stack's Prometheus workspace."""

    endpoint: pulumi.Output[str]

    def __init__(self, name: str, args: GrafanaWorkspaceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:grafana:GrafanaWorkspace", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
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
        workspace = aws.grafana.Workspace(
            f"{name}-grafana",
            name=f"{name}-grafana",
            account_access_type="CURRENT_ACCOUNT",
            authentication_providers=[args.authentication],
            permission_type="CUSTOMER_MANAGED",
            role_arn=role.arn,
            data_sources=["PROMETHEUS"],
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
        self.endpoint = workspace.endpoint
        self.register_outputs({"endpoint": self.endpoint})
