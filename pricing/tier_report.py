"""The generated tables of docs/tiers.md: what each tier (and the standby) runs and why, each stack against its own
budget with the pair beside them, and the levers with their amounts.

    python -m pricing.tier_report            # print the tables (plans dev, prod and prod-dr offline)
    python -m pricing.tier_report --write    # write them into docs/tiers.md between their markers

Every figure comes from the presets (stacks/tiers.py), the stack files and the cost model; tests/test_tiers.py
regenerates the tables and fails when docs/tiers.md differs, so the page cannot drift from the code.

Exit status: 0; 2 on a usage or configuration error (as pricing.report).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic.alias_generators import to_camel, to_snake

from offline.cli import CommandError, exit_status_help, run
from offline.engine import PROJECT_DIR, stack_config
from pricing.levers import LEVERS, Outlook, PricedLever, outlook, price_levers
from pricing.model import CostReport, PriceTable
from stacks.config import StackConfig, parse_stack_config
from stacks.tiers import (
    AURORA_MIN_ACU_GLOBAL_PRIMARY,
    AURORA_MIN_ACU_PERFORMANCE_INSIGHTS,
    CLASS_KEYS,
    PRESET_REASONS,
    STANDBY_RELAXED,
    STANDBY_SIZES,
    TIER_PRESETS,
    ServiceName,
    TierPreset,
)

DOC = PROJECT_DIR / "docs" / "tiers.md"
STACKS = ("dev", "prod", "prod-dr")
"""The stacks the page reports: the dev tier, the prod tier and prod's standby."""
SERVICE_NAMES = {"nodes": "EKS nodes", "cache": "ElastiCache (Valkey)", "brokers": "MSK brokers", "aurora": "Aurora"}
CLASS_FIELDS: dict[ServiceName, str] = {"nodes": "node_instance_type", "cache": "cache_node_type",
                                        "brokers": "kafka_broker_type", "aurora": "aurora_instance_class"}  # fmt: skip
"""The preset field of each service's class (CLASS_KEYS names its config key)."""


@dataclass(frozen=True)
class StackCost:
    """A stack's config, plan and priced plan."""

    config: StackConfig
    plan: dict[str, Any]
    report: CostReport


def stack_settings(stack: str) -> StackConfig:
    """The validated config of a stack file, as the program reads it (without running the program)."""
    values, secrets = stack_config(stack)
    prefix = "fintech-platform:"
    raw = {key[len(prefix) :]: value for key, value in values.items() if key.startswith(prefix)}
    return parse_stack_config(raw, [key[len(prefix) :] for key in secrets if key.startswith(prefix)])


def _value(config: TierPreset, key: str) -> str:
    value = getattr(config, to_snake(key))
    return f"{value:g}" if isinstance(value, float) else str(value).lower() if isinstance(value, bool) else str(value)


def class_table(standby: StackConfig) -> str:
    """Instance class per service in each tier, with the standby's, and why."""
    lines = ["| service | config key | dev | prod | prod-dr (standby) | why prod runs it |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    dev, prod = TIER_PRESETS["dev"], TIER_PRESETS["prod"]
    for service, key in CLASS_KEYS.items():
        field = CLASS_FIELDS[service]
        lines.append(f"| {SERVICE_NAMES[service]} | `{key}` | `{getattr(dev, field)}` | `{getattr(prod, field)}` | "
                     f"`{getattr(standby, field)}` | {PRESET_REASONS['prod'][service]} |")  # fmt: skip
    lines.append(f"| Aurora Serverless v2 minimum | `auroraMinAcu` | {dev.aurora_min_acu:g} | "
                 f"{prod.aurora_min_acu:g} | {standby.aurora_min_acu:g} | AWS's recommended floor: "
                 f"{AURORA_MIN_ACU_GLOBAL_PRIMARY:g} ACUs for a global database's primary Region, "
                 f"{AURORA_MIN_ACU_PERFORMANCE_INSIGHTS:g} with Performance Insights (stacks/tiers.py) |")  # fmt: skip
    lines += ["", "Why dev runs what it does:", ""]
    lines += [f"- {SERVICE_NAMES[service]}: {why}." for service, why in PRESET_REASONS["dev"].items()]
    return "\n".join(lines)


def standby_table(standby: StackConfig) -> str:
    """Every preset key where the standby's stack file differs from its tier, whether it relaxes an HA rule or
    sets a size, and why."""
    tier = TIER_PRESETS[standby.tier]
    lines = ["| key | prod tier | prod-dr | kind | why |", "|---|---|---|---|---|"]
    for field in TierPreset.model_fields:
        key = to_camel(field)
        if getattr(standby, field) == getattr(tier, field):
            continue
        if key in STANDBY_RELAXED:
            kind, why = "HA rule relaxed (STANDBY_RELAXED)", STANDBY_RELAXED[key]
        elif key in STANDBY_SIZES:
            kind, why = "size by config", STANDBY_SIZES[key].partition(": ")[2]
        else:
            raise CommandError(f"prod-dr sets {key} = {getattr(standby, field)!r} below its tier without a reason "
                               "in stacks/tiers.py STANDBY_RELAXED or STANDBY_SIZES")  # fmt: skip
        lines.append(f"| `{key}` | {_value(tier, key)} | {_value(standby, key)} | {kind} | {why} |")
    return "\n".join(lines)


def budget_table(costs: dict[str, StackCost]) -> str:
    """Each stack against its own budget (budget_verdict, as the plan, report, diff and CI gate), and the pair."""
    lines = ["| stack | baseline | peak | own budget | share | verdict |", "|---|---:|---:|---:|---:|---|"]
    for stack, cost in costs.items():
        verdict = cost.report.verdict
        if verdict is None:
            raise CommandError(f"stack '{stack}' has no monthlyBudgetUsd")
        state = "**over budget**" if verdict.over else "within budget"
        gap = f"over by {-verdict.headroom:,.2f}" if verdict.over else f"headroom {verdict.headroom:,.2f}"
        lines.append(f"| {stack} | {verdict.baseline:,.2f} | {verdict.peak:,.2f} | {verdict.budget:,.2f} | "
                     f"{verdict.share:.0%} | {state} ({gap}) |")  # fmt: skip
    primary, standby = costs["prod"].report, costs["prod-dr"].report
    pair = round(primary.baseline + standby.baseline, 2)
    budgets = (primary.budget or 0) + (standby.budget or 0)
    lines.append(f"| prod + prod-dr (information) | {pair:,.2f} | {primary.peak + standby.peak:,.2f} | "
                 f"({budgets:,.2f}) | - | not a gate |")  # fmt: skip
    return "\n".join(lines)


def lever_table(stack: str, priced: list[PricedLever], view: Outlook | None = None) -> str:
    """A stack's levers with their monthly amounts, and its outlook (open levers against the gap, commitments)."""
    lines = ["| lever | config | state | per month | gives up |", "|---|---|---|---:|---|"]
    for item in priced:
        state = "taken" if item.taken else "open"
        lines.append(f"| {item.lever.name} | `{item.lever.config}` | {state} | {item.saving:,.2f} | "
                     f"{item.lever.gives_up} |")  # fmt: skip
    if view is not None:
        lines += [""] + [f"- {line}" for line in view.lines()]
    return "\n".join(lines)


def readme_table(standby: StackConfig) -> str:
    """The README's table: instance class per service in each tier and the standby, and why (the presets' reasons,
    as on docs/tiers.md)."""
    lines = ["| service | dev | prod | prod-dr | why prod runs it | why dev runs it |", "|---|---|---|---|---|---|"]
    dev, prod = TIER_PRESETS["dev"], TIER_PRESETS["prod"]
    for service, field in CLASS_FIELDS.items():
        lines.append(f"| {SERVICE_NAMES[service]} | `{getattr(dev, field)}` | `{getattr(prod, field)}` | "
                     f"`{getattr(standby, field)}` | {PRESET_REASONS['prod'][service]} | "
                     f"{PRESET_REASONS['dev'][service]} |")  # fmt: skip
    return "\n".join(lines)


def blocks(costs: dict[str, StackCost], table: PriceTable) -> dict[str, str]:
    """The generated blocks of docs/tiers.md, by marker name."""
    standby = costs["prod-dr"].config
    generated = {"classes": class_table(standby), "standby": standby_table(standby), "budgets": budget_table(costs)}
    for stack in STACKS:
        cost = costs[stack]
        priced = price_levers(cost.plan, table, LEVERS[stack])
        generated[f"levers-{stack}"] = lever_table(stack, priced, outlook(cost.plan, cost.report, table, priced))
    return generated


def read_blocks(text: str, names: list[str]) -> dict[str, str]:
    """The generated blocks of docs/tiers.md (offline.docs markers); CommandError names a missing one."""
    from offline.docs import block_body

    return {name: block_body(text, name, "docs/tiers.md") for name in names}


def write_blocks(text: str, generated: dict[str, str]) -> str:
    """`text` with each block replaced by its generated content (offline.docs.fill_block, like every generated
    block of the docs)."""
    from offline.docs import fill_block

    for name, content in generated.items():
        text = fill_block(text, name, content, "docs/tiers.md")
    return text


def generated_blocks() -> dict[str, str]:
    """Every generated table of docs/tiers.md, from the offline plans of the three stacks."""
    from offline.plan import plan_stack, prepare

    costs = {}
    table = None
    for stack in STACKS:
        overrides, table = prepare(stack, [])
        plan, report = plan_stack(stack, overrides, table)
        costs[stack] = StackCost(stack_settings(stack), plan, report)
    assert table is not None
    return blocks(costs, table)


def expected_page() -> str:
    """docs/tiers.md as it should read now (its hand-written text with every table regenerated); offline.docs
    writes and checks it with the other generated pages."""
    return write_blocks(DOC.read_text(), generated_blocks())


def _main(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pricing.tier_report", description=__doc__.split("\n\n")[0],
                                     epilog=exit_status_help(errors="broken stack file or price table, a config "
                                                             "value refused, a missing marker"))  # fmt: skip
    parser.add_argument("--write", action="store_true", help="write the tables into docs/tiers.md")
    args = parser.parse_args(argv)
    generated = generated_blocks()
    if args.write:
        DOC.write_text(write_blocks(DOC.read_text(), generated))
        print(f"wrote {len(generated)} tables into {Path(DOC).relative_to(PROJECT_DIR)}")
    else:
        print("\n\n".join(f"<!-- BEGIN GENERATED: {name} -->\n{content}" for name, content in generated.items()))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m pricing.tier_report` (exit status: see offline/cli.py)."""
    return run(_main, argv)


if __name__ == "__main__":
    sys.exit(main())
