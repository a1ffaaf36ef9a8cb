"""WAF in front of every internet-facing application load balancer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity

from policies.rules.base import ResourceView, Rule, of_type

AREA = "waf"
REQUIRED_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
                   "AWSManagedRulesSQLiRuleSet", "AWSManagedRulesAmazonIpReputationList")  # fmt: skip


def _statements(r: ResourceView) -> list[Mapping[str, Any]]:
    return [rule.get("statement") or {} for rule in r.get("rules") or []]


def _managed_groups(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    present = {(s.get("managedRuleGroupStatement") or {}).get("name") for s in _statements(r)}
    missing = [group for group in config["requiredGroups"] if group not in present]
    if missing:
        yield f"managed rule groups missing: {missing}"


def _rate_rule(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    limits = [int((s.get("rateBasedStatement") or {}).get("limit", 0)) for s in _statements(r)
              if s.get("rateBasedStatement")]  # fmt: skip
    if not limits:
        yield "no rate-based rule limits requests per client IP"
    elif min(limits) > config["maxLimit"]:
        yield f"the rate limit {min(limits)} is above {config['maxLimit']} requests per 5 minutes"


def _alb_has_waf(resources: Sequence[ResourceView], _: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    association_type = "aws:wafv2/webAclAssociation:WebAclAssociation"
    protected = set().union(*(a.depends_on("resourceArn") for a in of_type(resources, association_type)))
    for lb in of_type(resources, "aws:lb/loadBalancer:LoadBalancer"):
        internet_facing = lb.get("internal", False) is not True
        if internet_facing and lb.get("loadBalancerType", "application") == "application" and lb.urn not in protected:
            yield lb.urn, "internet-facing ALB without a WAF web ACL association"


RULES = [
    Rule("waf-managed-rule-groups", AREA, "Web ACLs run the AWS managed Common, KnownBadInputs, SQLi and IP "
         "reputation groups.", Severity.HIGH, "6.4.2", "Add the missing managed rule group statements.",
         ("aws:wafv2/webAcl:WebAcl",), _managed_groups,
         config={"requiredGroups": {"type": "array", "items": {"type": "string"}, "default": list(REQUIRED_GROUPS)}}),
    Rule("waf-rate-rule", AREA, "Web ACLs limit the request rate per client IP.", Severity.MEDIUM, "6.4.2",
         "Add a rate-based rule aggregated by IP.", ("aws:wafv2/webAcl:WebAcl",), _rate_rule,
         config={"maxLimit": {"type": "integer", "default": 10000}}),
    Rule("alb-has-waf", AREA, "Every internet-facing ALB is associated with a web ACL.", Severity.CRITICAL,
         "6.4.2", "Add an aws.wafv2.WebAclAssociation for the load balancer.", stack_check=_alb_has_waf),
]  # fmt: skip
