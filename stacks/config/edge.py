"""Edge keys: the ALB's certificate and admitted clients, and the WAF rate limit."""

from __future__ import annotations

import ipaddress

from pydantic import field_validator

from stacks.aws_limits import CERTIFICATE_PATTERN, SECURITY_GROUP_INBOUND_RULES, WAF_RATE_LIMIT
from stacks.config.base import ConfigBase, ns_key
from stacks.config.network import check_cidr_list
from stacks.tiers import TIER_RULES


class EdgeConfig(ConfigBase):
    """The public entry: ALB (HTTPS only) and WAF."""

    certificate_arn: str = ""
    """ACM certificate of the ALB's HTTPS listener, in the stack's region. Required."""
    alb_ingress_cidrs: tuple[str, ...] = ("0.0.0.0/0",)
    """Clients admitted to the ALB on 443 (it does not listen on 80). Default: 0.0.0.0/0."""
    waf_rate_limit: int = 2000
    """Requests per client IP per 5 minutes before WAF blocks it. Default: 2000."""

    @field_validator("alb_ingress_cidrs")
    @classmethod
    def _alb_cidr_list(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        check_cidr_list(value)
        # The ALB is IPv4 only (components/edge.py sets no ipAddressType; the default is ipv4,
        # https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html): a list
        # of IPv6 CIDRs only admits no client. (An IPv6 CIDR next to IPv4 ones is a rule that never matches.)
        if value and all(ipaddress.ip_network(cidr).version == 6 for cidr in value):
            raise ValueError(f"{list(value)} are all IPv6; the ALB has IPv4 addresses only, so no client is admitted")
        # One ingress rule per CIDR: EC2 refuses the same rule twice (InvalidPermission.Duplicate) and more than
        # the group's inbound rule quota (RulesPerSecurityGroupLimitExceeded).
        duplicates = sorted({cidr for cidr in value if value.count(cidr) > 1})
        if duplicates:
            raise ValueError(f"lists {duplicates} more than once; EC2 refuses a duplicate security group rule "
                             "(InvalidPermission.Duplicate)")  # fmt: skip
        if len(value) > SECURITY_GROUP_INBOUND_RULES:
            raise ValueError(
                f"lists {len(value)} CIDRs, one inbound rule each; a security group holds at most "
                f"{SECURITY_GROUP_INBOUND_RULES} inbound rules (Amazon VPC default quota)"
            )
        return value

    def _check_alb_ingress(self) -> None:
        """A tier that serves customers (high availability) admits someone: an empty albIngressCidrs is a
        load balancer nobody can reach."""
        if not self.alb_ingress_cidrs and TIER_RULES[self.tier].high_availability:
            raise ValueError(
                f"{ns_key('albIngressCidrs')} = [] admits no client to the ALB, which tier '{self.tier}' serves "
                "customers through; list the client CIDRs (default: 0.0.0.0/0, filtered by WAF)"
            )

    @field_validator("waf_rate_limit")
    @classmethod
    def _waf_rate(cls, value: int) -> int:
        low, high = WAF_RATE_LIMIT
        if not low <= value <= high:
            raise ValueError(f"WAF rate-based rules take a limit of {low} to {high:,} requests per 5 minutes")
        return value

    def _check_certificate(self) -> None:
        """certificateArn set, an ACM ARN, in the stack's region, account and partition."""
        if not self.certificate_arn:
            raise ValueError(
                f"{ns_key('certificateArn')} is missing: the ALB serves HTTPS only and needs an ACM certificate ARN "
                f"in {self.region} (pulumi config set certificateArn arn:aws:acm:...)"
            )
        shown = self._shown("certificateArn", self.certificate_arn)
        match = CERTIFICATE_PATTERN.fullmatch(self.certificate_arn)
        if not match:
            raise ValueError(
                f"{ns_key('certificateArn')} = {shown} is not an ACM certificate ARN "
                f"(arn:{self.partition}:acm:<region>:<12-digit account>:certificate/<uuid>)"
            )
        if match["region"] != self.region or (self.account_id and match["account"] != self.account_id):
            raise ValueError(
                f"{ns_key('certificateArn')} = {shown} must be in the stack's region {self.region}"
                + (f" and account {self.account_id}" if self.account_id else "")
            )
        if match["partition"] != self.partition:
            raise ValueError(
                f"{ns_key('certificateArn')} = {shown} is in partition '{match['partition']}'; region {self.region} "
                f"is in partition '{self.partition}'"
            )
