"""What a change does to the stacks: compare the offline plans of two revisions.

    python -m offline.diff --base origin/main                   # Markdown for a PR comment
    python -m offline.diff --base origin/main --format json --output diff.json

The base revision is checked out into a temporary git worktree and planned there with its own code
(`python -m offline.snapshot`); the working tree is planned here. Both plans are priced by the
working tree's price table, so the cost delta shows what the change costs, not a price refresh.

Exit status: 0 the diff is written; 1 a stack of the base revision fails to plan (the diff says so);
2 a usage or configuration error: a bad argument, a --base that is not a commit or predates the
program (no Pulumi.yaml or __main__.py there), not a git checkout, a broken stack file, policy config or
price table of the working tree, a config value the program refuses, an unwritable --output.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from offline.cli import (
    FINDING,
    USAGE_OR_CONFIG_ERROR,
    CommandError,
    exit_status_help,
    output_path,
    run,
    write_output,
)
from offline.diagram import mermaid
from offline.engine import PROJECT_DIR, known_stacks
from offline.snapshot import snapshot
from offline.stackfile import check_stack_file
from pricing.model import load_prices, price_plan

PROGRAM_FILES = ("Pulumi.yaml", "__main__.py")
"""Files a revision must hold to be planned: without them it predates the program."""


@dataclass
class StackDiff:
    """The difference between a stack's base and head plans."""

    stack: str
    added: list[dict[str, str]] = field(default_factory=list)
    removed: list[dict[str, str]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    cost: dict[str, Any] = field(default_factory=dict)
    policy: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    stack_removed: bool = False
    """The change deletes the stack's file: every resource of its base plan is removed, with its cost."""
    head_failed: bool = False
    """The working tree's plan failed (a configuration error), not only the base's."""


def _resources(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    # Keyed by type and name (unique per type in this program), which plans of every revision carry; the
    # first revisions' plans have no URN.
    return {f"{r['type']}::{r['name']}": r for component in plan["components"] for r in component["resources"]}


def _urn(resource: dict[str, Any]) -> str:
    return str(resource.get("urn") or f"{resource['type']}::{resource['name']}")


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat |= _flatten(item, f"{prefix}.{key}" if prefix else key)
        return flat or {prefix: {}}
    if isinstance(value, list):
        return {prefix: json.dumps(value, sort_keys=True)}
    return {prefix: value}


def brief(resource: dict[str, Any]) -> dict[str, str]:
    """URN, type and name of a plan resource."""
    return {"urn": _urn(resource), "type": resource["type"], "name": resource["name"]}


def diff_plans(base: dict[str, Any], head: dict[str, Any]) -> tuple[list[Any], list[Any], list[Any]]:
    """Resources added, removed and changed (with the changed property paths and values)."""
    before, after = _resources(base), _resources(head)
    added = [brief(after[urn]) for urn in sorted(set(after) - set(before))]
    removed = [brief(before[urn]) for urn in sorted(set(before) - set(after))]
    changed = []
    for urn in sorted(set(before) & set(after)):
        old, new = _flatten(before[urn]["inputs"]), _flatten(after[urn]["inputs"])
        properties = {path: {"before": old.get(path), "after": new.get(path)}
                      for path in sorted(set(old) | set(new)) if old.get(path) != new.get(path)}  # fmt: skip
        if properties:
            changed.append({**brief(after[urn]), "properties": properties})
    return added, removed, changed


def cost_delta(base: dict[str, Any], head: dict[str, Any]) -> dict[str, Any]:
    """Monthly cost before and after, per component and in total, priced by the same table."""
    old, new = price_plan(base), price_plan(head)
    old_parts, new_parts = old.by_component(), new.by_component()
    components = {}
    for name in sorted(set(old_parts) | set(new_parts)):
        before, after = old_parts.get(name, (0.0, 0.0)), new_parts.get(name, (0.0, 0.0))
        if before != after:
            components[name] = {
                "baselineDelta": round(after[0] - before[0], 2),
                "peakDelta": round(after[1] - before[1], 2),
            }
    return {
        "baselineBefore": old.baseline, "baselineAfter": new.baseline,
        "baselineDelta": round(new.baseline - old.baseline, 2), "peakDelta": round(new.peak - old.peak, 2),
        "budget": new.budget, "overBudget": new.over_budget, "components": components,
    }  # fmt: skip


def policy_delta(base: dict[str, Any] | None, head: dict[str, Any]) -> dict[str, Any]:
    """Rules whose result changed, and the mandatory violations after the change."""
    before = (base or {}).get("rules", {})
    changes = {}
    for name, rule in head["rules"].items():
        status = before.get(name, {}).get("status", "absent")
        if status != rule["status"]:
            changes[name] = {"before": status, "after": rule["status"]}
    return {
        "mandatoryViolations": head["summary"]["mandatoryViolations"],
        "changed": changes,
        "baseAvailable": base is not None,
    }


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", *args], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)
    except FileNotFoundError:
        raise CommandError("offline.diff needs git on PATH to read the base revision") from None


def resolve_base(revision: str) -> str:
    """The commit `revision` names; CommandError when it is no commit of this checkout or predates the program."""
    if not revision.strip():
        raise CommandError("--base is empty; give a branch, tag or commit such as origin/main")
    inside = _git("rev-parse", "--is-inside-work-tree")
    if inside.returncode != 0:
        raise CommandError(f"offline.diff compares git revisions, but {PROJECT_DIR} is not a git checkout "
                           f"({inside.stderr.strip() or 'git rev-parse failed'})")  # fmt: skip
    resolved = _git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}")
    if resolved.returncode != 0:
        raise CommandError(f"--base {revision!r} is not a commit of this repository; give a branch, tag or "
                           "commit (for a pull request its target branch, such as origin/main, fetched)")  # fmt: skip
    commit = resolved.stdout.strip()
    missing = [name for name in PROGRAM_FILES if _git("cat-file", "-e", f"{commit}:{name}").returncode != 0]
    if missing:
        first = _git("log", "--diff-filter=A", "--format=%h", "--", "Pulumi.yaml").stdout.split()
        since = f"; the program exists since commit {first[-1]}" if first else ""
        raise CommandError(f"--base {revision!r} ({commit[:12]}) predates the program: it has no "
                           f"{' and no '.join(missing)}; compare with a later revision{since}")  # fmt: skip
    return commit


def base_snapshots(commit: str, stacks: list[str]) -> dict[str, dict[str, Any]]:
    """Snapshots of the stacks at `commit`, made in a temporary worktree with that revision's code."""
    with tempfile.TemporaryDirectory(prefix="fintech-base-") as directory:
        worktree = Path(directory) / "base"
        added = _git("worktree", "add", "--detach", str(worktree), commit)
        if added.returncode != 0:
            raise CommandError(f"cannot check out {commit[:12]} into a temporary worktree: {added.stderr.strip()}")
        try:
            return {stack: _snapshot_at(worktree, stack) for stack in stacks}
        finally:
            _git("worktree", "remove", "--force", str(worktree))


def _snapshot_at(worktree: Path, stack: str) -> dict[str, Any]:
    if not (worktree / f"Pulumi.{stack}.yaml").exists():
        return {"stack": stack, "plan": {"stack": stack, "components": [], "outputs": {}}, "policy": None}
    if (worktree / "offline" / "snapshot.py").exists():
        command = [sys.executable, "-m", "offline.snapshot", stack]
    else:  # a revision from before snapshots existed: the plan only
        command = [sys.executable, "-m", "offline.plan", stack, "--json", "-"]
    try:
        result = subprocess.run(command, cwd=worktree, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        return {"stack": stack, "error": "planning the base revision took over 600 s"}
    lines = (result.stderr or result.stdout).strip().splitlines()
    if result.returncode != 0:
        return {"stack": stack, "error": lines[-1] if lines else f"exit status {result.returncode}, no output"}
    try:
        data: dict[str, Any] = json.loads(result.stdout)
    except json.JSONDecodeError:
        return {"stack": stack, "error": "the base revision's snapshot is not JSON"}
    return data if "plan" in data else {"stack": stack, "plan": data, "policy": None}


def stacks_at(commit: str) -> list[str]:
    """Stack names with a Pulumi.<stack>.yaml at `commit`."""
    listed = _git("ls-tree", "--name-only", commit)
    names = listed.stdout.splitlines() if listed.returncode == 0 else []
    return sorted(n[len("Pulumi.") : -len(".yaml")] for n in names if n.startswith("Pulumi.") and n.endswith(".yaml")
                  and n != "Pulumi.yaml")  # fmt: skip


def removed_snapshot(stack: str) -> dict[str, Any]:
    """The head side of a stack the change deletes: no resources, no cost, no rule results."""
    return {"stack": stack, "plan": {"stack": stack, "components": [], "outputs": {}},
            "policy": {"rules": {}, "summary": {"mandatoryViolations": 0}}}  # fmt: skip


def compare(base: dict[str, Any], head: dict[str, Any]) -> StackDiff:
    """The difference between two snapshots of one stack."""
    diff = StackDiff(head["stack"])
    if "error" in head or "error" in base:
        diff.error = head.get("error") or f"base: {base.get('error')}"
        diff.head_failed = "error" in head
        return diff
    try:
        diff.added, diff.removed, diff.changed = diff_plans(base["plan"], head["plan"])
        diff.cost = cost_delta(base["plan"], head["plan"])
    except (KeyError, TypeError) as err:  # a base revision whose plan format this code does not read
        diff.error = f"base: the base revision's plan lacks {err} (an older plan format); diff against a later base"
        return diff
    diff.policy = policy_delta(base.get("policy"), head["policy"])
    return diff


def render_markdown(diffs: list[StackDiff], heads: dict[str, dict[str, Any]], revision: str) -> str:
    """One PR comment: per stack the resource changes, the cost delta, the policy delta and the diagram."""
    lines = [f"## Infrastructure diff against `{revision}`", ""]
    for diff in diffs:
        lines.append(f"### Stack `{diff.stack}`" + (" (removed by this change)" if diff.stack_removed else ""))
        if diff.error:
            lines += ["", f"Plan failed: `{diff.error}`", ""]
            continue
        cost = diff.cost
        lines += [
            "",
            f"**{len(diff.added)} added, {len(diff.changed)} changed, {len(diff.removed)} removed.** "
            f"Monthly baseline {cost['baselineBefore']:,.2f} -> {cost['baselineAfter']:,.2f} USD "
            f"({cost['baselineDelta']:+,.2f}; peak {cost['peakDelta']:+,.2f})"
            + (f", budget {cost['budget']:,.0f}" + (" **exceeded**" if cost["overBudget"] else "")
               if cost["budget"] is not None else "") + ".",
            f"Policy pack: {diff.policy['mandatoryViolations']} mandatory violation(s) after the change"
            + ("" if diff.policy["baseAvailable"] else " (no policy results for the base revision)") + ".",
            "",
        ]  # fmt: skip
        for title, rows in (("Added", diff.added), ("Removed", diff.removed)):
            if rows:
                lines += [f"<details><summary>{title} ({len(rows)})</summary>", ""]
                lines += [f"- `{r['type']}` {r['name']}" for r in rows] + ["", "</details>", ""]
        if diff.changed:
            lines += [f"<details><summary>Changed ({len(diff.changed)})</summary>", ""]
            for row in diff.changed:
                props = ", ".join(
                    f"`{p}`: {v['before']} -> {v['after']}" for p, v in list(row["properties"].items())[:5]
                )
                lines.append(f"- `{row['type']}` {row['name']}: {props}")
            lines += ["", "</details>", ""]
        if cost["components"]:
            lines += ["| component | baseline delta | peak delta |", "|---|---:|---:|"]
            lines += [f"| {name} | {d['baselineDelta']:+,.2f} | {d['peakDelta']:+,.2f} |"
                      for name, d in cost["components"].items()] + [""]  # fmt: skip
        if diff.policy["changed"]:
            lines += ["| rule | before | after |", "|---|---|---|"]
            lines += [f"| `{n}` | {c['before']} | {c['after']} |" for n, c in diff.policy["changed"].items()] + [""]
        lines += ["<details><summary>Architecture</summary>", "", "```mermaid",
                  mermaid(heads[diff.stack]["plan"]), "```", "", "</details>", ""]  # fmt: skip
    return "\n".join(lines)


def _main(argv: list[str] | None) -> int:
    errors = (
        "bad argument, unknown or too old --base, not a git checkout, broken stack file or price table, a "
        "config value the program refuses, unwritable --output"
    )
    parser = argparse.ArgumentParser(
        prog="python -m offline.diff",
        description=__doc__.split("\n\n")[0],
        epilog=exit_status_help("a stack of the base revision fails to plan", errors),
    )
    parser.add_argument("--base", default="origin/main", help="git revision to compare with (default origin/main)")
    parser.add_argument("--stack", action="append", choices=known_stacks(), help="stack(s) to compare (default all)")
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown")
    parser.add_argument("--output", help="write the report to this file instead of stdout")
    args = parser.parse_args(argv)
    target = output_path(args.output, "--output") if args.output is not None else None
    head_stacks = list(dict.fromkeys(args.stack or known_stacks()))
    for stack in head_stacks:
        check_stack_file(PROJECT_DIR, stack)
    load_prices()
    commit = resolve_base(args.base)
    # A stack whose file the change deletes is in the base only: it is diffed against nothing (all removed).
    removed = [] if args.stack else [stack for stack in stacks_at(commit) if stack not in head_stacks]
    stacks = head_stacks + removed
    bases = base_snapshots(commit, stacks)
    heads = {stack: snapshot(stack) for stack in head_stacks} | {stack: removed_snapshot(stack) for stack in removed}
    diffs = [compare(bases[stack], heads[stack]) for stack in stacks]
    for diff in diffs:
        diff.stack_removed = diff.stack in removed
    if args.format == "json":
        report = json.dumps({"base": args.base, "stacks": [asdict(d) for d in diffs]}, indent=2, default=str)
    else:
        report = render_markdown(diffs, heads, args.base)
    if target is not None:
        write_output(target, report + "\n", "--output")
    else:
        print(report)
    for diff in diffs:
        if diff.head_failed:
            print(f"error: stack '{diff.stack}': {diff.error}", file=sys.stderr)
    if any(d.head_failed for d in diffs):
        return USAGE_OR_CONFIG_ERROR
    return FINDING if any(d.error for d in diffs) else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m offline.diff` (exit status: see offline/cli.py)."""
    return run(_main, argv)


if __name__ == "__main__":
    sys.exit(main())
