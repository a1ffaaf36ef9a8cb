"""Generated documentation: the pages and blocks that restate what the code already says, written from the code
so they cannot drift (the way terraform-docs writes a module's inputs from its variables).

    .venv/bin/python -m offline.docs           # (re)write every generated page and block   (./dev.sh docs)
    .venv/bin/python -m offline.docs --check   # exit 1 naming each stale file; writes nothing

What is generated, and from what:
- docs/configuration.md (whole page): every key of Pulumi.yaml (its type, default and description, which
  holds the allowed values) with the value each stack takes after its tier preset (stacks/tiers.py) and
  stack file, as the config model (stacks.config.parse_stack_config) resolves them.
- docs/architecture.md block `architecture`: the Mermaid diagram of prod's offline plan (offline/diagram.py).
- README.md block `stacks`: resources, components and monthly cost of every stack, from its offline plan.
- README.md block `tiers`: the instance class per service of each tier and the standby, and why
  (pricing/tier_report.py).
- docs/cost.md block `cost-table`: monthly cost per component of every stack (pricing/model.py).
- docs/auditors.md block `policy-rules`: every rule of the pack (policies/rules) with area, enforcement,
  severity and PCI DSS requirement.

A block sits between `<!-- BEGIN GENERATED: NAME -->` and `<!-- END GENERATED: NAME -->` in a hand-written
page; everything outside the markers is left as it is. tests/test_docs.py fails when any of them is stale.

Exit status: 0 written (or, with --check, up to date); 1 with --check when a file is stale; 2 on a usage
error or a configuration the program refuses (offline/cli.py).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from offline.cli import CommandError, exit_status_help, run
from offline.diagram import mermaid
from offline.engine import PROJECT_DIR, OfflineRun, run_stack, stack_config
from offline.plan import summarize
from pricing.model import CostReport, load_prices, price_plan

Runs = Callable[[str], OfflineRun]
"""How the generator gets a stack's offline run (the tests pass their session-cached runs)."""

STACKS = ("dev", "prod", "prod-dr")
"""The stacks the generated pages describe, in column order."""

COMMAND = "./dev.sh docs"
"""The one command that regenerates every generated page and block."""

_BLOCK = re.compile(
    r"(<!-- BEGIN GENERATED: (?P<name>[a-z-]+) [^>]*-->\n)(?P<body>.*?)(<!-- END GENERATED: (?P=name) -->)", re.S
)


@cache
def _own_run(stack: str) -> OfflineRun:
    result = run_stack(stack)
    if result.error:
        raise CommandError(f"stack '{stack}' does not plan: {result.error}")
    return result


def _value_text(value: Any) -> str:
    """A config value as `pulumi config set` takes it."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(list(value) if isinstance(value, tuple) else value, separators=(",", ":"))
    return str(value)


def _cell(text: str) -> str:
    """Text for a table cell: pipes escaped, and `<` outside code spans (GitHub would take `<digest>` for a tag)."""
    parts = re.split(r"(`[^`]*`)", text.replace("|", "\\|").replace("\n", " "))
    return "".join(part if part.startswith("`") else part.replace("<", "&lt;") for part in parts)


def _ticked(value: str) -> str:
    return f"`{value}`" if value else '`""`'


def _stack_values(stack: str) -> dict[str, tuple[str, str]]:
    """Key -> (value, where it comes from: 'tier', 'stack file' or 'default') for one stack."""
    from stacks.config import CONFIG_NAMESPACE, StackConfig, parse_stack_config

    raw, secret_keys = stack_config(stack)
    prefix = f"{CONFIG_NAMESPACE}:"
    values = {key[len(prefix) :]: value for key, value in raw.items() if key.startswith(prefix)}
    secrets = {key[len(prefix) :] for key in secret_keys}
    parsed = parse_stack_config(values, secret_keys=secrets)
    stack_file = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text()).get("config") or {}
    own = {key[len(prefix) :] for key in stack_file if key.startswith(prefix)}
    declared = _declared()
    found: dict[str, tuple[str, str]] = {}
    for name, field in StackConfig.model_fields.items():
        key = field.alias or name
        source = "stack file" if key in own else "tier" if declared[key].get("default") == "tier" else "default"
        shown = "[secret]" if key in secrets else _value_text(getattr(parsed, name))
        found[key] = (shown, source)
    return found


def _declared() -> dict[str, dict[str, Any]]:
    project = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())
    return dict(project["config"])


CONFIG_INTRO = """\
Every key is in the `fintech-platform` namespace and declared in `Pulumi.yaml` (type, description, default).
A default of `tier` takes the value of the stack's tier preset (`stacks/tiers.py`); setting the key in a stack
file overrides the preset for that stack only. The dev, prod and prod-dr columns are the values each stack
runs with, resolved by the program's own config model, and say where each comes from: the tier preset, the
stack file, or the declared default. Unknown keys are refused (with a suggestion); keys that would turn off a
part of the security baseline (`cacheAuth`, `storageEncrypted`, ...) are refused with that reason. Invalid
values fail before any resource is registered, naming the key, the value and what is allowed.

The last column is the key's description in `Pulumi.yaml`; after "Allowed:", every backticked value is tried
by `tests/test_config_table.py` on the dev and prod stacks, and each value it says prod refuses is refused
there. Values arrive from `pulumi config` as text: numbers are ASCII digits (`0.5`, `60`), booleans `true` or
`false`, lists JSON (`pulumi config set --path 'key[0]' value`).
"""

CONFIG_OUTRO = """\
Settings the program would ignore are warned about: a key in a misspelt namespace (`fintech_platform:tier`)
and any `aws:*` provider setting (the stacks use explicit providers built from `region` and `accountId`, so
`aws:region` has no effect).

Zone IDs, not names, are pinned: a name maps to a different physical zone in every account, and a pinned set
never changes when AWS adds a zone, so subnets are never renumbered or replaced by it. Every AWS resource
carries the tags `environment`, `project`, `owner`, `cost-center`, `data-classification` and `managed-by`
through the explicit providers' `default_tags`.
"""


def configuration_page() -> str:
    """docs/configuration.md: every config key, its default, each stack's value and where it comes from."""
    from stacks.tiers import STANDBY_RELAXED

    declared = _declared()
    per_stack = {stack: _stack_values(stack) for stack in STACKS}
    lines = [
        f"<!-- GENERATED by {COMMAND} (offline/docs.py) from Pulumi.yaml, stacks/tiers.py and the stack files. "
        "Do not edit: change the source and regenerate; tests/test_docs.py fails when this page is stale. -->",
        "",
        "# Configuration reference",
        "",
        CONFIG_INTRO,
        "| key | type | default | dev | prod | prod-dr | description |",
        "|---|---|---|---|---|---|---|",
    ]
    for key in sorted(declared, key=str.lower):
        spec = declared[key]
        default = spec.get("default")
        default_text = "tier" if default == "tier" else _ticked(_value_text(default))
        cells = []
        for stack in STACKS:
            value, source = per_stack[stack][key]
            shown = value if value == "[secret]" else _ticked(value)
            cells.append(f"{shown} ({source})" if source != "default" else shown)
        kind = spec.get("type", "string")
        if kind == "array":
            kind = f"array of {spec.get('items', {}).get('type', 'string')}"
        lines.append(f"| `{key}` | {kind} | {default_text} | {' | '.join(_cell(c) for c in cells)} | "
                     f"{_cell(str(spec.get('description', '')))} |")  # fmt: skip
    lines += [
        "",
        "## What a standby may relax",
        "",
        "A standby (`standbyFor` set) of a high-availability tier may relax these rules of its tier, and only these "
        "(`STANDBY_RELAXED` in `stacks/tiers.py`):",
        "",
        "| key | why |",
        "|---|---|",
        *[f"| `{key}` | {_cell(why)} |" for key, why in STANDBY_RELAXED.items()],
        "",
        CONFIG_OUTRO.rstrip(),
        "",
    ]
    return "\n".join(lines)


def _module(label: str) -> str:
    return label.split(":")[0]


def _priced(runs: Runs, stack: str) -> tuple[dict[str, Any], CostReport]:
    plan = summarize(runs(stack))
    return plan, price_plan(plan, load_prices())


def _money(value: float) -> str:
    return f"{value:,.2f}"


def cost_table(runs: Runs) -> str:
    """docs/cost.md block: monthly cost per component module of every stack, baseline and peak."""
    reports = {stack: _priced(runs, stack)[1] for stack in STACKS}
    modules: dict[str, dict[str, tuple[float, float]]] = {}
    for stack, report in reports.items():
        for label, (baseline, peak) in report.by_component().items():
            row = modules.setdefault(_module(label), {})
            old = row.get(stack, (0.0, 0.0))
            row[stack] = (old[0] + baseline, old[1] + peak)
    header = " | ".join(f"{stack} baseline | {stack} peak" for stack in STACKS)
    lines = [f"| component (USD/month) | {header} |", "|---|" + "---:|" * (2 * len(STACKS))]
    for module in sorted(modules):
        cells = []
        for stack in STACKS:
            baseline, peak = modules[module].get(stack, (0.0, 0.0))
            cells += [_money(baseline), _money(peak)] if (baseline or peak) else ["-", "-"]
        lines.append(f"| {module} | {' | '.join(cells)} |")
    totals = [f"**{_money(value)}**" for stack in STACKS for value in (reports[stack].baseline, reports[stack].peak)]
    lines.append(f"| **total** | {' | '.join(totals)} |")
    budgets = [f"{reports[stack].budget:,.0f}" if reports[stack].budget else "-" for stack in STACKS]
    lines.append(f"| budget (`monthlyBudgetUsd`) | {' | | '.join(budgets)} | |")
    lines.append("")
    for stack in STACKS:
        verdict = reports[stack].verdict
        if verdict is not None:
            lines.append(f"- {verdict.line()}")
    pair = round(reports["prod"].baseline + reports["prod-dr"].baseline, 2)
    lines += [
        "",
        f"The region pair at baseline, for information (each stack is judged against its own budget only): prod "
        f"{_money(reports['prod'].baseline)} + prod-dr {_money(reports['prod-dr'].baseline)} = **{_money(pair)}** "
        "USD a month.",
    ]
    flags = {stack: reports[stack].price_flag for stack in STACKS if reports[stack].price_flag}
    for stack, flag in flags.items():
        lines += ["", f"**PRICE FLAG** ({stack}): {flag}"]
    return "\n".join(line for line in lines if line is not None).rstrip()


def stacks_block(runs: Runs) -> str:
    """README block: what each stack plans - resources, components, cost against budget."""
    lines = [
        "| stack | tier | region | resources (as `./dev.sh plan` counts them) | of which components "
        "| monthly baseline (USD) | budget (USD) |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for stack in STACKS:
        plan, report = _priced(runs, stack)
        counts = plan["counts"]
        budget = f"{report.budget:,.0f}" if report.budget else "-"
        lines.append(f"| {stack} | {plan['tier']} | {plan['region']} | {counts['resources']} | "
                     f"{counts['components']} | {_money(report.baseline)} | {budget} |")  # fmt: skip
    return "\n".join(lines)


def architecture_block(runs: Runs) -> str:
    """docs/architecture.md block: the Mermaid diagram of prod's plan (offline/diagram.py)."""
    return "```mermaid\n" + mermaid(summarize(runs("prod"))) + "\n```"


def _percent(target: float) -> str:
    return f"{target * 100:g}%"


def slo_block(_: Runs) -> str:
    """The SLO table (README and docs/observability.md): each SLO of components/slo.py with its tier targets."""
    from components.slo import SLOS
    from stacks.config.observability import slo_targets
    from stacks.tiers import TIER_PRESETS

    targets = {tier: slo_targets(preset) for tier, preset in TIER_PRESETS.items()}
    tiers = sorted(targets)
    lines = [
        f"| SLO (`slo` label) | good event | target {' / '.join(tiers)} |",
        "| --- | --- | --- |",
    ]
    for slo in SLOS:
        figures = " / ".join(_percent(targets[tier][slo.name]) for tier in tiers)
        lines.append(f"| `{slo.name}` | {slo.description} | {figures} |")
    return "\n".join(lines)


def policy_rules_block(_: Runs) -> str:
    """docs/auditors.md block: every rule of the pack with its metadata."""
    from policies.rules import ALL_RULES

    areas = Counter(rule.area for rule in ALL_RULES)
    summary = ", ".join(
        f"{area} {count}" for area, count in sorted(areas.items(), key=lambda item: (-item[1], item[0]))
    )
    lines = [
        f"{len(ALL_RULES)} rules in {len(areas)} areas ({summary}).",
        "",
        "| rule | area | enforcement | severity | PCI DSS v4.0 | description |",
        "|---|---|---|---|---|---|",
    ]
    for rule in sorted(ALL_RULES, key=lambda r: (r.area, r.name)):
        lines.append(f"| `{rule.name}` | {rule.area} | {rule.enforcement.value} | {rule.severity.value} | "
                     f"{rule.pci_requirement} | {_cell(rule.description)} |")  # fmt: skip
    return "\n".join(lines)


def iam_policies_block(_: Runs) -> str:
    """docs/day2.md block: each shipped role policy (iam/*.json, kept fresh by tests/test_iam_policies.py), who uses
    it, how many actions, which services' actions are narrowed to ARN patterns, and which keep Resource "*" alone."""
    import json

    from iam.generate import OPS_ROLES, ROLES, WORKFLOWS, path
    from iam.scoping import star_services

    lines = ["| role policy | used by | actions | narrowed to the program's names | Resource \"*\" only |",
             "|---|---|---:|---|---|"]  # fmt: skip
    for role in ROLES:
        statements = json.loads(path(role).read_text())["Statement"]
        actions = {a for s in statements for a in s["Action"]}
        narrowed = sorted({s["Action"][0].split(":")[0] for s in statements if s["Resource"] != "*"})
        users = (f"`ops {'`, `ops '.join(OPS_ROLES[role])}`" if role in OPS_ROLES
                 else f"`.github/workflows/{WORKFLOWS[role]}`")  # fmt: skip
        lines.append(f"| `iam/{path(role).name}` | {users} | {len(actions)} | {', '.join(narrowed) or '-'} | "
                     f"{', '.join(star_services(statements))} |")  # fmt: skip
    return "\n".join(lines)


def tiers_block(_: Runs) -> str:
    """README block: the instance class per service of each tier and the standby, and why (issue 21's "Must
    show"; pricing/tier_report.py builds it from the presets and prod-dr's stack file)."""
    from pricing.tier_report import readme_table, stack_settings

    return readme_table(stack_settings("prod-dr"))


@dataclass(frozen=True)
class Block:
    """A generated block inside a hand-written page."""

    path: str
    name: str
    render: Callable[[Runs], str]


BLOCKS = (
    Block("README.md", "stacks", stacks_block),
    Block("README.md", "tiers", tiers_block),
    Block("docs/architecture.md", "architecture", architecture_block),
    Block("docs/cost.md", "cost-table", cost_table),
    Block("docs/auditors.md", "policy-rules", policy_rules_block),
    Block("docs/day2.md", "iam-policies", iam_policies_block),
    Block("README.md", "slo", slo_block),
    Block("docs/observability.md", "slo", slo_block),
)


def tiers_page() -> str:
    """docs/tiers.md with its generated tables (pricing/tier_report.py builds them)."""
    from pricing.tier_report import expected_page

    return expected_page()


def pci_coverage_page() -> str:
    """docs/pci-coverage.md, the PCI DSS coverage matrix (offline/compliance.py builds it)."""
    from offline.compliance import coverage, render

    return render(coverage())


PAGES: dict[str, Callable[[], str]] = {
    "docs/configuration.md": configuration_page,
    "docs/tiers.md": tiers_page,
    "docs/pci-coverage.md": pci_coverage_page,
}


def expected(runs: Runs = _own_run) -> dict[str, str]:
    """Path -> the content every generated page and block file should have now."""
    files = {path: render() for path, render in PAGES.items()}
    for path in sorted({block.path for block in BLOCKS}):
        text = (PROJECT_DIR / path).read_text()
        for block in (b for b in BLOCKS if b.path == path):
            text = fill_block(text, block.name, block.render(runs), path)
        files[path] = text
    return files


def fill_block(text: str, name: str, body: str, path: str = "page") -> str:
    """`text` with the body of its generated block `name` replaced; a missing block is an error."""
    match = _one_block(text, name, path)
    return text[: match.start("body")] + body.rstrip("\n") + "\n" + text[match.end("body") :]


def _one_block(text: str, name: str, path: str) -> re.Match[str]:
    found = [m for m in _BLOCK.finditer(text) if m.group("name") == name]
    if len(found) != 1:
        raise CommandError(f"{path}: expected one '<!-- BEGIN GENERATED: {name} ... -->' ... "
                           f"'<!-- END GENERATED: {name} -->' block, found {len(found)}")  # fmt: skip
    return found[0]


def block_body(text: str, name: str, path: str = "page") -> str:
    """The body of the generated block `name` of `text`; a missing or repeated block is an error."""
    return _one_block(text, name, path).group("body").rstrip("\n")


def stale(runs: Runs = _own_run) -> list[str]:
    """The generated files whose content is not what the code says now."""
    return [path for path, text in expected(runs).items() if _read(PROJECT_DIR / path) != text]


def _read(path: Path) -> str | None:
    return path.read_text() if path.exists() else None


def _main(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(
        prog=".venv/bin/python -m offline.docs",
        description="Regenerate the documentation generated from the code (docs/configuration.md and the "
        "generated blocks of README.md, docs/cost.md and docs/auditors.md, the tables of docs/tiers.md and the PCI "
        "coverage matrix).",
        epilog=exit_status_help(errors="bad argument, a page without its generated block, a stack that does not plan"),
    )
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 naming each stale file")
    args = parser.parse_args(argv)
    files = expected()
    changed = [path for path, text in files.items() if _read(PROJECT_DIR / path) != text]
    if args.check:
        for path in changed:
            print(f"stale: {path} (run {COMMAND})", file=sys.stderr)
        return 1 if changed else 0
    for path in changed:
        target = PROJECT_DIR / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(files[path])
        print(f"wrote {path}")
    print(f"{len(files)} generated file(s), {len(changed)} rewritten.")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m offline.docs` (exit status: see offline/cli.py)."""
    return run(_main, argv)


if __name__ == "__main__":
    sys.exit(main())
