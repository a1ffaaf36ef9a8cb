"""The documentation cannot drift from the code: generated pages and blocks are current, every command shown is
accepted by its own argument parser (or marked as needing an AWS account), figures restated in prose agree with
their source, and links resolve. In-process, on the session's cached offline runs."""

from __future__ import annotations

import argparse
import ast
import re
import shlex
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
import yaml

from offline import docs
from offline.cli import CommandError
from offline.engine import PROJECT_DIR
from stacks.tiers import TIER_PRESETS
from tests.conftest import offline_run

PAGES = [PROJECT_DIR / "README.md", *sorted((PROJECT_DIR / "docs").glob("*.md"))]
AWS_MARK = "needs an AWS account"
"""A fenced block whose first line is a comment with these words, or a line that carries them, is run only
against a real account; everything else must be runnable here."""

LANDING: tuple[str, ...] = ()
"""Pages other engineers are writing in parallel: linked already, and may be missing until they land."""


def _page_name(path: Path) -> str:
    return str(path.relative_to(PROJECT_DIR))


# ---------------------------------------------------------------------------------------------- generated


def test_every_generated_page_and_block_is_current() -> None:
    stale = docs.stale(offline_run)
    assert stale == [], f"stale generated documentation: {stale}; run {docs.COMMAND}"


def test_a_changed_source_makes_the_reference_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the test above guards against: the page follows Pulumi.yaml, so a change there leaves it stale."""
    declared = docs._declared()
    changed = {**declared, "wafRateLimit": {**declared["wafRateLimit"], "default": 999}}
    monkeypatch.setattr(docs, "_declared", lambda: changed)
    page = docs.configuration_page()
    assert (
        "| `wafRateLimit` | string | `999` |" in page or "`999`" in page.split("| `wafRateLimit` |")[1].split("\n")[0]
    )
    assert page != (PROJECT_DIR / "docs" / "configuration.md").read_text()


def test_a_page_without_its_block_is_refused() -> None:
    with pytest.raises(CommandError, match="expected one '<!-- BEGIN GENERATED: stacks"):
        docs.fill_block("# no markers here\n", "stacks", "x", "README.md")


def test_the_reference_shows_each_stack_value_and_where_it_comes_from() -> None:
    page = (PROJECT_DIR / "docs" / "configuration.md").read_text()
    row = next(line for line in page.splitlines() if line.startswith("| `auroraMinAcu` |"))
    dev, prod = (TIER_PRESETS[tier].aurora_min_acu for tier in ("dev", "prod"))
    assert f"`{docs._value_text(dev)}` (tier) | `{docs._value_text(prod)}` (tier)" in row
    row = next(line for line in page.splitlines() if line.startswith("| `auditTrailMultiRegion` |"))
    assert row.split(" | ")[5] == "`false` (stack file)"  # prod-dr sets it in its stack file


# ------------------------------------------------------------------------------------------------ commands


class _Parsed(BaseException):
    """Raised right after a command's parser accepted its arguments, so nothing else runs."""


def _fenced_commands() -> Iterator[tuple[str, str, bool]]:
    """(page, command line, marked as needing an AWS account) of every bash block of the README and docs."""
    for path in PAGES:
        for block in re.findall(r"^ *```bash\n(.*?)^ *```", path.read_text(), re.S | re.M):
            lines = [line.strip() for line in block.splitlines()]
            block_marked = bool(lines) and lines[0].startswith("#") and AWS_MARK in lines[0]
            joined: list[str] = []
            for line in lines:
                if joined and joined[-1].endswith("\\"):
                    joined[-1] = joined[-1][:-1] + " " + line
                else:
                    joined.append(line)
            for line in joined:
                if line and not line.startswith("#"):
                    yield _page_name(path), line, block_marked or AWS_MARK in line


def _argv(line: str) -> list[str]:
    return shlex.split(line, comments=True)


def _parse_only(main: Callable[[list[str]], Any], argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Give `argv` to the command's real parser; fail with argparse's message when it refuses them."""
    original = argparse.ArgumentParser.parse_args

    def parse_then_stop(self: argparse.ArgumentParser, args: Any = None, namespace: Any = None) -> NoReturn:
        original(self, args, namespace)
        raise _Parsed

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_then_stop)
    try:
        main(argv)
    except _Parsed:
        return
    except SystemExit as exit_:
        pytest.fail(f"the parser refuses {argv}: exit {exit_.code}")
    pytest.fail(f"{argv}: the command returned without parsing its arguments")


def _module_main(module: str) -> Callable[[list[str]], Any]:
    from offline import audit, diff, plan
    from ops import __main__ as ops_main
    from pricing import report

    mains: dict[str, Callable[[list[str]], Any]] = {
        "offline.plan": plan.main, "offline.audit": audit.main, "offline.diff": diff.main,
        "offline.docs": docs.main, "pricing.report": report.main, "ops": ops_main.main,
    }  # fmt: skip
    if module not in mains:
        pytest.fail(f"no test runs `.venv/bin/python -m {module}`: add it here or mark the line '{AWS_MARK}'")
    return mains[module]


COMMANDS = sorted(set(_fenced_commands()))


def test_the_pages_show_commands() -> None:
    assert len(COMMANDS) > 30
    assert any(marked for _, _, marked in COMMANDS) and any(not marked for _, _, marked in COMMANDS)


@pytest.mark.parametrize(("page", "line", "marked"), COMMANDS)
def test_each_command_is_checked_here_or_marked_as_needing_an_account(
    page: str, line: str, marked: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = _argv(line)
    if argv[:1] == [".venv/bin/python"] and argv[1:2] == ["-m"]:
        module, args = argv[2], argv[3:]
        if module == "tests.mutations":
            assert args == [], line
            return
        if module == "ops" and "--dry-run" not in args:
            assert marked, f"{page}: `{line}` calls AWS: mark it '{AWS_MARK}'"
        _parse_only(_module_main(module), args, monkeypatch)
    elif argv[:1] == ["./dev.sh"]:
        command, args = argv[1], argv[2:]
        assert command in ("plan", "test", "setup", "docs"), f"{page}: ./dev.sh has no command {command!r}"
        if command == "plan":
            from offline import plan

            _parse_only(plan.main, args if args[:1] and not args[0].startswith("-") else ["dev", *args], monkeypatch)
        elif command == "docs":
            _parse_only(docs.main, args, monkeypatch)
        elif command == "setup":
            assert args == [], line
    elif argv[:1] == [".venv/bin/pytest"]:
        assert not marked
    else:
        assert marked, f"{page}: `{line}` is neither checked by a test nor marked '{AWS_MARK}'"


def test_commands_use_the_project_python() -> None:
    """`python -m` with the system Python fails with a traceback (no packages): pages say .venv/bin/python."""
    bare = [
        (_page_name(path), match.group(0))
        for path in PAGES
        for match in re.finditer(r"(?<![/\w.])python3? -m [\w.]+", path.read_text())
        if "venv" not in match.group(0)
    ]
    assert bare == []


def test_failover_for_a_lost_region_names_the_mode() -> None:
    """Without --mode failover the command runs a switchover, which needs the lost region to answer."""
    text = (PROJECT_DIR / "docs" / "recovery.md").read_text()
    section = text[text.index("### Loss of the region") :]
    assert "ops failover --stack prod --to prod-dr --mode failover" in section


# ------------------------------------------------------------------------------------------------- figures

_TIER_FIGURE = re.compile(r"`(?P<key>[a-z][A-Za-z]+)`: dev (?P<dev>[\w-]+(?:\.\d+)?), prod (?P<prod>[\w-]+(?:\.\d+)?)")


def test_tier_figures_in_prose_are_the_presets() -> None:
    """Wherever a page writes "`key`: dev X, prod Y", X and Y are the tier presets of stacks/tiers.py."""
    from stacks.config import StackConfig

    field_of = {field.alias or name: name for name, field in StackConfig.model_fields.items()}
    found = []
    for path in PAGES:
        for match in _TIER_FIGURE.finditer(path.read_text()):
            key = match.group("key")
            assert key in field_of, f"{_page_name(path)}: unknown key {key}"
            for tier in ("dev", "prod"):
                value = docs._value_text(getattr(TIER_PRESETS[tier], field_of[key]))
                assert match.group(tier) == value, (
                    f"{_page_name(path)}: `{key}` {tier} is {value}, not {match.group(tier)}"
                )
            found.append(key)
    assert {"auroraMinAcu", "auroraMaxAcu", "kafkaBrokers"} <= set(found)


def test_the_interface_endpoints_named_are_the_ones_prod_builds() -> None:
    plan = offline_run("prod")
    built = {
        str(r.inputs["serviceName"]).rsplit(".", 1)[-1] if ".ecr." not in str(r.inputs["serviceName"])
        else ".".join(str(r.inputs["serviceName"]).split(".")[-2:])
        for r in plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") if r.inputs.get("vpcEndpointType") == "Interface"
    }  # fmt: skip
    assert built == {"ecr.api", "ecr.dkr", "sts", "logs", "secretsmanager"}  # prod rotates its master secret
    text = (PROJECT_DIR / "docs" / "architecture.md").read_text()
    assert "interface endpoints of ecr.api, ecr.dkr, sts and logs" in text
    assert "secretsmanager when a workload reads a secret or the master secret's rotation function runs" in text
    assert "secretsmanager, kms" not in text


def _workflow_stacks(name: str) -> list[str]:
    workflow = yaml.safe_load((PROJECT_DIR / ".github" / "workflows" / name).read_text())
    for job in workflow["jobs"].values():
        matrix = job.get("strategy", {}).get("matrix", {})
        stacks = matrix.get("stack") or [entry["stack"] for entry in matrix.get("include", []) if "stack" in entry]
        if stacks:
            return list(stacks)
    raise AssertionError(f"{name}: no job has a stack matrix")


def test_the_stacks_ci_deploys_are_the_ones_the_page_names() -> None:
    assert _workflow_stacks("deploy.yml") == _workflow_stacks("pull-request.yml") == ["dev", "prod", "prod-dr"]
    assert "for each stack (dev, prod and prod-dr)" in (PROJECT_DIR / "docs" / "ci.md").read_text()
    for page in ("docs/ci.md", "README.md"):
        assert "dev, prod and prod-dr" in (PROJECT_DIR / page).read_text(), page


def test_the_pages_state_no_test_count_or_suite_duration() -> None:
    """Both change with every commit; the pages say how to measure them instead."""
    claims = [
        (_page_name(path), match.group(0))
        for path in PAGES
        for match in re.finditer(r"(?:about|over|under) [\d,]+ tests|tests?,? (?:in )?under a minute", path.read_text())
    ]
    assert claims == []


# --------------------------------------------------------------------------------------------------- links


def test_every_relative_link_resolves() -> None:
    broken = []
    for path in PAGES:
        for target in re.findall(r"\]\(([^)\s]+)\)", path.read_text()):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            file = (path.parent / target.split("#")[0]).resolve()
            if not file.exists() and file.name not in LANDING:
                broken.append((_page_name(path), target))
    assert broken == []


def test_the_readme_is_a_front_door() -> None:
    readme = (PROJECT_DIR / "README.md").read_text()
    assert len(readme.splitlines()) <= 250
    first = readme.splitlines()[:5]
    assert first[1] == "" and first[2] == "```bash", "the two commands come first"
    assert first[3].startswith("./dev.sh plan ") and first[4].startswith("./dev.sh test ")
    for page in ("deploying", "configuration", "auditors", "cost", "recovery", "operations", "ci", "testing",
                 "known-limits", *[name.removesuffix(".md") for name in LANDING]):  # fmt: skip
        assert f"(docs/{page}.md)" in readme, page


def test_the_versions_named_are_the_ones_prod_plans() -> None:
    """Engine, Kubernetes and chart versions in docs/architecture.md are the ones the program registers."""
    run = offline_run("prod")
    planned = {
        str(chart.inputs["chart"]): str(chart.inputs["version"]).removeprefix("v")
        for chart in run.of_type("kubernetes:helm.sh/v4:Chart") if chart.inputs.get("version")
    }  # fmt: skip
    for name, type_token, field in (
        ("Aurora PostgreSQL", "aws:rds/cluster:Cluster", "engineVersion"),
        ("ElastiCache Valkey", "aws:elasticache/replicationGroup:ReplicationGroup", "engineVersion"),
        ("MSK", "aws:msk/cluster:Cluster", "kafkaVersion"),
        ("Kubernetes", "eks:index:Cluster", "version"),
    ):
        planned[name] = str(run.of_type(type_token)[0].inputs[field])
    text = (PROJECT_DIR / "docs" / "architecture.md").read_text()
    named = 0
    for name, version in planned.items():
        for match in re.finditer(rf"{re.escape(name)} v?(\d+(?:\.(?:\d+|x))+)", text):
            assert match.group(1) == version, (
                f"docs/architecture.md names {name} {match.group(1)}; the plan has {version}"
            )
            named += 1
    assert named >= 7


def test_the_push_commands_described_are_the_ones_preflight_prints() -> None:
    """docs/deploying.md names the tools of ops/images.py push_commands, not ones it does not print."""
    from ops.images import push_commands

    printed = push_commands("validator", "1.4.3", "111122223333.dkr.ecr.us-east-1.amazonaws.com/fintech-prod/validator",
                            "us-east-1")  # fmt: skip
    tools = {" ".join(line.split()[:2]) for line in printed.splitlines() if line.startswith("docker ")}
    assert tools == {"docker tag", "docker push"}
    page = (PROJECT_DIR / "docs" / "deploying.md").read_text()
    step = page[page.index("**Push the images.**") :].split("\n5. ")[0]
    assert all(f"`{tool}`" in step for tool in tools) and "docker buildx" not in step


def test_pinned_versions_and_name_limits_named_are_the_code_s() -> None:
    """Package versions a page names are the pins of requirements*.txt; the stack-name limit is name_limits'."""
    from stacks.name_limits import MAX_STACK_NAME_LENGTH

    pins = dict(
        re.findall(r"^([A-Za-z0-9_-]+)(?:\[[^\]]*\])?==(\S+)", (PROJECT_DIR / "requirements.txt").read_text(), re.M)
    )
    checked = 0
    for path in PAGES:
        text = path.read_text()
        for package, version in pins.items():
            for match in re.finditer(rf"(?<![\w-]){re.escape(package)} (\d+\.\d+\.\d+)", text):
                assert match.group(1) == version, f"{_page_name(path)}: {package} {match.group(1)}, pinned {version}"
                checked += 1
    assert checked >= 1
    deploying = (PROJECT_DIR / "docs" / "deploying.md").read_text()
    assert f"at most {MAX_STACK_NAME_LENGTH} lowercase letters" in deploying
    assert f"{MAX_STACK_NAME_LENGTH}-character stack name" in deploying


def test_no_page_advises_a_public_api_endpoint_for_prod() -> None:
    """eksPublicAccessCidrs: prod's mandatory eks-endpoint-private rule fails any public endpoint, so the pages
    offer engineers' CIDRs for dev only and say why prod keeps the default."""
    from policies.rules import ALL_RULES

    rule = next(rule for rule in ALL_RULES if rule.name == "eks-endpoint-private")
    assert rule.enforcement.value == "mandatory"
    reference = (PROJECT_DIR / "docs" / "configuration.md").read_text()
    row = next(line for line in reference.splitlines() if line.startswith("| `eksPublicAccessCidrs` |"))
    assert "Only dev may list engineers' own egress CIDRs" in row and "eks-endpoint-private" in row
    deploying = (PROJECT_DIR / "docs" / "deploying.md").read_text()
    assert "in dev, engineers who want" in deploying and "eks-endpoint-private" in deploying


def _leading_number(cell: str) -> int | None:
    match = re.match(r"\d+", cell)
    return int(match.group()) if match else None


@pytest.mark.parametrize("stack", ["dev", "prod-dr"])
def test_the_relaxation_tables_are_the_policy_configs(stack: str) -> None:
    """docs/auditors.md lists exactly the rules policies/config/<stack>.json relaxes, with the config's numbers
    and the rules' (prod) defaults."""
    import json

    from policies.rules import ALL_RULES

    rules = {rule.name: rule for rule in ALL_RULES}
    config = json.loads((PROJECT_DIR / "policies" / "config" / f"{stack}.json").read_text())
    text = (PROJECT_DIR / "docs" / "auditors.md").read_text()
    header = f"| rule | prod (default) | {stack} |"
    lines = text[text.index(header) :].splitlines()[2:]
    listed: set[str] = set()
    for line in lines:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        names = re.findall(r"`([a-z0-9-]+)`", cells[0])
        listed.update(names)
        for name in names:
            numbers = {key: value for key, value in config.get(name, {}).items()
                       if isinstance(value, int) and not isinstance(value, bool)}  # fmt: skip
            if len(numbers) == 1 and re.match(r"\d", cells[2]):
                ((key, value),) = numbers.items()
                assert _leading_number(cells[2]) == value, f"{name}: {stack} {cells[2]} vs {value}"
                default = rules[name].defaults()[key]
                assert _leading_number(cells[1]) == default, f"{name}: default {cells[1]} vs {default}"
    assert listed == set(config), (
        f"listed but not relaxed: {listed - set(config)}; relaxed, not listed: {set(config) - listed}"
    )


def _report_add_name(node: ast.AST) -> ast.expr | None:
    """The first argument of a `report.add(...)` call, else None."""
    if not (isinstance(node, ast.Call) and node.args and isinstance(node.func, ast.Attribute)):
        return None
    receiver = node.func.value
    is_report = isinstance(receiver, ast.Name) and receiver.id == "report"
    return node.args[0] if node.func.attr == "add" and is_report else None


def _verify_finding_names() -> set[str]:
    """Every finding name `ops verify` can emit: the first argument of each `report.add(...)` in ops/verify*.py,
    outside `preflight_*` functions (ops preflight's). A literal is the name; an f-string gives its constant start
    (`alarm-` of f"alarm-{name}", documented as `alarm-<name>`); a variable is resolved to the string constants the
    function assigns it (`check = "..."`, `reading = ["...", ...]`). Anything else fails: the test never skips one."""
    names: set[str] = set()
    for path in sorted((PROJECT_DIR / "ops").glob("verify*.py")):
        tree = ast.parse(path.read_text())
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef) or function.name.startswith("preflight_"):
                continue
            assigned: dict[str, list[str]] = {}
            for node in ast.walk(function):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        base = target.value if isinstance(target, ast.Subscript) else target
                        listed = isinstance(node.value, ast.List) and node.value.elts
                        value = node.value.elts[0] if listed else node.value  # type: ignore[attr-defined]
                        if isinstance(base, ast.Name) and isinstance(value, ast.Constant):
                            assigned.setdefault(base.id, []).append(str(value.value))
            for node in ast.walk(function):
                first = _report_add_name(node)
                if first is None:
                    continue
                if isinstance(first, ast.Constant):
                    names.add(f"`{first.value!s}`")
                elif isinstance(first, ast.JoinedStr) and isinstance(first.values[0], ast.Constant):
                    names.add(f"`{first.values[0].value!s}")
                else:
                    base = first.value if isinstance(first, ast.Subscript) else first
                    resolved = assigned.get(base.id, []) if isinstance(base, ast.Name) else []
                    assert resolved, f"{path.name}:{first.lineno}: finding name {ast.unparse(first)} not resolved"
                    names.update(f"`{name}`" for name in resolved)
    return names


def test_every_verify_finding_name_is_in_the_operations_page() -> None:
    names = _verify_finding_names()
    assert {"`master-secret-rotation`", "`grafana-deploy-token`", "`trace-encryption`", "`alarm-"} <= names
    text = (PROJECT_DIR / "docs" / "operations.md").read_text()
    assert sorted(name for name in names if name not in text) == []
