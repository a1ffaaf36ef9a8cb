"""Monthly cost of a stack's offline plan against its budget; a primary is priced with its standby.

    python -m pricing.report dev                       # table per component, baseline and peak
    python -m pricing.report prod                      # prod against its budget, with its standby and the pair
    python -m pricing.report prod-dr                   # the standby against its own budget
    python -m pricing.report prod --format markdown    # for a PR comment
    python -m pricing.report prod --check              # exit 1 when prod's baseline is over prod's budget

Every stack has its own budget (monthlyBudgetUsd) and is checked against it alone, by the same function as
the offline plan, the PR diff and the CI gate (pricing.model.budget_verdict). A stack whose plan names a
standby (output drStack) is shown with that standby and the pair's sum, as information: --check judges the
named stack only (the CI gate runs --check on every stack). --config overrides apply to the named stack
only; the standby is priced from its own stack file.

Prices: pricing/prices.yaml (us-east-1 list prices, each row with source and date; a region listed under
stand_in_regions is priced with them and flagged in every report). Usage assumptions: pricing/usage.yaml,
per tier (and 'standby' for the standby of a pair), printed with every report. Both are checked before the
stack is planned (non-negative prices, every row the model needs).

Exit status: 0; 1 with --check when the stack's baseline is over its own budget; 2 on a usage or configuration error
(bad argument or config value, broken stack file or price table, a type or region without prices).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from typing import Any

from offline.cli import exit_status_help, run
from offline.engine import known_stacks
from offline.plan import plan_stack, prepare
from pricing.model import CostReport, PairReport, PriceTable, PricingError, check_pair, standby_of


def plan_cost(stack: str, config_pairs: list[str] | None = None) -> tuple[dict[str, Any], CostReport, PriceTable]:
    """Check the inputs, run the program offline for `stack` (with `KEY=VALUE` overrides) and price its plan."""
    overrides, table = prepare(stack, config_pairs or [])
    plan, report = plan_stack(stack, overrides, table)
    return plan, report, table


def pair_cost(stack: str, config_pairs: list[str] | None = None) -> tuple[CostReport, PairReport | None, PriceTable]:
    """Price `stack` and, when its plan names a standby (output drStack), the standby from its own stack file."""
    plan, report, table = plan_cost(stack, config_pairs)
    standby = standby_of(plan)
    if not standby:
        return report, None, table
    if standby not in known_stacks():
        raise PricingError(f"stack '{stack}' names '{standby}' as its drStack, but there is no Pulumi.{standby}.yaml; "
                           f"stacks: {', '.join(known_stacks())}")  # fmt: skip
    standby_plan, standby_report = plan_stack(standby, {}, table)
    check_pair(plan, standby_plan)
    return report, PairReport(report, standby_report), table


def render_text(report: CostReport, table: PriceTable, pair: PairReport | None = None) -> str:
    """Per-component table for a terminal, each stack against its own budget; with `pair`, the standby too and the
    pair's sum as information."""
    lines: list[str] = []
    for member in (pair.primary, pair.standby) if pair else (report,):
        lines += _text_table(member, table)
        lines.append("")
    if pair:
        lines += ["Region pair (information, not a budget check: each stack is checked against its own budget):",
                  f"  {'stack':<28} {'baseline':>10} {'peak':>10} {'budget':>10}"]  # fmt: skip
        for member in (pair.primary, pair.standby):
            budget = f"{member.budget:>10.2f}" if member.budget is not None else f"{'-':>10}"
            lines.append(f"  {member.stack:<28} {member.baseline:>10.2f} {member.peak:>10.2f} {budget}")
        budgets = f"{pair.budgets:>10.2f}" if pair.budgets is not None else f"{'-':>10}"
        lines.append(f"  {'sum':<28} {pair.baseline:>10.2f} {pair.peak:>10.2f} {budgets}")
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def _text_table(report: CostReport, table: PriceTable) -> list[str]:
    lines = [f"Monthly cost of stack '{report.stack}' (tier {report.tier}, {report.region}), "
             f"{report.price_region} list prices:",
             f"  {'component':<28} {'baseline':>10} {'peak':>10}"]  # fmt: skip
    for component, (baseline, peak) in report.by_component().items():
        lines.append(f"  {component:<28} {baseline:>10.2f} {peak:>10.2f}")
    lines.append(f"  {'total':<28} {report.baseline:>10.2f} {report.peak:>10.2f}")
    verdict = report.verdict
    if verdict is not None:
        lines.append("  " + verdict.line())
    if report.price_flag:
        lines.append(f"  PRICE FLAG: {report.price_flag}")
    lines += ["", f"Usage assumptions ({report.usage_tier}):"]
    for key, note in table.usage_notes[report.usage_tier].items():
        lines.append(f"  {key} = {table.usage[report.usage_tier][key]:g}: {note}")
    if report.unpriced:
        lines += ["", f"Not priced (no rule yet): {', '.join(report.unpriced)}"]
    return lines


def render_markdown(report: CostReport, pair: PairReport | None = None) -> str:
    """Per-component table for a PR comment, each stack against its own budget; with `pair`, the pair's sum as
    information."""
    lines: list[str] = []
    for member in (pair.primary, pair.standby) if pair else (report,):
        lines += [f"#### Monthly cost of `{member.stack}` (USD, {member.region}, {member.price_region} list prices)",
                  "", "| component | baseline | peak |", "|---|---:|---:|"]  # fmt: skip
        for component, (baseline, peak) in member.by_component().items():
            lines.append(f"| {component} | {baseline:,.2f} | {peak:,.2f} |")
        lines.append(f"| **total** | **{member.baseline:,.2f}** | **{member.peak:,.2f}** |")
        if member.price_flag:
            lines += ["", f"> **Price flag:** {member.price_flag}"]
        verdict = member.verdict
        if verdict is not None:
            lines += ["", f"**{verdict.line()}**" if verdict.over else verdict.line()]
        lines.append("")
    if pair:
        lines += [f"#### Region pair `{pair.primary.stack}` + `{pair.standby.stack}` (information, not a budget check)",
                  "", "| stack | baseline | peak | own budget |", "|---|---:|---:|---:|"]  # fmt: skip
        for member in (pair.primary, pair.standby):
            budget = f"{member.budget:,.2f}" if member.budget is not None else "-"
            lines.append(f"| {member.stack} | {member.baseline:,.2f} | {member.peak:,.2f} | {budget} |")
        budgets = f"{pair.budgets:,.2f}" if pair.budgets is not None else "-"
        lines.append(f"| **sum** | **{pair.baseline:,.2f}** | **{pair.peak:,.2f}** | {budgets} |")
    return "\n".join(lines).rstrip("\n")


def _document(report: CostReport) -> dict[str, Any]:
    components = {name: {"baseline": b, "peak": p} for name, (b, p) in report.by_component().items()}
    return {
        "stack": report.stack, "tier": report.tier, "region": report.region, "priceRegion": report.price_region,
        "priceFlag": report.price_flag, "usageTier": report.usage_tier, "budget": report.budget,
        "baseline": report.baseline, "peak": report.peak, "overBudget": report.over_budget,
        "verdict": report.verdict.document() if report.verdict else None,
        "components": components, "lines": [asdict(line) for line in report.lines], "unpriced": report.unpriced,
    }  # fmt: skip


def render_json(report: CostReport, pair: PairReport | None = None) -> str:
    """The priced plan as JSON; with `pair`, the standby's document and the pair's sum (information only)."""
    document = _document(report)
    document["standby"] = _document(pair.standby) if pair else None
    document["pair"] = (
        {"stacks": [pair.primary.stack, pair.standby.stack], "baseline": pair.baseline, "peak": pair.peak,
         "budgets": pair.budgets}
        if pair else None
    )  # fmt: skip
    return json.dumps(document, indent=2)


def _main(argv: list[str] | None) -> int:
    errors = "bad argument or config value, broken stack file or price table, a type or region without prices"
    parser = argparse.ArgumentParser(
        prog="python -m pricing.report",
        description=__doc__.split("\n\n")[0],
        epilog=exit_status_help("with --check, the stack's baseline is over its own budget", errors),
    )
    parser.add_argument("stack", choices=known_stacks())
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when the stack's baseline is over its own budget (monthlyBudgetUsd)")  # fmt: skip
    parser.add_argument(
        "--config",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="price the stack as if `pulumi config set KEY VALUE` (repeatable; not to its standby)",
    )
    args = parser.parse_args(argv)
    report, pair, table = pair_cost(args.stack, args.config)
    if args.format == "json":
        print(render_json(report, pair))
    elif args.format == "markdown":
        print(render_markdown(report, pair))
    else:
        print(render_text(report, table, pair))
    return 1 if args.check and report.over_budget else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m pricing.report` (exit status: see offline/cli.py)."""
    return run(_main, argv)


if __name__ == "__main__":
    sys.exit(main())
