"""Audit logging and threat detection: the account trail, log buckets that cannot be altered, GuardDuty, and
the edge settings that keep clients on TLS and anonymous networks out.

Two shapes are judged alike where a setting can be written two ways: a bucket's versioning, Object Lock and
lifecycle either inline on the bucket (deprecated arguments of aws.s3.Bucket/BucketV2) or as separate
resources (BucketVersioning, BucketObjectLockConfiguration, BucketLifecycleConfiguration and their V2
aliases); trail data events as basic event selectors or advanced event selectors; GuardDuty EKS audit logs
as a DetectorFeature or the detector's deprecated `datasources` block; listeners as aws:lb or aws:alb.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity

from policies.rules.base import ResourceView, Rule, is_list, of_type

AREA = "logging"
TRAIL = "aws:cloudtrail/trail:Trail"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
VERSIONING = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
OBJECT_LOCK = ("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
               "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2")  # fmt: skip
LIFECYCLE = ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
             "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2")  # fmt: skip
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
DETECTOR = "aws:guardduty/detector:Detector"
FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"
ALARM_EVENTS = {
    "root use": "Root",
    "IAM policy changes": "PutRolePolicy",
    "CloudTrail changes": "StopLogging",
    "KMS key disabling or deletion": "ScheduleKeyDeletion",
    "KMS key policy changes": "PutKeyPolicy",
}
"""Each alarmed event class, by a word its metric filter pattern must contain."""
ANONYMOUS_IP_GROUP = "AWSManagedRulesAnonymousIpList"
ANONYMOUS_IP_BLOCKING_RULE = "AnonymousIPList"


def _list(value: Any) -> list[Any]:
    if is_list(value):
        return list(value)
    return [value] if value else []


# --- the trail -------------------------------------------------------------------------------------------


MULTI_REGION_TRAIL_STACK = {
    "type": "string", "default": "", "pattern": "^([A-Za-z0-9_.-]+)?$",
    "description": "The stack of the same account whose multi-region trail records this stack's region (prod for "
                   "prod-dr); when set, this stack's own trail may record its region only, so that it keeps "
                   "recording when the other stack's region is lost. Default: '' (this stack's trail is multi-region).",
}  # fmt: skip
"""Shared by cloudtrail-multi-region and account-audit-trail: a standby in the same account as its primary."""


def _trail_coverage(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    if r.get("isMultiRegionTrail") is not True and not config["multiRegionTrailStack"]:
        yield "the trail records one region only; set isMultiRegionTrail=true"
    if r.get("includeGlobalServiceEvents", True) is not True:
        yield "the trail leaves out global service events (IAM, STS)"
    if r.get("enableLogging", True) is not True:
        yield "the trail is not logging"
    for selector in _list(r.get("eventSelectors")):
        if selector.get("includeManagementEvents", True) is not True or selector.get("readWriteType", "All") != "All":
            yield "an event selector drops management events or records only reads or only writes"


def _trail_validation(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if r.get("enableLogFileValidation") is not True:
        yield "log file validation is off: changes to delivered log files would go unnoticed"


def _trail_encrypted(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    key = r.get("kmsKeyId")
    if not isinstance(key, str) or not key or key.startswith("alias/aws/"):
        yield "log files are not encrypted with a customer-managed KMS key"


def _trail_cloudwatch(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if not r.get("cloudWatchLogsGroupArn") or not r.get("cloudWatchLogsRoleArn"):
        yield "events are not delivered to CloudWatch Logs, so no alarm can watch them"


def _account_trail(resources: Sequence[ResourceView], config: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    if config["organizationTrail"]:
        return
    stack = next((r.urn for r in resources if r.type == "pulumi:pulumi:Stack"), resources[0].urn if resources
                 else "stack")  # fmt: skip
    trails = of_type(resources, TRAIL)
    if config["multiRegionTrailStack"]:
        if not trails:  # the other stack's trail records this region; this one must still keep its own
            yield stack, (f"the stack builds no CloudTrail trail of its own (the multi-region trail of "
                          f"{config['multiRegionTrailStack']} is lost with that stack's region)")  # fmt: skip
    elif not [t for t in trails if t.get("isMultiRegionTrail") is True]:
        yield stack, "the stack builds no multi-region CloudTrail trail and no organization trail is declared"


def _data_event_sources(trail: ResourceView) -> tuple[set[str], list[str]]:
    """URNs and ARN values whose S3 object events (reads and writes) the trail records."""
    values: list[str] = []
    urns: set[str] = set()
    for selector in _list(trail.get("eventSelectors")):
        if selector.get("readWriteType", "All") != "All":
            continue
        for resource in _list(selector.get("dataResources")):
            if resource.get("type") == "AWS::S3::Object":
                values += [str(v) for v in _list(resource.get("values"))]
                urns |= trail.depends_on("eventSelectors")
    for selector in _list(trail.get("advancedEventSelectors")):
        fields = {f.get("field"): f for f in _list(selector.get("fieldSelectors"))}
        if _list((fields.get("eventCategory") or {}).get("equals")) != ["Data"]:
            continue
        if _list((fields.get("resources.type") or {}).get("equals")) != ["AWS::S3::Object"] or "readOnly" in fields:
            continue
        arns = fields.get("resources.ARN") or {}
        values += [str(v) for v in _list(arns.get("startsWith")) + _list(arns.get("equals"))] or ["arn:aws:s3"]
        urns |= trail.depends_on("advancedEventSelectors")
    return urns, values


def _log_buckets(resources: Sequence[ResourceView]) -> list[ResourceView]:
    """Buckets that hold logs: tagged 'log-source', or the destination of ALB access logs or of a trail."""
    destinations = set().union(
        *(lb.depends_on("accessLogs") for lb in of_type(resources, *LOAD_BALANCERS)),
        *(t.depends_on("s3BucketName") for t in of_type(resources, TRAIL)),
    )
    return [b for b in of_type(resources, *BUCKETS)
            if b.urn in destinations or "log-source" in (b.get("tags") or {})]  # fmt: skip


def _log_bucket_data_events(resources: Sequence[ResourceView], config: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    trails = of_type(resources, TRAIL)
    if not trails and config["organizationTrail"]:
        return
    covered: set[str] = set()
    everything = False
    for trail in trails:
        urns, values = _data_event_sources(trail)
        covered |= urns
        everything |= any(v.rstrip("/") in ("arn:aws:s3", "arn:aws:s3:::") for v in values)
    for bucket in _log_buckets(resources):
        if not everything and bucket.urn not in covered:
            yield bucket.urn, "no trail records the object-level reads and writes (data events) of this log bucket"


def _event_alarms(resources: Sequence[ResourceView], _: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    filters = of_type(resources, "aws:cloudwatch/logMetricFilter:LogMetricFilter")
    alarms = of_type(resources, "aws:cloudwatch/metricAlarm:MetricAlarm")
    alarmed = {(a.get("namespace"), a.get("metricName")) for a in alarms if a.get("alarmActions") and _on_first(a)}
    for trail in of_type(resources, TRAIL):
        groups = trail.depends_on("cloudWatchLogsGroupArn")
        watched = [
            str(f.get("pattern") or "")
            for f in filters
            if f.depends_on("logGroupName") & groups
            and ((f.get("metricTransformation") or {}).get("namespace"),
                 (f.get("metricTransformation") or {}).get("name")) in alarmed
        ]  # fmt: skip
        missing = [event for event, word in ALARM_EVENTS.items() if not any(word in p for p in watched)]
        if missing:
            yield trail.urn, f"no alarmed metric filter on the trail's log group for: {', '.join(missing)}"


def _on_first(alarm: ResourceView) -> bool:
    """The alarm fires on the first occurrence of the event in a period."""
    threshold = float(alarm.get("threshold") or 0)
    comparison = alarm.get("comparisonOperator")
    return (comparison == "GreaterThanOrEqualToThreshold" and threshold <= 1) or (
        comparison == "GreaterThanThreshold" and threshold < 1
    )


# --- log buckets -----------------------------------------------------------------------------------------


def _by_bucket(resources: Sequence[ResourceView], types: tuple[str, ...]) -> dict[str, list[ResourceView]]:
    found: dict[str, list[ResourceView]] = {}
    for resource in of_type(resources, *types):
        for urn in resource.depends_on("bucket"):
            found.setdefault(urn, []).append(resource)
    return found


def _log_bucket_versioning(resources: Sequence[ResourceView], _: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    versioning = _by_bucket(resources, VERSIONING)
    for bucket in _log_buckets(resources):
        separate = any((v.get("versioningConfiguration") or {}).get("status") == "Enabled"
                       for v in versioning.get(bucket.urn, []))  # fmt: skip
        if not separate and (bucket.get("versioning") or {}).get("enabled") is not True:
            yield bucket.urn, "the log bucket is not versioned: an overwrite or delete would lose the log"


def _object_lock(resources: Sequence[ResourceView], config: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    locks = _by_bucket(resources, OBJECT_LOCK)
    for bucket in _log_buckets(resources):
        configs = [*locks.get(bucket.urn, []), *([bucket] if bucket.get("objectLockConfiguration") else [])]
        retentions = []
        for lock in configs:
            shape = lock.get("objectLockConfiguration") if lock is bucket else lock.props
            if (shape or {}).get("objectLockEnabled", "Enabled") == "Enabled":
                retentions.append(((shape or {}).get("rule") or {}).get("defaultRetention") or {})
        if not retentions:
            yield bucket.urn, "the log bucket has no Object Lock default retention"
            continue
        retention = retentions[0]
        mode, days = retention.get("mode"), int(retention.get("days") or 0) + 365 * int(retention.get("years") or 0)
        if mode not in config["allowedModes"]:
            yield bucket.urn, f"Object Lock mode {mode} is not one of {config['allowedModes']}"
        if days < config["minDays"]:
            yield bucket.urn, f"logs are locked {days} days; at least {config['minDays']} are required"


def _lifecycle(resources: Sequence[ResourceView], config: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    lifecycles = _by_bucket(resources, LIFECYCLE)
    for bucket in _log_buckets(resources):
        aborts, expiries = [], []
        for lifecycle in lifecycles.get(bucket.urn, []):
            for rule in _list(lifecycle.get("rules")):
                if rule.get("status") != "Enabled":
                    continue
                aborts.append((rule.get("abortIncompleteMultipartUpload") or {}).get("daysAfterInitiation"))
                expiries.append((rule.get("expiration") or {}).get("days"))
        for rule in _list(bucket.get("lifecycleRules")):
            if rule.get("enabled") is True:
                aborts.append(rule.get("abortIncompleteMultipartUploadDays"))
                expiries.append((_list(rule.get("expirations")) or [{}])[0].get("days"))
        if not any(days and int(days) <= config["maxAbortDays"] for days in aborts):
            yield bucket.urn, f"incomplete multipart uploads are not aborted within {config['maxAbortDays']} days"
        short = [int(d) for d in expiries if d and int(d) < config["minRetentionDays"]]
        if short:
            yield bucket.urn, f"logs expire after {min(short)} days; at least {config['minRetentionDays']} are required"


def _log_bucket_tls(resources: Sequence[ResourceView], _: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    denied: set[str] = set()
    for policy in of_type(resources, "aws:s3/bucketPolicy:BucketPolicy"):
        document = policy.get("policy")
        try:
            statements = _list(json.loads(document).get("Statement")) if isinstance(document, str) else []
        except ValueError:
            statements = []
        if any(s.get("Effect") == "Deny" and (s.get("Condition") or {}).get("Bool", {}).get("aws:SecureTransport")
               == "false" for s in statements):  # fmt: skip
            denied |= policy.depends_on("bucket")
    for bucket in _log_buckets(resources):
        if bucket.urn not in denied:
            yield bucket.urn, "the log bucket's policy does not deny requests without TLS"


# --- GuardDuty -------------------------------------------------------------------------------------------


def _detector_enabled(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if r.get("enable") is not True:
        yield "the GuardDuty detector is not enabled (set enable=true explicitly)"


def _guardduty_required(resources: Sequence[ResourceView], config: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    if config["required"] and not of_type(resources, DETECTOR):
        stack = next((r.urn for r in resources if r.type == "pulumi:pulumi:Stack"), resources[0].urn if resources
                     else "stack")  # fmt: skip
        yield stack, "no GuardDuty detector: this tier requires threat detection"


def _eks_protection(resources: Sequence[ResourceView], _: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    features = of_type(resources, FEATURE)
    for detector in of_type(resources, DETECTOR):
        enabled = {f.get("name"): f for f in features
                   if detector.urn in f.depends_on("detectorId") and f.get("status") == "ENABLED"}  # fmt: skip
        legacy_audit = ((detector.get("datasources") or {}).get("kubernetes") or {}).get("auditLogs") or {}
        if "EKS_AUDIT_LOGS" not in enabled and legacy_audit.get("enable") is not True:
            yield detector.urn, "EKS audit log monitoring (EKS_AUDIT_LOGS) is not enabled"
        runtime = enabled.get("RUNTIME_MONITORING") or enabled.get("EKS_RUNTIME_MONITORING")
        managed = runtime and any(c.get("name") == "EKS_ADDON_MANAGEMENT" and c.get("status") == "ENABLED"
                                  for c in _list(runtime.get("additionalConfigurations")))  # fmt: skip
        if not managed:
            yield detector.urn, "EKS runtime monitoring with the GuardDuty-managed agent is not enabled"


def _findings_routed(resources: Sequence[ResourceView], config: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    topics = _topics_admitting_eventbridge(resources)
    targeted = set().union(*(t.depends_on("rule") for t in of_type(resources, "aws:cloudwatch/eventTarget:EventTarget")
                             if t.get("arn") and (t.depends_on("arn") & topics
                                                  or not t.depends_on("arn") & _topic_urns(resources))))  # fmt: skip
    routed = False
    for rule in of_type(resources, "aws:cloudwatch/eventRule:EventRule"):
        pattern = rule.get("eventPattern")
        try:
            parsed = json.loads(pattern) if isinstance(pattern, str) else {}
        except ValueError:
            parsed = {}
        if "aws.guardduty" not in _list(parsed.get("source")) or rule.urn not in targeted:
            continue
        floors = [float(c["numeric"][1]) for c in _list((parsed.get("detail") or {}).get("severity"))
                  if isinstance(c, Mapping) and len(_list(c.get("numeric"))) == 2]  # fmt: skip
        if not floors or min(floors) <= config["maxMinSeverity"]:
            routed = True
    if not routed:
        for detector in of_type(resources, DETECTOR):
            yield detector.urn, (f"no EventBridge rule with a target sends GuardDuty findings of severity "
                                 f"{config['maxMinSeverity']:g} and above anywhere")  # fmt: skip


def _topic_urns(resources: Sequence[ResourceView]) -> set[str]:
    return {t.urn for t in of_type(resources, "aws:sns/topic:Topic")}


def _topics_admitting_eventbridge(resources: Sequence[ResourceView]) -> set[str]:
    """SNS topics whose policy lets EventBridge publish (without it, EventBridge's delivery fails silently)."""
    admitted: set[str] = set()
    for policy in of_type(resources, "aws:sns/topicPolicy:TopicPolicy"):
        document = policy.get("policy")
        try:
            statements = _list(json.loads(document).get("Statement")) if isinstance(document, str) else []
        except ValueError:
            statements = []
        for statement in statements:
            services = _list((statement.get("Principal") or {}).get("Service")) if isinstance(
                statement.get("Principal"), Mapping) else []  # fmt: skip
            if statement.get("Effect") == "Allow" and "events.amazonaws.com" in services and "sns:Publish" in _list(
                    statement.get("Action")):  # fmt: skip
                admitted |= policy.depends_on("arn")
    return admitted


# --- edge ------------------------------------------------------------------------------------------------


def _https_only(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    protocol = r.get("protocol") or "HTTP"
    if protocol not in ("HTTPS", "TLS"):
        yield f"the listener on port {r.get('port')} speaks {protocol}; an API listens on HTTPS only"


def _anonymous_ip(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    for rule in _list(r.get("rules")):
        statement = (rule.get("statement") or {}).get("managedRuleGroupStatement") or {}
        if statement.get("name") != ANONYMOUS_IP_GROUP:
            continue
        if "count" in (rule.get("overrideAction") or {}):
            yield f"{ANONYMOUS_IP_GROUP} runs in count mode as a whole"
        counted = [o.get("name") for o in _list(statement.get("ruleActionOverrides"))
                   if "count" in (o.get("actionToUse") or {})]  # fmt: skip
        if ANONYMOUS_IP_BLOCKING_RULE in counted:
            yield f"{ANONYMOUS_IP_BLOCKING_RULE} (VPNs, proxies, Tor) is set to count instead of block"
        return
    yield f"the web ACL does not run {ANONYMOUS_IP_GROUP}"


RULES = [
    Rule("cloudtrail-multi-region", AREA, "The audit trail records every region, global services, reads and writes.",
         Severity.CRITICAL, "10.2.1", "Set isMultiRegionTrail and includeGlobalServiceEvents true, keep logging on "
         "and management events in every selector (readWriteType All).", (TRAIL,), _trail_coverage,
         config={"multiRegionTrailStack": MULTI_REGION_TRAIL_STACK}),
    Rule("cloudtrail-log-file-validation", AREA, "The audit trail signs digest files so changed logs are detected.",
         Severity.HIGH, "10.3.4", "Set enableLogFileValidation=true.", (TRAIL,), _trail_validation),
    Rule("cloudtrail-cmk", AREA, "Audit log files are encrypted with a customer-managed key.", Severity.HIGH,
         "10.3.2", "Set kmsKeyId to the logs key (its policy must admit CloudTrail).", (TRAIL,), _trail_encrypted),
    Rule("cloudtrail-cloudwatch-logs", AREA, "The audit trail delivers events to CloudWatch Logs for alarms.",
         Severity.HIGH, "10.4.1.1", "Set cloudWatchLogsGroupArn and cloudWatchLogsRoleArn.", (TRAIL,),
         _trail_cloudwatch),
    Rule("account-audit-trail", AREA, "The stack builds a multi-region trail, or declares an organization trail.",
         Severity.CRITICAL, "10.2.1", "Keep organizationTrail empty (the stack builds AuditTrail), or set the "
         "policy config organizationTrail=true where an organization trail records the account.",
         stack_check=_account_trail, config={"organizationTrail": {"type": "boolean", "default": False},
                                             "multiRegionTrailStack": MULTI_REGION_TRAIL_STACK}),
    Rule("log-bucket-data-events", AREA, "Every access to a log bucket's objects is recorded (data events).",
         Severity.HIGH, "10.2.1.3", "Add the bucket's ARN to the trail's S3 data resources (readWriteType All).",
         stack_check=_log_bucket_data_events, config={"organizationTrail": {"type": "boolean", "default": False}}),
    Rule("audit-event-alarms", AREA, "Root use, IAM policy, CloudTrail, KMS key and key policy changes raise alarms.",
         Severity.HIGH, "10.4.1.1", "Add CIS metric filters on the trail's log group, each with an alarm that "
         "notifies the alarm topic.", stack_check=_event_alarms),
    Rule("log-bucket-versioning", AREA, "Log buckets are versioned.", Severity.HIGH, "10.3.2",
         "Add a BucketVersioning with status Enabled.", stack_check=_log_bucket_versioning),
    Rule("log-bucket-object-lock", AREA, "Log buckets lock every log version (Object Lock default retention).",
         Severity.HIGH, "10.3.2", "Add a BucketObjectLockConfiguration with a default retention (logLockMode, "
         "logLockDays).", stack_check=_object_lock,
         config={"allowedModes": {"type": "array", "items": {"type": "string"}, "default": ["COMPLIANCE"]},
                 "minDays": {"type": "integer", "default": 365}}),
    Rule("log-bucket-lifecycle", AREA, "Log buckets keep logs the required time and abort incomplete uploads.",
         Severity.MEDIUM, "10.5.1", "Add a lifecycle rule with expiration of at least the retention and "
         "abortIncompleteMultipartUpload.", stack_check=_lifecycle,
         config={"minRetentionDays": {"type": "integer", "default": 365},
                 "maxAbortDays": {"type": "integer", "default": 7}}),
    Rule("log-bucket-tls-only", AREA, "Log buckets refuse requests without TLS.", Severity.HIGH, "4.2.1",
         "Add a Deny statement on aws:SecureTransport=false to the bucket policy.", stack_check=_log_bucket_tls),
    Rule("guardduty-detector-enabled", AREA, "GuardDuty detectors are enabled.", Severity.HIGH, "11.5.1",
         "Set enable=true on the detector.", (DETECTOR,), _detector_enabled),
    Rule("guardduty-required", AREA, "The stack runs GuardDuty (relaxed in dev, where it is optional).",
         Severity.HIGH, "11.5.1", "Set guardDuty=true (or rely on an organization-managed detector and set the "
         "policy config required=false).", stack_check=_guardduty_required,
         config={"required": {"type": "boolean", "default": True}}),
    Rule("guardduty-eks-protection", AREA, "GuardDuty watches the EKS audit log and the nodes' runtime.",
         Severity.HIGH, "11.5.1", "Add DetectorFeatures EKS_AUDIT_LOGS and RUNTIME_MONITORING (EKS_ADDON_MANAGEMENT "
         "enabled).", stack_check=_eks_protection),
    Rule("guardduty-findings-routed", AREA, "GuardDuty findings of medium severity and above reach people.",
         Severity.HIGH, "11.5.1", "Add an EventBridge rule on source aws.guardduty with a target (the alarm topic).",
         stack_check=_findings_routed, config={"maxMinSeverity": {"type": "number", "default": 4}}),
    Rule("alb-https-only-listeners", AREA, "Load balancer listeners speak HTTPS only; there is no port 80.",
         Severity.HIGH, "4.2.1", "Delete the HTTP listener (and its security group rule).", LISTENERS, _https_only),
    Rule("waf-anonymous-ip", AREA, "Web ACLs block anonymous networks (AWSManagedRulesAnonymousIpList).",
         Severity.MEDIUM, "6.4.2", "Add the group; only HostingProviderIPList may be set to count.",
         ("aws:wafv2/webAcl:WebAcl",), _anonymous_ip),
]  # fmt: skip
