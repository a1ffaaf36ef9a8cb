"""The internet edge: an HTTPS-only ALB in the public subnets behind a WAFv2 web ACL.

The ALB listens on 443 only (an API has no client that needs a port-80 redirect), terminates TLS 1.3/1.2
with the ACM certificate, answers 404 by default and forwards path rules to one IP target group per
exposed workload (pods are registered by the AWS Load Balancer Controller through TargetGroupBindings),
over HTTPS to the pods' own certificates (components/cert_manager.py) with HTTPS health checks.
It may send only to the node/pod security group, on the target ports. Access logs go to an immutable
log bucket (components/log_bucket.py: versioned, Object Lock, private, TLS-only, expiring by retention);
ALB log delivery supports only SSE-S3 (AES-256) on that bucket ("The only server-side encryption option
that's supported is Amazon S3-managed keys (SSE-S3)", ELB User Guide, "Enable access logs for your
Application Load Balancer"), so this is the one store not encrypted with a customer-managed key.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import pulumi
import pulumi_aws as aws

from components.errors import InvalidArgumentError
from components.iam import policy_document
from components.log_bucket import LockMode, LogBucket, LogBucketArgs, immutable_log_bucket
from components.shared import AlarmSpec, autoname_base, create_alarms, encrypted_log_group

TLS13_POLICIES = (
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
)
"""Listener policies accepted: TLS 1.3, with TLS 1.2 at most as the floor."""
MANAGED_RULE_GROUPS = (
    ("AWSManagedRulesAmazonIpReputationList", 10),
    ("AWSManagedRulesCommonRuleSet", 20),
    ("AWSManagedRulesKnownBadInputsRuleSet", 30),
    ("AWSManagedRulesSQLiRuleSet", 40),
    ("AWSManagedRulesAnonymousIpList", 50),
)
"""AWS managed rule groups of the web ACL, with their priorities (the rate rule is priority 1)."""
COUNTED_RULES = {"AWSManagedRulesAnonymousIpList": ("HostingProviderIPList",)}
"""Rules of a managed group set to count, not block. HostingProviderIPList matches addresses of web hosting
and cloud providers, where the partners that call this API server-to-server run; AnonymousIPList (VPNs,
proxies, Tor exit nodes) keeps blocking (AWS WAF Developer Guide, "IP reputation rule groups", section
"Anonymous IP list managed rule group"; AWS re:Post "waf-allow-ip-using-reputation-anon-list" for scoping
them down per caller)."""
ELB_LOG_ACCOUNTS = {
    "us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980",
    "us-west-2": "797873946194", "eu-west-1": "156460612806", "eu-central-1": "054676820928",
}  # fmt: skip
"""Elastic Load Balancing log-delivery accounts of regions older than August 2022 (AWS documentation)."""
NO_HEALTHY_TARGETS = "-no-healthy-targets"
"""Suffix of the per-workload alarm that fires when a target group has no healthy target (region failover signal)."""
ELB_NAME_LIMIT = 32
"""Characters in a load balancer or target group name (Elastic Load Balancing API reference)."""
_CERTIFICATE_ARN = re.compile(
    r"^arn:aws[a-z-]*:acm:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):certificate/[0-9a-f-]{36}$"
)


@dataclass(frozen=True)
class Route:
    """A workload exposed through the ALB."""

    name: str
    """Workload name; names the target group."""
    path_patterns: tuple[str, ...]
    """ALB path patterns forwarded to it (at most 5)."""
    priority: int
    """Listener rule priority (1-50000, unique)."""
    port: int = 8443
    """Container port the pods serve HTTPS on. Default: 8443."""
    health_check_path: str = "/healthz/ready"
    """Readiness path the ALB checks. Default: /healthz/ready."""


@dataclass(frozen=True)
class EdgeArgs:
    """Arguments of Edge."""

    vpc_id: pulumi.Input[str]
    """VPC of the ALB. Required."""
    public_subnet_ids: Sequence[pulumi.Input[str]]
    """Public subnets (one per zone) for the ALB. Required."""
    certificate_arn: str
    """ACM certificate of the HTTPS listener, in the ALB's region. Required."""
    target_security_group_id: pulumi.Input[str]
    """Security group of the nodes/pods the ALB forwards to. Required."""
    account_id: str
    """Account of the ALB and its log bucket. Required."""
    region: str
    """Region of the ALB. Required."""
    logs_kms_key_arn: pulumi.Input[str]
    """Key of the WAF log group. Required."""
    routes: tuple[Route, ...]
    """Exposed workloads. Required (at least one)."""
    partition: str = "aws"
    """AWS partition for ARNs. Default: aws."""
    ingress_cidrs: tuple[str, ...] = ("0.0.0.0/0",)
    """Clients admitted on 443. Default: the whole internet."""
    ssl_policy: str = TLS13_POLICIES[0]
    """HTTPS listener policy, one of TLS13_POLICIES. Default: ELBSecurityPolicy-TLS13-1-2-2021-06."""
    waf_rate_limit: int = 2000
    """Requests per client IP per 5 minutes before WAF blocks it (10 or more). Default: 2000."""
    log_retention_days: int = 365
    """Days access logs (S3) and WAF logs (CloudWatch) are kept. Default: 365."""
    log_lock_mode: LockMode = "COMPLIANCE"
    """Object Lock mode of the access-log bucket (GOVERNANCE lets privileged principals delete).
    Default: COMPLIANCE."""
    log_lock_days: int = 365
    """Days each access-log object is locked (1 to log_retention_days). Default: 365."""
    deletion_protection: bool = True
    """ALB deletion protection. Default: True."""
    log_bucket_force_destroy: bool = False
    """Let `pulumi destroy` empty the access-log bucket (for stacks that are torn down); off, a bucket holding
    logs refuses deletion. Default: False."""
    protect: bool = False
    """Register the access-log bucket (audit evidence) with protect=True. Default: False."""
    alarm_topic_arn: pulumi.Input[str] | None = None
    """Topic the alarms notify; None creates no alarms. Default: None."""

    def __post_init__(self) -> None:
        match = _CERTIFICATE_ARN.match(self.certificate_arn)
        if not match:
            raise InvalidArgumentError(
                f"certificate_arn: '{self.certificate_arn}' is not an ACM certificate ARN "
                "(arn:aws:acm:<region>:<account>:certificate/<id>)"
            )
        if match["region"] != self.region:
            raise InvalidArgumentError(
                f"certificate_arn: the certificate is in {match['region']}; the ALB needs one in {self.region}"
            )
        if self.ssl_policy not in TLS13_POLICIES:
            raise InvalidArgumentError(f"ssl_policy: '{self.ssl_policy}' is not one of {', '.join(TLS13_POLICIES)}")
        if not self.routes:
            raise InvalidArgumentError("routes: at least one workload must be exposed")
        for label, values in (("name", [r.name for r in self.routes]), ("priority", [r.priority for r in self.routes])):
            if len(set(values)) != len(values):
                raise InvalidArgumentError(f"routes: each {label} must be unique, got {values}")
        for cidr in self.ingress_cidrs:
            try:
                ipaddress.ip_network(cidr, strict=True)
            except ValueError:
                raise InvalidArgumentError(f"ingress_cidrs: '{cidr}' is not a CIDR") from None
        if self.waf_rate_limit < 10:
            raise InvalidArgumentError(f"waf_rate_limit: {self.waf_rate_limit} is below the WAF minimum of 10")
        if not 1 <= self.log_lock_days <= self.log_retention_days:
            raise InvalidArgumentError(
                f"log_lock_days: {self.log_lock_days} must be 1 to log_retention_days ({self.log_retention_days})"
            )


class Edge(pulumi.ComponentResource):
    """ALB, listeners, target groups, access-log bucket, WAF web ACL with logging, and alarms."""

    alb_arn: pulumi.Output[str]
    dns_name: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    web_acl_arn: pulumi.Output[str]
    access_log_bucket_arn: pulumi.Output[str]
    """ARN of the access-log bucket (the audit trail records its object-level events)."""
    target_group_arns: dict[str, pulumi.Output[str]]
    """ARN of each exposed workload's target group, by workload name."""
    zone_id: pulumi.Output[str]
    """Canonical hosted zone of the ALB (the alias target zone of a Route 53 record pointing at it)."""
    no_healthy_targets_alarm_names: dict[str, pulumi.Output[str]]
    """Name of each workload's `<workload>-no-healthy-targets` alarm, by workload name (a Route 53 CloudWatch
    health check can watch it); empty when alarm_topic_arn is None (no alarms are created)."""

    def __init__(self, name: str, args: EdgeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:edge:Edge", name, None, opts)
        self._name = name
        self._child = pulumi.ResourceOptions(parent=self)
        security_group = self._security_group(args)
        logs = self._access_log_bucket(args)
        bucket = logs.bucket
        alb = aws.lb.LoadBalancer(
            f"{name}-alb",
            load_balancer_type="application",
            internal=False,
            subnets=list(args.public_subnet_ids),
            security_groups=[security_group.id],
            drop_invalid_header_fields=True,
            desync_mitigation_mode="strictest",
            enable_deletion_protection=args.deletion_protection,
            enable_http2=True,
            idle_timeout=60,
            access_logs=aws.lb.LoadBalancerAccessLogsArgs(bucket=bucket.bucket, prefix="alb", enabled=True),
            # ELB checks that it may write to the bucket when access logs are switched on and fails with
            # "Access Denied for bucket: <bucket>. Please check S3bucket permission" if the bucket policy is
            # not there yet ("Enable access logs for your Application Load Balancer", troubleshooting,
            # https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html;
            # aws-cdk#1633 orders the same). Nothing in the ALB's inputs references the policy, so Pulumi
            # would create both at once: wait for the policy and the lock configuration explicitly.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[bucket, logs.policy, logs.lock]),
        )
        https = self._listener(alb, args)
        self.target_group_arns = {}
        target_groups = {}
        target_group_names = {
            route.name: autoname_base(name, route.name, ELB_NAME_LIMIT, "routes") for route in args.routes
        }
        if len(set(target_group_names.values())) != len(target_group_names):
            raise InvalidArgumentError(
                f"routes: the target group names {sorted(target_group_names.values())} collide once cut to the "
                f"{ELB_NAME_LIMIT}-character limit; use a shorter stack name or distinct route name starts"
            )
        for route in args.routes:
            # Auto-named (replacements create the new group before deleting the old one): the logical name
            # leaves room for the 8-character suffix within the 32 characters ELB allows.
            # TLS to the pod: the ALB re-encrypts to the pod's certificate from the in-cluster CA. "The load
            # balancer establishes TLS connections with the targets using certificates that you install on the
            # targets. The load balancer does not validate these certificates", so a private CA is enough (ELB
            # User Guide, "Target groups for your Application Load Balancers", routing configuration). Changing
            # `protocol` replaces the group (create-before-delete: it is auto-named; the listener rule, the
            # TargetGroupBinding and the controller's policy follow the new ARN in the same update).
            group = aws.lb.TargetGroup(
                target_group_names[route.name],
                target_type="ip",
                protocol="HTTPS",
                port=route.port,
                vpc_id=args.vpc_id,
                deregistration_delay=30,
                health_check=aws.lb.TargetGroupHealthCheckArgs(
                    enabled=True, protocol="HTTPS", path=route.health_check_path, matcher="200",
                    interval=15, healthy_threshold=2, unhealthy_threshold=3, timeout=5,
                ),
                tags={"workload": route.name},
                opts=self._child,
            )  # fmt: skip
            aws.lb.ListenerRule(
                f"{name}-{route.name}",
                listener_arn=https.arn,
                priority=route.priority,
                conditions=[
                    aws.lb.ListenerRuleConditionArgs(
                        path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(values=list(route.path_patterns))
                    )
                ],
                actions=[aws.lb.ListenerRuleActionArgs(type="forward", target_group_arn=group.arn)],
                opts=self._child,
            )
            self.target_group_arns[route.name] = group.arn
            target_groups[route.name] = group
        web_acl = self._web_acl(alb, args)
        specs = _alarms(name, alb, target_groups, args)
        alarms = create_alarms(name, specs, args.alarm_topic_arn, parent=self)
        self.no_healthy_targets_alarm_names = {
            spec.suffix.removesuffix(NO_HEALTHY_TARGETS): alarm.name
            for spec, alarm in zip(specs, alarms, strict=False)
            if spec.suffix.endswith(NO_HEALTHY_TARGETS)
        }
        self.alb_arn = alb.arn
        self.dns_name = alb.dns_name
        self.zone_id = alb.zone_id
        self.security_group_id = security_group.id
        self.web_acl_arn = web_acl.arn
        self.access_log_bucket_arn = bucket.arn
        self.register_outputs(
            {
                "alb_arn": self.alb_arn,
                "dns_name": self.dns_name,
                "zone_id": self.zone_id,
                "web_acl_arn": self.web_acl_arn,
            }
        )

    def _security_group(self, args: EdgeArgs) -> aws.ec2.SecurityGroup:
        group = aws.ec2.SecurityGroup(
            f"{self._name}-alb",
            vpc_id=args.vpc_id,
            # A new description replaces the group (create-before-delete: the ALB moves to the new group first).
            description=f"{self._name}: HTTPS from clients; to workload pods only",
            tags={"Name": f"{self._name}-alb"},
            opts=self._child,
        )
        port = 443
        for index, cidr in enumerate(args.ingress_cidrs):
            ipv6 = ":" in cidr
            aws.vpc.SecurityGroupIngressRule(
                f"{self._name}-alb-{port}-{index}", security_group_id=group.id, ip_protocol="tcp",
                from_port=port, to_port=port, description=f"clients on {port}", opts=self._child,
                cidr_ipv4=None if ipv6 else cidr, cidr_ipv6=cidr if ipv6 else None,
            )  # fmt: skip
        for port in sorted({route.port for route in args.routes}):
            aws.vpc.SecurityGroupEgressRule(
                f"{self._name}-alb-to-pods-{port}", security_group_id=group.id, ip_protocol="tcp",
                from_port=port, to_port=port, referenced_security_group_id=args.target_security_group_id,
                description=f"to workload pods on {port}", opts=self._child,
            )  # fmt: skip
            aws.vpc.SecurityGroupIngressRule(
                f"{self._name}-pods-from-alb-{port}", security_group_id=args.target_security_group_id,
                ip_protocol="tcp", from_port=port, to_port=port, referenced_security_group_id=group.id,
                description=f"from the ALB on {port}", opts=self._child,
            )  # fmt: skip
        return group

    def _access_log_bucket(self, args: EdgeArgs) -> LogBucket:
        return immutable_log_bucket(
            f"{self._name}-alb-logs",
            LogBucketArgs(
                retention_days=args.log_retention_days,
                lock_mode=args.log_lock_mode,
                lock_days=args.log_lock_days,
                source="alb",
                force_destroy=args.log_bucket_force_destroy,
                protect=args.protect,
            ),
            lambda arn: access_log_bucket_statements(arn, args),
            parent=self,
        )

    def _listener(self, alb: aws.lb.LoadBalancer, args: EdgeArgs) -> aws.lb.Listener:
        """The HTTPS listener; there is no port-80 listener (removing it from a running stack deletes it)."""
        return aws.lb.Listener(
            f"{self._name}-https",
            load_balancer_arn=alb.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=args.ssl_policy,
            certificate_arn=args.certificate_arn,
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="fixed-response",
                    fixed_response=aws.lb.ListenerDefaultActionFixedResponseArgs(
                        content_type="application/json", status_code="404", message_body='{"error":"not found"}'
                    ),
                )
            ],
            opts=self._child,
        )

    def _web_acl(self, alb: aws.lb.LoadBalancer, args: EdgeArgs) -> aws.wafv2.WebAcl:
        rules: list[Any] = [
            {
                "name": "rate-limit-per-ip",
                "priority": 1,
                "action": {"block": {}},
                "statement": {"rate_based_statement": {"limit": args.waf_rate_limit, "aggregate_key_type": "IP"}},
                "visibility_config": _visibility("rate-limit-per-ip"),
            }
        ]
        rules += [
            {
                "name": group,
                "priority": priority,
                "override_action": {"none": {}},
                "statement": {"managed_rule_group_statement": _managed_group(group)},
                "visibility_config": _visibility(group),
            }
            for group, priority in MANAGED_RULE_GROUPS
        ]
        web_acl = aws.wafv2.WebAcl(
            f"{self._name}-waf",
            name=web_acl_name(self._name),
            scope="REGIONAL",
            default_action=cast(Any, {"allow": {}}),
            rules=cast(Any, rules),
            visibility_config=cast(Any, _visibility(web_acl_name(self._name))),
            opts=self._child,
        )
        log_group = encrypted_log_group(
            f"{self._name}-waf-logs", f"aws-waf-logs-{self._name}", args.log_retention_days, args.logs_kms_key_arn, self
        )
        resource_policy = aws.cloudwatch.LogResourcePolicy(
            f"{self._name}-waf-logs",
            policy_name=f"{self._name}-waf-log-delivery",
            policy_document=log_group.arn.apply(lambda arn: _waf_log_delivery_policy(arn, args)),
            opts=self._child,
        )
        aws.wafv2.WebAclLoggingConfiguration(
            f"{self._name}-waf",
            resource_arn=web_acl.arn,
            log_destination_configs=[log_group.arn],
            redacted_fields=[
                {"single_header": {"name": "authorization"}},
                {"single_header": {"name": "cookie"}},
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[resource_policy]),
        )
        aws.wafv2.WebAclAssociation(
            f"{self._name}-waf", resource_arn=alb.arn, web_acl_arn=web_acl.arn, opts=self._child
        )
        return web_acl


def web_acl_name(name: str) -> str:
    """Name of the web ACL, also its CloudWatch metric name (the WebACL dimension of AWS/WAFV2 metrics)."""
    return f"{name}-waf"


def _managed_group(group: str) -> dict[str, Any]:
    statement: dict[str, Any] = {"name": group, "vendor_name": "AWS"}
    counted = COUNTED_RULES.get(group, ())
    if counted:
        statement["rule_action_overrides"] = [{"name": rule, "action_to_use": {"count": {}}} for rule in counted]
    return statement


def _visibility(metric: str) -> dict[str, Any]:
    return {"cloudwatch_metrics_enabled": True, "sampled_requests_enabled": True, "metric_name": metric}


def access_log_bucket_statements(bucket_arn: str, args: EdgeArgs) -> list[dict[str, Any]]:
    """ELB log delivery may write under AWSLogs/<account>/ only (the TLS-only deny is added by the bucket)."""
    writers: dict[str, Any] = {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
    if args.region in ELB_LOG_ACCOUNTS:
        writers = {"AWS": f"arn:{args.partition}:iam::{ELB_LOG_ACCOUNTS[args.region]}:root", **writers}
    return [
        {
            "Sid": "ElbLogDelivery",
            "Effect": "Allow",
            "Principal": writers,
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/alb/AWSLogs/{args.account_id}/*",
        }
    ]


def _waf_log_delivery_policy(log_group_arn: str, args: EdgeArgs) -> str:
    return policy_document(
        {
            "Effect": "Allow",
            "Principal": {"Service": "delivery.logs.amazonaws.com"},
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{log_group_arn}:*",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": args.account_id},
                "ArnLike": {"aws:SourceArn": f"arn:{args.partition}:logs:{args.region}:{args.account_id}:*"},
            },
        }
    )


def _alarms(
    name: str, alb: aws.lb.LoadBalancer, target_groups: dict[str, aws.lb.TargetGroup], args: EdgeArgs
) -> list[AlarmSpec]:
    """ALB metrics carry LoadBalancer (the ARN suffix 'app/<name>/<id>'), and per target group also
    TargetGroup ('targetgroup/<name>/<id>'); UnHealthyHostCount and HealthyHostCount exist only per target group
    (LoadBalancer+TargetGroup, optionally AvailabilityZone). Source:
    "CloudWatch metrics for your Application Load Balancer", https://docs.aws.amazon.com/
    elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html. WAF publishes
    BlockedRequests per Region, Rule ('ALL' for the web ACL) and WebACL (its metric name): "Monitoring
    with Amazon CloudWatch", https://docs.aws.amazon.com/waf/latest/developerguide/waf-metrics.html."""
    lb = {"LoadBalancer": alb.arn_suffix}
    specs = [
        AlarmSpec("alb-5xx", "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", lb, "GreaterThanThreshold", 50,
                  "ALB answering 5xx itself (no healthy target, timeouts)", statistic="Sum", period_seconds=60,
                  evaluation_periods=5, treat_missing_data="notBreaching"),
        AlarmSpec("target-5xx", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", lb, "GreaterThanThreshold", 50,
                  "Workloads answering 5xx", statistic="Sum", period_seconds=60, evaluation_periods=5,
                  treat_missing_data="notBreaching"),
        AlarmSpec("target-p99", "AWS/ApplicationELB", "TargetResponseTime", lb, "GreaterThanThreshold", 1.0,
                  "p99 target response time above 1 s", statistic="p99", period_seconds=60, evaluation_periods=5),
        AlarmSpec("waf-blocked", "AWS/WAFV2", "BlockedRequests",
                  {"WebACL": web_acl_name(name), "Region": args.region, "Rule": "ALL"}, "GreaterThanThreshold", 1000,
                  "WAF blocking over 1000 requests in 5 minutes: an attack or a false positive", statistic="Sum",
                  evaluation_periods=1, treat_missing_data="notBreaching"),
    ]  # fmt: skip
    specs += [
        AlarmSpec(f"{workload}-unhealthy", "AWS/ApplicationELB", "UnHealthyHostCount",
                  {"LoadBalancer": alb.arn_suffix, "TargetGroup": group.arn_suffix}, "GreaterThanThreshold", 0,
                  f"{workload}: unhealthy targets behind the ALB", statistic="Maximum", period_seconds=60,
                  evaluation_periods=3)
        for workload, group in target_groups.items()
    ]  # fmt: skip
    # No healthy target at all for 2 minutes: the workload is down in this region. Minimum over each minute, so
    # one empty sample counts; missing data (the ALB or target group gone, metrics not published) is breaching.
    # A Route 53 CLOUDWATCH_METRIC health check can watch it: standard resolution, a plain statistic (Route 53
    # API Reference, AlarmIdentifier).
    specs += [
        AlarmSpec(f"{workload}{NO_HEALTHY_TARGETS}", "AWS/ApplicationELB", "HealthyHostCount",
                  {"LoadBalancer": alb.arn_suffix, "TargetGroup": group.arn_suffix}, "LessThanThreshold", 1,
                  f"{workload}: no healthy target behind the ALB (the region fails over to its standby)",
                  statistic="Minimum", period_seconds=60, evaluation_periods=2, treat_missing_data="breaching")
        for workload, group in target_groups.items()
    ]  # fmt: skip
    return specs
