"""Monthly cost of a stack's offline plan against its budget.

    python -m pricing.report dev                       # table per component, baseline and peak
    python -m pricing.report prod --format markdown    # for a PR comment
    python -m pricing.report prod --check              # exit 1 when the baseline is over budget

Prices: pricing/prices.yaml (us-east-1 list prices, each row with source and date). Usage
assumptions: pricing/usage.yaml, per tier, printed with every report. Both are checked before the
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
from pricing.model import CostReport, PriceTable


def plan_cost(stack: str, config_pairs: list[str] | None = None) -> tuple[dict[str, Any], CostReport, PriceTable]:
    """Check the inputs, run the program offline for `stack` (with `KEY=VALUE` overrides) and price its plan."""
    overrides, table = prepare(stack, config_pairs or [])
    plan, report = plan_stack(stack, overrides, table)
    return plan, report, table


def render_text(report: CostReport, table: PriceTable) -> str:
    """Per-component table for a terminal."""
    lines = [f"Monthly cost of stack '{report.stack}' (tier {report.tier}), us-east-1 list prices:",
             f"  {'component':<28} {'baseline':>10} {'peak':>10}"]  # fmt: skip
    for component, (baseline, peak) in report.by_component().items():
        lines.append(f"  {component:<28} {baseline:>10.2f} {peak:>10.2f}")
    lines.append(f"  {'total':<28} {report.baseline:>10.2f} {report.peak:>10.2f}")
    if report.budget is not None:
        verdict = "OVER BUDGET" if report.over_budget else "within budget"
        share, peak_share = report.baseline / report.budget, report.peak / report.budget
        lines.append(f"  budget {report.budget:.2f}: baseline {verdict} ({share:.0%} of budget; peak {peak_share:.0%})")
    lines += ["", "Usage assumptions:"]
    for key, note in table.usage_notes[report.tier].items():
        lines.append(f"  {key} = {table.usage[report.tier][key]:g}: {note}")
    if report.unpriced:
        lines += ["", f"Not priced (no rule yet): {', '.join(report.unpriced)}"]
    return "\n".join(lines)


def render_markdown(report: CostReport) -> str:
    """Per-component table for a PR comment."""
    lines = [f"#### Monthly cost of `{report.stack}` (USD, us-east-1 list prices)", "",
             "| component | baseline | peak |", "|---|---:|---:|"]  # fmt: skip
    for component, (baseline, peak) in report.by_component().items():
        lines.append(f"| {component} | {baseline:,.2f} | {peak:,.2f} |")
    lines.append(f"| **total** | **{report.baseline:,.2f}** | **{report.peak:,.2f}** |")
    if report.budget is not None:
        verdict = "over budget" if report.over_budget else "within budget"
        lines += [
            "",
            f"Budget {report.budget:,.0f}: baseline is **{verdict}** ({report.baseline / report.budget:.0%}).",
        ]
    return "\n".join(lines)


def _main(argv: list[str] | None) -> int:
    errors = "bad argument or config value, broken stack file or price table, a type or region without prices"
    parser = argparse.ArgumentParser(
        prog="python -m pricing.report",
        description=__doc__.split("\n\n")[0],
        epilog=exit_status_help("with --check, the baseline is over budget", errors),
    )
    parser.add_argument("stack", choices=known_stacks())
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    parser.add_argument("--check", action="store_true", help="exit 1 when the baseline is over the budget")
    parser.add_argument("--config", metavar="KEY=VALUE", action="append", default=[],
                        help="price the stack as if `pulumi config set KEY VALUE` (repeatable)")  # fmt: skip
    args = parser.parse_args(argv)
    _, report, table = plan_cost(args.stack, args.config)
    if args.format == "json":
        components = {name: {"baseline": b, "peak": p} for name, (b, p) in report.by_component().items()}
        document = {
            "stack": report.stack, "tier": report.tier, "budget": report.budget, "baseline": report.baseline,
            "peak": report.peak, "components": components, "lines": [asdict(line) for line in report.lines],
            "unpriced": report.unpriced,
        }  # fmt: skip
        print(json.dumps(document, indent=2))
    elif args.format == "markdown":
        print(render_markdown(report))
    else:
        print(render_text(report, table))
    return 1 if args.check and report.over_budget else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m pricing.report` (exit status: see offline/cli.py)."""
    return run(_main, argv)


if __name__ == "__main__":
    sys.exit(main())
