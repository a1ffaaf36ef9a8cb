"""Data stores: current TLS certificate authorities, Kafka denies by default, and cache users authenticate with
IAM and reach only their own keys."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from policies.rules.base import ResourceView, Rule

CURRENT_RDS_CAS = ("rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1")
"""RDS certificate authorities valid beyond 2024 (rds-ca-2019 expired on 2024-08-22).
https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/UsingWithRDS.SSL.html"""
KAFKA_REQUIRED = {"allow.everyone.if.no.acl.found": "false", "unclean.leader.election.enable": "false"}


def _rds_ca(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    ca = r.get("caCertIdentifier")
    if ca not in config["allowedCas"]:
        yield f"certificate authority {ca or '(default)'} is not one of {config['allowedCas']}"


def _kafka_configuration(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    lines = str(r.get("serverProperties") or "").splitlines()
    properties = dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))
    for key, value in KAFKA_REQUIRED.items():
        if properties.get(key, "").strip() != value:
            yield f"{key} must be {value} (found {properties.get(key, 'unset')})"


def _cache_user_auth(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    access = str(r.get("accessString") or "")
    if r.get("userName") == "default":
        if not access.startswith("off"):
            yield "the default user is enabled: any client that reaches the port may connect as it (accessString off)"
    elif r.get("authenticationMode.type") != "iam":
        yield f"the user authenticates with {r.get('authenticationMode.type') or 'a password'}, not IAM"


def _cache_user_scope(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    access = str(r.get("accessString") or "").split()
    if not access or access[0] != "on":
        return
    if "~*" in access or "allkeys" in access:
        yield "the user may read and write every key (~*); scope it to its own key prefix"
    if "+@all" in access and "-@dangerous" not in access:
        yield "the user may run dangerous commands (add -@dangerous)"


RULES = [
    Rule("aurora-ca-current", "encryption-in-transit", "Aurora instances present a certificate from a current RDS "
         "CA.", Severity.HIGH, "4.2.1", "Set caCertIdentifier to rds-ca-rsa2048-g1 (or another current CA).",
         ("aws:rds/clusterInstance:ClusterInstance",), _rds_ca,
         config={"allowedCas": {"type": "array", "items": {"type": "string"}, "default": list(CURRENT_RDS_CAS)}}),
    Rule("msk-deny-by-default", "identity", "Kafka denies topics without ACLs to everyone and never elects an "
         "out-of-sync leader.", Severity.HIGH, "7.3.3", "Set allow.everyone.if.no.acl.found=false and "
         "unclean.leader.election.enable=false in the MSK configuration.", ("aws:msk/configuration:Configuration",),
         _kafka_configuration),
    Rule("cache-users-iam-auth", "identity", "Cache users authenticate with IAM; the default user is disabled.",
         Severity.CRITICAL, "8.3.1", "Set authenticationMode type iam on every user and accessString 'off -@all' on "
         "the default user.", ("aws:elasticache/user:User",), _cache_user_auth),
    Rule("cache-users-least-privilege", "identity", "Each cache user reaches only its own keys and no dangerous "
         "commands.", Severity.HIGH, "7.2.2", "Use accessString 'on ~<prefix>:* +@all -@dangerous'.",
         ("aws:elasticache/user:User",), _cache_user_scope),
]  # fmt: skip
