"""Run the policy pack against the offline plan of a stack: per rule, pass or violations.

    python -m offline.audit dev                                # text report
    python -m offline.audit prod --format markdown             # for a PR comment
    python -m offline.audit dev --format json --output audit.json
    python -m offline.audit dev --policy-config policies/config/dev.json

The policy config defaults to policies/config/<stack>.json when that file exists, as auditors pass it
to `pulumi preview --policy-pack policies --policy-pack-config ...`; it is checked as CrossGuard checks
it, and stricter (policies/pack_config.py): a misspelt enforcement level, rule or property is an error,
never a silently weaker pack. A rule set to `remediate` blocks like `mandatory` (these rules only validate).

Exit status: 0 when no blocking rule is violated; 1 when a mandatory (or remediate) rule is violated;
2 on a usage or configuration error (bad argument, broken stack file, invalid policy config, a config
value the program refuses, unwritable --output), printed as one `error:` line.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pulumi_policy import EnforcementLevel
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from offline.cli import CommandError, exit_status_help, output_path, run, write_output
from offline.engine import PROJECT_DIR, OfflineRun, Registration, known_stacks, run_stack
from offline.stackfile import check_stack_file
from offline.values import convert
from policies.pack_config import (
    BLOCKING_LEVELS,
    PackConfig,
    PolicyConfigError,
    check_pack_config,
    parse_pack_config,
    stack_problems,
)
from policies.rules import ALL_RULES
from policies.rules.base import ResourceView, Rule


@dataclass
class RuleResult:
    """The outcome of one rule on one stack."""

    name: str
    area: str
    severity: str
    enforcement: str
    pci_requirement: str
    description: str
    remediation: str
    status: str = "pass"
    """pass, fail, not-evaluable (a value unknown until deployment), or disabled."""
    violations: list[dict[str, str]] = field(default_factory=list)
    resources_checked: int = 0


def _plain(value: Any) -> Any:
    """Secrets unwrapped (rules read, never print them) and unknowns as pulumi-policy's sentinel."""
    return convert(value, lambda content: content, UNKNOWN_STRING_VALUE)


def views(run: OfflineRun) -> list[ResourceView]:
    """The stack's resources as rules see them in a preview: inputs, protect, provider, dependencies."""
    providers = {f"{r.urn}::{r.id}": r for r in run.resources if r.type.startswith("pulumi:providers:")}

    def view(resource: Registration) -> ResourceView:
        provider = providers.get(resource.provider)
        return ResourceView(
            type=resource.type,
            name=resource.name,
            urn=resource.urn,
            props=unknown_checking_proxy(_plain(resource.inputs)),
            protect=resource.protect,
            provider_props=_plain(provider.inputs) if provider else {},
            parent=resource.parent,
            property_dependencies=resource.property_dependencies,
        )

    return [view(resource) for resource in run.resources]


def load_policy_config(path: Path | None) -> PackConfig:
    """A --policy-pack-config file, checked against every rule's config schema (CommandError, exit 2)."""
    if path is None:
        return PackConfig()
    if not path.is_file():
        problem = "is a directory" if path.is_dir() else "does not exist"
        raise CommandError(f"--policy-config {str(path)!r} {problem}; give a JSON file such as "
                           "policies/config/dev.json")  # fmt: skip
    try:
        return parse_pack_config(path.read_bytes().decode("utf-8", errors="replace"), ALL_RULES, str(path))
    except PolicyConfigError as err:
        raise CommandError(str(err)) from err


def evaluate(run: OfflineRun, policy_config: PackConfig | dict[str, Any]) -> list[RuleResult]:
    """Every rule on every resource of the run (a plain dict config is checked first)."""
    config = policy_config if isinstance(policy_config, PackConfig) else check_pack_config(policy_config, ALL_RULES)
    resources = views(run)
    return [_evaluate_rule(rule, resources, config) for rule in ALL_RULES]


def _evaluate_rule(rule: Rule, resources: list[ResourceView], policy_config: PackConfig) -> RuleResult:
    config = policy_config.config(rule)
    result = RuleResult(rule.name, rule.area, rule.severity.value, policy_config.level(rule),
                        rule.pci_requirement, rule.description, rule.remediation)  # fmt: skip
    if result.enforcement == EnforcementLevel.DISABLED.value:
        result.status = "disabled"
        return result
    unknown: list[dict[str, str]] = []
    if rule.stack_check is not None:
        result.resources_checked = len(resources)
        try:
            result.violations = [{"urn": urn, "message": msg} for urn, msg in rule.evaluate_stack(resources, config)]
        except UnknownValueError as err:
            unknown.append({"urn": "", "message": err.message})
    else:
        for resource in resources:
            if resource.type not in rule.resource_types:
                continue
            result.resources_checked += 1
            try:
                result.violations += [{"urn": resource.urn, "message": m} for m in rule.evaluate(resource, config)]
            except UnknownValueError as err:
                unknown.append({"urn": resource.urn, "message": err.message})
    if result.violations:
        result.status = "fail"
    elif unknown:
        result.status = "not-evaluable"
        result.violations = unknown
    return result


def summary(results: list[RuleResult]) -> dict[str, int]:
    """Counts per outcome; mandatory failures are the ones that block."""
    return {
        "rules": len(results),
        "passed": sum(r.status == "pass" for r in results),
        "mandatoryViolations": sum(r.status == "fail" and r.enforcement in BLOCKING_LEVELS for r in results),
        "advisoryViolations": sum(r.status == "fail" and r.enforcement not in BLOCKING_LEVELS for r in results),
        "notEvaluable": sum(r.status == "not-evaluable" for r in results),
        "disabled": sum(r.status == "disabled" for r in results),
        "notApplicable": sum(r.status == "pass" and r.resources_checked == 0 for r in results),
    }


def render_text(stack: str, results: list[RuleResult]) -> str:
    """The report for a terminal."""
    counts = summary(results)
    lines = [f"Policy pack on the offline plan of stack '{stack}': {counts['rules']} rules, {counts['passed']} "
             f"passed, {counts['mandatoryViolations']} mandatory and {counts['advisoryViolations']} advisory "
             f"violations, {counts['notEvaluable']} not evaluable"]  # fmt: skip
    for result in results:
        mark = {"pass": "PASS", "fail": "FAIL", "not-evaluable": "????", "disabled": "OFF "}[result.status]
        lines.append(f"  {mark} {result.name} [{result.area}; {result.enforcement}; {result.severity}; "
                     f"PCI DSS {result.pci_requirement}]")  # fmt: skip
        for violation in result.violations:
            lines.append(f"       {violation['urn'].split('::')[-1] or '(stack)'}: {violation['message']}")
    return "\n".join(lines)


def render_markdown(stack: str, results: list[RuleResult]) -> str:
    """The report as a PR comment."""
    counts = summary(results)
    verdict = "blocked" if counts["mandatoryViolations"] else "passes"
    lines = [
        f"### Policy pack: stack `{stack}` {verdict}",
        "",
        f"{counts['rules']} rules: {counts['passed']} passed, **{counts['mandatoryViolations']} mandatory** and "
        f"{counts['advisoryViolations']} advisory violations, {counts['notEvaluable']} not evaluable offline.",
        "",
        "| rule | area | level | PCI DSS | result |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        outcome = {"pass": "pass", "fail": f"**{len(result.violations)} violation(s)**", "disabled": "disabled",
                   "not-evaluable": "not evaluable"}[result.status]  # fmt: skip
        lines.append(
            f"| `{result.name}` | {result.area} | {result.enforcement} | {result.pci_requirement} | {outcome} |"
        )
    failures = [r for r in results if r.status == "fail"]
    if failures:
        lines += ["", "<details><summary>Violations</summary>", ""]
        for result in failures:
            for violation in result.violations:
                lines.append(f"- `{result.name}` on `{violation['urn'].split('::')[-1]}`: {violation['message']}. "
                             f"Fix: {result.remediation}")  # fmt: skip
        lines += ["", "</details>"]
    return "\n".join(lines)


def audit_stack(stack: str, policy_config_path: Path | None = None) -> tuple[OfflineRun, list[RuleResult]]:
    """Check the stack file and the policy config (default per stack), run the program offline for `stack`
    and the pack against it. A configuration error of the stack is returned in the run's `error`."""
    if policy_config_path is None:
        default = PROJECT_DIR / "policies" / "config" / f"{stack}.json"
        policy_config_path = default if default.exists() else None
    check_stack_file(PROJECT_DIR, stack)
    policy_config = load_policy_config(policy_config_path)
    run_result = run_stack(stack)
    if run_result.error:
        return run_result, []
    problems = stack_problems(policy_config, ALL_RULES, stack, pair_role(run_result.outputs), trail_stacks())
    if problems:
        raise CommandError(
            f"{policy_config_path} does not fit stack '{stack}':\n" + "\n".join(f"  {p}" for p in problems)
        )
    return run_result, evaluate(run_result, policy_config)


def pair_role(outputs: dict[str, Any]) -> str:
    """The plan's side of a region pair, from its outputs drStack / standbyFor."""
    return "primary" if outputs.get("drStack") else "standby" if outputs.get("standbyFor") else "none"


def trail_stacks(project_dir: Path | None = None) -> dict[str, bool]:
    """Each stack of the project, and whether its trail records every region (its own multi-region trail, or an
    organization trail; the stack files' values over Pulumi.yaml's default, true)."""
    directory = project_dir or PROJECT_DIR
    recorded = {}
    for stack in known_stacks(directory):
        try:
            document = yaml.safe_load((directory / f"Pulumi.{stack}.yaml").read_text()) or {}
        except (OSError, yaml.YAMLError):
            document = {}
        config = (document.get("config") if isinstance(document, dict) else None) or {}
        multi = str(config.get("fintech-platform:auditTrailMultiRegion", "true")).lower() != "false"
        recorded[stack] = multi or bool(config.get("fintech-platform:organizationTrail"))
    return recorded


def _main(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline.audit", description=__doc__.split("\n\n")[0],
                                     epilog=exit_status_help("a mandatory (or remediate) rule is violated",
                                                             "bad argument, broken stack file, invalid policy config, "
                                                             "a config value the program refuses, unwritable "
                                                             "--output"))  # fmt: skip
    parser.add_argument("stack", choices=known_stacks())
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    parser.add_argument("--output", help="write the report to this file instead of stdout")
    parser.add_argument("--policy-config", type=Path, help="policy pack config (default: policies/config/<stack>.json)")
    args = parser.parse_args(argv)
    target = output_path(args.output, "--output") if args.output is not None else None
    run_result, results = audit_stack(args.stack, args.policy_config)
    if run_result.error:
        raise CommandError(run_result.error)
    if args.format == "json":
        report = json.dumps({"stack": args.stack, "summary": summary(results),
                             "rules": [asdict(r) for r in results]}, indent=2)  # fmt: skip
    elif args.format == "markdown":
        report = render_markdown(args.stack, results)
    else:
        report = render_text(args.stack, results)
    if target is not None:
        write_output(target, report + "\n", "--output")
    else:
        print(report)
    return 1 if summary(results)["mandatoryViolations"] else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m offline.audit` (exit status: see offline/cli.py)."""
    return run(_main, argv)


if __name__ == "__main__":
    sys.exit(main())
