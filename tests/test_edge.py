"""The edge in both stacks: HTTPS-only ALB (no port 80), immutable access logs, WAF rules, logging, alarms."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.edge import COUNTED_RULES, MANAGED_RULE_GROUPS, EdgeArgs, Route
from components.errors import InvalidArgumentError
from offline.engine import OfflineRun
from tests.helpers import key_arn, one

ALB = "aws:lb/loadBalancer:LoadBalancer"


def _listener(run: OfflineRun, port: int) -> dict[str, Any]:
    (listener,) = [x.inputs for x in run.of_type("aws:lb/listener:Listener") if x.inputs["port"] == port]
    return listener


def test_internet_facing_alb_in_public_subnets_with_strict_parsing(stack_run: OfflineRun) -> None:
    alb = one(stack_run, ALB).inputs
    assert alb["internal"] is False and alb["loadBalancerType"] == "application"
    assert alb["subnets"] == stack_run.outputs["publicSubnetIds"]
    assert alb["dropInvalidHeaderFields"] is True
    assert alb["desyncMitigationMode"] == "strictest"
    assert alb["enableDeletionProtection"] is (stack_run.stack == "prod")


def test_https_listener_uses_tls13_policy_and_the_configured_certificate(stack_run: OfflineRun) -> None:
    https = _listener(stack_run, 443)
    assert https["protocol"] == "HTTPS"
    assert https["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert https["certificateArn"] == stack_run.config["fintech-platform:certificateArn"]
    (default,) = https["defaultActions"]
    assert default["type"] == "fixed-response" and default["fixedResponse"]["statusCode"] == "404"


def test_the_alb_listens_on_443_only(stack_run: OfflineRun) -> None:
    listeners = [x.inputs for x in stack_run.of_type("aws:lb/listener:Listener")]
    assert [(x["port"], x["protocol"]) for x in listeners] == [(443, "HTTPS")]


def test_validator_and_payments_are_public_and_the_ledger_is_not(stack_run: OfflineRun) -> None:
    groups = {g.inputs["tags"]["workload"]: g for g in stack_run.of_type("aws:lb/targetGroup:TargetGroup")}
    assert set(groups) == {"validator", "payments"}
    for group in groups.values():
        assert (group.inputs["targetType"], group.inputs["protocol"], group.inputs["port"]) == ("ip", "HTTPS", 8443)
        assert group.inputs["healthCheck"]["path"] == "/healthz/ready"
        assert group.inputs["healthCheck"]["protocol"] == "HTTPS"
    forwards = {r.inputs["actions"][0]["targetGroupArn"] for r in stack_run.of_type("aws:lb/listenerRule:ListenerRule")}
    assert forwards == {g.outputs["arn"] for g in groups.values()}


def test_alb_security_group_admits_443_only_and_sends_only_to_pods(stack_run: OfflineRun) -> None:
    group = one(stack_run, "aws:ec2/securityGroup:SecurityGroup", "-alb")
    ingress = [r.inputs for r in stack_run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
               if r.inputs["securityGroupId"] == group.id]  # fmt: skip
    assert sorted((r["fromPort"], r["toPort"], r["cidrIpv4"]) for r in ingress) == [(443, 443, "0.0.0.0/0")]
    assert "HTTP (redirect)" not in group.inputs["description"]
    egress = [r.inputs for r in stack_run.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
              if r.inputs["securityGroupId"] == group.id]  # fmt: skip
    assert egress == [{**egress[0], "referencedSecurityGroupId": stack_run.outputs["eksClusterSecurityGroupId"],
                       "fromPort": 8443, "toPort": 8443}]  # fmt: skip
    from_alb = [r.inputs for r in stack_run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
                if r.inputs.get("referencedSecurityGroupId") == group.id]  # fmt: skip
    assert [(r["securityGroupId"], r["fromPort"], r["toPort"]) for r in from_alb] == [
        (stack_run.outputs["eksClusterSecurityGroupId"], 8443, 8443)
    ]


def test_access_logs_bucket_is_private_tls_only_immutable_and_expires(stack_run: OfflineRun) -> None:
    alb = one(stack_run, ALB)
    bucket = one(stack_run, "aws:s3/bucket:Bucket", "-alb-logs")
    assert alb.inputs["accessLogs"]["enabled"] is True
    assert alb.inputs["accessLogs"]["bucket"] == bucket.outputs["bucket"]
    assert bucket.inputs["tags"] == {"log-source": "alb"}  # forceDestroy per tier: see the destroy test below

    def of_bucket(type_token: str) -> dict[str, Any]:
        (found,) = [r.inputs for r in stack_run.of_type(type_token) if r.inputs["bucket"] == bucket.id]
        return found

    block = of_bucket("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                          "restrictPublicBuckets"))  # fmt: skip
    ownership = of_bucket("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    sse = of_bucket("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert sse["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"
    assert of_bucket("aws:s3/bucketVersioning:BucketVersioning")["versioningConfiguration"] == {"status": "Enabled"}
    lock = of_bucket("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")
    assert lock["objectLockEnabled"] == "Enabled"
    expected = {"dev": {"mode": "GOVERNANCE", "days": 1}, "prod": {"mode": "COMPLIANCE", "days": 365}}
    assert lock["rule"]["defaultRetention"] == expected[stack_run.stack]
    (rule,) = of_bucket("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")["rules"]
    assert rule["expiration"]["days"] == {"dev": 30, "prod": 365}[stack_run.stack]
    assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
    assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 1}
    statements = {s["Sid"]: s for s in json.loads(of_bucket("aws:s3/bucketPolicy:BucketPolicy")["policy"])["Statement"]}
    assert statements["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    delivery = statements["ElbLogDelivery"]
    assert delivery["Action"] == "s3:PutObject"
    assert delivery["Principal"]["AWS"] == "arn:aws:iam::127311923021:root"
    account = key_arn(stack_run, "logs").split(":")[4]
    assert delivery["Resource"].endswith(f"/alb/AWSLogs/{account}/*")


def test_access_logs_start_after_the_bucket_policy_and_lock(stack_run: OfflineRun) -> None:
    """ELB checks its write access when logging is switched on ("Access Denied for bucket")."""
    alb = one(stack_run, ALB)
    policy = one(stack_run, "aws:s3/bucketPolicy:BucketPolicy", "-alb-logs")
    lock = one(stack_run, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "-alb-logs")
    assert {policy.urn, lock.urn} <= set(alb.dependencies)
    assert one(stack_run, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "-alb-logs").urn in (
        policy.dependencies
    )


def test_log_bucket_can_be_emptied_by_destroy_in_dev_and_is_protected_in_prod(stack_run: OfflineRun) -> None:
    bucket = one(stack_run, "aws:s3/bucket:Bucket", "-alb-logs")
    assert bucket.inputs["forceDestroy"] is (stack_run.stack == "dev")
    assert bucket.protect is (stack_run.stack == "prod")


def test_waf_has_the_managed_groups_rate_rule_metrics_and_association(stack_run: OfflineRun) -> None:
    acl = one(stack_run, "aws:wafv2/webAcl:WebAcl")
    rules = {r["name"]: r for r in acl.inputs["rules"]}
    assert set(rules) == {"rate-limit-per-ip", *(group for group, _ in MANAGED_RULE_GROUPS)}
    for group, _ in MANAGED_RULE_GROUPS:
        statement = rules[group]["statement"]["managedRuleGroupStatement"]
        assert (statement["name"], statement["vendorName"]) == (group, "AWS")
    rate = rules["rate-limit-per-ip"]
    assert rate["statement"]["rateBasedStatement"] == {"limit": 2000, "aggregateKeyType": "IP"}
    assert rate["action"] == {"block": {}}
    assert all(r["visibilityConfig"]["cloudwatchMetricsEnabled"] is True for r in rules.values())
    assert acl.inputs["scope"] == "REGIONAL"
    anonymous = rules["AWSManagedRulesAnonymousIpList"]
    assert anonymous["overrideAction"] == {"none": {}}
    overrides = anonymous["statement"]["managedRuleGroupStatement"]["ruleActionOverrides"]
    assert overrides == [{"name": "HostingProviderIPList", "actionToUse": {"count": {}}}]
    assert COUNTED_RULES == {"AWSManagedRulesAnonymousIpList": ("HostingProviderIPList",)}
    association = one(stack_run, "aws:wafv2/webAclAssociation:WebAclAssociation").inputs
    assert association["resourceArn"] == one(stack_run, ALB).outputs["arn"]
    assert association["webAclArn"] == acl.outputs["arn"]


def test_waf_logs_redact_credentials_into_an_encrypted_log_group(stack_run: OfflineRun) -> None:
    logging = one(stack_run, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration").inputs
    group = one(stack_run, "aws:cloudwatch/logGroup:LogGroup", "-waf-logs")
    assert group.inputs["name"].startswith("aws-waf-logs-")
    assert group.inputs["kmsKeyId"] == key_arn(stack_run, "logs")
    assert logging["logDestinationConfigs"] == [group.outputs["arn"]]
    redacted = {field["singleHeader"]["name"] for field in logging["redactedFields"]}
    assert redacted == {"authorization", "cookie"}


def test_edge_alarms(stack_run: OfflineRun) -> None:
    metrics = sorted(a.inputs["metricName"] for a in stack_run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
                     if a.inputs.get("namespace") in ("AWS/ApplicationELB", "AWS/WAFV2"))  # fmt: skip
    assert metrics == sorted(["HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count", "TargetResponseTime",
                              "BlockedRequests", "UnHealthyHostCount", "UnHealthyHostCount", "HealthyHostCount",
                              "HealthyHostCount"])  # fmt: skip
    p99 = one(stack_run, "aws:cloudwatch/metricAlarm:MetricAlarm", "-target-p99").inputs
    assert p99["extendedStatistic"] == "p99" and "statistic" not in p99


def test_each_public_workload_alarms_when_it_has_no_healthy_target(stack_run: OfflineRun) -> None:
    """The failover signal: a Route 53 CLOUDWATCH_METRIC health check watches it, so it must use a plain
    statistic (no percentile) and count missing data as down."""
    alb = one(stack_run, ALB).outputs["arnSuffix"]
    groups = {g.inputs["tags"]["workload"]: g.outputs["arnSuffix"]
              for g in stack_run.of_type("aws:lb/targetGroup:TargetGroup")}  # fmt: skip
    for workload, group in groups.items():
        alarm = one(stack_run, "aws:cloudwatch/metricAlarm:MetricAlarm", f"-{workload}-no-healthy-targets").inputs
        assert (alarm["namespace"], alarm["metricName"]) == ("AWS/ApplicationELB", "HealthyHostCount")
        assert alarm["dimensions"] == {"LoadBalancer": alb, "TargetGroup": group}
        assert (alarm["statistic"], alarm["comparisonOperator"], alarm["threshold"]) == (
            "Minimum",
            "LessThanThreshold",
            1,
        )
        assert (alarm["period"], alarm["evaluationPeriods"], alarm["treatMissingData"]) == (60, 2, "breaching")
        assert "extendedStatistic" not in alarm


CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0f3e8a52-6b1d-4c8e-9a7f-2d5b1c9e4a10"


def _args(**changes: Any) -> EdgeArgs:
    values: dict[str, Any] = {
        "vpc_id": "vpc", "public_subnet_ids": ["a", "b", "c"], "certificate_arn": CERT,
        "target_security_group_id": "sg", "account_id": "123456789012", "region": "us-east-1",
        "logs_kms_key_arn": "k", "routes": (Route("validator", ("/v/*",), 10),), **changes,
    }  # fmt: skip
    return EdgeArgs(**values)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"certificate_arn": ""}, "certificate_arn: '' is not an ACM certificate ARN"),
        ({"certificate_arn": CERT.replace("us-east-1", "eu-west-1")}, "the certificate is in eu-west-1"),
        ({"ssl_policy": "ELBSecurityPolicy-2016-08"}, "ssl_policy: 'ELBSecurityPolicy-2016-08' is not one of"),
        ({"routes": ()}, "routes: at least one workload"),
        ({"routes": (Route("a", ("/a",), 1), Route("b", ("/b",), 1))}, "routes: each priority must be unique"),
        ({"waf_rate_limit": 5}, "waf_rate_limit: 5 is below the WAF minimum"),
        ({"log_lock_days": 400}, "log_lock_days: 400 must be 1 to log_retention_days"),
        ({"log_lock_days": 0}, "log_lock_days: 0 must be 1 to"),
    ],
)
def test_bad_edge_arguments_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        _args(**changes)
