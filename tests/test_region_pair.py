"""The region pair prod / prod-dr: how config makes one stack the primary and the other its standby, and what each
then builds (an Aurora global database, replicated secrets and images, DNS failover) - from the same components."""

from __future__ import annotations

import json
from functools import cache

import pytest

from offline.engine import OfflineRun, run_stack, stack_config
from stacks.config import CONFIG_NAMESPACE, ConfigError, StackConfig, parse_stack_config
from stacks.tiers import STANDBY_RELAXED
from tests.helpers import PROD_ACCOUNT, one, plain

NS = CONFIG_NAMESPACE


@cache
def _values(stack: str) -> dict[str, object]:
    raw, _ = stack_config(stack)
    return {key[len(NS) + 1 :]: value for key, value in raw.items() if key.startswith(f"{NS}:")}


def _parse(stack: str, **overrides: object) -> StackConfig:
    values = {key: value for key, value in _values(stack).items() if key not in overrides}
    values |= {key: value for key, value in overrides.items() if value is not None}
    return parse_stack_config(values)


def _refused(stack: str, **overrides: object) -> str:
    with pytest.raises(ConfigError) as raised:
        _parse(stack, **overrides)
    return str(raised.value)


def test_the_stack_files_pair_prod_with_prod_dr() -> None:
    prod, standby = _parse("prod"), _parse("prod-dr")
    assert (prod.region_pair_role, prod.dr_stack) == ("primary", "prod-dr")
    assert (standby.region_pair_role, standby.standby_for) == ("standby", "prod")
    assert standby.region == prod.dr_region and standby.dr_region == prod.region
    assert (standby.account_id, standby.dns_zone_id, standby.dns_name) == (
        prod.account_id, prod.dns_zone_id, prod.dns_name
    )  # fmt: skip
    assert standby.tier == prod.tier == "prod"


def test_prod_must_belong_to_a_region_pair() -> None:
    message = _refused("prod", drStack="")
    assert f"{NS}:drStack must be set for tier 'prod'" in message


def test_a_stack_cannot_be_primary_and_standby() -> None:
    assert "both set" in _refused("prod", standbyFor="prod-dr")


@pytest.mark.parametrize("missing", ["dnsZoneId", "dnsName"])
def test_a_pair_needs_its_dns_record(missing: str) -> None:
    message = _refused("prod-dr", **{missing: ""})
    assert f"{NS}:{missing}" in message and "failover record" in message


def test_dns_without_a_pair_is_refused() -> None:
    assert "belongs to a region pair" in _refused("dev", dnsName="api.fintech.example.com")


@pytest.mark.parametrize(
    ("key", "value"),
    [("dnsName", "API.example.com"), ("dnsName", "api..example.com"), ("dnsName", "-api.example.com"),
     ("dnsName", "api.example.com."), ("dnsZoneId", "z0123"), ("dnsZoneId", "Z" + "1" * 32),
     ("drStack", "Prod-DR"), ("drStack", "prod_dr"), ("standbyFor", "a-very-long-name")],
)  # fmt: skip
def test_malformed_pair_values_are_refused(key: str, value: str) -> None:
    stack = "prod-dr" if key != "drStack" else "prod"
    assert f"{NS}:{key}" in _refused(stack, **{key: value})


def test_the_other_region_of_a_pair_is_another_region() -> None:
    assert "own region" in _refused("prod-dr", drRegion="us-west-2")


def test_a_standby_may_relax_only_the_listed_rules() -> None:
    standby = _parse("prod-dr")
    assert (standby.nat_strategy, standby.cache_nodes, standby.kafka_zones, standby.aurora_instances) == (
        "single", 1, 2, 1
    )  # fmt: skip
    assert set(STANDBY_RELAXED) == {"natStrategy", "cacheNodes", "kafkaZones", "auroraInstances"}
    # The same values in the primary are refused, and the standby keeps the rules that are not listed.
    assert "natStrategy" in _refused("prod", natStrategy="single")
    assert "eksPublicAccessCidrs" in _refused("prod-dr", eksPublicAccessCidrs=["0.0.0.0/0"])


def test_a_standby_keeps_one_aurora_reader_to_promote() -> None:
    assert "auroraInstances = 0: must be 1 to 3" in _refused("prod-dr", auroraInstances=0)
