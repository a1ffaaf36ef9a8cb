"""Run the policy pack against the offline plan of a stack: per rule, pass or violations.

    python -m offline.audit dev                                # text report
    python -m offline.audit prod --format markdown             # for a PR comment
    python -m offline.audit dev --format json --output audit.json
    python -m offline.audit dev --policy-config policies/config/dev.json
    python -m offline.audit prod --evidence evidence/prod-2027-01  # the assessor's bundle (offline/evidence.py)

The policy config defaults to policies/config/<stack>.json when that file exists, as auditors pass it
to `pulumi preview --policy-pack policies --policy-pack-config ...`; it is checked as CrossGuard checks
it, and stricter (policies/pack_config.py): a misspelt enforcement level, rule or property is an error,
never a silently weaker pack. A rule set to `remediate` blocks like `mandatory` (these rules only validate).

The exceptions register (policies/waivers.yaml, or --waivers FILE) is checked first (policies/waivers.py): a
violation of a waived rule on a named resource is reported as waived, not as a failure; every report lists the
waivers in force; an expired, malformed or stale (naming a resource the stack lacks) entry is an error (exit 2).

Exit status: 0 when no blocking rule is violated; 1 when a mandatory (or remediate) rule is violated;
2 on a usage or configuration error (bad argument, broken stack file, invalid policy config or waiver register, a
config value the program refuses, unwritable --output, an --evidence directory that is not empty), printed as one
`error:` line.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pulumi_policy import EnforcementLevel
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from offline.cli import CommandError, exit_status_help, output_path, run, write_output
from offline.engine import PROJECT_DIR, OfflineRun, Registration, known_stacks, run_stack
from offline.evidence import check_evidence_target, plan_time_files, write_bundle
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
from policies.pci import PCI_DSS_VERSION
from policies.rules import ALL_RULES
from policies.rules.base import ResourceView, Rule
from policies.waivers import DEFAULT_PATH as DEFAULT_WAIVERS
from policies.waivers import Waiver, WaiverError, WaiverRegister, levels, load_register, stack_tiers


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
    """pass, fail, waived (every violation waived), not-evaluable (a value unknown until deployment), or disabled."""
    violations: list[dict[str, str]] = field(default_factory=list)
    resources_checked: int = 0
    pci_requirements: list[str] = field(default_factory=list)
    """Every PCI DSS v4.0.1 requirement the rule evidences (pci_requirement first)."""
    waived: list[dict[str, str]] = field(default_factory=list)
    """Violations the exceptions register lets stand: urn, message and the waiver's id."""


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


def evaluate(
    run: OfflineRun, policy_config: PackConfig | dict[str, Any], register: WaiverRegister | None = None
) -> list[RuleResult]:
    """Every rule on every resource of the run (a plain dict config is checked first), the register's waivers
    applied (none by default)."""
    config = policy_config if isinstance(policy_config, PackConfig) else check_pack_config(policy_config, ALL_RULES)
    resources = views(run)
    return [_evaluate_rule(rule, resources, config, register) for rule in ALL_RULES]


def load_waivers(path: Path | None, policy_config: PackConfig) -> WaiverRegister:
    """The exceptions register, checked against the pack's rules (at their own enforcement levels, as the pack loads
    it on a real preview) and the project's stacks and tiers; CommandError (exit 2) names each bad entry."""
    del policy_config  # the pack on a real preview knows only the rules' own levels: judge entries alike
    try:
        return load_register(path or DEFAULT_WAIVERS, levels(ALL_RULES), stack_tiers(PROJECT_DIR))
    except WaiverError as err:
        raise CommandError(str(err)) from err


def _evaluate_rule(
    rule: Rule, resources: list[ResourceView], policy_config: PackConfig, register: WaiverRegister | None = None
) -> RuleResult:
    config = policy_config.config(rule)
    result = RuleResult(rule.name, rule.area, rule.severity.value, policy_config.level(rule),
                        rule.pci_requirement, rule.description, rule.remediation,
                        pci_requirements=list(rule.pci_requirements))  # fmt: skip
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
    if register is not None and result.violations:
        kept, waived = register.split(rule.name, [(v["urn"], v["message"]) for v in result.violations])
        result.violations = [{"urn": urn, "message": message} for urn, message in kept]
        result.waived = [{"urn": urn, "message": message, "waiver": waiver} for urn, message, waiver in waived]
    if result.violations:
        result.status = "fail"
    elif result.waived:
        result.status = "waived"
    elif unknown:
        result.status = "not-evaluable"
        result.violations = unknown
    return result


def summary(results: list[RuleResult]) -> dict[str, int]:
    """Counts per outcome; mandatory failures are the ones that block."""
    return {
        "rules": len(results),
        "passed": sum(r.status == "pass" for r in results),
        "waived": sum(r.status == "waived" for r in results),
        "mandatoryViolations": sum(r.status == "fail" and r.enforcement in BLOCKING_LEVELS for r in results),
        "advisoryViolations": sum(r.status == "fail" and r.enforcement not in BLOCKING_LEVELS for r in results),
        "notEvaluable": sum(r.status == "not-evaluable" for r in results),
        "disabled": sum(r.status == "disabled" for r in results),
        "notApplicable": sum(r.status == "pass" and r.resources_checked == 0 for r in results),
    }


def _pci(result: RuleResult) -> str:
    return ", ".join(result.pci_requirements or [result.pci_requirement])


def render_text(stack: str, results: list[RuleResult], waivers: Sequence[Waiver] = ()) -> str:
    """The report for a terminal, with the waivers in force."""
    counts = summary(results)
    lines = [f"Policy pack (PCI DSS v{PCI_DSS_VERSION}) on the offline plan of stack '{stack}': {counts['rules']} "
             f"rules, {counts['passed']} passed, {counts['mandatoryViolations']} mandatory and "
             f"{counts['advisoryViolations']} advisory violations, {counts['waived']} waived, "
             f"{counts['notEvaluable']} not evaluable"]  # fmt: skip
    for result in results:
        mark = {"pass": "PASS", "fail": "FAIL", "waived": "WAIV", "not-evaluable": "????", "disabled": "OFF "}[
            result.status
        ]
        lines.append(f"  {mark} {result.name} [{result.area}; {result.enforcement}; {result.severity}; "
                     f"PCI DSS {_pci(result)}]")  # fmt: skip
        for violation in result.violations:
            lines.append(f"       {violation['urn'].split('::')[-1] or '(stack)'}: {violation['message']}")
        for waived in result.waived:
            lines.append(f"       {waived['urn'].split('::')[-1]}: waived by {waived['waiver']}: {waived['message']}")
    lines.append(f"Waivers in force in '{stack}': {len(waivers) or 'none'}")
    lines += [f"  {waiver.describe()}" for waiver in waivers]
    return "\n".join(lines)


def render_markdown(stack: str, results: list[RuleResult], waivers: Sequence[Waiver] = ()) -> str:
    """The report as a PR comment, with the waivers in force."""
    counts = summary(results)
    verdict = "blocked" if counts["mandatoryViolations"] else "passes"
    lines = [
        f"### Policy pack: stack `{stack}` {verdict}",
        "",
        f"{counts['rules']} rules (PCI DSS v{PCI_DSS_VERSION}): {counts['passed']} passed, "
        f"**{counts['mandatoryViolations']} mandatory** and "
        f"{counts['advisoryViolations']} advisory violations, {counts['waived']} waived, {counts['notEvaluable']} "
        "not evaluable offline.",
        "",
        "| rule | area | level | PCI DSS | result |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        outcome = {"pass": "pass", "fail": f"**{len(result.violations)} violation(s)**", "disabled": "disabled",
                   "waived": f"waived ({len(result.waived)})", "not-evaluable": "not evaluable"}[
            result.status
        ]  # fmt: skip
        lines.append(f"| `{result.name}` | {result.area} | {result.enforcement} | {_pci(result)} | {outcome} |")
    failures = [r for r in results if r.status == "fail"]
    if failures:
        lines += ["", "<details><summary>Violations</summary>", ""]
        for result in failures:
            for violation in result.violations:
                lines.append(f"- `{result.name}` on `{violation['urn'].split('::')[-1]}`: {violation['message']}. "
                             f"Fix: {result.remediation}")  # fmt: skip
        lines += ["", "</details>"]
    lines += ["", f"Waivers in force: {len(waivers) or 'none'}"]
    lines += [f"- {waiver.describe()}" for waiver in waivers]
    return "\n".join(lines)


@dataclass
class Audit:
    """One audit of a stack: the run, each rule's result, the waivers in force and the inputs used."""

    stack: str
    run: OfflineRun
    results: list[RuleResult]
    register: WaiverRegister
    policy_config_path: Path | None

    @property
    def waivers(self) -> list[Waiver]:
        """The waivers in force in the stack."""
        return self.register.for_stack(self.stack)


def audit(stack: str, policy_config_path: Path | None = None, waivers_path: Path | None = None) -> Audit:
    """Check the stack file, the policy config (default per stack) and the exceptions register, run the program
    offline for `stack` and the pack against it. A configuration error of the stack is returned in the run's
    `error`; a waiver naming a resource the stack lacks raises CommandError (exit 2)."""
    if policy_config_path is None:
        default = PROJECT_DIR / "policies" / "config" / f"{stack}.json"
        policy_config_path = default if default.exists() else None
    check_stack_file(PROJECT_DIR, stack)
    policy_config = load_policy_config(policy_config_path)
    register = load_waivers(waivers_path, policy_config)
    run_result = run_stack(stack)
    if run_result.error:
        return Audit(stack, run_result, [], register, policy_config_path)
    problems = stack_problems(policy_config, ALL_RULES, stack, pair_role(run_result.outputs), trail_stacks())
    if problems:
        raise CommandError(
            f"{policy_config_path} does not fit stack '{stack}':\n" + "\n".join(f"  {p}" for p in problems)
        )
    stale = register.unmatched(stack, (r.name for r in run_result.resources))
    if stale:
        raise CommandError(f"{register.source}: " + "; ".join(stale))
    return Audit(stack, run_result, evaluate(run_result, policy_config, register), register, policy_config_path)


def audit_stack(stack: str, policy_config_path: Path | None = None) -> tuple[OfflineRun, list[RuleResult]]:
    """`audit()`'s run and results (the register at policies/waivers.yaml applied)."""
    done = audit(stack, policy_config_path)
    return done.run, done.results


def report_json(done: Audit) -> dict[str, Any]:
    """The JSON report: summary, every rule result with its requirement IDs, the waivers in force."""
    return {"stack": done.stack, "pciDssVersion": PCI_DSS_VERSION, "summary": summary(done.results),
            "rules": [asdict(r) for r in done.results],
            "waivers": [{**asdict(w), "expires": w.expires.isoformat()} for w in done.waivers]}  # fmt: skip


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
                                                             "bad argument, broken stack file, invalid policy config "
                                                             "or waiver register, a config value the program refuses, "
                                                             "unwritable --output, a non-empty --evidence "
                                                             "directory"))  # fmt: skip
    parser.add_argument("stack", choices=known_stacks())
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    parser.add_argument("--output", help="write the report to this file instead of stdout")
    parser.add_argument("--policy-config", type=Path, help="policy pack config (default: policies/config/<stack>.json)")
    parser.add_argument("--waivers", type=Path, help="exceptions register (default: policies/waivers.yaml)")
    parser.add_argument("--evidence", type=Path, help="also write the evidence bundle into this new directory")
    args = parser.parse_args(argv)
    target = output_path(args.output, "--output") if args.output is not None else None
    if args.evidence is not None:
        check_evidence_target(args.evidence)
    done = audit(args.stack, args.policy_config, args.waivers)
    if done.run.error:
        raise CommandError(done.run.error)
    if args.format == "json":
        report = json.dumps(report_json(done), indent=2)
    elif args.format == "markdown":
        report = render_markdown(args.stack, done.results, done.waivers)
    else:
        report = render_text(args.stack, done.results, done.waivers)
    if args.evidence is not None:
        write_bundle(args.evidence, plan_time_files(done))
    if target is not None:
        write_output(target, report + "\n", "--output")
    else:
        print(report)
    return 1 if summary(done.results)["mandatoryViolations"] else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m offline.audit` (exit status: see offline/cli.py)."""
    return run(_main, argv)


if __name__ == "__main__":
    sys.exit(main())
