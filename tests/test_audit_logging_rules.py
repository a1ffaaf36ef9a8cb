"""Cases of the audit-logging rules (policies/rules/audit_logging.py): each passes, fails explicitly and fails by
default; tests/test_policy_rules.py runs them with every other rule's cases. Here also: both resource shapes of
each setting are judged alike, and the rules see the program's own settings."""

from __future__ import annotations

import json
from typing import Any

import pytest

from offline.audit import evaluate
from offline.engine import OfflineRun
from policies.rules.audit_logging import RULES as AUDIT_RULES
from policies.rules.base import ResourceView
from tests.helpers import view as _r

RULES = {rule.name: rule for rule in AUDIT_RULES}
KEY = "arn:aws:kms:us-east-1:111122223333:key/1234"
TRAIL_TYPE = "aws:cloudtrail/trail:Trail"
TRAIL_OK = {"isMultiRegionTrail": True, "includeGlobalServiceEvents": True, "enableLogging": True,
            "enableLogFileValidation": True, "kmsKeyId": KEY, "cloudWatchLogsGroupArn": "arn:logs:g:*",
            "cloudWatchLogsRoleArn": "arn:iam:role/r",
            "eventSelectors": [{"readWriteType": "All", "includeManagementEvents": True}]}  # fmt: skip
ANON = "AWSManagedRulesAnonymousIpList"


def _acl(overrides: list[dict[str, Any]], override_action: dict[str, Any] | None = None) -> dict[str, Any]:
    statement = {"managedRuleGroupStatement": {"name": ANON, "ruleActionOverrides": overrides}}
    return {"rules": [{"statement": statement, "overrideAction": override_action or {"none": {}}}]}


RESOURCE_CASES: dict[str, tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    "cloudtrail-multi-region": (TRAIL_TYPE, TRAIL_OK, {**TRAIL_OK, "isMultiRegionTrail": False}, {}),
    "cloudtrail-log-file-validation": (TRAIL_TYPE, TRAIL_OK, {**TRAIL_OK, "enableLogFileValidation": False}, {}),
    "cloudtrail-cmk": (TRAIL_TYPE, TRAIL_OK, {**TRAIL_OK, "kmsKeyId": "alias/aws/cloudtrail"}, {}),
    "cloudtrail-cloudwatch-logs": (TRAIL_TYPE, TRAIL_OK, {**TRAIL_OK, "cloudWatchLogsRoleArn": ""}, {}),
    "guardduty-detector-enabled": ("aws:guardduty/detector:Detector", {"enable": True}, {"enable": False}, {}),
    "alb-https-only-listeners": ("aws:lb/listener:Listener", {"protocol": "HTTPS", "port": 443},
                                 {"protocol": "HTTP", "port": 80}, {"port": 80}),
    "waf-anonymous-ip": ("aws:wafv2/webAcl:WebAcl",
                         _acl([{"name": "HostingProviderIPList", "actionToUse": {"count": {}}}]),
                         _acl([{"name": "AnonymousIPList", "actionToUse": {"count": {}}}]), {}),
}  # fmt: skip


STACK = _r("pulumi:pulumi:Stack", "s")
BUCKET = _r("aws:s3/bucket:Bucket", "logs", {"tags": {"log-source": "alb"}})
ON_BUCKET = {"bucket": [BUCKET.urn]}
GROUP = _r("aws:cloudwatch/logGroup:LogGroup", "trail")


def _trail(**changes: Any) -> ResourceView:
    props = {**TRAIL_OK, "eventSelectors": [{"readWriteType": "All", "includeManagementEvents": True, "dataResources": [
        {"type": "AWS::S3::Object", "values": ["arn:aws:s3:::logs/"]}]}], **changes}  # fmt: skip
    return _r(TRAIL_TYPE, "trail", props, {"eventSelectors": [BUCKET.urn], "cloudWatchLogsGroupArn": [GROUP.urn]})


def _lock(mode: str, days: int) -> ResourceView:
    return _r(
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        "l",
        {"objectLockEnabled": "Enabled", "rule": {"defaultRetention": {"mode": mode, "days": days}}},
        ON_BUCKET,
    )


def _lifecycle(expire: int, abort: int | None) -> ResourceView:
    rule: dict[str, Any] = {"status": "Enabled", "expiration": {"days": expire}}
    if abort is not None:
        rule["abortIncompleteMultipartUpload"] = {"daysAfterInitiation": abort}
    return _r("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "lc", {"rules": [rule]}, ON_BUCKET)


def _policy(deny_tls: bool) -> ResourceView:
    statements = [{"Effect": "Allow", "Principal": {"Service": "x"}, "Action": "s3:PutObject", "Resource": "*"}]
    if deny_tls:
        statements.append({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                           "Condition": {"Bool": {"aws:SecureTransport": "false"}}})  # fmt: skip
    return _r("aws:s3/bucketPolicy:BucketPolicy", "p", {"policy": json.dumps({"Statement": statements})}, ON_BUCKET)


def _filters(*words: str) -> list[ResourceView]:
    views = []
    for word in words:
        metric = {"name": word, "namespace": "audit"}
        views += [_r("aws:cloudwatch/logMetricFilter:LogMetricFilter", word,
                     {"pattern": f"{{ $.eventName = {word} }}", "metricTransformation": metric},
                     {"logGroupName": [GROUP.urn]}),
                  _r("aws:cloudwatch/metricAlarm:MetricAlarm", word,
                     {"namespace": "audit", "metricName": word, "alarmActions": ["arn:sns"], "threshold": 1,
                      "comparisonOperator": "GreaterThanOrEqualToThreshold"})]  # fmt: skip
    return views


ALL_WORDS = ("Root", "PutRolePolicy", "StopLogging", "ScheduleKeyDeletion", "PutKeyPolicy")
DETECTOR = _r("aws:guardduty/detector:Detector", "d", {"enable": True})


def _feature(name: str, status: str = "ENABLED", addon: str = "ENABLED") -> ResourceView:
    props: dict[str, Any] = {"name": name, "status": status}
    if name == "RUNTIME_MONITORING":
        props["additionalConfigurations"] = [{"name": "EKS_ADDON_MANAGEMENT", "status": addon}]
    return _r("aws:guardduty/detectorFeature:DetectorFeature", name, props, {"detectorId": [DETECTOR.urn]})


def _finding_rule(severity: float, targeted: bool = True) -> list[ResourceView]:
    pattern = {"source": ["aws.guardduty"], "detail": {"severity": [{"numeric": [">=", severity]}]}}
    rule = _r("aws:cloudwatch/eventRule:EventRule", "findings", {"eventPattern": json.dumps(pattern)})
    target = _r(
        "aws:cloudwatch/eventTarget:EventTarget",
        "t",
        {"arn": "arn:sns"},
        {"rule": [rule.urn if targeted else "urn:other"]},
    )
    return [rule, target]


STACK_CASES: dict[str, tuple[list[ResourceView], list[ResourceView], list[ResourceView]]] = {
    "account-audit-trail": ([STACK, _trail()], [STACK, _trail(isMultiRegionTrail=False)], [STACK]),
    "log-bucket-data-events": ([BUCKET, _trail()], [BUCKET, _trail(eventSelectors=[{"readWriteType": "WriteOnly",
                               "dataResources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3:::logs/"]}]}])],
                               [BUCKET]),
    "audit-event-alarms": ([GROUP, _trail(), *_filters(*ALL_WORDS)], [GROUP, _trail(), *_filters(*ALL_WORDS[1:])],
                           [GROUP, _trail()]),
    "log-bucket-versioning": (
        [BUCKET, _r("aws:s3/bucketVersioning:BucketVersioning", "v", {"versioningConfiguration": {"status": "Enabled"}},
                    ON_BUCKET)],
        [BUCKET, _r("aws:s3/bucketVersioning:BucketVersioning", "v",
                    {"versioningConfiguration": {"status": "Suspended"}}, ON_BUCKET)], [BUCKET]),
    "log-bucket-object-lock": ([BUCKET, _lock("COMPLIANCE", 365)], [BUCKET, _lock("GOVERNANCE", 365)], [BUCKET]),
    "log-bucket-lifecycle": ([BUCKET, _lifecycle(365, 7)], [BUCKET, _lifecycle(365, None)], [BUCKET]),
    "log-bucket-tls-only": ([BUCKET, _policy(True)], [BUCKET, _policy(False)], [BUCKET]),
    "guardduty-required": ([STACK, DETECTOR], [STACK, _r("aws:guardduty/detectorFeature:DetectorFeature", "f")],
                           [STACK]),
    "guardduty-eks-protection": (
        [DETECTOR, _feature("EKS_AUDIT_LOGS"), _feature("RUNTIME_MONITORING")],
        [DETECTOR, _feature("EKS_AUDIT_LOGS"), _feature("RUNTIME_MONITORING", addon="DISABLED")], [DETECTOR]),
    "guardduty-findings-routed": ([DETECTOR, *_finding_rule(4)], [DETECTOR, *_finding_rule(7)], [DETECTOR]),
}  # fmt: skip


def test_lock_relaxation_and_shapes() -> None:
    rule = RULES["log-bucket-object-lock"]
    dev = {"allowedModes": ["GOVERNANCE", "COMPLIANCE"], "minDays": 1}
    assert rule.evaluate_stack([BUCKET, _lock("GOVERNANCE", 1)], dev) == []
    assert rule.evaluate_stack([BUCKET, _lock("COMPLIANCE", 30)], {})  # too short for prod
    lock = {"objectLockEnabled": "Enabled", "rule": {"defaultRetention": {"mode": "COMPLIANCE", "years": 1}}}
    inline = _r("aws:s3/bucketV2:BucketV2", "inline", {"tags": {"log-source": "ct"}, "objectLockConfiguration": lock})
    assert rule.evaluate_stack([inline], {}) == []
    governance = {"objectLockEnabled": "Enabled", "rule": {"defaultRetention": {"mode": "GOVERNANCE", "days": 365}}}
    weak = _r("aws:s3/bucketV2:BucketV2", "w", {"tags": {"log-source": "x"}, "objectLockConfiguration": governance})
    assert rule.evaluate_stack([weak], {})


def test_inline_versioning_and_lifecycle_are_judged_like_the_separate_resources() -> None:
    inline = {"tags": {"log-source": "alb"}, "versioning": {"enabled": True},
              "lifecycleRules": [{"enabled": True, "abortIncompleteMultipartUploadDays": 7,
                                  "expirations": [{"days": 365}]}]}  # fmt: skip
    bucket = _r("aws:s3/bucket:Bucket", "inline", inline)
    assert RULES["log-bucket-versioning"].evaluate_stack([bucket], {}) == []
    assert RULES["log-bucket-lifecycle"].evaluate_stack([bucket], {}) == []
    suspended = _r("aws:s3/bucket:Bucket", "inline", {**inline, "versioning": {"enabled": False}})
    assert RULES["log-bucket-versioning"].evaluate_stack([suspended], {})
    short = _r("aws:s3/bucket:Bucket", "inline", {**inline, "lifecycleRules": [
        {"enabled": True, "abortIncompleteMultipartUploadDays": 7, "expirations": [{"days": 30}]}]})  # fmt: skip
    assert RULES["log-bucket-lifecycle"].evaluate_stack([short], {})
    assert RULES["log-bucket-lifecycle"].evaluate_stack([short], {"minRetentionDays": 30}) == []


def test_a_bucket_is_a_log_bucket_by_use_even_without_the_tag() -> None:
    untagged = _r("aws:s3/bucket:Bucket", "logs")
    alb = _r(
        "aws:lb/loadBalancer:LoadBalancer", "alb", {"accessLogs": {"enabled": True}}, {"accessLogs": [untagged.urn]}
    )
    assert RULES["log-bucket-versioning"].evaluate_stack([untagged, alb], {})
    assert RULES["log-bucket-versioning"].evaluate_stack([untagged], {}) == []  # not a log bucket


def test_advanced_event_selectors_count_as_data_events() -> None:
    advanced = [{"fieldSelectors": [{"field": "eventCategory", "equals": ["Data"]},
                                    {"field": "resources.type", "equals": ["AWS::S3::Object"]},
                                    {"field": "resources.ARN", "startsWith": ["arn:aws:s3:::logs/"]}]}]  # fmt: skip
    trail = _r(
        TRAIL_TYPE, "t", {**TRAIL_OK, "advancedEventSelectors": advanced}, {"advancedEventSelectors": [BUCKET.urn]}
    )
    assert RULES["log-bucket-data-events"].evaluate_stack([BUCKET, trail], {}) == []
    writes_only = [{"fieldSelectors": [*advanced[0]["fieldSelectors"], {"field": "readOnly", "equals": ["false"]}]}]
    trail = _r(
        TRAIL_TYPE, "t", {**TRAIL_OK, "advancedEventSelectors": writes_only}, {"advancedEventSelectors": [BUCKET.urn]}
    )
    assert RULES["log-bucket-data-events"].evaluate_stack([BUCKET, trail], {})


def test_organization_trail_stands_in_for_the_stack_trail() -> None:
    config = {"organizationTrail": True}
    assert RULES["account-audit-trail"].evaluate_stack([STACK], config) == []
    assert RULES["log-bucket-data-events"].evaluate_stack([BUCKET], config) == []


def test_legacy_datasources_and_the_older_runtime_feature_shape() -> None:
    legacy = _r("aws:guardduty/detector:Detector", "d", {"enable": True, "datasources": {
        "kubernetes": {"auditLogs": {"enable": True}}}})  # fmt: skip
    runtime = _r("aws:guardduty/detectorFeature:DetectorFeature", "rt", {
        "name": "EKS_RUNTIME_MONITORING", "status": "ENABLED",
        "additionalConfigurations": [{"name": "EKS_ADDON_MANAGEMENT", "status": "ENABLED"}]},
        {"detectorId": [legacy.urn]})  # fmt: skip
    assert RULES["guardduty-eks-protection"].evaluate_stack([legacy, runtime], {}) == []
    assert RULES["guardduty-eks-protection"].evaluate_stack([legacy], {})


def test_findings_must_reach_a_topic_that_admits_eventbridge() -> None:
    topic = _r("aws:sns/topic:Topic", "alarms")
    rule, _ = _finding_rule(4)
    target = _r(
        "aws:cloudwatch/eventTarget:EventTarget",
        "t",
        {"arn": "arn:sns:alarms"},
        {"rule": [rule.urn], "arn": [topic.urn]},
    )

    def topic_policy(principal: str) -> ResourceView:
        statement = {"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sns:Publish", "Resource": "*"}
        return _r(
            "aws:sns/topicPolicy:TopicPolicy",
            "p",
            {"policy": json.dumps({"Statement": [statement]})},
            {"arn": [topic.urn]},
        )

    routed = RULES["guardduty-findings-routed"]
    assert routed.evaluate_stack([DETECTOR, topic, rule, target, topic_policy("events.amazonaws.com")], {}) == []
    assert routed.evaluate_stack([DETECTOR, topic, rule, target, topic_policy("cloudwatch.amazonaws.com")], {})
    assert routed.evaluate_stack([DETECTOR, topic, rule, target], {})


def test_an_alarm_that_waits_for_many_events_does_not_count() -> None:
    views = _filters(*ALL_WORDS)
    lenient = [_r(v.type, v.name, {**v.props, "threshold": 100, "comparisonOperator": "GreaterThanThreshold"})
               if v.type.endswith("metricAlarm:MetricAlarm") and v.name == "Root" else v for v in views]  # fmt: skip
    assert RULES["audit-event-alarms"].evaluate_stack([GROUP, _trail(), *lenient], {})


def test_untargeted_finding_rules_do_not_count() -> None:
    assert RULES["guardduty-findings-routed"].evaluate_stack([DETECTOR, *_finding_rule(4, targeted=False)], {})


def test_both_listener_and_anonymous_ip_shapes() -> None:
    rule = RULES["alb-https-only-listeners"]
    assert rule.evaluate(_r("aws:alb/listener:Listener", "l", {"protocol": "HTTP", "port": 80}), {})
    assert rule.evaluate(_r("aws:alb/listener:Listener", "l", {"protocol": "HTTPS", "port": 443}), {}) == []
    whole_group_counted = _acl([], override_action={"count": {}})
    assert RULES["waf-anonymous-ip"].evaluate(_r("aws:wafv2/webAcl:WebAcl", "a", whole_group_counted), {})


@pytest.mark.parametrize(
    "weaken",
    [
        lambda r: r.inputs.update(isMultiRegionTrail=False) if r.type == TRAIL_TYPE else None,
        lambda r: r.inputs.update(enableLogFileValidation=False) if r.type == TRAIL_TYPE else None,
        lambda r: r.inputs.update(eventSelectors=[]) if r.type == TRAIL_TYPE else None,
        lambda r: (
            r.inputs["rule"]["defaultRetention"].update(mode="GOVERNANCE")
            if r.type.endswith("BucketObjectLockConfiguration")
            else None
        ),
        lambda r: (
            r.inputs["rules"][0].pop("abortIncompleteMultipartUpload")
            if r.type.endswith("BucketLifecycleConfiguration")
            else None
        ),
        lambda r: (
            r.inputs.update(versioningConfiguration={"status": "Suspended"})
            if r.type.endswith("BucketVersioning")
            else None
        ),
        lambda r: r.inputs.update(status="DISABLED") if r.type.endswith("DetectorFeature") else None,
        lambda r: r.inputs.update(protocol="HTTP") if r.type == "aws:lb/listener:Listener" else None,
        lambda r: r.inputs.update(threshold=10) if r.name.endswith("-RootAccountUsage") else None,
        lambda r: (
            r.inputs.update(policy=r.inputs["policy"].replace("events.amazonaws.com", "example.com"))
            if r.type == "aws:sns/topicPolicy:TopicPolicy"
            else None
        ),
    ],
)
def test_the_pack_fails_prod_when_a_setting_of_this_issue_is_weakened(prod_run: OfflineRun, weaken: Any) -> None:
    import copy

    run = copy.deepcopy(prod_run)
    for resource in run.resources:
        weaken(resource)
    results = evaluate(run, {})
    assert sum(1 for r in results if r.status == "fail" and r.name in RULES) >= 1
