"""Stack configuration: presets, overrides, and every invalid value rejected before any resource."""

from __future__ import annotations

import pytest

from offline.engine import run_stack
from stacks.config import ConfigError, StackConfig, config_keys, parse_stack_config
from stacks.tiers import TIER_PRESETS
from tests.helpers import REGION_PAIR

NS = "fintech-platform"
DEV_CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0f3e8a52-6b1d-4c8e-9a7f-2d5b1c9e4a10"
PROD = {
    "tier": "prod",
    "accountId": "111122223333",
    "certificateArn": "arn:aws:acm:us-east-1:111122223333:certificate/7c1d9e40-2a6b-4f8e-b3c5-91e0d4a7f628",
    **REGION_PAIR,
}


def parse(values: dict[str, str]) -> StackConfig:
    """parse_stack_config with the certificate every stack needs, unless the test sets its own."""
    base = dict(PROD) if values.get("tier") == "prod" else {"certificateArn": DEV_CERT}
    return parse_stack_config({**base, **values})


def test_tier_presets_fill_unset_keys() -> None:
    dev = parse({"tier": "dev"})
    prod = parse({"tier": "prod"})
    assert (dev.nat_strategy, dev.interface_endpoints, dev.log_retention_days) == ("single", False, 30)
    assert (prod.nat_strategy, prod.interface_endpoints, prod.log_retention_days) == ("one-per-az", True, 365)


def test_tier_sentinel_takes_the_preset_and_a_value_overrides_it() -> None:
    preset = parse({"tier": "dev", "natStrategy": "tier", "logRetentionDays": "tier"})
    assert preset.nat_strategy == TIER_PRESETS["dev"].nat_strategy
    override = parse({"tier": "dev", "natStrategy": "one-per-az", "logRetentionDays": "90"})
    assert (override.nat_strategy, override.log_retention_days) == ("one-per-az", 90)


def test_zone_ids_arrive_json_encoded_and_default_per_region() -> None:
    pinned = parse({"availabilityZoneIds": '["use1-az2","use1-az4","use1-az6"]'})
    assert pinned.availability_zone_ids == ("use1-az2", "use1-az4", "use1-az6")
    eu_cert = DEV_CERT.replace("us-east-1", "eu-west-1")
    eu = parse({"region": "eu-west-1", "certificateArn": eu_cert})
    assert eu.availability_zone_ids == ("euw1-az1", "euw1-az2", "euw1-az3")


def test_every_declared_key_is_a_model_key() -> None:
    import yaml

    from offline.engine import PROJECT_DIR

    declared = set(yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())["config"])
    assert declared == set(config_keys())


INVALID = [
    pytest.param({"tier": "staging"}, ["tier = 'staging'", "unknown tier", "allowed: dev, prod"], id="unknown-tier"),
    pytest.param({"natGateway": "single"}, ["natGateway: unknown config key", "did you mean 'natStrategy'"],
                 id="unknown-key"),
    pytest.param({"vpcCidr": "10.0.0.0/33"}, ["vpcCidr = '10.0.0.0/33'", "not a valid IPv4 CIDR"], id="cidr-mask"),
    pytest.param({"vpcCidr": "10.0.0.1/16"}, ["vpcCidr = '10.0.0.1/16'", "host bits set"], id="cidr-host-bits"),
    pytest.param({"vpcCidr": "ten.0.0.0/16"}, ["vpcCidr = 'ten.0.0.0/16'", "not a valid IPv4 CIDR"], id="cidr-text"),
    pytest.param({"vpcCidr": "10.0.0.0/24"}, ["vpcCidr = '10.0.0.0/24'", "too small for the subnet plan", "/16 to /20"],
                 id="cidr-too-small"),
    pytest.param({"logRetentionDays": "-7"}, ["logRetentionDays = '-7'", "must be a positive number of days"],
                 id="retention-negative"),
    pytest.param({"logRetentionDays": "0"}, ["logRetentionDays = '0'", "must be a positive number of days"],
                 id="retention-zero"),
    pytest.param({"logRetentionDays": "45"}, ["logRetentionDays = '45'", "CloudWatch accepts only"],
                 id="retention-not-cloudwatch"),
    pytest.param({"tier": "prod", "accountId": "111122223333", "natStrategy": "single"},
                 ["natStrategy = 'single' is not allowed for tier 'prod'", "use 'one-per-az'"], id="prod-single-nat"),
    pytest.param({"tier": "prod", "accountId": "", "certificateArn": PROD["certificateArn"]},
                 ["accountId must be set for tier 'prod'"], id="prod-no-account"),
    pytest.param({"availabilityZoneIds": '["us-east-1a","us-east-1b","us-east-1c"]'},
                 ["availabilityZoneIds", "not zone IDs"], id="zone-names"),
    pytest.param({"availabilityZoneIds": '["use1-az1","use1-az2"]'}, ["exactly 3 distinct zone IDs"], id="two-zones"),
    pytest.param({"region": "mars-north-1x"}, ["region = 'mars-north-1x'", "not an AWS region"], id="region"),
    pytest.param({"dataClassification": "secret"}, ["dataClassification = 'secret'", "'restricted'"],
                 id="classification"),
    pytest.param({"tier": "prod", "accountId": "111122223333", "auroraInstances": "1"},
                 ["auroraInstances = 1 is not allowed for tier 'prod'", "no reader to fail over to"],
                 id="prod-single-aurora"),
    pytest.param({"auroraMinAcu": "4", "auroraMaxAcu": "2"},
                 ["auroraMinAcu = 4.0 is above fintech-platform:auroraMaxAcu = 2.0", "must not exceed the maximum"],
                 id="acu-min-above-max"),
    pytest.param({"auroraMaxAcu": "2.3"}, ["auroraMaxAcu = '2.3'", "steps of 0.5"], id="acu-step"),
    pytest.param({"cacheAuth": "false"}, ["cacheAuth: not a setting", "security baseline", "cannot be turned off"],
                 id="cache-auth-off"),
    pytest.param({"kafkaBrokers": "3", "kafkaZones": "2"},
                 ["kafkaBrokers = 3 is not a multiple of fintech-platform:kafkaZones = 2"], id="kafka-brokers"),
    pytest.param({"tier": "prod", "accountId": "111122223333", "kafkaZones": "2", "kafkaBrokers": "4"},
                 ["kafkaZones = 2 is not allowed for tier 'prod'"], id="prod-kafka-two-zones"),
    pytest.param({"tier": "prod", "accountId": "111122223333", "cacheNodes": "1"},
                 ["cacheNodes = 1 is not allowed for tier 'prod'", "no replica"], id="prod-single-cache-node"),
    pytest.param({"crossRegionBackup": "true", "drRegion": "us-east-1"},
                 ["drRegion = 'us-east-1' is the stack's own region"], id="dr-region-same"),
    pytest.param({"kafkaVolumeGib": "100", "kafkaVolumeMaxGib": "50"}, ["kafkaVolumeMaxGib = 50 must be above"],
                 id="kafka-volume-ceiling"),
    pytest.param({"secretRecoveryDays": "3"}, ["secretRecoveryDays = '3'", "7 to 30 days"], id="secret-recovery"),
    pytest.param({"alarmEmail": "oncall"}, ["alarmEmail = 'oncall'", "e-mail address"], id="alarm-email"),
    pytest.param({"tier": "prod", "eksPublicAccessCidrs": '["0.0.0.0/0"]'},
                 ["eksPublicAccessCidrs = ('0.0.0.0/0',) is not allowed for tier 'prod'", "whole internet"],
                 id="prod-public-api-open"),
    pytest.param({"certificateArn": ""}, ["certificateArn is missing", "ACM certificate"], id="missing-certificate"),
    pytest.param({"certificateArn": DEV_CERT.replace("us-east-1", "eu-west-1")},
                 ["must be in the stack's region us-east-1"], id="certificate-other-region"),
    pytest.param({"nodeMin": "4", "nodeMax": "2"}, ["nodeMin = 4 is above fintech-platform:nodeMax = 2"],
                 id="node-max-below-min"),
    pytest.param({"kubernetesVersion": "1.33"}, ["kubernetesVersion = '1.33'", "EKS standard support",
                                                 "allowed today"], id="kubernetes-unsupported"),
    pytest.param({"tier": "prod", "nodeMin": "2"}, ["nodeMin = 2", "multiples of the 3 zones"],
                 id="prod-two-nodes"),
    pytest.param({"eksAdminRoleArns": '["arn:aws:iam::123456789012:user/bob"]'}, ["are not IAM role ARNs"],
                 id="admin-not-role"),
    pytest.param({"wafRateLimit": "5"}, ["wafRateLimit = '5'", "10 to 2,000,000,000"], id="waf-rate"),
]  # fmt: skip


@pytest.mark.parametrize(("values", "fragments"), INVALID)
def test_invalid_config_is_rejected_with_a_named_error(values: dict[str, str], fragments: list[str]) -> None:
    with pytest.raises(ConfigError) as raised:
        parse(values)
    for fragment in fragments:
        assert fragment in str(raised.value)
    assert f"{NS}:" in str(raised.value)


@pytest.mark.parametrize(("values", "fragments"), INVALID)
def test_invalid_config_registers_nothing(values: dict[str, str], fragments: list[str]) -> None:
    stack = "prod" if values.get("tier") == "prod" else "dev"
    run = run_stack(stack, {f"{NS}:{key}": value for key, value in values.items()})
    assert run.error is not None
    assert fragments[0] in run.error
    assert run.resources == []


def test_zone_missing_from_the_region_is_rejected_before_any_cloud_resource() -> None:
    run = run_stack("dev", {f"{NS}:availabilityZoneIds": '["use1-az1","use1-az2","use1-az9"]'})
    assert run.error is not None
    assert "['use1-az9'] not available in us-east-1" in run.error
    assert [resource.type for resource in run.resources] == ["pulumi:providers:aws"]


def test_readme_documents_every_config_key() -> None:
    from offline.engine import PROJECT_DIR

    readme = (PROJECT_DIR / "README.md").read_text()
    readme += "".join(page.read_text() for page in sorted((PROJECT_DIR / "docs").glob("*.md")))
    missing = [key for key in config_keys() if f"`{key}`" not in readme]
    assert missing == []
