"""Continuous compliance (AWS Config, the PCI DSS conformance pack, Security Hub) and the protective companion
resources the baseline relies on: AWS models bucket policies, key policies, vault locks, topic policies and the
log groups of service logs as resources of their own, and a resource left without its companion passes every
rule that reads the companion's settings. These rules assert that each companion exists.

Where an organization's delegated administrator runs Config and Security Hub for the account (config key
organizationCompliance), the policy config sets `organizationCompliance: true` for the compliance rules and
`ops preflight` checks the organization's instead (components/continuous_compliance.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import yaml
from pulumi_policy import Severity

from policies.rules.audit_logging import _list, _topics_admitting_eventbridge
from policies.rules.base import ResourceView, Rule, arn_or_id_set, of_type

AREA = "compliance"
RECORDER = "aws:cfg/recorder:Recorder"
RECORDER_STATUS = "aws:cfg/recorderStatus:RecorderStatus"
DELIVERY = "aws:cfg/deliveryChannel:DeliveryChannel"
CONFORMANCE_PACK = "aws:cfg/conformancePack:ConformancePack"
HUB = "aws:securityhub/account:Account"
SUBSCRIPTION = "aws:securityhub/standardsSubscription:StandardsSubscription"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
REQUIRED_STANDARDS = ("standards/pci-dss/v/4.0.1", "standards/aws-foundational-security-best-practices/v/1.0.0")
CORE_MANAGED_RULES = (
    "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED", "CMK_BACKING_KEY_ROTATION_ENABLED", "S3_BUCKET_SSL_REQUESTS_ONLY",
    "RDS_STORAGE_ENCRYPTED", "VPC_FLOW_LOGS_ENABLED", "ALB_WAF_ENABLED", "EKS_ENDPOINT_NO_PUBLIC_ACCESS",
    "CW_LOGGROUP_RETENTION_PERIOD_CHECK",
)  # fmt: skip
"""Managed rules the conformance pack must hold at least (the live side of the pack's main rules)."""
ORGANIZATION = {"organizationCompliance": {"type": "boolean", "default": False}}


def _stack_urn(resources: Sequence[ResourceView]) -> str:
    return next((r.urn for r in resources if r.type == "pulumi:pulumi:Stack"), resources[0].urn if resources
                else "stack")  # fmt: skip


def _recorder_types(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    group = r.get("recordingGroup") or {}
    if group.get("allSupported") is not True:
        yield "the recorder does not record every supported resource type (recordingGroup.allSupported)"
    if config["recordGlobalTypes"] and group.get("includeGlobalResourceTypes") is not True:
        yield "the recorder does not record global resource types (IAM) in the account's home region"


def _recording_on(resources: Sequence[ResourceView], config: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    recorders = of_type(resources, RECORDER)
    if not recorders:
        if not config["organizationCompliance"]:
            yield _stack_urn(resources), "no AWS Config recorder is built and no organization recorder is declared"
        return
    enabled = set().union(*(s.depends_on("name") for s in of_type(resources, RECORDER_STATUS)
                            if s.get("isEnabled") is True))  # fmt: skip
    delivered = set().union(*(c.depends_on("s3BucketName") | c.depends_on("s3KmsKeyArn") | {"channel"}
                              for c in of_type(resources, DELIVERY)))  # fmt: skip
    for recorder in recorders:
        if recorder.urn not in enabled:
            yield recorder.urn, "no RecorderStatus with isEnabled=true starts this recorder: it records nothing"
        if not delivered:
            yield recorder.urn, "no delivery channel: the configuration history is not kept"


def _delivery_encrypted(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if not r.get("s3BucketName"):
        yield "the delivery channel names no S3 bucket"
    if not arn_or_id_set(r.get("s3KmsKeyArn")):
        yield "deliveries are not encrypted with a customer-managed key (s3KmsKeyArn is unset)"


def _conformance_pack(resources: Sequence[ResourceView], config: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    packs = of_type(resources, CONFORMANCE_PACK)
    if not packs:
        if not config["organizationCompliance"]:
            yield _stack_urn(resources), "the stack deploys no PCI DSS conformance pack"
        return
    found: set[str] = set()
    for pack in packs:
        try:
            template = yaml.safe_load(pack.get("templateBody") or "") or {}
        except yaml.YAMLError:
            template = {}
        for resource in (template.get("Resources") or {}).values() if isinstance(template, dict) else ():
            source = ((resource or {}).get("Properties") or {}).get("Source") or {}
            if source.get("Owner") == "AWS":
                found.add(str(source.get("SourceIdentifier")))
    missing = [rule for rule in CORE_MANAGED_RULES if rule not in found]
    if missing:
        yield packs[0].urn, f"the conformance pack lacks the managed rules {', '.join(missing)}"


def _securityhub(resources: Sequence[ResourceView], config: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    hubs = of_type(resources, HUB)
    if not hubs:
        if not config["organizationCompliance"]:
            yield _stack_urn(resources), "no Security Hub is enabled and no organization Security Hub is declared"
        return
    arns = [str(s.get("standardsArn") or "") for s in of_type(resources, SUBSCRIPTION)]
    for standard in REQUIRED_STANDARDS:
        if not any(arn.endswith(f"::{standard}") for arn in arns):
            yield hubs[0].urn, f"Security Hub is not subscribed to {standard}"


def _pattern(rule: ResourceView) -> dict[str, Any]:
    text = rule.get("eventPattern")
    try:
        parsed = json.loads(text) if isinstance(text, str) else {}
    except ValueError:
        parsed = {}
    return parsed if isinstance(parsed, dict) else {}


def _routes_securityhub(pattern: Mapping[str, Any]) -> bool:
    findings = (
        ((pattern.get("detail") or {}).get("findings") or {}) if isinstance(pattern.get("detail"), Mapping) else {}
    )
    labels = _list(((findings.get("Severity") or {}) if isinstance(findings, Mapping) else {}).get("Label"))
    return "aws.securityhub" in _list(pattern.get("source")) and {"HIGH", "CRITICAL"} <= set(labels)


def _routes_config(pattern: Mapping[str, Any]) -> bool:
    detail = pattern.get("detail") if isinstance(pattern.get("detail"), Mapping) else {}
    result = (detail or {}).get("newEvaluationResult") or {}
    types = _list(result.get("complianceType")) if isinstance(result, Mapping) else []
    return "aws.config" in _list(pattern.get("source")) and "NON_COMPLIANT" in types


def _findings_routed(resources: Sequence[ResourceView], config: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    if not of_type(resources, HUB, RECORDER):
        return
    topics = _topics_admitting_eventbridge(resources)
    targeted = set().union(*(t.depends_on("rule") for t in of_type(resources, "aws:cloudwatch/eventTarget:EventTarget")
                             if t.depends_on("arn") & topics))  # fmt: skip
    rules = [_pattern(r) for r in of_type(resources, "aws:cloudwatch/eventRule:EventRule") if r.urn in targeted]
    for present, routes, what in ((of_type(resources, HUB), _routes_securityhub, "HIGH and CRITICAL Security Hub "
                                   "findings"), (of_type(resources, RECORDER), _routes_config,
                                                 "Config rules turning NON_COMPLIANT")):  # fmt: skip
        if present and not any(routes(pattern) for pattern in rules):
            yield present[0].urn, f"no EventBridge rule sends {what} to a topic that admits EventBridge"


def _companion(resources: Sequence[ResourceView], owner_type: str, companion_type: str, prop: str,
               what: str, accept: Any = None) -> Iterable[tuple[str, str]]:  # fmt: skip
    """Each `owner_type` resource has a `companion_type` resource whose `prop` came from it."""
    covered: set[str] = set()
    for companion in of_type(resources, companion_type):
        if accept is None or accept(companion):
            covered |= companion.depends_on(prop)
    for owner in of_type(resources, owner_type):
        if owner.urn not in covered:
            yield owner.urn, what


def _denies_insecure_transport(policy: ResourceView) -> bool:
    text = policy.get("policy")
    try:
        statements = _list(json.loads(text).get("Statement")) if isinstance(text, str) else []
    except ValueError:
        return False
    return any(s.get("Effect") == "Deny" and ((s.get("Condition") or {}).get("Bool") or {}).get("aws:SecureTransport")
               in ("false", False) for s in statements if isinstance(s, Mapping))  # fmt: skip


def _bucket_policies(resources: Sequence[ResourceView], _: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    yield from _companion(
        resources,
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketPolicy:BucketPolicy",
        "bucket",
        "bucket has no bucket policy denying requests without TLS",
        _denies_insecure_transport,
    )


def _key_policies(resources: Sequence[ResourceView], _: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    separate = set().union(*(p.depends_on("keyId") for p in of_type(resources, "aws:kms/keyPolicy:KeyPolicy")
                             if p.get("policy")))  # fmt: skip
    for key in of_type(resources, "aws:kms/key:Key"):
        if not key.get("policy") and key.urn not in separate:
            yield key.urn, "key has no explicit key policy: AWS applies the default policy (account root, kms:*)"


def _vault_locks(resources: Sequence[ResourceView], _: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    lock = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
    yield from _companion(
        resources,
        "aws:backup/vault:Vault",
        lock,
        "backupVaultName",
        "backup vault has no vault lock: recovery points can be deleted",
    )


def _topic_policies(resources: Sequence[ResourceView], _: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    yield from _companion(
        resources,
        "aws:sns/topic:Topic",
        "aws:sns/topicPolicy:TopicPolicy",
        "arn",
        "topic has no topic policy denying requests without TLS",
        _denies_insecure_transport,
    )


def _secret_policies(resources: Sequence[ResourceView], _: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    yield from _companion(
        resources,
        "aws:secretsmanager/secret:Secret",
        "aws:secretsmanager/secretPolicy:SecretPolicy",
        "secretArn",
        "secret has no resource policy limiting it to the account",
    )


def _arn_group_name(arn: Any) -> str | None:
    if not isinstance(arn, str) or ":log-group:" not in arn:
        return None
    return arn.split(":log-group:", 1)[1].removesuffix(":*")


def _log_destinations(r: ResourceView) -> list[tuple[str, str | None]]:
    """(property whose value came from the log group, expected log group name) of each CloudWatch Logs destination."""
    destinations: list[tuple[str, str | None]] = []
    if r.type in ("eks:index:Cluster", "aws:eks/cluster:Cluster") and r.get("enabledClusterLogTypes"):
        destinations.append(("", f"/aws/eks/{r.get('name')}/cluster"))
    elif r.type == "aws:rds/cluster:Cluster":
        destinations += [("", f"/aws/rds/cluster/{r.get('clusterIdentifier')}/{kind}")
                         for kind in r.get("enabledCloudwatchLogsExports") or []]  # fmt: skip
    elif r.type == "aws:msk/cluster:Cluster":
        logs = r.get("loggingInfo.brokerLogs.cloudwatchLogs") or {}
        if logs.get("enabled") is True:
            destinations.append(("loggingInfo", logs.get("logGroup")))
    elif r.type == "aws:elasticache/replicationGroup:ReplicationGroup":
        destinations += [
            ("logDeliveryConfigurations", c.get("destination"))
            for c in r.get("logDeliveryConfigurations") or []
            if c.get("destinationType") == "cloudwatch-logs"
        ]
    elif r.type == "aws:ec2/flowLog:FlowLog" and r.get("logDestinationType", "cloud-watch-logs") == "cloud-watch-logs":
        destinations.append(("logDestination", _arn_group_name(r.get("logDestination")) or r.get("logGroupName")))
    elif r.type == "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration":
        destinations += [("logDestinationConfigs", _arn_group_name(arn)) for arn in r.get("logDestinationConfigs") or []
                         if ":logs:" in str(arn)]  # fmt: skip
    elif r.type == "aws:cloudtrail/trail:Trail" and r.get("cloudWatchLogsGroupArn"):
        destinations.append(("cloudWatchLogsGroupArn", _arn_group_name(r.get("cloudWatchLogsGroupArn"))))
    elif r.type == "aws:codebuild/project:Project":
        logs = r.get("logsConfig.cloudwatchLogs") or {}
        if logs.get("status", "ENABLED") == "ENABLED":
            destinations.append(("logsConfig", logs.get("groupName") or f"/aws/codebuild/{r.get('name')}"))
    return destinations  # fmt: skip


def _log_groups_exist(resources: Sequence[ResourceView], _: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    groups = of_type(resources, LOG_GROUP)
    names = {g.get("name") for g in groups}
    urns = {g.urn for g in groups}
    for resource in resources:
        for prop, name in _log_destinations(resource):
            if prop and resource.depends_on(prop) & urns:
                continue
            if name not in names:
                yield resource.urn, (f"logs go to log group {name!r}, which the program does not create: the service "
                                     "would create it without the logs key and with no retention")  # fmt: skip


RULES = [
    Rule("config-recorder-all-types", AREA, "AWS Config records every supported resource type, global types in the "
         "account's home region.", Severity.HIGH, "11.5.2", "Set recordingGroup allSupported=true and "
         "includeGlobalResourceTypes=true in the home region (policy config recordGlobalTypes=false elsewhere).",
         (RECORDER,), _recorder_types, config={"recordGlobalTypes": {"type": "boolean", "default": True}},
         pci_also=("12.5.1", "10.2.1.7", "1.2.8")),
    Rule("config-recording-on", AREA, "An AWS Config recorder records the account (started, with a delivery channel), "
         "or an organization recorder is declared.", Severity.HIGH, "11.5.2", "Keep organizationCompliance false "
         "(the stack builds ContinuousCompliance), or set the policy config organizationCompliance=true where the "
         "organization's recorder covers the account.", stack_check=_recording_on, config=ORGANIZATION,
         pci_also=("12.5.1", "10.2.1")),
    Rule("config-delivery-encrypted", AREA, "AWS Config delivers configuration history to a bucket, encrypted with a "
         "customer-managed key.", Severity.HIGH, "10.3.2", "Set the delivery channel's s3BucketName and s3KmsKeyArn "
         "(the logs key).", (DELIVERY,), _delivery_encrypted, pci_also=("10.3.3", "10.5.1")),
    Rule("pci-conformance-pack", AREA, "The PCI DSS conformance pack of AWS Config managed rules is deployed, or the "
         "organization's is declared.", Severity.HIGH, "10.4.1.1", "Keep ContinuousCompliance's conformance pack "
         "(components/conformance_pack.py) with its core managed rules.", stack_check=_conformance_pack,
         config=ORGANIZATION, pci_also=("2.2.1", "10.4.1", "11.5.2")),
    Rule("securityhub-standards", AREA, "Security Hub is on with the PCI DSS v4.0.1 and AWS Foundational Security "
         "Best Practices standards, or the organization's is declared.", Severity.HIGH, "10.4.1.1",
         "Keep ContinuousCompliance's Security Hub account and both standards subscriptions.",
         stack_check=_securityhub, config=ORGANIZATION, pci_also=("10.4.1", "11.3.1", "6.3.1")),
    Rule("compliance-findings-routed", AREA, "High and critical Security Hub findings and new Config non-compliance "
         "reach the alarm topic.", Severity.HIGH, "10.7.2", "Keep the EventBridge rules of ContinuousCompliance, "
         "each targeting the alarm topic, whose policy admits EventBridge.", stack_check=_findings_routed,
         pci_also=("12.10.5", "10.4.3")),
    Rule("s3-bucket-policy-present", AREA, "Every bucket has a bucket policy, and it denies requests without TLS.",
         Severity.HIGH, "4.2.1", "Add a BucketPolicy to the bucket with a Deny on aws:SecureTransport=false.",
         stack_check=_bucket_policies, pci_also=("7.2.1",)),
    Rule("kms-key-policy-explicit", AREA, "Every KMS key has an explicit key policy (not AWS's default).",
         Severity.HIGH, "3.6.1", "Set the key's policy (components/kms.py builds least-privilege policies).",
         stack_check=_key_policies, pci_also=("7.2.1", "7.3.3")),
    Rule("backup-vault-locked", AREA, "Every backup vault has a vault lock.", Severity.HIGH, "12.10.1",
         "Add a VaultLockConfiguration to the vault.", stack_check=_vault_locks, pci_also=("10.3.2",)),
    Rule("sns-topic-policy-present", AREA, "Every SNS topic has a topic policy, and it denies requests without TLS.",
         Severity.MEDIUM, "4.2.1", "Add a TopicPolicy with a Deny on aws:SecureTransport=false.",
         stack_check=_topic_policies, pci_also=("7.2.1",)),
    Rule("secret-policy-present", AREA, "Every secret has a resource policy.", Severity.MEDIUM, "7.2.1",
         "Add a SecretPolicy denying principals outside the account.", stack_check=_secret_policies),
    Rule("log-group-per-destination", AREA, "Every CloudWatch Logs destination of a service (EKS, Aurora, MSK, "
         "ElastiCache, flow logs, WAF, CloudTrail, CodeBuild) is a log group the program creates.", Severity.HIGH,
         "10.3.2", "Create the log group (encrypted with the logs key, with a retention) before the service writes.",
         stack_check=_log_groups_exist, pci_also=("10.5.1",)),
]  # fmt: skip
