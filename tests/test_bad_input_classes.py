"""Issue 23: classes of bad input that were each checked one key at a time. Every case runs the real program
in-process (offline engine) and must end in one ConfigError naming the key and the bad value, without a
traceback and before any resource is registered.

- a region pair is one thing in two files (stacks/config/pair_files.py), refused the same way by the plan,
  pricing.report, offline.audit and ops;
- internet coverage judged on PUBLIC address space, and what EKS refuses (eksPublicAccessCidrs);
- ALB ingress that admits nobody or cannot deploy (albIngressCidrs);
- ARNs of another partition (CI roles, GitHub connection, organization trail) and ciRepository 'owner/..'.
"""

from __future__ import annotations

import functools
import ipaddress
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from offline.engine import PROJECT_DIR, run_stack
from policies.address_space import RESERVED_IPV4, covers_public_internet

NS = "fintech-platform"


def public_cover(excluded: tuple[str, ...]) -> list[str]:
    """The CIDRs of every IPv4 address outside `excluded`, as few as possible."""
    space = [ipaddress.IPv4Network("0.0.0.0/0")]
    for block in map(ipaddress.IPv4Network, excluded):
        kept: list[ipaddress.IPv4Network] = []
        for network in space:
            if block.subnet_of(network):
                kept += network.address_exclude(block)
            elif not network.subnet_of(block):
                kept.append(network)
        space = kept
    return [str(n) for n in ipaddress.collapse_addresses(space)]


# The issue's example: every public address, around the private, loopback, this-network and class D/E blocks.
AROUND_RESERVED = public_cover(("0.0.0.0/8", "10.0.0.0/8", "127.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                "224.0.0.0/3"))  # fmt: skip
FORTY_ONE = [f"198.{n}.0.0/16" for n in range(100, 141)]
SIXTY_ONE = [f"100.{n}.0.0/16" for n in range(130, 191)]


@dataclass(frozen=True)
class Bad:
    """One broken input: the stack, what it sets, the key the message must name, how it shows the value and
    words of what is allowed."""

    cls: str
    stack: str
    values: dict[str, str]
    key: str
    shown: str
    allowed: str
    also: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.cls}-{self.stack}-{self.key}-{self.shown[:30]}"


PAIR_CASES = [
    Bad("pair", "prod", {"drStack": "prod-dx"}, "drStack", "'prod-dx'", "did you mean 'prod-dr'"),
    Bad("pair", "prod", {"drStack": "dev"}, "drStack", "'dev'", "standbyFor: prod"),
    Bad("pair", "prod", {"drRegion": "eu-west-1"}, "drRegion", "'eu-west-1'", "runs in the primary's drRegion"),
    Bad("pair", "prod-dr", {"standbyFor": "dev"}, "standbyFor", "'dev'", "not the primary of a region pair"),
    Bad("pair", "prod-dr", {"standbyFor": "prod-dr"}, "standbyFor", "'prod-dr'", "names this stack itself"),
    Bad("pair", "prod-dr", {"standbyFor": ""}, "standbyFor", "drStack = 'prod-dr'", "set fintech-platform:standbyFor"),
    Bad("pair", "prod-dr", {"dnsName": "api2.fintech.example.com"}, "dnsName", "'api2.fintech.example.com'",
        "the same in both"),
    Bad("pair", "prod-dr", {"dnsZoneId": "Z0123456789ABCDEFGHIK"}, "dnsZoneId", "'Z0123456789ABCDEFGHIK'",
        "the same in both"),
    Bad("pair", "prod-dr", {"accountId": "444455556666",
                            "certificateArn": "arn:aws:acm:us-west-2:444455556666:certificate/"
                                              "3b8e1f62-9c4d-4a7e-8f2b-6d1c0a9e5b47"},
        "accountId", "'444455556666'", "the same in both"),
    Bad("pair", "prod-dr", {"region": "us-east-1", "drRegion": "us-west-2",
                            "availabilityZoneIds": '["use1-az1","use1-az2","use1-az4"]',
                            "certificateArn": "arn:aws:acm:us-east-1:111122223333:certificate/"
                                              "3b8e1f62-9c4d-4a7e-8f2b-6d1c0a9e5b47"},
        "region", "'us-east-1'", "a regional outage would take both"),
    Bad("pair", "dev", {"standbyFor": "prod", "dnsZoneId": "Z0123456789ABCDEFGHIJ",
                        "dnsName": "api.fintech.example.com"},
        "standbyFor", "'prod'", "names 'prod-dr' as its standby"),
    Bad("pair", "dev", {"standbyFor": "prod-dr", "dnsZoneId": "Z0123456789ABCDEFGHIJ",
                        "dnsName": "api.fintech.example.com"},
        "standbyFor", "'prod-dr'", "is itself a standby (standbyFor = 'prod')"),
]  # fmt: skip

CASES = [
    *PAIR_CASES,
    # internet coverage on public address space; what EKS refuses
    Bad("coverage", "prod", {"eksPublicAccessCidrs": str(AROUND_RESERVED).replace("'", '"')}, "eksPublicAccessCidrs",
        "'1.0.0.0/8'", "together cover it"),
    Bad("coverage", "prod", {"eksPublicAccessCidrs": '["0.0.0.0/1","128.0.0.0/1"]'}, "eksPublicAccessCidrs",
        "0.0.0.0/1", "together cover it"),
    Bad("coverage", "dev", {"eksPublicAccessCidrs": str(FORTY_ONE).replace("'", '"')}, "eksPublicAccessCidrs",
        "198.140.0.0/16", "at most 40"),
    Bad("coverage", "dev", {"eksPublicAccessCidrs": '["10.0.0.0/8"]'}, "eksPublicAccessCidrs", "10.0.0.0/8",
        "private, loopback"),
    Bad("coverage", "dev", {"eksPublicAccessCidrs": '["198.51.100.0/24","100.64.0.0/16"]'}, "eksPublicAccessCidrs",
        "100.64.0.0/16", "no internet client comes from there"),
    # ALB ingress
    Bad("alb", "prod", {"albIngressCidrs": "[]"}, "albIngressCidrs", "[]", "admits no client"),
    Bad("alb", "prod-dr", {"albIngressCidrs": "[]"}, "albIngressCidrs", "[]", "admits no client"),
    Bad("alb", "dev", {"albIngressCidrs": '["::/0"]'}, "albIngressCidrs", "::/0", "IPv4 addresses only"),
    Bad("alb", "prod", {"albIngressCidrs": '["2001:db8::/32","2600::/12"]'}, "albIngressCidrs", "2600::/12",
        "no client is admitted"),
    Bad("alb", "dev", {"albIngressCidrs": '["203.0.113.0/24","203.0.113.0/24"]'}, "albIngressCidrs",
        "203.0.113.0/24", "InvalidPermission.Duplicate"),
    Bad("alb", "dev", {"albIngressCidrs": str(SIXTY_ONE).replace("'", '"')}, "albIngressCidrs", "100.190.0.0/16",
        "at most 60 inbound rules"),
    # partitions and repository
    Bad("partition", "prod", {"ciDeployRoleArn": "arn:aws-cn:iam::111122223333:role/fintech-ci-deploy"},
        "ciDeployRoleArn", "arn:aws-cn:iam::111122223333:role/fintech-ci-deploy", "partition 'aws'"),
    Bad("partition", "prod", {"ciPreviewRoleArn": "arn:aws-us-gov:iam::111122223333:role/fintech-ci-preview"},
        "ciPreviewRoleArn", "arn:aws-us-gov:iam::111122223333:role/fintech-ci-preview", "partition 'aws'"),
    Bad("partition", "prod", {"ciGithubConnectionArn": "arn:aws-cn:codeconnections:cn-north-1:111122223333:"
                                                       "connection/9e4c2a71-3f5b-4d8e-a6c1-7b2d9f0e5a34"},
        "ciGithubConnectionArn", "arn:aws-cn:codeconnections", "partition 'aws'"),
    Bad("partition", "dev", {"organizationTrail": "arn:aws-us-gov:cloudtrail:us-gov-west-1:111122223333:trail/org"},
        "organizationTrail", "arn:aws-us-gov:cloudtrail", "partition 'aws'"),
    Bad("partition", "prod", {"ciRepository": "example-org/.."}, "ciRepository", "example-org/..", "'.' or '..'"),
    Bad("partition", "prod", {"ciRepository": "example-org/."}, "ciRepository", "example-org/.", "'.' or '..'"),
]  # fmt: skip


def _overrides(case: Bad) -> dict[str, str]:
    return {f"{NS}:{key}": value for key, value in case.values.items()}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_is_refused_before_any_resource_naming_key_and_value(case: Bad) -> None:
    run = run_stack(case.stack, _overrides(case))
    assert run.error is not None, f"{case.values} was accepted"
    assert "Traceback" not in run.error
    assert f"{NS}:{case.key}" in run.error
    assert case.shown in run.error
    assert case.allowed in run.error
    assert run.resources == []


def test_the_issue_example_is_under_forty_cidrs_and_covers_only_public_space() -> None:
    assert len(AROUND_RESERVED) <= 40
    assert not any(ipaddress.ip_network("0.0.0.0/0") == ipaddress.ip_network(c) for c in AROUND_RESERVED)
    assert covers_public_internet(AROUND_RESERVED)
    assert not covers_public_internet(AROUND_RESERVED[1:])
    # the stricter reserved list leaves more to cover, and the complement of it still counts as everything
    assert covers_public_internet(public_cover(tuple(map(str, RESERVED_IPV4))))


def test_the_pack_judges_coverage_with_the_same_function() -> None:
    from policies.rules import ALL_RULES
    from policies.rules.base import ResourceView

    rule = next(rule for rule in ALL_RULES if rule.name == "eks-endpoint-private")
    for cidrs, open_ in ((AROUND_RESERVED, True), (AROUND_RESERVED[1:], False), (["198.51.100.7/32"], False)):
        eks = ResourceView(type="eks:index:Cluster", name="c", urn="urn:pulumi:s::p::eks:index:Cluster::c",
                           props={"endpointPublicAccess": True, "publicAccessCidrs": cidrs})  # fmt: skip
        found = " ".join(rule.evaluate(eks, {"requirePrivateEndpoint": False}))
        assert ("cover the internet" in found) is open_


# --- the region pair: four entry points, one function --------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the project's program and stack files in tmp_path, which the program, pricing.report,
    offline.audit and ops all read."""
    from offline import audit, plan
    from ops import common
    from stacks.config import pair_files

    for path in [PROJECT_DIR / "Pulumi.yaml", PROJECT_DIR / "__main__.py", *PROJECT_DIR.glob("Pulumi.*.yaml")]:
        shutil.copy(path, tmp_path / path.name)
    shutil.copytree(PROJECT_DIR / "policies" / "config", tmp_path / "policies" / "config")
    in_copy = functools.partial(run_stack, project_dir=tmp_path)
    monkeypatch.setattr(pair_files, "STACK_FILES_DIR", tmp_path)
    monkeypatch.setattr(plan, "PROJECT_DIR", tmp_path)
    monkeypatch.setattr(plan, "run_stack", in_copy)
    monkeypatch.setattr(audit, "PROJECT_DIR", tmp_path)
    monkeypatch.setattr(audit, "run_stack", in_copy)
    monkeypatch.setattr(common, "PROJECT_DIR", tmp_path)
    return tmp_path


def _set(project: Path, stack: str, values: dict[str, str]) -> None:
    path = project / f"Pulumi.{stack}.yaml"
    document = yaml.safe_load(path.read_text())
    for key, value in values.items():
        document["config"][f"{NS}:{key}"] = yaml.safe_load(value) if value.startswith("[") else value
    path.write_text(yaml.safe_dump(document))


def _refusals(stack: str) -> dict[str, str]:
    """What each entry point says about `stack` (its message, or 'accepted')."""
    from offline import plan
    from offline.audit import audit_stack
    from offline.cli import CommandError
    from ops.common import OpsError, load_config
    from pricing.report import pair_cost
    from stacks.config import ConfigError

    said: dict[str, str] = {}
    run = getattr(plan, "run_stack")(stack)  # the program, in the copy (the fixture points it there)  # noqa: B009
    said["program"] = run.error or "accepted"
    assert run.error is None or run.resources == []
    try:
        pair_cost(stack)
        said["pricing.report"] = "accepted"
    except CommandError as err:
        said["pricing.report"] = str(err)
    audited, _ = audit_stack(stack)
    said["offline.audit"] = audited.error or "accepted"
    try:
        load_config(stack)
        said["ops"] = "accepted"
    except (ConfigError, OpsError) as err:
        said["ops"] = str(err)
    return said


FOUR_WAY = [*PAIR_CASES[:4], *PAIR_CASES[5:8]]


@pytest.mark.parametrize("case", FOUR_WAY, ids=[case.id for case in FOUR_WAY])
def test_plan_report_audit_and_ops_refuse_the_same_broken_pair(project: Path, case: Bad) -> None:
    _set(project, case.stack, case.values)
    said = _refusals(case.stack)
    assert len(set(said.values())) == 1, said
    message = said["program"]
    assert message != "accepted" and f"{NS}:{case.key}" in message and case.shown in message


def test_a_copy_of_the_standby_under_another_name_is_not_a_second_standby(project: Path) -> None:
    shutil.copy(project / "Pulumi.prod-dr.yaml", project / "Pulumi.prod-dr2.yaml")
    said = _refusals("prod-dr2")
    assert len(set(said.values())) == 1, said
    assert "standbyFor = 'prod', but Pulumi.prod.yaml names 'prod-dr' as its standby" in said["program"]
    from ops.common import load_config

    assert load_config("prod-dr").standby_for == "prod"  # the real standby still pairs


# --- smaller: secure list items, an unknown region offline -------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "words"),
    [
        ({"secure": "not ciphertext!"}, "is not ciphertext"),
        ({"secure": ""}, "malformed secret"),
        ({"secure": "v1:abc", "extra": 1}, "malformed secret"),
        ({"secure": ["v1:Tk9UQVJFQUxDSVBIRVI="]}, "malformed secret"),
    ],
)
def test_a_secure_list_item_that_is_not_ciphertext_is_refused_naming_the_key(
    tmp_path: Path, item: dict[str, object], words: str
) -> None:
    from offline.cli import CommandError
    from offline.stackfile import check_stack_file

    shutil.copy(PROJECT_DIR / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    document = {"config": {f"{NS}:tier": "dev", f"{NS}:eksAdminRoleArns": ["arn:aws:iam::1:role/a", item]}}
    (tmp_path / "Pulumi.demo.yaml").write_text(yaml.safe_dump(document))
    with pytest.raises(CommandError) as raised:
        check_stack_file(tmp_path, "demo")
    assert f"{NS}:eksAdminRoleArns[1]" in str(raised.value) and words in str(raised.value)
    assert "ciphertext!" not in str(raised.value)  # what was typed as a secret is never echoed


def test_real_ciphertext_in_a_list_still_passes(tmp_path: Path) -> None:
    from offline.stackfile import check_stack_file

    shutil.copy(PROJECT_DIR / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    ciphertexts = [{"secure": "v1:Tk9UQVJFQUxDSVBIRVI=:dGhpcy1pcy1ub3Q="}, {"secure": "AAABAHnVyFm+2hXq8Lz0"}]
    (tmp_path / "Pulumi.demo.yaml").write_text(yaml.safe_dump({"config": {f"{NS}:eksAdminRoleArns": ciphertexts}}))
    check_stack_file(tmp_path, "demo")


def test_an_unknown_region_offline_is_a_config_message_not_a_traceback() -> None:
    run = run_stack("dev", {
        f"{NS}:region": "ap-south-1",
        f"{NS}:availabilityZoneIds": '["aps1-az1","aps1-az2","aps1-az3"]',
        f"{NS}:certificateArn": "arn:aws:acm:ap-south-1:123456789012:certificate/0f3e8a52-6b1d-4c8e-9a7f-2d5b1c9e4a10",
    })  # fmt: skip
    assert run.error is not None and "Traceback" not in run.error
    assert f"{NS}:region = 'ap-south-1'" in run.error and "us-east-1" in run.error


# --- Ctrl-C during an offline plan (the only subprocess tests here: the exit status is the boundary) --------------


@pytest.fixture(scope="module")
def plan_seconds() -> float:
    """How long an uninterrupted offline plan of prod takes on this machine now (it must succeed)."""
    import subprocess
    import sys
    import time

    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "offline.plan", "prod"], cwd=PROJECT_DIR, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return time.monotonic() - started


@pytest.mark.parametrize("fraction", [0.0, 0.3, 0.55])
def test_ctrl_c_during_an_offline_plan_exits_130_without_a_traceback(fraction: float, plan_seconds: float) -> None:
    """SIGINT while the SDK loads (after 1 s), and at 30% and 55% of an uninterrupted plan's own duration (measured
    just before, so a faster plan or a loaded machine moves the interrupts with it). (Before offline.cli is imported,
    the first ~0.1-0.2 s of interpreter start-up, Python's own handler still applies.)"""
    import signal
    import subprocess
    import sys

    delay = max(1.0, fraction * plan_seconds)
    process = subprocess.Popen([sys.executable, "-m", "offline.plan", "prod"], cwd=PROJECT_DIR,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        process.wait(timeout=delay)  # the interrupt comes before the plan's usual end: it must still be running
        pytest.fail(f"the plan ended before the interrupt after {delay:.1f} s (exit {process.returncode})")
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err and err.strip().splitlines()[-1] == "error: interrupted"


# --- policy configs that would weaken the pack silently ----------------------------------------------------------

PROD_DR_POLICY = PROJECT_DIR / "policies" / "config" / "prod-dr.json"


def _policy(edit: dict[str, object]) -> str:
    import json

    document = json.loads(PROD_DR_POLICY.read_text())
    document.update(edit)
    return json.dumps(document)


POLICY_CASES = [
    ({"region-pair-replication": {"role": "none"}}, "region-pair-replication.role = 'none'", "set role 'standby'"),
    ({"region-pair-replication": {"role": "primary"}}, "region-pair-replication.role = 'primary'", "'standby'"),
    ({"cloudtrail-multi-region": {"multiRegionTrailStack": "prod-dr"}}, "multiRegionTrailStack = 'prod-dr'",
     "names this stack itself"),
    ({"account-audit-trail": {"multiRegionTrailStack": "prdo"}}, "multiRegionTrailStack = 'prdo'", "names no stack"),
]  # fmt: skip


@pytest.mark.parametrize(("edit", "named", "words"), POLICY_CASES, ids=[case[1] for case in POLICY_CASES])
def test_a_policy_config_that_contradicts_its_stack_is_refused_by_audit_and_ops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: dict[str, object], named: str, words: str
) -> None:
    from offline import audit
    from offline.cli import CommandError
    from ops import common, live_audit
    from ops.common import OpsError
    from tests.conftest import offline_run

    policy = tmp_path / "policies" / "config" / "prod-dr.json"
    policy.parent.mkdir(parents=True)
    policy.write_text(_policy(edit))
    monkeypatch.setattr(audit, "run_stack", lambda stack: offline_run(stack))  # the session's cached plan
    with pytest.raises(CommandError) as offline_error:
        audit.audit_stack("prod-dr", policy)
    for path in PROJECT_DIR.glob("Pulumi*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.setattr(common, "PROJECT_DIR", tmp_path)
    with pytest.raises(OpsError) as ops_error:
        live_audit.thresholds("prod-dr", common.load_config("prod-dr"))
    for message in (str(offline_error.value), str(ops_error.value)):
        assert named in message and words in message and "Traceback" not in message


def test_a_trail_stack_whose_trail_records_one_region_is_refused() -> None:
    from policies.pack_config import PackConfig, stack_problems
    from policies.rules import ALL_RULES

    pack = PackConfig(properties={"cloudtrail-multi-region": {"multiRegionTrailStack": "prod-dr"}})
    problems = stack_problems(pack, ALL_RULES, "other", "none", {"prod": True, "prod-dr": False, "other": True})
    assert problems and "records its own region only" in problems[0]
    from offline.audit import trail_stacks

    assert trail_stacks() == {"dev": True, "prod": True, "prod-dr": False}


def test_a_rule_given_twice_in_a_policy_config_is_refused_by_the_pack_loader_and_ops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ops import common, live_audit
    from ops.common import OpsError
    from policies.pack_config import PolicyConfigError, parse_pack_config
    from policies.rules import ALL_RULES

    text = '{"region-pair-replication": {"role": "standby"}, "region-pair-replication": {"role": "none"}}'
    with pytest.raises(PolicyConfigError, match="'region-pair-replication' is given twice"):
        parse_pack_config(text, ALL_RULES, "prod-dr.json")
    (tmp_path / "policies" / "config").mkdir(parents=True)
    (tmp_path / "policies" / "config" / "prod-dr.json").write_text(text)
    monkeypatch.setattr(common, "PROJECT_DIR", tmp_path)
    with pytest.raises(OpsError, match="given twice"):
        live_audit.thresholds("prod-dr")
    (tmp_path / "policies" / "config" / "prod-dr.json").write_text('{"nat-per-az": {"minNatGatways": 1}}')
    with pytest.raises(OpsError, match="did you mean 'minNatGateways'"):  # the pack's loader, not a shape check
        live_audit.thresholds("prod-dr")


# --- ops verify and preflight under faults (in-process) ----------------------------------------------------------


@pytest.mark.parametrize("command", ["dr-drill", "failover", "failback"])
@pytest.mark.parametrize("value", ["nan", "inf", "0", "-5", "ten"])
def test_a_timeout_that_can_only_fail_is_refused_with_exit_2(
    command: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from ops.__main__ import main

    extra = {"dr-drill": [], "failover": ["--to", "prod-dr"], "failback": ["--from", "prod-dr"]}[command]
    with pytest.raises(SystemExit) as exited:
        main([command, "--stack", "prod", *extra, "--timeout", value])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "--timeout" in err and repr(value) in err and "Traceback" not in err


def test_ctrl_c_in_ops_verify_names_the_check_and_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ops import verify as verify_module
    from ops.__main__ import main

    def nodes(report: object, *_: object) -> None:
        report.add("nodes", True, "3 nodes Ready")  # type: ignore[attr-defined]

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(verify_module, "require_pinned_account", lambda *_, **__: "123456789012")
    monkeypatch.setattr(verify_module, "check_nodes", nodes)
    monkeypatch.setattr(verify_module, "check_target_groups", interrupted)
    assert main(["verify", "--stack", "dev"]) == 130
    out, err = capsys.readouterr()
    steps = err.count("] checking ")  # the number of steps verify announced before the interrupt
    total = err.split("[1/", 1)[1].split("]", 1)[0]
    assert steps == 2 and f"interrupted while checking target groups (2/{total})" in err and "Traceback" not in err
    assert "PASS nodes: 3 nodes Ready" in out  # what was checked before is still reported


def test_ops_json_to_a_full_device_fails_cleanly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    import ops.__main__ as ops_main
    from ops.common import Report

    report = Report("verify", "dev")
    report.add("nodes", True, "3 nodes Ready")
    monkeypatch.setattr(ops_main, "run", lambda args: report)
    with open("/dev/full", "w") as full:
        monkeypatch.setattr(sys, "stdout", full)
        assert ops_main.main(["verify", "--stack", "dev", "--json"]) == 2
    err = capsys.readouterr().err
    assert "cannot write the report to standard output: No space left on device" in err and "Traceback" not in err


class _Sts:
    def __init__(self, arn: str) -> None:
        self.arn = arn

    def get_caller_identity(self) -> dict[str, str]:
        return {"Arn": self.arn, "Account": "111122223333"}


@pytest.mark.parametrize(
    ("caller", "warned"),
    [
        ("arn:aws:sts::111122223333:assumed-role/fintech-ci-deploy/gha-123", "ciDeployRoleArn"),
        ("arn:aws:sts::111122223333:assumed-role/platform-admin/alice", "eksAdminRoleArns"),
        ("arn:aws:sts::111122223333:assumed-role/bootstrap/alice", ""),
        ("arn:aws:iam::111122223333:user/alice", ""),
    ],
)
def test_preflight_warns_when_the_cluster_creator_also_has_an_access_entry(caller: str, warned: str) -> None:
    from ops.common import Report, load_config
    from ops.preflight import _cluster_creator

    report = Report("preflight", "prod")
    _cluster_creator(report, load_config("prod"), lambda service: _Sts(caller))  # type: ignore[arg-type]
    finding = report.findings[0]
    assert finding.status == ("warn" if warned else "pass")
    if warned:
        assert f"fintech-platform:{warned}" in finding.detail and "ResourceInUseException" in finding.detail


def test_preflight_warns_when_dns_zone_id_names_no_hosted_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto import mock_aws

    from ops.common import Clients, Report, load_config
    from ops.preflight import _hosted_zone

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    config = load_config("prod")
    with mock_aws():
        clients = Clients("us-east-1")
        report = Report("preflight", "prod")
        _hosted_zone(report, config, clients)
        zone = clients("route53").create_hosted_zone(Name="fintech.example.com", CallerReference="t")["HostedZone"]
        _hosted_zone(report, config.model_copy(update={"dns_zone_id": zone["Id"].split("/")[-1]}), clients)
    missing, found = report.findings
    assert missing.status == "warn" and "dnsZoneId = Z0123456789ABCDEFGHIJ: no such hosted zone" in missing.detail
    assert found.status == "pass" and "api.fintech.example.com belongs to it" in found.detail
