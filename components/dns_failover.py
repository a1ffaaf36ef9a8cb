"""One side of a Route 53 active-passive failover pair: a health check on a CloudWatch alarm and an alias record
to the region's ALB.

Two stacks each create one `FailoverRecord` for the same name in the same public hosted zone, one PRIMARY and
one SECONDARY. Route 53 answers with the PRIMARY record while its health check is healthy and with the SECONDARY
otherwise ("Failover routing", Route 53 Developer Guide, https://docs.aws.amazon.com/Route53/latest/
DeveloperGuide/routing-policy-failover.html; "Configuring DNS failover", https://docs.aws.amazon.com/Route53/
latest/DeveloperGuide/dns-failover-configuring.html).

Why this survives the loss of the primary region. Route 53 is split into a control plane (the APIs that create
and change zones, records and health checks, hosted in us-east-1) and a data plane (the authoritative DNS
servers and the health checkers, spread across many regions and edge locations). "During a control plane
impairment, CRUDL-type operations for Route 53 may not work, but DNS resolution and health checks, and updates
to routing resulting from changes in health checks, will continue to work"; "you should not rely on the Route 53
control plane in your recovery path ... a statically-stable design would be to use the status of health checks
to perform failovers between Regions" (AWS whitepaper "AWS Fault Isolation Boundaries", Appendix B "Edge network
global service guidance", https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/
appendix-b---edge-network-global-service-guidance.html; the same pattern in the AWS Networking & Content Delivery
blog "Creating Disaster Recovery Mechanisms Using Amazon Route 53", https://aws.amazon.com/blogs/
networking-and-content-delivery/creating-disaster-recovery-mechanisms-using-amazon-route-53/, and the Route 53
Developer Guide, "Control and data plane concepts", https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/
route-53-concepts.html#route-53-concepts-control-and-data-plane). So both records and both health checks are
created ahead of time by `pulumi up`; an unplanned failover needs no API call at all.

What the health check watches. A CLOUDWATCH_METRIC health check takes the state of a CloudWatch alarm: OK is
healthy, ALARM is unhealthy, and INSUFFICIENT_DATA maps to `InsufficientDataHealthStatus`, here "Unhealthy"
(Route 53 API Reference, HealthCheckConfig, https://docs.aws.amazon.com/Route53/latest/APIReference/
API_HealthCheckConfig.html: "Healthy | Unhealthy | LastKnownStatus", LastKnownStatus being the default). The
default would keep a region whose CloudWatch cannot evaluate the alarm "healthy" on its last status; Unhealthy
counts a region whose alarm cannot be evaluated as down, the safe side for a standby that is warm and ready.
(The documented mapping is for the INSUFFICIENT_DATA alarm state; what Route 53 reports when CloudWatch in the
alarm's region does not answer at all is not spelled out there: the drill, which inverts the check, does not
exercise it either.) A new check is unhealthy until its alarm first evaluates OK, a few minutes after the ALB
has healthy targets; while both sides are unhealthy Route 53 answers with the PRIMARY.
The alarm must use a standard-resolution metric and one of Average/Minimum/Maximum/Sum/SampleCount (no
percentiles, no metric math: Route 53 API Reference, AlarmIdentifier, https://docs.aws.amazon.com/Route53/latest/
APIReference/API_AlarmIdentifier.html). Edge's `<workload>-no-healthy-targets` alarm (HealthyHostCount, Minimum,
missing data breaching) fits.

The alias record also sets EvaluateTargetHealth, so Route 53 itself stops answering with an ALB that has no
healthy target in any zone (Route 53 API Reference, AliasTarget, https://docs.aws.amazon.com/Route53/latest/
APIReference/API_AliasTarget.html); alias records to an ALB carry no TTL (Route 53 answers with the ALB's own
60-second TTL).

How a planned switch moves traffic (issue 24). The region pair's ARC Region switch plan creates a health check per
region and sets their state when it runs; the PRIMARY record's health check is then a CALCULATED check of the
alarm's check and the plan's check of the primary region (`switch_health_check_id`), so the record fails over
when either says so. The paragraph below is how the hand-written runbook did it before; inversion is still
ignored so that a person's manual inversion is not undone by a deploy.

How a drill moved traffic. Operations (ops code, not this component) set `Inverted=true` on the PRIMARY health
check with UpdateHealthCheck: Route 53 then treats the healthy check as unhealthy and answers with the
SECONDARY; setting it back to false returns traffic (Route 53 API Reference, UpdateHealthCheck, "Inverted",
https://docs.aws.amazon.com/Route53/latest/APIReference/API_UpdateHealthCheck.html). UpdateHealthCheck is a
control-plane call (us-east-1): fine for a planned drill or a failback, not something the unplanned path
depends on. Operations own that field, so the program never sets it and ignores its changes
(`ignore_changes=["invertHealthcheck"]`): a `pulumi up` of either stack during a drill or a manual failover
does not silently send traffic back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.errors import InvalidArgumentError

FailoverRole = Literal["PRIMARY", "SECONDARY"]
"""Which side of the failover pair a record is."""
FAILOVER_ROLES: tuple[FailoverRole, ...] = ("PRIMARY", "SECONDARY")

_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_SET_IDENTIFIER_LIMIT = 128
"""Characters in a record's SetIdentifier (Route 53 API Reference, ResourceRecordSet)."""
_DNS_NAME_LIMIT = 253
"""Characters in a domain name without the final dot (RFC 1035 section 2.3.4, 255 octets on the wire)."""


def dns_name_error(value: str) -> str | None:
    """Why `value` is not a lowercase fully qualified DNS name (at least two labels), or None if it is."""
    name = value[:-1] if value.endswith(".") else value
    if not name or len(name) > _DNS_NAME_LIMIT:
        return f"must be 1-{_DNS_NAME_LIMIT} characters"
    labels = name.split(".")
    if len(labels) < 2:
        return "must be a fully qualified name with at least two labels (e.g. api.example.com)"
    bad = [label for label in labels if not _LABEL.match(label)]
    if bad:
        return (
            f"labels {bad} are not 1-63 lowercase letters, digits or hyphens (no hyphen at either end); "
            "wildcards are not accepted"
        )
    return None


@dataclass(frozen=True)
class FailoverRecordArgs:
    """Arguments of FailoverRecord."""

    zone_id: pulumi.Input[str]
    """Route 53 public hosted zone that holds the record (the same zone in both stacks of a pair). Required."""
    record_name: str
    """Fully qualified name both records answer for, e.g. api.fintech.example.com. Required."""
    role: FailoverRole
    """PRIMARY (answered while healthy) or SECONDARY (answered when the primary is unhealthy). Required."""
    alb_dns_name: pulumi.Input[str]
    """DNS name of the region's ALB (the alias target). Required."""
    alb_zone_id: pulumi.Input[str]
    """Canonical hosted zone of the ALB (`aws.lb.LoadBalancer.zone_id`), not the public zone. Required."""
    alarm_name: pulumi.Input[str]
    """CloudWatch alarm whose state is the region's health (standard resolution, no percentile). Required."""
    alarm_region: str
    """Region of that alarm (the ALB's region). Required."""
    set_identifier: str = ""
    """Identifier that tells the two records of the pair apart (unique per name and type in the zone).
    Default: the component's name."""
    switch_health_check_id: pulumi.Input[str] | None = None
    """The health check an ARC Region switch plan created for this region (it sets its state when it runs). When
    given, the record's health check is a CALCULATED one, healthy only while the alarm's check and the plan's check
    both are: the alarm still fails over on its own, and the plan moves traffic when it runs. Default: None."""

    def __post_init__(self) -> None:
        error = dns_name_error(self.record_name)
        if error:
            raise InvalidArgumentError(f"record_name: '{self.record_name}' {error}")
        if self.role not in FAILOVER_ROLES:
            raise InvalidArgumentError(f"role: '{self.role}' is not one of {', '.join(FAILOVER_ROLES)}")
        if not _REGION.match(self.alarm_region):
            raise InvalidArgumentError(f"alarm_region: '{self.alarm_region}' is not an AWS region (e.g. us-east-1)")
        if len(self.set_identifier) > _SET_IDENTIFIER_LIMIT:
            raise InvalidArgumentError(
                f"set_identifier: {len(self.set_identifier)} characters, more than {_SET_IDENTIFIER_LIMIT}"
            )


class FailoverRecord(pulumi.ComponentResource):
    """A CLOUDWATCH_METRIC health check and a failover alias A record to the region's ALB."""

    health_check_id: pulumi.Output[str]
    """Route 53 health check of this side (ops inverts the PRIMARY one for a drill)."""
    fqdn: pulumi.Output[str]
    """The name the record answers for."""

    def __init__(self, name: str, args: FailoverRecordArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:dns:FailoverRecord", name, None, opts)
        set_identifier = args.set_identifier or name
        if len(set_identifier) > _SET_IDENTIFIER_LIMIT:
            raise InvalidArgumentError(
                f"set_identifier: the default (the component name '{name}') is longer than {_SET_IDENTIFIER_LIMIT} "
                "characters; pass a shorter set_identifier"
            )
        child = pulumi.ResourceOptions(parent=self)
        # Route 53 is a global service: these resources go to the Route 53 API whatever the provider's region
        # (the endpoint is route53.amazonaws.com, in us-east-1); the alarm is named by name and region.
        health_check = aws.route53.HealthCheck(
            f"{name}-health",
            type="CLOUDWATCH_METRIC",
            cloudwatch_alarm_name=args.alarm_name,
            cloudwatch_alarm_region=args.alarm_region,
            insufficient_data_health_status="Unhealthy",
            tags={"Name": f"{name} {args.role.lower()} {args.record_name}", "failover-role": args.role},
            # Inversion belongs to operations (drills, manual failover: UpdateHealthCheck Inverted); created
            # not inverted, never reset by a deploy.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["invertHealthcheck"]),
        )
        record_check = health_check
        if args.switch_health_check_id is not None:
            # CALCULATED: healthy when at least child_health_threshold children are (Route 53 API Reference,
            # HealthCheckConfig HealthThreshold/ChildHealthChecks); 2 of 2 = both. Route 53 health checks and their
            # status are data-plane functions: this check keeps answering without the us-east-1 control plane.
            record_check = aws.route53.HealthCheck(
                f"{name}-health-switch",
                type="CALCULATED",
                child_healthchecks=[health_check.id, args.switch_health_check_id],
                child_health_threshold=2,
                tags={
                    "Name": f"{name} {args.role.lower()} {args.record_name} + Region switch",
                    "failover-role": args.role,
                },
                opts=child,
            )
        record = aws.route53.Record(
            f"{name}-record",
            zone_id=args.zone_id,
            name=args.record_name,
            type="A",
            set_identifier=set_identifier,
            failover_routing_policies=[aws.route53.RecordFailoverRoutingPolicyArgs(type=args.role)],
            health_check_id=record_check.id,
            aliases=[
                aws.route53.RecordAliasArgs(
                    name=args.alb_dns_name, zone_id=args.alb_zone_id, evaluate_target_health=True
                )
            ],
            # Never take over a record another stack or person created under the same name and identifier.
            allow_overwrite=False,
            opts=child,
        )
        self.health_check_id = health_check.id
        self.fqdn = record.fqdn
        self.register_outputs({"health_check_id": self.health_check_id, "fqdn": self.fqdn})
