"""The edge: only the load balancer's group faces the internet, the ALB rejects malformed requests, and the
web ACL enforces, measures and logs without keeping credentials."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity

from policies.rules.base import ResourceView, Rule, of_type

AREA = "exposure"
INGRESS_RULE_TYPES = ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                      "aws:ec2/securityGroupRule:SecurityGroupRule")  # fmt: skip
GROUP_TYPE = "aws:ec2/securityGroup:SecurityGroup"
LB_TYPE = "aws:lb/loadBalancer:LoadBalancer"
_NOT_INTERNET_V4 = [ipaddress.IPv4Network(c) for c in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16",
    "224.0.0.0/3")]  # fmt: skip
"""IPv4 ranges that are not routable on the internet (RFC 1918, CGNAT, loopback, link-local, multicast+)."""
_GLOBAL_V6 = ipaddress.IPv6Network("2000::/3")
"""IPv6 global unicast: the internet."""


def admits_internet(cidrs: Iterable[str]) -> bool:
    """Whether a set of CIDRs covers the whole internet: 0.0.0.0/0, ::/0, or pieces that together cover every
    routable address (e.g. 0.0.0.0/1 + 128.0.0.0/1)."""
    v4: list[ipaddress.IPv4Network] = []
    v6: list[ipaddress.IPv6Network] = []
    for cidr in cidrs:
        try:
            network = ipaddress.ip_network(str(cidr), strict=False)
        except ValueError:
            continue
        if isinstance(network, ipaddress.IPv4Network):
            v4.append(network)
        else:
            v6.append(network)
    if v4 and list(ipaddress.collapse_addresses([*v4, *_NOT_INTERNET_V4])) == [ipaddress.IPv4Network("0.0.0.0/0")]:
        return True
    return any(_GLOBAL_V6.subnet_of(net) for net in ipaddress.collapse_addresses(v6))


def _ports(protocol: Any, low: Any, high: Any) -> set[int]:
    if str(protocol) in ("-1", "all"):
        return set(range(0, 65536))
    low_port = int(low or 0)
    return set(range(low_port, int(high or low_port) + 1))


def _internet_ingress(resources: Sequence[ResourceView]) -> list[tuple[ResourceView, set[str], set[int], list[str]]]:
    """(resource, group URNs it opens, ports, CIDRs) of every ingress permission, by security group."""
    found: list[tuple[ResourceView, set[str], set[int], list[str]]] = []
    for r in of_type(resources, *INGRESS_RULE_TYPES):
        if r.type == INGRESS_RULE_TYPES[0]:
            cidrs = [c for c in (r.get("cidrIpv4"), r.get("cidrIpv6")) if c]
            protocol = r.get("ipProtocol")
        elif r.get("type") == "ingress":
            cidrs = [*(r.get("cidrBlocks") or []), *(r.get("ipv6CidrBlocks") or [])]
            protocol = r.get("protocol")
        else:
            continue
        found.append((r, r.depends_on("securityGroupId"), _ports(protocol, r.get("fromPort"), r.get("toPort")), cidrs))
    for group in of_type(resources, GROUP_TYPE):
        for rule in group.get("ingress") or []:
            cidrs = [*(rule.get("cidrBlocks") or []), *(rule.get("ipv6CidrBlocks") or [])]
            found.append((group, {group.urn}, _ports(rule.get("protocol"), rule.get("fromPort"), rule.get("toPort")),
                          cidrs))  # fmt: skip
    return found


def _public_ports_on_alb_only(
    resources: Sequence[ResourceView], config: Mapping[str, Any]
) -> Iterable[tuple[str, str]]:
    """The internet reaches the web ports only on the security groups of internet-facing ALBs.

    The group is identified through the plan: the groups whose IDs flow into an internet-facing application
    load balancer's `securityGroups`. A rule whose group cannot be traced to a resource of the stack fails
    closed. CIDRs are pooled per group and port, so pieces that together cover the internet count too.
    """
    alb_groups: set[str] = set()
    for lb in of_type(resources, LB_TYPE):
        if lb.get("internal", False) is not True and lb.get("loadBalancerType", "application") == "application":
            alb_groups |= lb.depends_on("securityGroups")
    pooled: dict[tuple[str, int], list[str]] = {}
    sources: dict[tuple[str, int], ResourceView] = {}
    for resource, groups, ports, cidrs in _internet_ingress(resources):
        for port in set(config["publicPorts"]) & ports:
            if not groups and admits_internet(cidrs):
                yield resource.urn, f"port {port} is open to the internet on a security group not traced in the plan"
            for group in groups:
                pooled.setdefault((group, port), []).extend(cidrs)
                sources.setdefault((group, port), resource)
    for (group, port), cidrs in sorted(pooled.items()):
        if group not in alb_groups and admits_internet(cidrs):
            yield (
                sources[(group, port)].urn,
                (
                    f"port {port} is open to the internet on security group {group.split('::')[-1]}, which no "
                    "internet-facing load balancer uses; only the ALB's group may face the internet"
                ),
            )


def _alb_request_hygiene(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    if r.get("loadBalancerType", "application") != "application":
        return
    if r.get("dropInvalidHeaderFields") is not True:
        yield "invalid HTTP header fields are forwarded to the targets (dropInvalidHeaderFields must be true)"
    mode = r.get("desyncMitigationMode") or "defensive"
    if mode not in config["allowedDesyncModes"]:
        yield f"desyncMitigationMode '{mode}' lets ambiguous (request-smuggling) requests through; use strictest"


def _waf_enforced(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    for rule in r.get("rules") or []:
        statement = rule.get("statement") or {}
        name = rule.get("name", "?")
        if statement.get("managedRuleGroupStatement") and "none" not in (rule.get("overrideAction") or {}):
            yield f"managed rule group {name} is overridden to count: it matches but does not block"
        if statement.get("rateBasedStatement") and "block" not in (rule.get("action") or {}):
            yield f"rate-based rule {name} does not block"


def _waf_visibility(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    configs = [("the web ACL", r.get("visibilityConfig") or {})]
    configs += [(f"rule {rule.get('name', '?')}", rule.get("visibilityConfig") or {}) for rule in r.get("rules") or []]
    for what, visibility in configs:
        if (
            visibility.get("cloudwatchMetricsEnabled") is not True
            or visibility.get("sampledRequestsEnabled") is not True
        ):
            yield f"{what} does not publish CloudWatch metrics and sampled requests"


def _waf_log_redaction(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    redacted = {
        str((field.get("singleHeader") or {}).get("name", "")).lower() for field in r.get("redactedFields") or []
    }
    missing = sorted(set(config["redactedHeaders"]) - redacted)
    if missing:
        yield f"WAF logs would keep the credentials in headers {missing} (add them to redactedFields)"


RULES = [
    Rule("internet-ports-only-on-alb", AREA, "The internet reaches 80/443 only on the security group of an "
         "internet-facing application load balancer.", Severity.CRITICAL, "1.3.1",
         "Admit the internet only on the ALB's group; other groups admit the ALB's group or narrow CIDRs.",
         stack_check=_public_ports_on_alb_only,
         config={"publicPorts": {"type": "array", "items": {"type": "integer"}, "default": [80, 443]}}),
    Rule("alb-request-hygiene", AREA, "Application load balancers drop invalid header fields and mitigate HTTP "
         "desync (request smuggling) in the strictest mode.", Severity.HIGH, "6.2.4",
         "Set dropInvalidHeaderFields=true and desyncMitigationMode=strictest.", (LB_TYPE,), _alb_request_hygiene,
         config={"allowedDesyncModes": {"type": "array", "items": {"type": "string"}, "default": ["strictest"]}}),
    Rule("waf-rules-enforced", "waf", "Managed rule groups and rate limits block (no count overrides).",
         Severity.HIGH, "6.4.2", "Set overrideAction none on managed groups and action block on rate rules.",
         ("aws:wafv2/webAcl:WebAcl",), _waf_enforced),
    Rule("waf-visibility", "waf", "The web ACL and each of its rules publish metrics and sampled requests.",
         Severity.MEDIUM, "10.2.1", "Set cloudwatchMetricsEnabled and sampledRequestsEnabled in each visibilityConfig.",
         ("aws:wafv2/webAcl:WebAcl",), _waf_visibility),
    Rule("waf-logs-redact-credentials", "waf", "WAF request logs redact the Authorization and Cookie headers.",
         Severity.HIGH, "8.3.2", "Add singleHeader authorization and cookie to redactedFields.",
         ("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",), _waf_log_redaction,
         config={"redactedHeaders": {"type": "array", "items": {"type": "string"},
                                     "default": ["authorization", "cookie"]}}),
]  # fmt: skip
