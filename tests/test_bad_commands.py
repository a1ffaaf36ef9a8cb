"""Bad input to the commands (plan, audit, pricing.report, diff), table-driven, as a careless user gives it.

Every case asserts the exit status (2: usage or configuration error; 1: a finding), that no traceback
is printed, and that the message names what is wrong and what is allowed. Inputs that are arguments
run the command's `main(argv)` in this process; inputs that are broken files run `python -m <command>`
in a copy of the project whose file is broken, as a user would meet them. A valid control per command
proves the same invocation succeeds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from offline import audit, diff, plan
from offline.engine import PROJECT_DIR
from pricing import report

COMMANDS: dict[str, Callable[[list[str] | None], int]] = {
    "offline.plan": plan.main,
    "offline.audit": audit.main,
    "pricing.report": report.main,
    "offline.diff": diff.main,
}
LEVELS = "advisory, mandatory, remediate, disabled"


@dataclass(frozen=True)
class Bad:
    """One bad input: the command and its arguments ('{tmp}' is a scratch directory), the expected exit
    status and the fragments the message must hold (what is wrong, what is allowed)."""

    command: str
    args: tuple[str, ...]
    status: int
    says: tuple[str, ...]
    policy_config: str | None = None
    """Content of a --policy-config file written to '{tmp}/policy.json'."""


def _outcome(command: str, argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        status = COMMANDS[command](argv)
    except SystemExit as exit_:  # argparse refuses the arguments with its usage line
        status = int(exit_.code or 0)
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def _check(status: int, output: str, expected_status: int, says: tuple[str, ...]) -> None:
    assert "Traceback" not in output, output
    assert status == expected_status, output[-2000:]
    missing = [fragment for fragment in says if fragment not in output]
    assert not missing, f"message lacks {missing}:\n{output[-2000:]}"


ARGUMENT_CASES = [
    # offline.plan
    Bad("offline.plan", (), 2, ("the following arguments are required: stack",)),
    Bad("offline.plan", ("stagin",), 2, ("invalid choice: 'stagin'", "'dev', 'prod'")),
    Bad("offline.plan", ("dev", "--json", "{tmp}"), 2, ("--json", "is a directory", "give a file path")),
    Bad("offline.plan", ("dev", "--json", "{tmp}/no/such/plan.json"), 2, ("does not exist", "{tmp}/no/such")),
    Bad("offline.plan", ("dev", "--json", ""), 2, ("--json '' is empty", "give a file path")),
    Bad("offline.plan", ("dev", "--json"), 2, ("--json: expected one argument",)),
    Bad("offline.plan", ("dev", "--config", "nodeMax"), 2, ("--config takes KEY=VALUE", "'nodeMax'")),
    Bad("offline.plan", ("dev", "--config", "=5"), 2, ("--config takes KEY=VALUE", "'=5'")),
    Bad("offline.plan", ("dev", "--config", ":nodeMax=5"), 2, ("--config takes KEY=VALUE", "':nodeMax=5'")),
    Bad(
        "offline.plan",
        ("dev", "--format", "json"),
        2,
        ("unrecognized arguments: --format json", "usage: python -m offline.plan"),
    ),
    Bad("offline.plan", ("dev", "prod"), 2, ("unrecognized arguments: prod", "usage: python -m offline.plan")),
    Bad("offline.plan", ("dev", "--config", "monthlyBudgetUsd=0"), 2, ("monthlyBudgetUsd", "0")),
    Bad("offline.plan", ("dev", "--config", "kafkaBrokerType=kafka.m7g.xlarge"), 2, ("kafka.m7g.xlarge",)),
    # offline.audit
    Bad("offline.audit", (), 2, ("the following arguments are required: stack",)),
    Bad("offline.audit", ("prd",), 2, ("invalid choice: 'prd'", "'dev', 'prod'")),
    Bad("offline.audit", ("dev", "--format", "yaml"), 2, ("invalid choice: 'yaml'", "'text', 'json', 'markdown'")),
    Bad("offline.audit", ("dev", "--output", "{tmp}"), 2, ("--output", "is a directory")),
    Bad("offline.audit", ("dev", "--output", "{tmp}/gone/a.md"), 2, ("--output", "does not exist")),
    Bad("offline.audit", ("dev", "--policy-config", "{tmp}/none.json"), 2, ("does not exist", "a JSON file")),
    Bad("offline.audit", ("dev", "--policy-config", "{tmp}"), 2, ("is a directory", "a JSON file")),
    Bad("offline.audit", ("dev",), 2, ("not valid JSON at line 1",), policy_config="{"),
    Bad("offline.audit", ("dev",), 2, ("not valid JSON",), policy_config="{'log-retention': 'advisory'}"),
    Bad("offline.audit", ("dev",), 2, ("JSON list", "must be an object"), policy_config="[]"),
    Bad("offline.audit", ("dev",), 2, ("JSON str", "must be an object"), policy_config='"mandatory"'),
    Bad(
        "offline.audit",
        ("dev",),
        2,
        ("'mandtory' is not one of", LEVELS, "did you mean 'mandatory'"),
        policy_config='{"log-retention": "mandtory"}',
    ),
    Bad(
        "offline.audit",
        ("dev",),
        2,
        ("enforcement level 'Mandatory'", LEVELS),
        policy_config='{"log-retention": {"enforcementLevel": "Mandatory"}}',
    ),
    Bad(
        "offline.audit",
        ("dev",),
        2,
        ("log-retention.enforcementLevel = 1 is not a string", LEVELS),
        policy_config='{"log-retention": {"enforcementLevel": 1}}',
    ),
    Bad("offline.audit", ("dev",), 2, ("all: enforcement level 'strict'", LEVELS), policy_config='{"all": "strict"}'),
    Bad(
        "offline.audit",
        ("dev",),
        2,
        ("all: takes only an enforcement level", "minDays"),
        policy_config='{"all": {"minDays": 3}}',
    ),
    Bad(
        "offline.audit",
        ("dev",),
        2,
        ("'log-retentoin' is not a rule", "did you mean 'log-retention'"),
        policy_config='{"log-retentoin": {"minDays": 30}}',
    ),
    Bad(
        "offline.audit",
        ("dev",),
        2,
        ("log-retention.minDay: is not a property", "it takes minDays"),
        policy_config='{"log-retention": {"minDay": 30}}',
    ),
    Bad(
        "offline.audit",
        ("dev",),
        2,
        ('log-retention.minDays = "30": must be an integer',),
        policy_config='{"log-retention": {"minDays": "30"}}',
    ),
    Bad(
        "offline.audit",
        ("dev",),
        2,
        ("log-retention.minDays = 30.5: must be an integer",),
        policy_config='{"log-retention": {"minDays": 30.5}}',
    ),
    Bad(
        "offline.audit",
        ("dev",),
        2,
        ('deletion-protection.required = "false": must be true or false',),
        policy_config='{"deletion-protection": {"required": "false"}}',
    ),
    Bad(
        "offline.audit",
        ("dev",),
        2,
        ('allowedClasses = "t4g.medium": must be a list',),
        policy_config='{"instance-classes-in-tier": {"allowedClasses": "t4g.medium"}}',
    ),
    Bad(
        "offline.audit",
        ("dev",),
        2,
        ("allowedClasses[0] = 1: must be a string",),
        policy_config='{"instance-classes-in-tier": {"allowedClasses": [1]}}',
    ),
    Bad(
        "offline.audit",
        ("dev",),
        2,
        ("aurora-storage-encrypted-cmk: takes no properties", "'minDays'"),
        policy_config='{"aurora-storage-encrypted-cmk": {"minDays": 1}}',
    ),
    Bad(
        "offline.audit",
        ("dev",),
        2,
        ("log-retention = 5 is neither an enforcement level", LEVELS),
        policy_config='{"log-retention": 5}',
    ),
    Bad(
        "offline.audit",
        ("dev",),
        2,
        ("log-retention = null is neither", LEVELS),
        policy_config='{"log-retention": null}',
    ),
    Bad(
        "offline.audit",
        ("dev",),
        2,
        ('log-retention = ["mandatory"] is neither', LEVELS),
        policy_config='{"log-retention": ["mandatory"]}',
    ),
    Bad(
        "offline.audit",
        ("dev",),
        2,
        ("mandtory", "'Log-Retention' is not a rule", "minDays = -"),
        policy_config='{"Log-Retention": "advisory", "log-retention": {"minDays": -1.5}, "nat-per-az": "mandtory"}',
    ),
    # pricing.report
    Bad("pricing.report", (), 2, ("the following arguments are required: stack",)),
    Bad("pricing.report", ("prd",), 2, ("invalid choice: 'prd'", "'dev', 'prod'")),
    Bad("pricing.report", ("dev", "--format"), 2, ("--format: expected one argument",)),
    Bad("pricing.report", ("dev", "--config", "=1"), 2, ("--config takes KEY=VALUE", "'=1'")),
    Bad("pricing.report", ("dev", "--config", "fintech-platform:=1"), 2, ("--config takes KEY=VALUE",)),
    Bad("pricing.report", ("dev", "--format", "csv"), 2, ("invalid choice: 'csv'", "'text', 'markdown', 'json'")),
    Bad("pricing.report", ("dev", "--config", "oops"), 2, ("--config takes KEY=VALUE", "'oops'")),
    Bad(
        "pricing.report",
        ("dev", "--check", "extra"),
        2,
        ("unrecognized arguments: extra", "usage: python -m pricing.report"),
    ),
    Bad("pricing.report", ("dev", "--config", "monthlyBudgetUsd=-5"), 2, ("monthlyBudgetUsd", "-5")),
    Bad(
        "pricing.report",
        (
            "dev",
            "--config",
            "region=eu-west-1",
            "--config",
            'availabilityZoneIds=["euw1-az1","euw1-az2","euw1-az3"]',
            "--config",
            "certificateArn=arn:aws:acm:eu-west-1:123456789012:certificate/0f3e8a52-6b1d-4c8e-9a7f-2d5b1c9e4a10",
        ),
        2,
        ("eu-west-1", "us-east-1 list prices"),
    ),
    # offline.diff (arguments; revisions are tried in a git copy below)
    Bad("offline.diff", ("--format", "html"), 2, ("invalid choice: 'html'", "'markdown', 'json'")),
    Bad("offline.diff", ("--stack", "staging"), 2, ("invalid choice: 'staging'", "'dev', 'prod'")),
    Bad("offline.diff", ("--output", "{tmp}"), 2, ("--output", "is a directory")),
    Bad("offline.diff", ("--base",), 2, ("--base: expected one argument",)),
]


@pytest.mark.parametrize("case", ARGUMENT_CASES, ids=lambda c: f"{c.command} {' '.join(c.args)} {c.policy_config}")
def test_a_bad_argument_is_refused_cleanly(case: Bad, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [arg.replace("{tmp}", str(tmp_path)) for arg in case.args]
    if case.policy_config is not None:
        (tmp_path / "policy.json").write_text(case.policy_config)
        argv += ["--policy-config", str(tmp_path / "policy.json")]
    status, output = _outcome(case.command, argv, capsys)
    _check(status, output, case.status, tuple(s.replace("{tmp}", str(tmp_path)) for s in case.says))


def test_a_blocking_level_still_blocks_and_remediate_counts_as_mandatory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`remediate` on a validate-only rule reports as mandatory (pulumi_policy Analyze); before, it passed."""
    config = tmp_path / "policy.json"
    dev = json.loads((PROJECT_DIR / "policies" / "config" / "dev.json").read_text())
    config.write_text(json.dumps({**dev, "log-retention": {"enforcementLevel": "remediate", "minDays": 400}}))
    status, output = _outcome("offline.audit", ["dev", "--policy-config", str(config)], capsys)
    _check(status, output, 1, ("FAIL log-retention [logging; remediate", "1 mandatory"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root bypasses file permissions: these cases run only as a non-root user")
@pytest.mark.parametrize(
    ("command", "args"),
    [("offline.plan", ["dev", "--json"]), ("offline.audit", ["dev", "--output"]), ("offline.diff", ["--output"])],
)
def test_an_output_path_without_permission_is_refused(
    command: str, args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    status, output = _outcome(command, [*args, str(locked / "report.out")], capsys)
    _check(status, output, 2, ("cannot be created: permission denied on", str(locked), "writable directory"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root bypasses file permissions: these cases run only as a non-root user")
def test_an_unreadable_policy_config_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No pre-check reads it: the boundary turns the PermissionError into one message (offline/cli.py)."""
    config = tmp_path / "policy.json"
    config.write_text("{}")
    config.chmod(0)
    status, output = _outcome("offline.audit", ["dev", "--policy-config", str(config)], capsys)
    _check(status, output, 2, (f"error: {config}: Permission denied",))


# --- broken files: `python -m <command>` in a copy of the project -------------------------------------------------

IGNORED = shutil.ignore_patterns(".git", ".venv", ".tools", "tests", "__pycache__", ".*_cache", "*.pyc")


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project (no git) whose files the cases break, one at a time."""
    copy = tmp_path_factory.mktemp("broken") / "project"
    shutil.copytree(PROJECT_DIR, copy, ignore=IGNORED, symlinks=True)
    return copy


@pytest.fixture
def broken(project_copy: Path) -> Iterator[Callable[[str, bytes], None]]:
    """Replace a file of the copy for one case; the original comes back afterwards."""
    saved: dict[Path, bytes] = {}

    def write(name: str, content: bytes) -> None:
        path = project_copy / name
        saved.setdefault(path, path.read_bytes())
        path.write_bytes(content)

    yield write
    for path, content in saved.items():
        path.write_bytes(content)


def _run(project: Path, command: str, *args: str) -> tuple[int, str]:
    result = subprocess.run([sys.executable, "-m", command, *args], cwd=project, capture_output=True, text=True,
                            timeout=300, errors="replace")  # fmt: skip
    return result.returncode, result.stdout + result.stderr


DEV = (PROJECT_DIR / "Pulumi.dev.yaml").read_text()
STACK_FILES = {
    "invalid YAML": ("config:\n  fintech-platform:tier: [dev\n", ("Pulumi.dev.yaml is not valid YAML at line 3",)),
    "a tab": ("config:\n\tfintech-platform:tier: dev\n", ("not valid YAML at line 2", "'\\t'")),
    "a list": ("- config\n- tier\n", ("Pulumi.dev.yaml holds a list", "it must be a mapping")),
    "a string": ("just some text\n", ("Pulumi.dev.yaml holds a string", "it must be a mapping")),
    "a value at the top": (
        "fintech-platform:tier: dev\n",
        ("unknown top-level key 'fintech-platform:tier'", "config, secretsprovider"),
    ),
    "config a list": ("config:\n  - fintech-platform:tier: dev\n", ("config is a list", "must be a mapping")),
    "config a string": ("config: tier=dev\n", ("config is a string", "must be a mapping")),
    "a number key": ("config:\n  1: dev\n", ("config key 1 is an integer", "'namespace:name'")),
    "a boolean key": ("config:\n  true: dev\n", ("config key True is a boolean", "'namespace:name'")),
    "a bare key": (DEV.replace("fintech-platform:tier", "tier"), ("config key 'tier' is not of the form",)),
    "a key with two colons": ("config:\n  a:b:c: dev\n", ("'a:b:c' is not of the form 'namespace:name'",)),
    "a key without value": ("config:\n  fintech-platform:tier:\n", ("fintech-platform:tier has no value",)),
    "a duplicated key": (DEV + "  fintech-platform:tier: prod\n", ("'fintech-platform:tier' is defined twice",)),
    "config misspelt": (DEV.replace("config:", "confg:"), ("unknown top-level key 'confg'", "config,")),
    "a malformed secret": ("config:\n  fintech-platform:alarmEmail:\n    secure: 5\n", ("malformed secret",)),
    "not UTF-8": ("\xff\xfeconfig", ("Pulumi.dev.yaml is not UTF-8 text",)),
    "a list as key": ("config:\n  ? [a, b]\n  : x\n", ("not valid YAML at line 2", "unhashable key")),
}
ALL_COMMANDS_ON = ("invalid YAML", "a list", "a number key")
PROJECT_FILES = {
    "invalid YAML": ("name: [fintech\n", ("Pulumi.yaml is not valid YAML",)),
    "a list": ("- name\n", ("Pulumi.yaml holds a list", "must be a mapping")),
    "config a list": ("name: fintech-platform\nconfig: [tier]\n", ("Pulumi.yaml: config is a list",)),
    "no name": ("runtime: python\n", ("Pulumi.yaml: name is empty (null)", "the project name")),
}


def _stack_file_cases() -> list[tuple[str, str, str, tuple[str, ...]]]:
    cases = [("offline.plan", name, text, says) for name, (text, says) in STACK_FILES.items()]
    for command in ("offline.audit", "pricing.report", "offline.diff"):
        cases += [(command, name, *STACK_FILES[name]) for name in ALL_COMMANDS_ON]
    return cases


@pytest.mark.parametrize(("command", "name", "text", "says"), _stack_file_cases(),
                         ids=[f"{c[0]}: {c[1]}" for c in _stack_file_cases()])  # fmt: skip
def test_a_broken_stack_file_is_refused_cleanly(
    project_copy: Path, broken: Callable[[str, bytes], None], command: str, name: str, text: str,
    says: tuple[str, ...]
) -> None:  # fmt: skip
    broken("Pulumi.dev.yaml", text.encode("latin-1" if name == "not UTF-8" else "utf-8"))
    args = ("--stack", "dev", "--base", "HEAD") if command == "offline.diff" else ("dev",)
    _check(*_run(project_copy, command, *args), 2, says)


@pytest.mark.parametrize("name", sorted(PROJECT_FILES))
def test_a_broken_project_file_is_refused_cleanly(
    project_copy: Path, broken: Callable[[str, bytes], None], name: str
) -> None:
    text, says = PROJECT_FILES[name]
    broken("Pulumi.yaml", text.encode())
    _check(*_run(project_copy, "offline.plan", "prod"), 2, says)


PRICES = (PROJECT_DIR / "pricing" / "prices.yaml").read_text()
USAGE = (PROJECT_DIR / "pricing" / "usage.yaml").read_text()
PRICE_TABLES = {
    "a negative price": ("prices.yaml", PRICES.replace("nat_gateway: {price: 0.045", "nat_gateway: {price: -0.045"),
                         ("row 'nat_gateway': price -0.045 is not a number >= 0",)),
    "a price as text": ("prices.yaml", PRICES.replace("alb: {price: 0.0225", "alb: {price: cheap"),
                        ("row 'alb': price 'cheap' is not a number >= 0",)),
    "a missing row": ("prices.yaml", PRICES.replace("  kms_key: {price", "  kms_keys: {price"),
                      ("lacks the row(s) kms_key",)),
    "a row without unit": ("prices.yaml", PRICES.replace(" unit: secret-month,", ""),
                           ("row 'secret' lacks unit", "price, unit, source, date")),
    "an unquoted comma": ("prices.yaml", PRICES.replace("source: IC ebs_volume_test,", "source: IC, ebs_volume_test,"),
                          ("row 'ebs_gp3' has unknown ebs_volume_test", "price, unit, source, date")),
    "a bad date": ("prices.yaml", PRICES.replace("date: 2026-01-19}", "date: last week}", 1),
                   ("date 'last week' is not a date YYYY-MM-DD",)),
    "zero hours": ("prices.yaml", PRICES.replace("hours_per_month: 730", "hours_per_month: 0"),
                   ("hours_per_month 0 must be the hours of a month, 672 to 744",)),
    "no region": ("prices.yaml", PRICES.replace("region: us-east-1\n", ""), ("region None must name the region",)),
    "rows a list": ("prices.yaml", "region: us-east-1\nhours_per_month: 730\nprices: [alb]\n",
                    ("must be a mapping with region, hours_per_month and prices",)),
    "invalid YAML": ("prices.yaml", PRICES.replace("prices:", "prices: ["), ("pricing/prices.yaml is not valid YAML",)),
    "a missing usage": ("usage.yaml", USAGE.replace("  alb_lcu: {value: 5,", "  alb_lcus: {value: 5,"),
                        ("tier 'prod' lacks alb_lcu",)),
    "a negative usage": ("usage.yaml", USAGE.replace("nat_data_gb: {value: 50,", "nat_data_gb: {value: -50,"),
                         ("tier 'dev': nat_data_gb must be {value: <number >= 0>, note: <text>}",)),
}  # fmt: skip


@pytest.mark.parametrize(
    ("command", "name"),
    [("offline.plan", name) for name in PRICE_TABLES]
    + [
        ("pricing.report", "a negative price"),
        ("pricing.report", "a price as text"),
        ("pricing.report", "zero hours"),
        ("pricing.report", "an unquoted comma"),
        ("pricing.report", "a missing usage"),
        ("offline.diff", "a missing row"),
    ],
)
def test_a_broken_price_table_is_refused_cleanly(
    project_copy: Path, broken: Callable[[str, bytes], None], command: str, name: str
) -> None:
    file, text, says = PRICE_TABLES[name]
    broken(f"pricing/{file}", text.encode())
    args = ("--stack", "dev", "--base", "HEAD") if command == "offline.diff" else ("dev",)
    _check(*_run(project_copy, command, *args), 2, says)


def test_a_pack_config_is_checked_when_the_audit_runs_as_a_command(
    project_copy: Path, broken: Callable[[str, bytes], None]
) -> None:
    """The default policies/config/<stack>.json of a checkout, through `python -m offline.audit`."""
    broken("policies/config/dev.json", b'{"log-retention": {"minDays": 30, "enforcementLevel": "mandtory"}}')
    _check(*_run(project_copy, "offline.audit", "dev"), 2, ("policies/config/dev.json", "'mandtory'", LEVELS))


# --- offline.diff revisions: a git copy whose history starts before the program ---------------------------------


@pytest.fixture(scope="module")
def git_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository: an empty commit, then Pulumi.yaml alone, then the whole project (HEAD)."""
    copy = tmp_path_factory.mktemp("history") / "project"
    shutil.copytree(PROJECT_DIR, copy, ignore=IGNORED, symlinks=True)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q"], cwd=copy, check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "empty"], cwd=copy, check=True)
    subprocess.run([*git, "add", "Pulumi.yaml"], cwd=copy, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "project file"], cwd=copy, check=True)
    subprocess.run([*git, "add", "-A"], cwd=copy, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "program"], cwd=copy, check=True)
    return copy


REVISIONS = [
    ("nosuchrev", ("--base 'nosuchrev' is not a commit of this repository", "give a branch, tag or commit")),
    ("", ("--base is empty", "origin/main")),
    ("HEAD^{tree}", ("is not a commit", "give a branch, tag or commit")),
    ("HEAD~2", ("predates the program: it has no Pulumi.yaml and no __main__.py", "compare with a later revision")),
    ("HEAD~1", ("predates the program: it has no __main__.py", "the program exists since commit")),
    ("--all", ("--base '--all' is not a commit",)),
]


@pytest.mark.parametrize(("revision", "says"), REVISIONS, ids=[r[0] or "empty" for r in REVISIONS])
def test_a_bad_base_revision_is_refused_cleanly(git_copy: Path, revision: str, says: tuple[str, ...]) -> None:
    _check(*_run(git_copy, "offline.diff", "--stack", "dev", f"--base={revision}"), 2, says)


def test_a_reader_that_goes_away_ends_the_command_quietly() -> None:
    """`python -m offline.plan dev --json - | head -1` (200 KB, more than a pipe holds): before, a BrokenPipeError
    traceback."""
    process = subprocess.Popen([sys.executable, "-m", "offline.plan", "dev", "--json", "-"], cwd=PROJECT_DIR,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline() == "{\n"
    process.stdout.close()
    assert process.wait(timeout=300) == 141
    assert "Traceback" not in process.stderr.read()


def test_the_diff_outside_a_git_checkout_is_refused_cleanly(project_copy: Path) -> None:
    _check(*_run(project_copy, "offline.diff", "--stack", "dev", "--base", "HEAD"), 2,
           ("is not a git checkout", "compares git revisions"))  # fmt: skip


# --- valid controls: the same invocations succeed ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "args", "says"),
    [
        ("offline.plan", ["dev", "--json", "{tmp}/plan.json"], ("Offline plan of stack 'dev'", "JSON plan written")),
        ("offline.audit", ["dev", "--format", "markdown", "--output", "{tmp}/audit.md"], ()),
        ("pricing.report", ["dev", "--check", "--config", "monthlyBudgetUsd=1000"], ("within budget",)),
    ],
)
def test_a_valid_control_succeeds(
    command: str, args: list[str], says: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, output = _outcome(command, [arg.replace("{tmp}", str(tmp_path)) for arg in args], capsys)
    _check(status, output, 0, says)
    if command == "offline.audit":
        assert (tmp_path / "audit.md").read_text().startswith("### Policy pack: stack `dev` passes")


def test_the_diff_control_against_head_succeeds(git_copy: Path) -> None:
    status, output = _run(git_copy, "offline.diff", "--stack", "dev", "--base", "HEAD", "--format", "json")
    _check(status, output, 0, ('"added": []', '"removed": []'))
