"""Monthly cost of a stack's offline plan against its budget; a primary is priced with its standby.

    python -m pricing.report dev                       # table per component, baseline and peak
    python -m pricing.report prod                      # prod, its standby (drStack) and their sum vs the budget
    python -m pricing.report prod-dr                   # the standby alone against its own budget
    python -m pricing.report prod --format markdown    # for a PR comment
    python -m pricing.report prod --check              # exit 1 when the baseline (of the pair) is over budget

A stack whose plan names a standby (output drStack, from the config key of the same name) is priced with
that standby: the primary's monthlyBudgetUsd covers the pair, so --check compares the sum. --config
overrides apply to the named stack only; the standby is priced from its own stack file.

Prices: pricing/prices.yaml (us-east-1 list prices, each row with source and date; a region listed under
stand_in_regions is priced with them and flagged in every report). Usage assumptions: pricing/usage.yaml,
per tier (and 'standby' for the standby of a pair), printed with every report. Both are checked before the
stack is planned (non-negative prices, every row the model needs).

Exit status: 0; 1 with --check when the baseline is over budget; 2 on a usage or configuration error
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


def _verdict(baseline: float, peak: float, budget: float, over: bool, subject: str) -> str:
    verdict = "OVER BUDGET" if over else "within budget"
    return f"budget {budget:.2f}: {subject} {verdict} ({baseline / budget:.0%} of budget; peak {peak / budget:.0%})"


def render_text(report: CostReport, table: PriceTable, pair: PairReport | None = None) -> str:
    """Per-component table for a terminal; with `pair`, both stacks and their sum against the primary's budget."""
    lines: list[str] = []
    for member in (pair.primary, pair.standby) if pair else (report,):
        lines += _text_table(member, table, own_budget=pair is None)
        lines.append("")
    if pair:
        lines += [f"Region pair (the budget of '{pair.primary.stack}' covers both):",
                  f"  {'stack':<28} {'baseline':>10} {'peak':>10}"]  # fmt: skip
        for member in (pair.primary, pair.standby):
            lines.append(f"  {member.stack:<28} {member.baseline:>10.2f} {member.peak:>10.2f}")
        lines.append(f"  {'sum':<28} {pair.baseline:>10.2f} {pair.peak:>10.2f}")
        if pair.budget is not None:
            lines.append("  " + _verdict(pair.baseline, pair.peak, pair.budget, pair.over_budget, "pair baseline"))
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def _text_table(report: CostReport, table: PriceTable, own_budget: bool) -> list[str]:
    lines = [f"Monthly cost of stack '{report.stack}' (tier {report.tier}, {report.region}), "
             f"{report.price_region} list prices:",
             f"  {'component':<28} {'baseline':>10} {'peak':>10}"]  # fmt: skip
    for component, (baseline, peak) in report.by_component().items():
        lines.append(f"  {component:<28} {baseline:>10.2f} {peak:>10.2f}")
    lines.append(f"  {'total':<28} {report.baseline:>10.2f} {report.peak:>10.2f}")
    if report.budget is not None and own_budget:
        lines.append("  " + _verdict(report.baseline, report.peak, report.budget, report.over_budget, "baseline"))
    if report.price_flag:
        lines.append(f"  PRICE FLAG: {report.price_flag}")
    lines += ["", f"Usage assumptions ({report.usage_tier}):"]
    for key, note in table.usage_notes[report.usage_tier].items():
        lines.append(f"  {key} = {table.usage[report.usage_tier][key]:g}: {note}")
    if report.unpriced:
        lines += ["", f"Not priced (no rule yet): {', '.join(report.unpriced)}"]
    return lines


def render_markdown(report: CostReport, pair: PairReport | None = None) -> str:
    """Per-component table for a PR comment; with `pair`, both stacks and their sum."""
    lines: list[str] = []
    for member in (pair.primary, pair.standby) if pair else (report,):
        lines += [f"#### Monthly cost of `{member.stack}` (USD, {member.region}, {member.price_region} list prices)",
                  "", "| component | baseline | peak |", "|---|---:|---:|"]  # fmt: skip
        for component, (baseline, peak) in member.by_component().items():
            lines.append(f"| {component} | {baseline:,.2f} | {peak:,.2f} |")
        lines.append(f"| **total** | **{member.baseline:,.2f}** | **{member.peak:,.2f}** |")
        if member.price_flag:
            lines += ["", f"> **Price flag:** {member.price_flag}"]
        if member.budget is not None and pair is None:
            verdict = "over budget" if member.over_budget else "within budget"
            lines += ["", f"Budget {member.budget:,.0f}: baseline is **{verdict}** "
                          f"({member.baseline / member.budget:.0%})."]  # fmt: skip
        lines.append("")
    if pair:
        lines += [f"#### Region pair `{pair.primary.stack}` + `{pair.standby.stack}`", "",
                  "| stack | baseline | peak |", "|---|---:|---:|"]  # fmt: skip
        for member in (pair.primary, pair.standby):
            lines.append(f"| {member.stack} | {member.baseline:,.2f} | {member.peak:,.2f} |")
        lines.append(f"| **sum** | **{pair.baseline:,.2f}** | **{pair.peak:,.2f}** |")
        if pair.budget is not None:
            verdict = "over budget" if pair.over_budget else "within budget"
            lines += ["", f"Budget {pair.budget:,.0f} (`{pair.primary.stack}`'s monthlyBudgetUsd covers the pair): "
                          f"the pair's baseline is **{verdict}** ({pair.baseline / pair.budget:.0%})."]  # fmt: skip
    return "\n".join(lines).rstrip("\n")


def _document(report: CostReport) -> dict[str, Any]:
    components = {name: {"baseline": b, "peak": p} for name, (b, p) in report.by_component().items()}
    return {
        "stack": report.stack, "tier": report.tier, "region": report.region, "priceRegion": report.price_region,
        "priceFlag": report.price_flag, "usageTier": report.usage_tier, "budget": report.budget,
        "baseline": report.baseline, "peak": report.peak, "overBudget": report.over_budget,
        "components": components, "lines": [asdict(line) for line in report.lines], "unpriced": report.unpriced,
    }  # fmt: skip


def render_json(report: CostReport, pair: PairReport | None = None) -> str:
    """The priced plan as JSON; with `pair`, the standby's document and the pair's sum against the budget."""
    document = _document(report)
    document["standby"] = _document(pair.standby) if pair else None
    document["pair"] = (
        {"stacks": [pair.primary.stack, pair.standby.stack], "baseline": pair.baseline, "peak": pair.peak,
         "budget": pair.budget, "overBudget": pair.over_budget}
        if pair else None
    )  # fmt: skip
    return json.dumps(document, indent=2)


def _main(argv: list[str] | None) -> int:
    errors = "bad argument or config value, broken stack file or price table, a type or region without prices"
    parser = argparse.ArgumentParser(
        prog="python -m pricing.report",
        description=__doc__.split("\n\n")[0],
        epilog=exit_status_help("with --check, the baseline (of the pair) is over budget", errors),
    )
    parser.add_argument("stack", choices=known_stacks())
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when the baseline is over the budget (for a primary: the pair's sum)")  # fmt: skip
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
    over = pair.over_budget if pair else report.over_budget
    return 1 if args.check and over else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m pricing.report` (exit status: see offline/cli.py)."""
    return run(_main, argv)


if __name__ == "__main__":
    sys.exit(main())
