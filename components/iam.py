"""IAM documents and roles: policy documents, service trust policies, and IRSA roles each trusted by one
service account."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws


def irsa_trust_policy(oidc_provider_arn: str, oidc_issuer: str, namespace: str, service_account: str) -> str:
    """Trust policy admitting only `namespace/service_account` of one cluster, for STS only."""
    issuer = oidc_issuer.removeprefix("https://")
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": oidc_provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                            f"{issuer}:aud": "sts.amazonaws.com",
                        }
                    },
                }
            ],
        }
    )


def irsa_role(
    resource_name: str,
    oidc_provider_arn: pulumi.Input[str],
    oidc_issuer: pulumi.Input[str],
    namespace: str,
    service_account: str,
    parent: pulumi.Resource,
    managed_policy_arns: Sequence[str] = (),
    inline_policy: pulumi.Input[str] | None = None,
) -> aws.iam.Role:
    """A role for one service account, with AWS-managed policies and/or one inline policy."""
    trust = pulumi.Output.all(oidc_provider_arn, oidc_issuer).apply(
        lambda values: irsa_trust_policy(values[0], values[1], namespace, service_account)
    )
    role = aws.iam.Role(
        resource_name,
        assume_role_policy=trust,
        description=f"IRSA: {namespace}/{service_account}",
        opts=pulumi.ResourceOptions(parent=parent),
    )
    for index, policy_arn in enumerate(managed_policy_arns):
        aws.iam.RolePolicyAttachment(
            f"{resource_name}-{index}",
            role=role.name,
            policy_arn=policy_arn,
            opts=pulumi.ResourceOptions(parent=parent),
        )
    if inline_policy is not None:
        aws.iam.RolePolicy(
            resource_name, role=role.id, policy=inline_policy, opts=pulumi.ResourceOptions(parent=parent)
        )
    return role


def service_trust_policy(service: str, account_id: str, source_arn_like: str | None = None) -> str:
    """Trust policy admitting one AWS service principal, only when acting for `account_id` (and, when
    given, only for source resources matching `source_arn_like`): no confused deputy."""
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": account_id}}
    if source_arn_like:
        condition["ArnLike"] = {"aws:SourceArn": source_arn_like}
    return policy_document(
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole", "Condition": condition}
    )


def policy_document(*statements: dict[str, Any]) -> str:
    """An IAM policy document from statements."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
