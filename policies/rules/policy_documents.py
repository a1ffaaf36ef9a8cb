"""Policy documents: key administrators cannot use keys, resource policies refuse plain HTTP and other
accounts, service principals act only for this account, and generated credentials are long."""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity

from policies.rules.base import ResourceView, Rule, is_list, of_type

AREA = "identity"
KMS_SENSITIVE = (
    "kms:CreateGrant", "kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext", "kms:GenerateDataKeyPair", "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:Sign", "kms:Verify", "kms:GenerateMac", "kms:VerifyMac", "kms:DeriveSharedSecret",
)  # fmt: skip
"""Key-policy actions that use a key or confer its use (a grant lets its grantee use the key)."""
SERVICE_LINKED_ROLE = ":role/aws-service-role/"


def statements(document: Any) -> list[Mapping[str, Any]]:
    """The statements of a policy document given as JSON text or as a mapping."""
    if isinstance(document, str):
        document = json.loads(document) if document else {}
    found = (document or {}).get("Statement", [])
    return list(found) if is_list(found) else [found]


def _as_list(value: Any) -> list[Any]:
    return list(value) if is_list(value) else [value]


def _sensitive_actions(statement: Mapping[str, Any]) -> list[str]:
    """The sensitive KMS operations a statement's Action patterns match (NotAction counts as everything)."""
    if "NotAction" in statement:
        return list(KMS_SENSITIVE)
    patterns = [_pattern(str(a)) for a in _as_list(statement.get("Action", []))]
    return [op for op in KMS_SENSITIVE if any(p.fullmatch(op) for p in patterns)]


@functools.lru_cache(maxsize=256)
def _pattern(action: str) -> re.Pattern[str]:
    """An IAM action pattern (case-insensitive, * and ? wildcards) as a regular expression."""
    return re.compile(fnmatch.translate(action), re.IGNORECASE)


def _grants_limited_to_aws_resources(condition: Mapping[str, Any]) -> bool:
    flag = (condition.get("Bool") or {}).get("kms:GrantIsForAWSResource")
    if str(flag).lower() == "true":
        return True
    principals = [str(p) for p in _as_list((condition.get("StringEquals") or {}).get("aws:PrincipalArn", []))]
    return bool(principals) and all(SERVICE_LINKED_ROLE in p for p in principals)


def _kms_admins_cannot_use(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    """Key policy: every use (and every grant) is conditioned; AWS principals get grants only for AWS resources."""
    if not r.get("policy"):
        yield "no key policy: AWS's default gives the account kms:* on the key, use and grants included"
        return
    for statement in statements(r.get("policy")):
        if statement.get("Effect") != "Allow":
            continue
        sid = statement.get("Sid", "(no Sid)")
        sensitive = _sensitive_actions(statement)
        condition = statement.get("Condition") or {}
        if sensitive and not condition:
            yield f"statement {sid} allows {sensitive[:3]}{'...' if len(sensitive) > 3 else ''} without a condition"
        principal = statement.get("Principal")
        aws_principal = principal == "*" or (isinstance(principal, Mapping) and "AWS" in principal)
        if (
            "kms:CreateGrant" in sensitive
            and aws_principal
            and condition
            and not _grants_limited_to_aws_resources(condition)
        ):
            yield f"statement {sid} lets principals create grants for themselves (no kms:GrantIsForAWSResource)"


def _deny_statement(document: Any, condition_operator: str, key: str) -> bool:
    return any(
        s.get("Effect") == "Deny"
        and s.get("Principal") in ("*", {"AWS": "*"})
        and key in (s.get("Condition") or {}).get(condition_operator, {})
        for s in statements(document)
    )


def _tls_only(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if not _deny_statement(r.get("policy"), "Bool", "aws:SecureTransport"):
        yield "the policy does not deny requests without TLS (Deny when aws:SecureTransport is false)"


def _account_only(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if not _deny_statement(r.get("policy"), "StringNotEquals", "aws:PrincipalAccount"):
        yield "the secret policy does not deny principals of other accounts (StringNotEquals aws:PrincipalAccount)"


def _service_principals_pinned(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    field = {"aws:iam/role:Role": "assumeRolePolicy",
             "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "policyDocument"}.get(r.type, "policy")  # fmt: skip
    for statement in statements(r.get(field)):
        principal = statement.get("Principal")
        services = _as_list(principal.get("Service", [])) if isinstance(principal, Mapping) else []
        unpinned = [s for s in services if s not in config["exemptServices"]]
        if statement.get("Effect") != "Allow" or not unpinned:
            continue
        keys = {k for values in (statement.get("Condition") or {}).values() for k in values}
        if not keys & {"aws:SourceAccount", "aws:SourceArn", "aws:SourceOrgID"}:
            yield f"service principal(s) {unpinned} may act for any account (no aws:SourceAccount/aws:SourceArn)"


PASSWORD = "random:index/randomPassword:RandomPassword"


def _generated_secret_length(resources: Sequence[ResourceView], config: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    """Generated credentials are long; an Aurora master password (the credential of a global database member,
    whose password RDS cannot manage) is capped by RDS at 41 characters (RDS API Reference, CreateDBCluster
    MasterUserPassword), so it has its own minimum."""
    masters = set().union(*(c.depends_on("masterPasswordWo") | c.depends_on("masterPassword")
                            for c in of_type(resources, "aws:rds/cluster:Cluster")))  # fmt: skip
    for password in of_type(resources, PASSWORD):
        length = int(password.get("length") or 0)
        minimum, what = (
            (config["minDatabaseMasterLength"], "Aurora master credential")
            if password.urn in masters
            else (config["minLength"], "generated credential")
        )
        if length < minimum:
            yield password.urn, f"{what} of {length} characters; at least {minimum} are required"


RULES = [
    Rule("kms-admins-cannot-use", AREA, "Key administrators cannot use keys nor grant themselves use: every "
         "cryptographic or CreateGrant permission is conditioned, and grants are for AWS resources only.",
         Severity.CRITICAL, "3.6.1", "Replace kms:Create* with kms:CreateAlias for administrators; allow "
         "kms:CreateGrant only with kms:GrantIsForAWSResource=true and kms:ViaService.", ("aws:kms/key:Key",),
         _kms_admins_cannot_use),
    Rule("resource-policies-deny-insecure-transport", "encryption-in-transit", "Bucket and topic policies deny "
         "requests made without TLS.", Severity.HIGH, "4.2.1",
         "Add a Deny statement for Principal * when aws:SecureTransport is false.",
         ("aws:s3/bucketPolicy:BucketPolicy", "aws:sns/topicPolicy:TopicPolicy"), _tls_only),
    Rule("secret-policy-account-only", AREA, "Secret policies deny every principal outside the account.",
         Severity.HIGH, "7.2.1", "Add a Deny statement for Principal * with StringNotEquals aws:PrincipalAccount.",
         ("aws:secretsmanager/secretPolicy:SecretPolicy",), _account_only),
    Rule("service-principals-pinned", AREA, "Service principals in trust and resource policies act only for this "
         "account (confused-deputy protection).", Severity.HIGH, "7.2.2",
         "Add a condition on aws:SourceAccount or aws:SourceArn to the statement.",
         ("aws:iam/role:Role", "aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "aws:sns/topicPolicy:TopicPolicy"),
         _service_principals_pinned,
         config={"exemptServices": {"type": "array", "items": {"type": "string"}, "default": ["ec2.amazonaws.com"]}}),
    Rule("generated-credentials-long", AREA, "Generated credentials have at least the platform's length (an Aurora "
         "master password, which RDS caps at 41 characters, at least minDatabaseMasterLength).",
         Severity.HIGH, "8.3.6", "Raise the length of the RandomPassword.", stack_check=_generated_secret_length,
         config={"minLength": {"type": "integer", "default": 64},
                 "minDatabaseMasterLength": {"type": "integer", "minimum": 32, "maximum": 41, "default": 40}}),
]  # fmt: skip
