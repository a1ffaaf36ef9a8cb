"""Encryption in transit: TLS to every data store, at the edge and from the load balancer to the pods."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from policies.rules.base import ResourceView, Rule

AREA = "encryption-in-transit"
TLS12_OR_BETTER_POLICIES = (
    "ELBSecurityPolicy-TLS13-1-2-2021-06", "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06", "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06", "ELBSecurityPolicy-TLS-1-2-2017-01",
    "ELBSecurityPolicy-TLS-1-2-Ext-2018-06", "ELBSecurityPolicy-FS-1-2-Res-2020-10",
)  # fmt: skip
"""Listener policies whose lowest protocol is TLS 1.2."""


def _cache_tls(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if r.get("transitEncryptionEnabled") is not True:
        yield "in-transit encryption is off (transitEncryptionEnabled must be true)"
    elif r.get("transitEncryptionMode", "required") != "required":
        yield f"transitEncryptionMode is '{r.get('transitEncryptionMode')}': clients may still connect without TLS"


def _msk_tls(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    transit = r.get("encryptionInfo.encryptionInTransit")
    if not transit:
        yield "encryption in transit is not set explicitly (clientBroker=TLS, inCluster=true)"
        return
    if transit.get("clientBroker", "TLS") != "TLS":
        yield f"client-broker traffic allows '{transit.get('clientBroker')}'; only TLS is allowed"
    if transit.get("inCluster", True) is not True:
        yield "traffic between brokers is not encrypted (inCluster must be true)"


def _aurora_force_ssl(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if not r.get("family", "").startswith("aurora-postgresql"):
        return
    parameters = {p.get("name"): str(p.get("value")) for p in r.get("parameters") or []}
    if parameters.get("rds.force_ssl") != "1":
        yield "rds.force_ssl is not 1: clients may connect without TLS"
    minimum = parameters.get("ssl_min_protocol_version", "TLSv1.2")
    if minimum not in ("TLSv1.2", "TLSv1.3"):
        yield f"ssl_min_protocol_version {minimum} admits protocols below TLS 1.2"


def _https_listener(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if r.get("protocol") != "HTTPS":
        return
    policy = r.get("sslPolicy") or "ELBSecurityPolicy-2016-08"
    if policy not in TLS12_OR_BETTER_POLICIES:
        yield f"sslPolicy {policy} admits protocols below TLS 1.2"
    if not r.get("certificateArn"):
        yield "the HTTPS listener has no certificate"


def _http_redirect_only(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if r.get("protocol") != "HTTP":
        return
    actions = r.get("defaultActions") or []
    redirects = [
        a for a in actions if a.get("type") == "redirect" and (a.get("redirect") or {}).get("protocol") == "HTTPS"
    ]
    if len(actions) != 1 or not redirects:
        yield "an HTTP listener must only redirect to HTTPS"


def _target_group_tls(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    """ALB target groups re-encrypt to the targets: protocol HTTPS and HTTPS health checks. Left unset, the
    health check protocol of an HTTP/HTTPS target group is HTTP (ELB API reference, CreateTargetGroup,
    HealthCheckProtocol). Lambda targets have no protocol; NLB groups may use TLS."""
    if r.get("targetType") == "lambda":
        return
    protocol = r.get("protocol")
    if protocol not in ("HTTPS", "TLS"):
        yield f"target group protocol is {protocol or 'unset'}: the load balancer sends plain text to the targets"
    if protocol in (None, "HTTP", "HTTPS") and r.get("healthCheck.protocol") != "HTTPS":
        yield f"health checks use {r.get('healthCheck.protocol') or 'HTTP (unset)'}, not HTTPS"


RULES = [
    Rule("cache-tls-required", AREA, "ElastiCache requires TLS from every client.", Severity.CRITICAL, "4.2.1",
         "Set transitEncryptionEnabled=true and transitEncryptionMode=required.",
         ("aws:elasticache/replicationGroup:ReplicationGroup",), _cache_tls),
    Rule("msk-tls-only", AREA, "MSK accepts TLS only, between clients and brokers and between brokers.",
         Severity.CRITICAL, "4.2.1", "Set encryptionInTransit clientBroker=TLS and inCluster=true.",
         ("aws:msk/cluster:Cluster",), _msk_tls),
    Rule("aurora-force-ssl", AREA, "Aurora PostgreSQL cluster parameter groups force TLS (rds.force_ssl=1).",
         Severity.CRITICAL, "4.2.1", "Add parameter rds.force_ssl=1 to the cluster parameter group.",
         ("aws:rds/clusterParameterGroup:ClusterParameterGroup",), _aurora_force_ssl),
    Rule("https-listener-tls12", AREA, "HTTPS listeners use a TLS 1.2+ policy and a certificate.", Severity.HIGH,
         "4.2.1", "Set sslPolicy to ELBSecurityPolicy-TLS13-1-2-2021-06.", ("aws:lb/listener:Listener",),
         _https_listener),
    Rule("http-listener-redirect-only", AREA, "HTTP listeners only redirect to HTTPS.", Severity.HIGH, "4.2.1",
         "Make the listener's only default action a redirect to HTTPS 443.", ("aws:lb/listener:Listener",),
         _http_redirect_only),
    Rule("target-group-https", AREA, "Load balancers reach their targets over TLS, health checks included.",
         Severity.HIGH, "4.2.1", "Set the target group protocol and its health check protocol to HTTPS; the pods serve "
         "a certificate from the in-cluster CA (components/cert_manager.py).", ("aws:lb/targetGroup:TargetGroup",),
         _target_group_tls),
]  # fmt: skip
