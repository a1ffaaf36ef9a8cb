"""Run the policy pack against the offline plan of a stack: per rule, pass or violations.

    python -m offline.audit dev                                # text report
    python -m offline.audit prod --format markdown             # for a PR comment
    python -m offline.audit dev --format json --output audit.json
    python -m offline.audit dev --policy-config policies/config/dev.json

The policy config defaults to policies/config/<stack>.json when that file exists, as auditors pass it
to `pulumi preview --policy-pack policies --policy-pack-config ...`. Exit status: 1 when any
mandatory rule is violated, 2 on a configuration error of the stack, else 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pulumi_policy import EnforcementLevel
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from offline.engine import PROJECT_DIR, OfflineRun, Registration, known_stacks, run_stack
from offline.values import convert
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


def load_policy_config(path: Path | None) -> dict[str, Any]:
    """A --policy-pack-config file: rule name -> {enforcementLevel?, config values}."""
    if path is None:
        return {}
    config: dict[str, Any] = json.loads(path.read_text())
    unknown = sorted(set(config) - {rule.name for rule in ALL_RULES} - {"all"})
    if unknown:
        raise SystemExit(f"error: {path}: unknown rule(s) {unknown}")
    return config


def evaluate(run: OfflineRun, policy_config: dict[str, Any]) -> list[RuleResult]:
    """Every rule on every resource of the run."""
    resources = views(run)
    return [_evaluate_rule(rule, resources, policy_config) for rule in ALL_RULES]


def _enforcement(rule: Rule, policy_config: dict[str, Any]) -> str:
    entry = policy_config.get(rule.name)
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict) and "enforcementLevel" in entry:
        return str(entry["enforcementLevel"])
    if isinstance(policy_config.get("all"), str):
        return str(policy_config["all"])
    return rule.enforcement.value


def _evaluate_rule(rule: Rule, resources: list[ResourceView], policy_config: dict[str, Any]) -> RuleResult:
    entry = policy_config.get(rule.name)
    config = {k: v for k, v in entry.items() if k != "enforcementLevel"} if isinstance(entry, dict) else {}
    result = RuleResult(rule.name, rule.area, rule.severity.value, _enforcement(rule, policy_config),
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
        "mandatoryViolations": sum(r.status == "fail" and r.enforcement == "mandatory" for r in results),
        "advisoryViolations": sum(r.status == "fail" and r.enforcement != "mandatory" for r in results),
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
    """Run the program offline for `stack` and the pack against it (config file defaults per stack)."""
    if policy_config_path is None:
        default = PROJECT_DIR / "policies" / "config" / f"{stack}.json"
        policy_config_path = default if default.exists() else None
    run = run_stack(stack)
    if run.error:
        return run, []
    return run, evaluate(run, load_policy_config(policy_config_path))


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m offline.audit`."""
    parser = argparse.ArgumentParser(prog="python -m offline.audit", description=__doc__.split("\n\n")[0])
    parser.add_argument("stack", choices=known_stacks())
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    parser.add_argument("--output", help="write the report to this file instead of stdout")
    parser.add_argument("--policy-config", type=Path, help="policy pack config (default: policies/config/<stack>.json)")
    args = parser.parse_args(argv)
    run, results = audit_stack(args.stack, args.policy_config)
    if run.error:
        print(f"error: {run.error}", file=sys.stderr)
        return 2
    if args.format == "json":
        report = json.dumps({"stack": args.stack, "summary": summary(results),
                             "rules": [asdict(r) for r in results]}, indent=2)  # fmt: skip
    elif args.format == "markdown":
        report = render_markdown(args.stack, results)
    else:
        report = render_text(args.stack, results)
    if args.output:
        Path(args.output).write_text(report + "\n")
    else:
        print(report)
    return 1 if summary(results)["mandatoryViolations"] else 0


if __name__ == "__main__":
    sys.exit(main())
