"""Bad stack configuration through the real offline engine: every case runs the program (`__main__.py`)
with one bad value and must end in one clear ConfigError that names the key, shows the bad value and
says what is allowed - with no traceback and before any resource other than a provider is registered.

The valid controls (every documented value of docs/configuration.md, on both stacks) are in
tests/test_config_table.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field

import pytest

from offline.engine import PROJECT_DIR, run_stack

NS = "fintech-platform"
DEV_CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0f3e8a52-6b1d-4c8e-9a7f-2d5b1c9e4a10"
PROD_CERT = "arn:aws:acm:us-east-1:111122223333:certificate/7c1d9e40-2a6b-4f8e-b3c5-91e0d4a7f628"
ARABIC_THREE = "\u0663"


@dataclass(frozen=True)
class Bad:
    """One bad value of one key on one stack, and the words that say what is allowed."""

    key: str
    value: str
    allowed: str
    stack: str = "dev"
    shown: str | None = None
    """How the message shows the value, when not as typed (e.g. a parsed number)."""
    also: dict[str, str] = field(default_factory=dict)
    """Other keys the case sets (valid on their own)."""

    @property
    def id(self) -> str:
        return f"{self.stack}-{self.key}={self.value[:40]!r}"


CASES = [
    # tier, region, account
    Bad("tier", "staging", "allowed: dev, prod"),
    Bad("tier", "Dev", "allowed: dev, prod"),
    Bad("tier", "prod\n", "allowed: dev, prod"),
    Bad("tier", "", "allowed: dev, prod"),
    Bad("region", "us-east-1\n", "such as us-east-1"),
    Bad("region", "US-EAST-1", "such as us-east-1"),
    Bad("region", f"us-east-{ARABIC_THREE}", "such as us-east-1"),
    Bad("region", "mars-north-1x", "such as us-east-1"),
    Bad("region", "", "such as us-east-1"),
    Bad("accountId", "12345678901", "12-digit AWS account ID"),
    Bad("accountId", "1234567890123", "12-digit AWS account ID"),
    Bad("accountId", "11112222333a", "12-digit AWS account ID"),
    Bad("accountId", ARABIC_THREE * 12, "12-digit AWS account ID"),
    Bad("accountId", "111122223333\n", "12-digit AWS account ID", stack="prod"),
    Bad("accountId", "", "must be set for tier 'prod'", stack="prod", shown=""),
    # network
    Bad("vpcCidr", "10.0.0.0/33", "not a valid IPv4 CIDR"),
    Bad("vpcCidr", "10.0.0.1/16", "host bits set"),
    Bad("vpcCidr", "ten.0.0.0/16", "not a valid IPv4 CIDR"),
    Bad("vpcCidr", "10.0.0.0/24", "/16 to /20"),
    Bad("vpcCidr", "8.8.0.0/16", "private"),
    Bad("vpcCidr", "10.0.0.0/8", "/16 to /20"),
    Bad(
        "availabilityZoneIds",
        '["us-east-1a","us-east-1b","us-east-1c"]',
        "use IDs such as use1-az1",
        shown="us-east-1a",
    ),
    Bad("availabilityZoneIds", '["use1-az1","use1-az2"]', "exactly 3 distinct zone IDs", shown="use1-az2"),
    Bad("availabilityZoneIds", '["use1-az1","use1-az1","use1-az2"]', "exactly 3 distinct zone IDs", shown="use1-az2"),
    Bad("availabilityZoneIds", "use1-az1", "set it with --path"),
    Bad("availabilityZoneIds", "[1,2,3]", "must be a list of strings", shown="[1,2,3]"),
    Bad("availabilityZoneIds", '["use1-az1","use1-az2","use1-az9"]', "available: use1-az1", shown="use1-az9"),
    Bad("natStrategy", "multi", "'single' or 'one-per-az'"),
    Bad("natStrategy", "Single", "'single' or 'one-per-az'"),
    Bad("natStrategy", "single", "use 'one-per-az'", stack="prod"),
    Bad("interfaceEndpoints", "yes", "allowed: true, false"),
    Bad("interfaceEndpoints", "1", "allowed: true, false"),
    Bad("interfaceEndpoints", "TRUE", "allowed: true, false"),
    # retention and log lock
    Bad("logRetentionDays", "30", "kept at least as long as they are locked", stack="prod"),
    Bad("logLockMode", "governance", "'GOVERNANCE' or 'COMPLIANCE'"),
    Bad("logLockMode", "", "'GOVERNANCE' or 'COMPLIANCE'"),
    Bad("logLockDays", "0", "must be 1 to fintech-platform:logRetentionDays = 30"),
    Bad("logLockDays", "400", "must be 1 to fintech-platform:logRetentionDays = 30"),
    Bad("logLockDays", "x", "digits 0-9"),
    Bad("guardDuty", "yes", "allowed: true, false"),
    Bad("organizationTrail", "not-an-arn", "must be a CloudTrail trail ARN"),
    Bad(
        "organizationTrail",
        "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail\n",
        "must be a CloudTrail trail ARN",
    ),
    Bad("logRetentionDays", "-7", "positive number of days"),
    Bad("logRetentionDays", "0", "positive number of days"),
    Bad("logRetentionDays", "45", "CloudWatch accepts only 1, 3, 5"),
    Bad("logRetentionDays", "30.0", "digits 0-9"),
    Bad("logRetentionDays", ARABIC_THREE + "0", "digits 0-9"),
    Bad("logRetentionDays", "30\n", "digits 0-9"),
    Bad("logRetentionDays", " 30", "digits 0-9"),
    # aurora
    Bad("auroraInstances", "0", "1 to 3"),
    Bad("auroraInstances", "4", "1 to 3"),
    Bad("auroraInstances", "one", "digits 0-9"),
    Bad("auroraInstances", "1.5", "digits 0-9"),
    Bad("auroraInstances", "1", "use 2 or more", stack="prod"),
    Bad("auroraInstanceClass", "db.m5.large", "no price for it in pricing/prices.yaml; known: db.serverless, db.r6g"),
    Bad("auroraInstanceClass", "serverless", "known: db.serverless", stack="prod"),
    Bad("auroraMasterRotationDays", "91", "1 to 90 days (PCI DSS 8.3.9"),
    Bad("auroraMasterRotationDays", "0", "1 to 90 days"),
    # read only where the stack rotates with Secrets Manager's function (a pair's primary); refused elsewhere
    Bad("auroraMasterRotationDays", "5", "only a region pair's primary (drStack set) rotates"),
    Bad("auroraMasterRotationDays", "14", "a standby's replica follows its primary's rotations", stack="prod-dr"),
    Bad("auroraMinAcu", "0", "0.5 to 256 ACUs in steps of 0.5"),
    Bad("auroraMinAcu", "0.25", "0.5 to 256 ACUs in steps of 0.5"),
    Bad("auroraMinAcu", "257", "0.5 to 256 ACUs in steps of 0.5"),
    Bad("auroraMinAcu", "abc", "digits 0-9 and an optional decimal point"),
    Bad("auroraMinAcu", "1e3", "digits 0-9 and an optional decimal point"),
    Bad("auroraMinAcu", "4", "must not exceed the maximum", shown="4.0"),
    Bad("auroraMaxAcu", "0.5", "1 to 256 ACUs"),
    Bad("auroraMaxAcu", "2.3", "steps of 0.5"),
    Bad("auroraMaxAcu", "300", "1 to 256 ACUs"),
    Bad("auroraMaxAcu", "nan", "digits 0-9 and an optional decimal point"),
    Bad("auroraMaxAcu", "inf", "digits 0-9 and an optional decimal point"),
    Bad("auroraBackupRetentionDays", "0", "1 to 35 days"),
    Bad("auroraBackupRetentionDays", "36", "1 to 35 days"),
    Bad("auroraBackupRetentionDays", "-1", "1 to 35 days"),
    Bad("auroraMonitoringInterval", "2", "allowed: 0, 1, 5, 10, 15, 30, 60"),
    Bad("auroraMonitoringInterval", "120", "allowed: 0, 1, 5, 10, 15, 30, 60"),
    Bad("auroraMonitoringInterval", "-1", "allowed: 0, 1, 5, 10, 15, 30, 60"),
    Bad("auroraMonitoringInterval", "sixty", "allowed: 0, 1, 5, 10, 15, 30, 60"),
    Bad("auroraMonitoringInterval", "60.0", "allowed: 0, 1, 5, 10, 15, 30, 60"),
    # cache
    Bad("cacheNodeType", "cache.t2.nano", "known: cache.m7g.large"),
    Bad("cacheNodeType", "m7g.large", "known: cache.m7g.large"),
    Bad("cacheNodeType", "", "known: cache.m7g.large"),
    Bad("cacheNodes", "0", "1 to 3"),
    Bad("cacheNodes", "4", "1 to 3"),
    Bad("cacheNodes", "1", "use 2 or more", stack="prod"),
    Bad("cacheSnapshotRetentionDays", "0", "1 to 35 days"),
    Bad("cacheSnapshotRetentionDays", "36", "1 to 35 days"),
    # kafka
    Bad("kafkaBrokerType", "kafka.t3.micro", "known: kafka.m5.large"),
    Bad("kafkaBrokerType", "t3.small", "known: kafka.m5.large"),
    Bad("kafkaBrokers", "-2", "positive number of brokers"),
    Bad("kafkaBrokers", "0", "positive number of brokers"),
    Bad("kafkaBrokers", "3", "spreads brokers evenly"),
    Bad("kafkaBrokers", "two", "digits 0-9"),
    Bad("kafkaBrokers", "1", "at least one broker per zone"),
    Bad("kafkaZones", "1", "2 or 3 zones"),
    Bad("kafkaZones", "4", "2 or 3 zones"),
    Bad("kafkaZones", "2", "use 3", stack="prod", also={"kafkaBrokers": "4"}),
    Bad("kafkaVolumeGib", "0", "1 to 16384 GiB"),
    Bad("kafkaVolumeGib", "-5", "1 to 16384 GiB"),
    Bad("kafkaVolumeGib", "16385", "1 to 16384 GiB"),
    Bad("kafkaVolumeGib", "ten", "digits 0-9"),
    Bad("kafkaVolumeMaxGib", "16385", "up to 16384 GiB"),
    Bad("kafkaVolumeMaxGib", "10", "or 0 to turn storage autoscaling off"),
    Bad("kafkaVolumeMaxGib", "-1", "must be 0 (no storage autoscaling)"),
    Bad("kafkaMonitoring", "per_broker", "'PER_BROKER'"),
    Bad("kafkaMonitoring", "NONE", "'PER_BROKER'"),
    Bad("kafkaTopicPartitions", "0", "must be 1 to 200 partitions per topic"),
    Bad("kafkaTopicPartitions", "201", "must be 1 to 200 partitions per topic", stack="prod"),
    Bad("kafkaTopicPartitions", "x", "digits 0-9"),
    Bad("kafkaTopicRetentionHours", "0", "must be 1 to 8760 hours"),
    Bad("kafkaTopicRetentionHours", "8761", "must be 1 to 8760 hours", stack="prod"),
    Bad("deployPhase", "kubernetes", "'foundation' or 'complete'"),
    Bad("deployPhase", "Foundation", "'foundation' or 'complete'", stack="prod"),
    # secrets, protection, backup
    Bad("secretRecoveryDays", "3", "7 to 30 days"),
    Bad("secretRecoveryDays", "31", "7 to 30 days"),
    Bad("secretRecoveryDays", "0", "7 to 30 days"),
    Bad("deletionProtection", "yes", "allowed: true, false"),
    Bad("deletionProtection", "0", "allowed: true, false"),
    Bad("protectStateful", "on", "allowed: true, false"),
    Bad("crossRegionBackup", "false", "allowed: true", stack="prod"),
    Bad("crossRegionBackup", "maybe", "allowed: true, false"),
    Bad("drRegion", "us-east-1", "a regional outage would take the copies", also={"crossRegionBackup": "true"}),
    Bad("drRegion", "cn-north-1", "within partition 'aws'", also={"crossRegionBackup": "true"}),
    Bad("drRegion", "moon-1", "such as us-east-1"),
    Bad("alarmEmail", "oncall", "e-mail address such as oncall@example.com"),
    Bad("alarmEmail", "oncall@example.com\n", "e-mail address such as oncall@example.com"),
    Bad("alarmEmail", "a@b", "e-mail address such as oncall@example.com"),
    Bad("alarmEmail", "on call@example.com", "e-mail address such as oncall@example.com"),
    Bad("alarmEmail", "x" * 250 + "@example.com", "at most 254 characters"),
    # kubernetes
    Bad("kubernetesVersion", "1.33", "allowed today"),
    Bad("kubernetesVersion", "1.37", "allowed today"),
    Bad("kubernetesVersion", "latest", "allowed today"),
    Bad(
        "eksPublicAccessCidrs",
        '["0.0.0.0/0"]',
        "must not be open to the whole internet",
        stack="prod",
        shown="0.0.0.0/0",
    ),
    Bad("eksPublicAccessCidrs", '["0.0.0.0/1","128.0.0.0/1"]', "together cover it", stack="prod", shown="128.0.0.0/1"),
    Bad("eksPublicAccessCidrs", '["10.0.0.1/24"]', "no host bits set", shown="10.0.0.1/24"),
    Bad("eksPublicAccessCidrs", '["2001:db8::/32"]', "IPv4 CIDRs only", shown="2001:db8::/32"),
    Bad("eksPublicAccessCidrs", "not-json[", "set it with --path"),
    Bad("eksPublicAccessCidrs", '"203.0.113.0/24"', "must be a list of strings", shown="203.0.113.0/24"),
    Bad("eksAdminRoleArns", '["arn:aws:iam::123456789012:user/bob"]', "arn:<partition>:iam::", shown="user/bob"),
    Bad(
        "eksAdminRoleArns",
        '["arn:aws-cn:iam::111122223333:role/admin"]',
        "use arn:aws:iam::",
        stack="prod",
        shown="arn:aws-cn:iam::111122223333:role/admin",
    ),
    Bad("eksAdminRoleArns", '["arn:aws:iam::12345:role/x"]', "arn:<partition>:iam::", shown="12345"),
    Bad("eksAdminRoleArns", '["arn:aws:iam::123456789012:role/admin\\n"]', "arn:<partition>:iam::", shown="role/admin"),
    Bad("nodeInstanceType", "m5.large", "known: c7g.large"),
    Bad("nodeInstanceType", "t4g.nano", "known: c7g.large"),
    Bad("nodeMin", "0", "1 to 450 nodes"),
    Bad("nodeMin", "-1", "1 to 450 nodes"),
    Bad("nodeMin", "4", "nodeMax must be at least nodeMin"),
    Bad("nodeMin", "2", "multiples of the 3 zones", stack="prod"),
    Bad("nodeMax", "10", "multiples of the 3 zones", stack="prod"),
    Bad("nodeMax", "2", "below the 3 zones", also={"nodeMin": "1"}),
    Bad("ciGithubConnectionArn", "arn:aws:iam::123456789012:role/x", "CodeConnections connection ARN"),
    Bad("ciRepository", "https://github.com/a/b", "owner/name"),
    Bad("ciDeployRoleArn", "arn:aws:iam::123456789012:user/x", "IAM role ARN"),
    Bad("ciPreviewRoleArn", "arn:aws:iam::123456789012:user/x", "IAM role ARN"),
    Bad("nodeMin", "451", "1 to 450 nodes"),
    Bad("nodeMax", "0", "1 to 450 nodes"),
    Bad("nodeMax", "451", "1 to 450 nodes"),
    Bad("nodeMax", "1", "nodeMax must be at least nodeMin"),
    Bad("nodeDiskGib", "0", "20 to 16384 GiB"),
    Bad("nodeDiskGib", "19", "20 to 16384 GiB"),
    Bad("nodeDiskGib", "16385", "20 to 16384 GiB"),
    Bad("nodeDiskGib", "-10", "20 to 16384 GiB"),
    # edge
    Bad("certificateArn", "", "needs an ACM certificate ARN", shown=""),
    Bad("certificateArn", DEV_CERT.replace("us-east-1", "eu-west-1"), "must be in the stack's region us-east-1"),
    Bad("certificateArn", DEV_CERT.replace("arn:aws:", "arn:aws-cn:"), "region us-east-1 is in partition 'aws'"),
    Bad("certificateArn", "not-an-arn", "arn:aws:acm:<region>"),
    Bad("certificateArn", DEV_CERT + "\n", "arn:aws:acm:<region>"),
    Bad("certificateArn", DEV_CERT.replace("123456789012", "444455556666"), "and account 111122223333", stack="prod"),
    Bad("albIngressCidrs", '["0.0.0.0/33"]', "such as 203.0.113.0/24", shown="0.0.0.0/33"),
    Bad("albIngressCidrs", '["10.0.0.1/8"]', "no host bits set", shown="10.0.0.1/8"),
    Bad("albIngressCidrs", '[" 10.0.0.0/8"]', "such as 203.0.113.0/24", shown=" 10.0.0.0/8"),
    Bad("wafRateLimit", "5", "10 to 2,000,000,000"),
    Bad("wafRateLimit", "9", "10 to 2,000,000,000"),
    Bad("wafRateLimit", "2000000001", "10 to 2,000,000,000"),
    Bad("wafRateLimit", "-1", "10 to 2,000,000,000"),
    Bad("wafRateLimit", "2e3", "digits 0-9"),
    # workloads and budget
    Bad("hpaMinReplicas", "0", "at least 1 pod"),
    Bad("hpaMinReplicas", "4", "the minimum must not exceed the maximum"),
    Bad("hpaMaxReplicas", "0", "at least 1 pod"),
    Bad("hpaMaxReplicas", "50", "raise nodeMax to"),
    Bad("monthlyBudgetUsd", "0", "positive number of US dollars"),
    Bad("monthlyBudgetUsd", "-100", "positive number of US dollars"),
    Bad("monthlyBudgetUsd", "lots", "digits 0-9"),
    Bad("monthlyBudgetUsd", "100.5", "digits 0-9"),
    Bad("validatorImageTag", "latest", "never 'latest'"),
    Bad("validatorImageTag", "", "every workload runs a pinned image", shown=""),
    Bad("validatorImageTag", "1.4.2\n", "version tag such as 1.4.2"),
    Bad("validatorImageTag", ".hidden", "version tag such as 1.4.2"),
    Bad("validatorImageTag", "a" * 129, "version tag such as 1.4.2"),
    Bad("validatorImageTag", "sha256:abc", "sha256:<64 hex>"),
    Bad("paymentsImageTag", "v 2", "version tag such as 1.4.2"),
    Bad("ledgerImageTag", "-1.0", "version tag such as 1.4.2"),
    # tags
    Bad("owner", "", "must not be empty"),
    Bad("owner", "   ", "must not be empty"),
    Bad("owner", "a" * 257, "at most 256"),
    Bad("owner", "team<script>", "letters, numbers, spaces and _ . : / = + - @"),
    Bad("owner", "aws:team", "prefix AWS reserves"),
    Bad("owner", "team\nx", "letters, numbers, spaces and _ . : / = + - @"),
    Bad("costCenter", "cc#1", "letters, numbers, spaces and _ . : / = + - @"),
    Bad("costCenter", "", "must not be empty"),
    Bad("dataClassification", "secret", "'restricted'"),
    Bad("dataClassification", "PUBLIC", "'restricted'"),
    Bad("interfaceEndpointZones", "0", "must be 1 to 3"),
    Bad("interfaceEndpointZones", "4", "must be 1 to 3"),
    Bad("interfaceEndpointZones", "1", "endpoints in one zone are lost with it", stack="prod"),
    # region pair (issue 14)
    Bad("drStack", "", "must be set for tier 'prod'", stack="prod", shown=""),
    Bad("drStack", "Prod-DR", "lowercase letters, digits and single hyphens"),
    Bad("drStack", "prod-dr-standby", "at most 12 characters", stack="prod"),
    Bad("drStack", "prod-dr", "standbyFor", stack="prod-dr"),
    Bad("standbyFor", "prod_dr", "lowercase letters, digits and single hyphens", stack="prod-dr"),
    Bad("standbyFor", "prod-dr", "both set", stack="prod"),
    Bad("dnsZoneId", "", "needs fintech-platform:dnsZoneId", stack="prod", shown=""),
    Bad("dnsZoneId", "z123", "Route 53 hosted zone ID"),
    Bad("dnsName", "API.example.com", "fully qualified lowercase DNS name", stack="prod"),
    Bad("dnsName", "api.example.com", "the failover record belongs to a region pair"),
    Bad("dnsName", "", "needs fintech-platform:dnsName", stack="prod-dr", shown=""),
    Bad("auditTrailMultiRegion", "sometimes", "allowed: true, false"),
    Bad("organizationCompliance", "central", "allowed: true, false"),
    Bad("drRegion", "us-west-2", "stack's own region", stack="prod-dr"),
    Bad("failoverAuroraReaders", "4", "0 to 3 readers", stack="prod-dr"),
    Bad("failoverAuroraReaders", "-1", "0 to 3 readers", stack="prod-dr"),
    Bad("failoverAuroraReaders", "2", "no effect on a region pair's primary: only a standby", stack="prod"),
    Bad("failoverAuroraReaders", "0", "no effect on a stack outside a region pair: only a standby"),
    Bad("drStack", "prod", "names this stack itself", stack="prod"),
    # observability (stacks/observability_settings.py)
    Bad("sloAvailabilityTarget", "1", "must be between 0 and 1", shown="1"),
    Bad("sloAvailabilityTarget", "0.9", "could never fire"),
    Bad("sloAvailabilityTarget", "99.9%", "not a number"),
    Bad("sloLatencyTarget", "0", "must be between 0 and 1"),
    Bad("sloProcessingTarget", "1.5", "must be between 0 and 1"),
    Bad("sloPeriodDays", "10", "allowed: 7, 14, 28, 30"),
    Bad("sloPeriodDays", "30", "could never fire", also={"sloAvailabilityTarget": "0.928"}),
    Bad("scrapeIntervalSeconds", "15", "allowed: 30 to 75 seconds"),
    Bad("scrapeIntervalSeconds", "120", "allowed: 30 to 75 seconds", stack="prod"),
    Bad("traceSamplingRatio", "0", "must be above 0 and at most 1"),
    Bad("grafanaWorkspace", "true", "needs fintech-platform:grafanaAuthentication"),
    Bad("grafanaAuthentication", "OKTA", "AWS_SSO"),
    Bad(
        "grafanaAuthentication",
        "SAML",
        "needs fintech-platform:grafanaSamlMetadataUrl",
        also={"grafanaWorkspace": "true"},
    ),
    Bad("grafanaSamlMetadataUrl", "http://idp.example.com/metadata", "must be an https:// URL"),
    Bad("traceEncryption", "yes", "allowed: true, false"),
]


def _values(case: Bad) -> dict[str, str]:
    return {f"{NS}:{key}": value for key, value in {**case.also, case.key: case.value}.items()}


def _shown(case: Bad) -> str:
    if case.shown is not None:
        return case.shown
    return case.value if case.value.isprintable() else repr(case.value)[1:-1]


def test_the_suite_has_more_than_110_cases_over_every_key() -> None:
    from stacks.config import config_keys

    assert len(CASES) >= 110
    missing = set(config_keys()) - {case.key for case in CASES}
    assert missing == set()


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_value_is_refused_first_naming_key_value_and_what_is_allowed(case: Bad) -> None:
    run = run_stack(case.stack, _values(case))
    assert run.error is not None, f"{case.key}={case.value!r} was accepted"
    assert "Traceback" not in run.error
    assert f"{NS}:{case.key}" in run.error
    assert _shown(case) in run.error
    assert case.allowed in run.error
    assert {resource.type for resource in run.resources} <= {"pulumi:providers:aws"}


@pytest.mark.parametrize("key", ["natGateway", "cacheAuth", "storageEncrypted"])
def test_unknown_and_baseline_keys_are_refused_before_any_resource(key: str) -> None:
    run = run_stack("dev", {f"{NS}:{key}": "x"})
    assert run.error is not None and f"{NS}:{key}" in run.error
    assert run.resources == []


@pytest.mark.parametrize(
    ("key", "value", "leak"),
    [
        ("owner", "team<script>leaked", "leaked"),
        ("certificateArn", DEV_CERT.replace("us-east-1", "eu-west-1"), "0f3e8a52"),
        ("alarmEmail", "oncall-leaked", "leaked"),
        ("nodeMax", "1", "nodeMax = 1"),
        ("kafkaBrokers", "3", "kafkaBrokers = 3"),
        ("eksAdminRoleArns", '["arn:aws-cn:iam::123456789012:role/leaked"]', "leaked"),
        ("auroraMonitoringInterval", "leaked", "leaked"),
    ],
)
def test_a_bad_secret_value_is_refused_without_printing_it(key: str, value: str, leak: str) -> None:
    run = run_stack("dev", secret_overrides={f"{NS}:{key}": value})
    assert run.error is not None
    assert f"{NS}:{key} = [secret]" in run.error
    assert leak not in run.error
    assert run.resources == []


@pytest.mark.parametrize(
    ("stack", "key", "value"),
    [
        ("dev", "nodeMin", "0"),
        ("dev", "nodeMin", "4"),
        ("dev", "nodeMax", "1"),
        ("dev", "hpaMinReplicas", "0"),
        ("dev", "hpaMaxReplicas", "0"),
        ("dev", "kafkaBrokers", "-2"),
        ("prod", "kafkaVolumeGib", "5000"),
        ("prod", "auroraMaxAcu", "0.5"),
    ],
)
def test_the_message_blames_the_value_at_fault(stack: str, key: str, value: str) -> None:
    run = run_stack(stack, {f"{NS}:{key}": value})
    assert run.error is not None
    line = run.error.splitlines()[-1].strip()
    assert line.startswith(f"{NS}:{key} = ")
    assert "not a multiple" not in line
    if value in ("0", "-2"):
        assert "is above" not in line and "is below" not in line


@pytest.mark.parametrize(
    "override",
    [f"{NS}:auroraMonitoringInterval=sixty", f"{NS}:tier=staging", f"{NS}:owner=aws:team"],
)
def test_the_plan_command_exits_2_without_a_traceback(override: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "offline.plan", "dev", "--config", override],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert override.split("=")[0] in result.stderr + result.stdout


def test_json_array_values_round_trip_through_the_engine() -> None:
    cidrs = ["0.0.0.0/1", "128.0.0.0/1"]
    run = run_stack("prod", {f"{NS}:eksPublicAccessCidrs": json.dumps(cidrs)})
    assert run.error is not None and "together cover it" in run.error
