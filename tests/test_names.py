"""Every physical name fits its AWS limit, for stacks other than dev and prod: a third stack `staging` on
the dev tier, a prod-tier stack in eu-west-1, and a stack name of the longest length config accepts."""

from __future__ import annotations

import contextlib
import runpy
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.errors import InvalidArgumentError
from components.shared import AUTONAME_SUFFIX_LENGTH, autoname_base
from offline.engine import PROJECT_DIR, OfflineRun, load_project, run_program, stack_config
from stacks.config import ConfigError, check_stack_name, pair_files
from stacks.name_limits import MAX_STACK_NAME_LENGTH, NAME_LIMITS, physical_names
from tests.conftest import offline_run

EU_CERTIFICATE = "arn:aws:acm:eu-west-1:111122223333:certificate/7c1d9e40-2a6b-4f8e-b3c5-91e0d4a7f628"
LONGEST = "s" * MAX_STACK_NAME_LENGTH

_runs: dict[str, OfflineRun] = {}


def run_as(stack: str, base: str, overrides: dict[str, Any] | None = None) -> OfflineRun:
    """The program run as stack `stack` with the config of Pulumi.<base>.yaml plus `overrides` (namespaced
    keys), as `pulumi stack init <stack>` with a copy of that file would run it."""
    if stack not in _runs:
        config, secret_keys = stack_config(base, overrides)
        program = str(PROJECT_DIR / "__main__.py")
        with tempfile.TemporaryDirectory() as directory, _paired(stack, config, Path(directory)):
            _runs[stack] = run_program(
                lambda: runpy.run_path(program, run_name="__main__"), load_project()["name"], stack, config, secret_keys
            )
    return _runs[stack]


@contextlib.contextmanager
def _paired(stack: str, config: dict[str, Any], directory: Path) -> Iterator[None]:
    """The stack files the program's region pair check reads (stacks/config/pair_files.py) for a copy of a
    primary's file under another name: its own file, and its standby's file naming it back from its drRegion, as
    a user who copies a pair would write them."""
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", directory / "Pulumi.yaml")
    ns = "fintech-platform:"
    (directory / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))
    standby = config.get(f"{ns}drStack")
    if standby:
        document = yaml.safe_load((PROJECT_DIR / f"Pulumi.{standby}.yaml").read_text())
        document["config"][f"{ns}standbyFor"] = stack
        document["config"][f"{ns}region"] = config.get(f"{ns}drRegion", "us-west-2")
        (directory / f"Pulumi.{standby}.yaml").write_text(yaml.safe_dump(document))
    saved = pair_files.STACK_FILES_DIR
    pair_files.STACK_FILES_DIR = directory
    try:
        yield
    finally:
        pair_files.STACK_FILES_DIR = saved


def staging() -> OfflineRun:
    return run_as("staging", "dev")


def eu_west_1() -> OfflineRun:
    return run_as(
        "prod-eu",
        "prod",
        {
            "fintech-platform:region": "eu-west-1",
            "fintech-platform:availabilityZoneIds": [],
            "fintech-platform:drRegion": "eu-central-1",
            "fintech-platform:certificateArn": EU_CERTIFICATE,
        },
    )


def longest() -> OfflineRun:
    return run_as(LONGEST, "prod")


RUNS = {
    "dev": lambda: offline_run("dev"),
    "prod": lambda: offline_run("prod"),
    "staging": staging,
    "eu-west-1": eu_west_1,
    "longest": longest,
}


def _too_long(run: OfflineRun) -> list[str]:
    return [
        f"{r.type} {r.name}: '{name}' ({len(name)} > {limit})"
        for r in run.resources
        for name, limit in physical_names(r.type, r.name, r.inputs)
        if len(name) > limit
    ]


@pytest.mark.parametrize("label", list(RUNS))
def test_every_physical_name_fits_its_aws_limit(label: str) -> None:
    run = RUNS[label]()
    assert run.error is None, run.error
    assert _too_long(run) == []


def _names_another_resource(type_token: str) -> bool:
    """Types whose name-like input is the name of the resource they configure (a bucket, a cluster), an
    enumerated setting (a GuardDuty feature name) or a DNS name checked in config (dnsName, a Route 53 record)."""
    configures = ("aws:eks/addon:Addon", "aws:guardduty/detectorFeature:DetectorFeature", "aws:route53/record:Record")
    return type_token in configures or (type_token.startswith("aws:s3/bucket") and type_token != "aws:s3/bucket:Bucket")


def test_the_table_covers_every_named_type_the_program_registers() -> None:
    """A new resource type with a physical name must get a row, or its names go unchecked."""
    named_inputs = {"name", "namePrefix", "bucket", "identifier", "clusterIdentifier", "clusterName", "userId",
                    "userGroupId", "replicationGroupId", "policyName", "nodeGroupName",
                    "globalClusterIdentifier"}  # fmt: skip
    unchecked = {
        r.type
        for label in ("dev", "prod")
        for r in RUNS[label]().resources
        if r.custom
        and r.type.startswith(("aws:", "eks:"))
        and r.type not in NAME_LIMITS
        and named_inputs & set(r.inputs)
        and not _names_another_resource(r.type)
    }
    assert unchecked == set()


def test_staging_and_eu_west_1_are_their_own_stacks() -> None:
    assert staging().outputs["eksClusterName"] == "fintech-staging"
    eu = eu_west_1()
    zones = eu.outputs["availabilityZoneIds"]
    assert zones == ["euw1-az1", "euw1-az2", "euw1-az3"]
    vault = next(r for r in eu.resources if r.type == "aws:backup/vault:Vault" and "dr-vault" in r.name)
    assert vault.outputs["arn"].split(":")[3] == "eu-central-1"


def test_target_group_names_fit_when_the_stack_name_is_long() -> None:
    """Auto-named from 'fintech-<stack>-<workload>', a 7-letter stack overflowed the 32 characters of ELB."""
    names = sorted(r.name for r in staging().of_type("aws:lb/targetGroup:TargetGroup"))
    assert names == ["fintech-staging-payments", "fintech-staging-validato"]
    assert sorted(r.name for r in longest().of_type("aws:lb/targetGroup:TargetGroup")) == [
        f"fintech-{LONGEST}-pay",
        f"fintech-{LONGEST}-val",
    ]
    dev = sorted(r.name for r in offline_run("dev").of_type("aws:lb/targetGroup:TargetGroup"))
    assert dev == ["fintech-dev-payments", "fintech-dev-validator"]  # unchanged: no replacement in dev or prod


@pytest.mark.parametrize(
    ("stack", "message"),
    [
        ("s" * (MAX_STACK_NAME_LENGTH + 1), f"at most {MAX_STACK_NAME_LENGTH}: the load balancer's name"),
        ("Staging", "only lowercase letters, digits and single hyphens"),
        ("dev_2", "only lowercase letters, digits and single hyphens"),
        ("dev--2", "only lowercase letters, digits and single hyphens"),
    ],
)
def test_config_refuses_a_stack_name_that_would_overflow_or_break_a_name(stack: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        check_stack_name(stack)


def test_a_refused_stack_name_registers_nothing() -> None:
    run = run_as("s" * (MAX_STACK_NAME_LENGTH + 1), "dev")
    assert run.error is not None and "at most" in run.error
    assert run.resources == []


@pytest.mark.parametrize(
    ("prefix", "label", "expected"),
    [
        ("fintech-dev", "validator", "fintech-dev-validator"),  # fits: unchanged
        ("fintech-staging", "validator", "fintech-staging-validato"),  # 24 + 8 = 32
        ("fintech-abcdefghijkl", "payments", "fintech-abcdefghijkl-pay"),
        ("fintech-abcdefghij", "abcd-efg", "fintech-abcdefghij-abcd"),  # never ends with a hyphen
    ],
)
def test_autoname_base_cuts_the_label_to_fit(prefix: str, label: str, expected: str) -> None:
    assert autoname_base(prefix, label, 32, "routes") == expected
    assert len(expected) + AUTONAME_SUFFIX_LENGTH <= 32


def test_autoname_base_refuses_a_prefix_that_leaves_no_room() -> None:
    with pytest.raises(InvalidArgumentError, match="routes: 'fintech-abcdefghijklmn' leaves 1 characters"):
        autoname_base("fintech-abcdefghijklmn", "validator", 32, "routes")
