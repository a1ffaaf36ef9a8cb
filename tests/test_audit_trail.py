"""The account audit trail and threat detection in both stacks: the trail, its immutable bucket, its log group and
role, the CIS alarms, GuardDuty and the route of its findings; the organization-trail switch; their cost."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.audit_trail import AUDIT_EVENTS, AuditTrailArgs, organization_trail_problems
from components.errors import InvalidArgumentError
from components.log_bucket import LogBucketArgs
from components.threat_detection import ThreatDetectionArgs, detector_problems, finding_pattern
from offline.engine import OfflineRun, run_stack
from offline.plan import summarize
from pricing.model import price_plan
from tests.helpers import key_arn, one

NS = "fintech-platform"
TRAIL = "aws:cloudtrail/trail:Trail"
TRAIL_ARN = "arn:aws:cloudtrail:us-east-1:999988887777:trail/org-trail"


def _of_bucket(run: OfflineRun, type_token: str, bucket_id: str) -> dict[str, Any]:
    (found,) = [r.inputs for r in run.of_type(type_token) if r.inputs["bucket"] == bucket_id]
    return found


def test_trail_is_multi_region_validated_encrypted_and_sent_to_cloudwatch(stack_run: OfflineRun) -> None:
    trail = one(stack_run, TRAIL)
    inputs = trail.inputs
    assert inputs["name"] == f"fintech-{stack_run.stack}-audit"
    assert inputs["isMultiRegionTrail"] is True and inputs["includeGlobalServiceEvents"] is True
    assert inputs["enableLogFileValidation"] is True and inputs["enableLogging"] is True
    assert inputs["kmsKeyId"] == key_arn(stack_run, "logs")
    group = one(stack_run, "aws:cloudwatch/logGroup:LogGroup", "-trail")
    assert group.inputs["kmsKeyId"] == key_arn(stack_run, "logs")
    assert group.inputs["retentionInDays"] == {"dev": 30, "prod": 365}[stack_run.stack]
    assert inputs["cloudWatchLogsGroupArn"] == f"{group.outputs['arn']}:*"
    role = one(stack_run, "aws:iam/role:Role", "-trail-logs")
    assert inputs["cloudWatchLogsRoleArn"] == role.outputs["arn"]
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert trust["Condition"]["ArnLike"]["aws:SourceArn"].endswith(f":trail/fintech-{stack_run.stack}-audit")
    (delivery,) = json.loads(one(stack_run, "aws:iam/rolePolicy:RolePolicy", "-trail-logs").inputs["policy"])[
        "Statement"]  # fmt: skip
    assert set(delivery["Action"]) == {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert delivery["Resource"] == f"{group.outputs['arn']}:log-stream:*"


def test_trail_records_management_events_and_both_log_buckets_object_events(stack_run: OfflineRun) -> None:
    (selector,) = one(stack_run, TRAIL).inputs["eventSelectors"]
    assert selector["readWriteType"] == "All" and selector["includeManagementEvents"] is True
    (data,) = selector["dataResources"]
    trail_bucket = one(stack_run, "aws:s3/bucket:Bucket", "-trail-logs")
    alb_bucket = one(stack_run, "aws:s3/bucket:Bucket", "-alb-logs")
    config_bucket = one(stack_run, "aws:s3/bucket:Bucket", "-config-logs")
    assert data["type"] == "AWS::S3::Object"
    reports = [f"{b.outputs['arn']}/" for b in stack_run.of_type("aws:s3/bucket:Bucket")
               if b.name.endswith("-region-switch-reports")]  # the region pair's plan reports (issue 24)  # fmt: skip
    assert data["values"] == [f"{trail_bucket.outputs['arn']}/", f"{alb_bucket.outputs['arn']}/", *reports,
                              f"{config_bucket.outputs['arn']}/"]  # fmt: skip
    assert len(reports) == (1 if stack_run.stack == "prod" else 0)


def test_trail_bucket_is_immutable_kms_encrypted_and_admits_only_this_trail(stack_run: OfflineRun) -> None:
    bucket = one(stack_run, "aws:s3/bucket:Bucket", "-trail-logs")
    trail = one(stack_run, TRAIL)
    assert trail.inputs["s3BucketName"] == bucket.id
    assert bucket.inputs["forceDestroy"] is (stack_run.stack == "dev")
    sse_type = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    sse = _of_bucket(stack_run, sse_type, bucket.id)
    default = sse["rules"][0]["applyServerSideEncryptionByDefault"]
    assert default == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn(stack_run, "logs")}
    lock = _of_bucket(stack_run, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", bucket.id)
    expected = {"dev": {"mode": "GOVERNANCE", "days": 1}, "prod": {"mode": "COMPLIANCE", "days": 365}}
    assert lock["rule"]["defaultRetention"] == expected[stack_run.stack]
    versioning = _of_bucket(stack_run, "aws:s3/bucketVersioning:BucketVersioning", bucket.id)
    assert versioning["versioningConfiguration"] == {"status": "Enabled"}
    (rule,) = _of_bucket(stack_run, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                         bucket.id)["rules"]  # fmt: skip
    assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
    statements = {s["Sid"]: s for s in json.loads(_of_bucket(stack_run, "aws:s3/bucketPolicy:BucketPolicy",
                                                             bucket.id)["policy"])["Statement"]}  # fmt: skip
    account = key_arn(stack_run, "logs").split(":")[4]
    source = {"aws:SourceArn": f"arn:aws:cloudtrail:us-east-1:{account}:trail/fintech-{stack_run.stack}-audit"}
    assert statements["CloudTrailAclCheck"]["Condition"] == {"StringEquals": source}
    write = statements["CloudTrailWrite"]
    assert write["Resource"] == f"{bucket.outputs['arn']}/AWSLogs/{account}/*"
    assert write["Condition"] == {"StringEquals": {**source, "s3:x-amz-acl": "bucket-owner-full-control"}}
    assert statements["DenyInsecureTransport"]["Effect"] == "Deny"
    policy = next(r for r in stack_run.of_type("aws:s3/bucketPolicy:BucketPolicy") if r.inputs["bucket"] == bucket.id)
    assert policy.urn in trail.dependencies


def test_each_audit_event_has_a_filter_on_the_trail_log_group_and_an_alarm(stack_run: OfflineRun) -> None:
    group = one(stack_run, "aws:cloudwatch/logGroup:LogGroup", "-trail")
    filters = {f.inputs["metricTransformation"]["name"]: f.inputs
               for f in stack_run.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")}  # fmt: skip
    assert set(filters) == {event.metric for event in AUDIT_EVENTS}
    topic = one(stack_run, "aws:sns/topic:Topic", "-alarms").outputs["arn"]
    for event in AUDIT_EVENTS:
        assert filters[event.metric]["logGroupName"] == group.outputs["name"]
        assert filters[event.metric]["pattern"] == event.pattern
        alarm = one(stack_run, "aws:cloudwatch/metricAlarm:MetricAlarm", f"-{event.metric}").inputs
        assert (alarm["namespace"], alarm["metricName"], alarm["threshold"]) == ("fintech/AuditTrail", event.metric, 1)
        assert alarm["alarmActions"] == [topic] and alarm["treatMissingData"] == "notBreaching"
    assert '$.userIdentity.type = "Root"' in filters["RootAccountUsage"]["pattern"]
    assert "ScheduleKeyDeletion" in filters["KmsKeyDisabledOrDeleted"]["pattern"]
    assert "PutKeyPolicy" in filters["KmsKeyPolicyChanges"]["pattern"]
    assert "StopLogging" in filters["CloudTrailChanges"]["pattern"]


def test_guardduty_in_prod_with_eks_protection_and_findings_to_the_alarm_topic(prod_run: OfflineRun) -> None:
    detector = one(prod_run, "aws:guardduty/detector:Detector")
    assert detector.inputs["enable"] is True and detector.inputs["findingPublishingFrequency"] == "FIFTEEN_MINUTES"
    features = {f.inputs["name"]: f.inputs for f in prod_run.of_type("aws:guardduty/detectorFeature:DetectorFeature")}
    assert set(features) == {"EKS_AUDIT_LOGS", "RUNTIME_MONITORING"}
    assert all(f["status"] == "ENABLED" and f["detectorId"] == detector.id for f in features.values())
    assert features["RUNTIME_MONITORING"]["additionalConfigurations"] == [
        {"name": "EKS_ADDON_MANAGEMENT", "status": "ENABLED"}]  # fmt: skip
    rule = one(prod_run, "aws:cloudwatch/eventRule:EventRule", "-guardduty-findings")
    assert json.loads(rule.inputs["eventPattern"]) == finding_pattern(4.0)
    target = one(prod_run, "aws:cloudwatch/eventTarget:EventTarget", "-guardduty-findings").inputs
    topic = one(prod_run, "aws:sns/topic:Topic", "-alarms")
    assert target["arn"] == topic.outputs["arn"] and target["rule"] == rule.outputs["name"]
    assert prod_run.outputs["guardDutyDetectorId"] == detector.id


def test_dev_has_no_guardduty_unless_turned_on(dev_run: OfflineRun) -> None:
    assert dev_run.of_type("aws:guardduty/detector:Detector") == []
    run = run_stack("dev", {f"{NS}:guardDuty": "true"})
    assert run.error is None
    assert len(run.of_type("aws:guardduty/detector:Detector")) == 1


def test_the_alarm_topic_admits_eventbridge_rules_of_this_account_only(stack_run: OfflineRun) -> None:
    statements = {s["Sid"]: s for s in json.loads(one(stack_run, "aws:sns/topicPolicy:TopicPolicy").inputs["policy"])[
        "Statement"]}  # fmt: skip
    events = statements["EventBridgeRulesOfThisAccount"]
    account = key_arn(stack_run, "alerts").split(":")[4]
    assert events["Principal"] == {"Service": "events.amazonaws.com"} and events["Action"] == "sns:Publish"
    rules = f"arn:aws:events:*:{account}:rule/fintech-{stack_run.stack}-*"  # this stack's rules only (issue 19)
    assert events["Condition"] == {"StringEquals": {"aws:SourceAccount": account}, "ArnLike": {"aws:SourceArn": rules}}
    names = [r.outputs["name"] for r in stack_run.of_type("aws:cloudwatch/eventRule:EventRule")]
    assert names and all(name.startswith(f"fintech-{stack_run.stack}-") for name in names)


def test_an_organization_trail_replaces_the_stack_trail() -> None:
    run = run_stack("dev", {f"{NS}:organizationTrail": TRAIL_ARN})
    assert run.error is None
    assert run.of_type(TRAIL) == [] and run.of_type("aws:cloudwatch/logMetricFilter:LogMetricFilter") == []
    assert [b.name for b in run.of_type("aws:s3/bucket:Bucket")] == ["fintech-dev-alb-logs", "fintech-dev-config-logs"]
    assert run.outputs["auditTrailArn"] == TRAIL_ARN


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"organizationTrail": "org-trail"}, "organizationTrail = 'org-trail': must be a CloudTrail trail ARN"),
        ({"logLockDays": "60"}, "logLockDays = 60 must be 1 to fintech-platform:logRetentionDays = 30"),
        ({"logLockDays": "0"}, "logLockDays = 0 must be 1 to"),
        ({"logLockMode": "LEGAL_HOLD"}, "logLockMode = 'LEGAL_HOLD'"),
        ({"auditTrail": "false"}, "auditTrail: not a setting: the account audit trail"),
    ],
)
def test_bad_audit_config_is_refused_before_anything_is_registered(values: dict[str, str], fragment: str) -> None:
    run = run_stack("dev", {f"{NS}:{key}": value for key, value in values.items()})
    assert run.error is not None and fragment in run.error, run.error
    assert run.of_type(TRAIL) == []


def test_organization_trail_problems_name_what_preflight_must_find() -> None:
    good = {"IsOrganizationTrail": True, "IsMultiRegionTrail": True, "HomeRegion": "us-east-1",
            "LogFileValidationEnabled": True, "KmsKeyId": "arn:aws:kms:us-east-1:9:key/1"}  # fmt: skip
    assert organization_trail_problems(good, {"IsLogging": True}, "eu-west-1") == []
    assert organization_trail_problems(None, None, "us-east-1") == [
        "the organization trail does not exist or this account cannot see it"]  # fmt: skip
    bad = {**good, "IsOrganizationTrail": False, "IsMultiRegionTrail": False, "LogFileValidationEnabled": False,
           "KmsKeyId": None}  # fmt: skip
    problems = organization_trail_problems(bad, {"IsLogging": False}, "eu-west-1")
    assert problems == ["the trail is not an organization trail",
                        "the trail does not log eu-west-1 (single-region trail in us-east-1)",
                        "log file validation is off", "log files are not encrypted with a KMS key",
                        "the trail is not logging"]  # fmt: skip
    single_home = {**good, "IsMultiRegionTrail": False}
    assert organization_trail_problems(single_home, {"IsLogging": True}, "us-east-1") == []


def test_detector_problems_name_what_preflight_must_find() -> None:
    assert detector_problems([], builds_detector=True, required=True) == []
    assert detector_problems(["own"], builds_detector=True, required=True, stack_detector_id="own") == []
    assert "already exists in this region and is not this stack's" in detector_problems(["org"], True, False)[0]
    assert detector_problems(["org"], builds_detector=False, required=True) == []
    assert detector_problems([], builds_detector=False, required=False) == []  # dev: GuardDuty is optional
    assert "no GuardDuty detector covers this region" in detector_problems([], False, required=True)[0]


def test_trail_and_guardduty_are_priced(stack_run: OfflineRun) -> None:
    report = price_plan(summarize(stack_run))
    items = {(line.component, line.item): line.baseline for line in report.lines}
    assert items[("audit_trail", "management events (first copy)")] == 0.0
    data_events = next(v for (c, i), v in items.items() if c == "audit_trail" and i.startswith("data events"))
    assert data_events > 0
    assert any(c == "audit_trail" and i.startswith("CloudWatch Logs ingestion") for c, i in items)
    assert ("audit_trail", "CloudTrail log storage") in items and ("edge", "access-log storage") in items
    guardduty = report.by_component().get("threat_detection")
    if stack_run.stack == "prod":
        # usage.yaml prod: 3 M events x 4.00 + 30 GB x 1.00 + 5 M audit events x 1.60 + 2 vCPU x 1.50 per node,
        # 3 nodes at baseline and 12 at peak (4 per zone); 3 x 100k data events x 0.10; 5 GB x 0.50 of trail logs
        assert guardduty == (59.0, 86.0)
        assert data_events == pytest.approx(0.30)
        assert items[("audit_trail", "CloudWatch Logs ingestion (5 GB)")] == pytest.approx(2.50)
    else:
        assert guardduty is None
    assert report.unpriced == []


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: AuditTrailArgs("123", "us-east-1", "k", "t"), "account_id: '123'"),
        (
            lambda: AuditTrailArgs("123456789012", "us-east-1", "k", "t", retention_days=30, lock_days=60),
            "lock_days: 60 must be 1 to retention_days (30)",
        ),
        (
            lambda: AuditTrailArgs("123456789012", "us-east-1", "k", "t", force_destroy=True),
            "force_destroy: a COMPLIANCE-mode bucket cannot be emptied",
        ),
        (lambda: LogBucketArgs(30, "GOVERNANCE", 31, "alb"), "lock_days: 31 must be 1 to retention_days (30)"),
        (lambda: LogBucketArgs(0, "GOVERNANCE", 1, "alb"), "retention_days: 0 must be 1 or more"),
        (lambda: LogBucketArgs(30, "GOVERNANCE", 1, "a b"), "source: 'a b'"),
        (lambda: ThreatDetectionArgs("t", min_severity=11), "min_severity: 11"),
        (lambda: ThreatDetectionArgs("t", finding_frequency="DAILY"), "finding_frequency: 'DAILY'"),
    ],
)
def test_bad_component_arguments_are_refused(build: Any, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build()
