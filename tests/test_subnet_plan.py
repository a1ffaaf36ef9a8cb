"""The subnet plan: deterministic, non-overlapping, stable when tiers are added."""

from __future__ import annotations

import ipaddress
import itertools

import pytest

from components.errors import InvalidArgumentError
from components.subnet_plan import SUBNET_TIERS, SubnetTier, plan_subnets


def test_a_16_gives_large_private_and_small_public_and_database_subnets() -> None:
    plan = plan_subnets("10.0.0.0/16")
    assert [str(c) for c in plan["private"]] == ["10.0.0.0/18", "10.0.64.0/18", "10.0.128.0/18"]
    assert [str(c) for c in plan["public"]] == ["10.0.192.0/22", "10.0.196.0/22", "10.0.200.0/22"]
    assert [str(c) for c in plan["database"]] == ["10.0.208.0/22", "10.0.212.0/22", "10.0.216.0/22"]


@pytest.mark.parametrize("cidr", ["10.0.0.0/16", "172.16.0.0/18", "192.168.16.0/20"])
def test_subnets_are_inside_the_vpc_and_disjoint(cidr: str) -> None:
    vpc = ipaddress.IPv4Network(cidr)
    subnets = [subnet for cidrs in plan_subnets(cidr).values() for subnet in cidrs]
    assert len(subnets) == 9
    assert all(subnet.subnet_of(vpc) for subnet in subnets)
    assert not any(a.overlaps(b) for a, b in itertools.combinations(subnets, 2))


def test_the_plan_is_deterministic() -> None:
    assert plan_subnets("10.40.0.0/16") == plan_subnets("10.40.0.0/16")


def test_adding_a_tier_never_renumbers_existing_subnets() -> None:
    before = plan_subnets("10.0.0.0/16")
    after = plan_subnets("10.0.0.0/16", (*SUBNET_TIERS, SubnetTier("intra", "small", 8)))
    assert {tier: after[tier] for tier in before} == before
    assert not any(new.overlaps(old) for new in after["intra"] for cidrs in before.values() for old in cidrs)


def test_two_tiers_claiming_one_slot_are_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="'clash' and 'public' both claim small slot 2"):
        plan_subnets("10.0.0.0/16", (*SUBNET_TIERS, SubnetTier("clash", "small", 2)))


@pytest.mark.parametrize(
    ("cidr", "message"),
    [
        ("10.0.0.0/21", "too small for the subnet plan"),
        ("10.0.0.0/8", "larger than AWS allows"),
        ("8.8.0.0/16", "not a private range"),
        ("10.0.0.0/40", "not a valid IPv4 CIDR"),
    ],
)
def test_bad_vpc_cidrs_name_the_argument(cidr: str, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=f"vpc_cidr: '{cidr}'.*{message}"):
        plan_subnets(cidr)
