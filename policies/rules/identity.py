"""Identity: IAM authentication, no passwords in code, scoped roles, IMDSv2."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from policies.rules.base import ResourceView, Rule, is_list

AREA = "identity"


def _statements(document: Any) -> list[Mapping[str, Any]]:
    if isinstance(document, str):
        document = json.loads(document) if document else {}
    statements = (document or {}).get("Statement", [])
    return list(statements) if is_list(statements) else [statements]


def _as_list(value: Any) -> list[Any]:
    return list(value) if is_list(value) else [value]


def _iam_db_auth(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if r.get("iamDatabaseAuthenticationEnabled") is not True:
        yield "IAM database authentication is off: applications would need passwords"


def _no_plaintext_password(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    # A member of an Aurora global database cannot have an RDS-managed master password
    # (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-secrets-manager.html): its password may
    # come write-only (masterPasswordWo, never kept in state; pulumi-aws rds.Cluster docs). A secondary has no
    # master user of its own: it replicates the primary's.
    member = bool(r.get("globalClusterIdentifier"))
    if r.get("masterPassword"):
        yield "a master password is set by the program and kept in state; let RDS manage it (manageMasterUserPassword)"
    elif r.get("masterPasswordWo"):
        if not member:
            yield "a master password is set by the program; let RDS manage it (manageMasterUserPassword=true)"
    elif member and not r.get("masterUsername"):
        return
    elif r.get("manageMasterUserPassword") is not True and not r.get("snapshotIdentifier"):
        yield "manageMasterUserPassword is not true: the master password is not kept by RDS in Secrets Manager"


def _irsa_scoped(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    for statement in _statements(r.get("assumeRolePolicy")):
        principal = statement.get("Principal") or {}
        federated = principal.get("Federated") if isinstance(principal, Mapping) else None
        if not federated or "oidc-provider/" not in str(federated):
            continue
        conditions = statement.get("Condition") or {}
        exact = {k: v for k, v in (conditions.get("StringEquals") or {}).items() if k.endswith(":sub")}
        wildcard = {k: v for k, v in (conditions.get("StringLike") or {}).items() if k.endswith(":sub")}
        subjects = [s for value in exact.values() for s in _as_list(value)]
        if wildcard or len(subjects) != 1 or not str(subjects[0]).startswith("system:serviceaccount:"):
            yield "an OIDC (IRSA) trust must name exactly one service account with StringEquals on :sub"
        if not any(k.endswith(":aud") for k in (conditions.get("StringEquals") or {})):
            yield "an OIDC (IRSA) trust must pin the audience (:aud = sts.amazonaws.com)"


def _no_wildcard_admin(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    document = r.get("policy") if r.type != "aws:iam/role:Role" else None
    for statement in _statements(document):
        if statement.get("Effect") != "Allow":
            continue
        actions = [str(a) for a in _as_list(statement.get("Action", []))]
        resources = [str(x) for x in _as_list(statement.get("Resource", "*"))]
        if any(a == "*" or a.endswith(":*") for a in actions) and "*" in resources:
            yield f"statement allows {actions} on every resource (*)"
    if r.type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment" and str(r.get("policyArn", "")).endswith(
        ":policy/AdministratorAccess"
    ):
        yield "AdministratorAccess is attached"


def _imdsv2(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    metadata = r.get("metadataOptions") or {}
    if metadata.get("httpTokens") != "required":
        yield "IMDSv1 is allowed (metadataOptions.httpTokens must be required)"
    hops = metadata.get("httpPutResponseHopLimit")
    if hops is None or int(hops) > int(config["maxHopLimit"]):
        yield f"metadata hop limit {hops} lets pods reach the node's credentials (max {config['maxHopLimit']})"


def _cache_auth(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if not r.get("authToken") and not r.get("authTokenWoVersion") and not r.get("userGroupIds"):
        yield "no AUTH token and no RBAC user group: any client that reaches the port may connect"


def _msk_iam(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    authentication = r.get("clientAuthentication") or {}
    if authentication.get("unauthenticated", False) is not False:
        yield "unauthenticated clients are allowed"
    if (authentication.get("sasl") or {}).get("iam") is not True:
        yield "SASL/IAM authentication is off"
    if (authentication.get("sasl") or {}).get("scram") is True:
        yield "SASL/SCRAM (passwords) is on; clients authenticate with IAM only"


RULES = [
    Rule("aurora-iam-auth", AREA, "Aurora uses IAM database authentication.", Severity.HIGH, "8.3.1",
         "Set iamDatabaseAuthenticationEnabled=true and grant rds-db:connect per database user.",
         ("aws:rds/cluster:Cluster",), _iam_db_auth),
    Rule("no-plaintext-db-password", AREA, "No database password is set in code, config or state.", Severity.CRITICAL,
         "8.6.2", "Remove masterPassword; set manageMasterUserPassword=true with the secrets key (a global database "
         "member: masterPasswordWo from a generated credential).",
         ("aws:rds/cluster:Cluster",), _no_plaintext_password),
    Rule("irsa-trust-one-service-account", AREA, "Each IRSA role is trusted by exactly one service account.",
         Severity.HIGH, "7.2.2", "Condition StringEquals <issuer>:sub = system:serviceaccount:<ns>:<name> and "
         "<issuer>:aud = sts.amazonaws.com.", ("aws:iam/role:Role",), _irsa_scoped),
    Rule("no-wildcard-admin-policy", AREA, "No IAM policy allows every action on every resource.", Severity.CRITICAL,
         "7.2.2", "Name the actions and resources the principal needs.",
         ("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy",
          "aws:iam/rolePolicyAttachment:RolePolicyAttachment"),
         _no_wildcard_admin),
    Rule("imdsv2-required", AREA, "Node launch templates require IMDSv2 with a hop limit of 1.", Severity.HIGH,
         "2.2.1", "Set metadataOptions httpTokens=required and httpPutResponseHopLimit=1.",
         ("aws:ec2/launchTemplate:LaunchTemplate",), _imdsv2,
         config={"maxHopLimit": {"type": "integer", "default": 1}}),
    Rule("cache-auth-required", AREA, "ElastiCache requires AUTH or an RBAC user group.", Severity.CRITICAL, "8.3.1",
         "Set authToken from a generated secret, or userGroupIds.",
         ("aws:elasticache/replicationGroup:ReplicationGroup",), _cache_auth),
    Rule("msk-iam-auth-only", AREA, "MSK admits only SASL/IAM-authenticated clients.", Severity.CRITICAL, "8.3.1",
         "Set clientAuthentication.sasl.iam=true and unauthenticated=false.", ("aws:msk/cluster:Cluster",), _msk_iam),
]  # fmt: skip
