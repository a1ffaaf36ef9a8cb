"""The exceptions register (policies/waivers.yaml): a waiver lets one rule's violations stand for named resources of
named stacks, with a reason, an author, an approver, a ticket and an expiry date.

Semantics, after Pulumi's policy exceptions (a scoped, justified, approved and time-limited suppression of one
policy for named resources, listed wherever results are shown):

- an entry waives exactly one rule (`rule`), in the stacks it lists (`stacks`), for the resources it names
  (`resources`, Pulumi logical names as the reports show them); any other violation of the rule still counts;
- it is in force until the end of its `expires` day (UTC); an expired entry is an error, not a silent pass;
- every report lists the waivers in force (`python -m offline.audit`, and on a real preview the advisory policy
  `waivers-in-force`); an entry naming a resource the stack does not have is an error (the mandatory policy
  `waiver-register` on a preview), so a renamed resource cannot keep a stale waiver alive;
- waiving a mandatory rule in a stack of the prod tier needs an approver other than the author.

The offline audit (offline/audit.py) and the pack under `pulumi preview/up` (policies/__main__.py) load the file with
`load_register()` and suppress with `WaiverRegister.split()`: one implementation for both.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from pulumi_policy import EnforcementLevel, Severity

from policies.rules.base import ResourceView, Rule

DEFAULT_PATH = Path(__file__).resolve().parent / "waivers.yaml"
FIELDS = ("id", "rule", "stacks", "resources", "reason", "author", "approver", "ticket", "expires")
"""Every field an entry must have."""
PROD_TIER = "prod"


class WaiverError(ValueError):
    """The register is invalid; the message names each bad entry, the field and what is allowed."""


@dataclass(frozen=True)
class Waiver:
    """One entry of the register."""

    id: str
    rule: str
    stacks: tuple[str, ...]
    resources: tuple[str, ...]
    reason: str
    author: str
    approver: str
    ticket: str
    expires: dt.date

    def covers(self, rule: str, stack: str, resource_name: str) -> bool:
        """Whether the waiver lets `rule`'s violation on `resource_name` of `stack` stand."""
        return rule == self.rule and stack in self.stacks and resource_name in self.resources

    def describe(self) -> str:
        """One line for a report."""
        return (f"{self.id}: {self.rule} waived for {', '.join(self.resources)} in {', '.join(self.stacks)} until "
                f"{self.expires.isoformat()} ({self.ticket}; approved by {self.approver}, requested by {self.author}): "
                f"{self.reason}")  # fmt: skip


@dataclass(frozen=True)
class WaiverRegister:
    """The checked register."""

    waivers: tuple[Waiver, ...] = ()
    source: str = "policies/waivers.yaml"

    def for_stack(self, stack: str) -> list[Waiver]:
        """The waivers in force in a stack."""
        return [w for w in self.waivers if stack in w.stacks]

    def split(self, rule: str, violations: Iterable[tuple[str, str]]) -> tuple[list[tuple[str, str]],
                                                                               list[tuple[str, str, str]]]:  # fmt: skip
        """(kept, waived) of a rule's (urn, message) violations; waived ones carry the waiver ID. The stack and
        resource name come from the URN (urn:pulumi:<stack>::<project>::<type>::<name>); a violation without a
        URN (the whole stack) is never waived."""
        kept: list[tuple[str, str]] = []
        waived: list[tuple[str, str, str]] = []
        for urn, message in violations:
            stack, name = urn_stack(urn), urn_name(urn)
            waiver = next((w for w in self.waivers if urn and w.covers(rule, stack, name)), None)
            if waiver is None:
                kept.append((urn, message))
            else:
                waived.append((urn, message, waiver.id))
        return kept, waived

    def unmatched(self, stack: str, resource_names: Iterable[str]) -> list[str]:
        """Problems of the stack's waivers that name a resource the stack does not have."""
        names = set(resource_names)
        return [
            f"waiver {w.id} ({w.rule}) names resource '{r}', which stack {stack} does not have: remove the "
            "entry or correct the name"
            for w in self.for_stack(stack)
            for r in w.resources
            if r not in names
        ]


def urn_stack(urn: str) -> str:
    """The stack of a URN (urn:pulumi:<stack>::...)."""
    return urn.split("::")[0].removeprefix("urn:pulumi:") if urn.startswith("urn:pulumi:") else ""


def urn_name(urn: str) -> str:
    """The logical name of a URN."""
    return urn.split("::")[-1] if urn else ""


def stack_tiers(project_dir: Path) -> dict[str, str]:
    """Each stack of the project (Pulumi.<stack>.yaml) and its tier (`<project>:tier`; 'dev' when unset, the
    project's default)."""
    tiers: dict[str, str] = {}
    for path in sorted(project_dir.glob("Pulumi.*.yaml")):
        stack = path.name[len("Pulumi.") : -len(".yaml")]
        try:
            config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
        except (OSError, yaml.YAMLError):
            config = {}
        tier = next((str(v) for k, v in config.items() if str(k).endswith(":tier")), "dev")
        tiers[stack] = tier
    return tiers


def load_register(
    path: Path, rules: Mapping[str, str], tiers: Mapping[str, str], today: dt.date | None = None
) -> WaiverRegister:
    """Read and check the register. `rules` maps each rule of the pack to its enforcement level, `tiers` each stack
    to its tier. WaiverError lists every problem, each naming the entry (by position and id) and the field."""
    source = str(path)
    if not path.is_file():
        raise WaiverError(f"{source} does not exist; it must hold `waivers:` (a list, possibly empty)")
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise WaiverError(f"{source} is not valid YAML{where}: {getattr(err, 'problem', err)}") from None
    if not isinstance(document, dict) or set(document) != {"waivers"} or not isinstance(document["waivers"], list):
        raise WaiverError(f"{source} must be a mapping with one key `waivers` holding a list of entries")
    today = today or dt.datetime.now(dt.UTC).date()
    problems: list[str] = []
    waivers: list[Waiver] = []
    seen: set[str] = set()
    for index, entry in enumerate(document["waivers"], start=1):
        waiver = _entry(index, entry, rules, tiers, today, problems, seen)
        if waiver is not None:
            waivers.append(waiver)
    if problems:
        raise WaiverError(f"{source} is invalid:\n" + "\n".join(f"  {p}" for p in problems))
    return WaiverRegister(tuple(waivers), source)


_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _entry(index: int, entry: Any, rules: Mapping[str, str], tiers: Mapping[str, str], today: dt.date,
           problems: list[str], seen: set[str]) -> Waiver | None:  # fmt: skip
    if not isinstance(entry, dict):
        problems.append(f"entry {index}: must be a mapping of {', '.join(FIELDS)}")
        return None
    label = f"entry {index} ({entry.get('id', 'no id')})"
    before = len(problems)
    missing = [f for f in FIELDS if f not in entry]
    extra = sorted(set(map(str, entry)) - set(FIELDS))
    if missing:
        problems.append(f"{label}: missing {', '.join(missing)}")
    if extra:
        problems.append(f"{label}: unknown field(s) {', '.join(extra)}; an entry has {', '.join(FIELDS)}")
    text = {f: entry.get(f) for f in ("id", "rule", "reason", "author", "approver", "ticket")}
    for name, value in text.items():
        if name in entry and (not isinstance(value, str) or not value.strip()):
            problems.append(f"{label}: {name} must be a non-empty string, got {value!r}")
    if isinstance(text["id"], str) and text["id"]:
        if not _ID.match(text["id"]):
            problems.append(f"{label}: id {text['id']!r} must be letters, digits, '.', '_' or '-'")
        if text["id"] in seen:
            problems.append(f"{label}: id {text['id']!r} is used by another entry")
        seen.add(text["id"])
    rule = text["rule"]
    if isinstance(rule, str) and rule and rule not in rules:
        problems.append(f"{label}: rule {rule!r} is not a rule of the pack")
    stacks = _names(label, "stacks", entry.get("stacks"), problems) if "stacks" in entry else []
    unknown = [s for s in stacks if s not in tiers]
    if unknown:
        problems.append(f"{label}: stack(s) {', '.join(unknown)} unknown; the project's stacks are "
                        f"{', '.join(sorted(tiers))}")  # fmt: skip
    resources = _names(label, "resources", entry.get("resources"), problems) if "resources" in entry else []
    expires = _date(label, entry.get("expires"), today, problems) if "expires" in entry else None
    if (isinstance(rule, str) and rules.get(rule) in ("mandatory", "remediate")
            and any(tiers.get(s) == PROD_TIER for s in stacks)
            and isinstance(text["author"], str) and isinstance(text["approver"], str)
            and text["author"].strip().lower() == text["approver"].strip().lower()):  # fmt: skip
        problems.append(f"{label}: waives mandatory rule {rule!r} in a prod-tier stack "
                        f"({', '.join(s for s in stacks if tiers.get(s) == PROD_TIER)}): the approver must be "
                        f"someone other than the author ({text['author']})")  # fmt: skip
    if len(problems) > before or expires is None:
        return None
    return Waiver(str(text["id"]), str(rule), tuple(stacks), tuple(resources), str(text["reason"]),
                  str(text["author"]), str(text["approver"]), str(text["ticket"]), expires)  # fmt: skip


def _names(label: str, key: str, value: Any, problems: list[str]) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        problems.append(f"{label}: {key} must be a non-empty list of names, got {value!r}")
        return []
    return list(value)


def _date(label: str, value: Any, today: dt.date, problems: list[str]) -> dt.date | None:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = dt.date.fromisoformat(value)
    if not isinstance(value, dt.date):
        problems.append(f"{label}: expires {value!r} is not a date (YYYY-MM-DD)")
        return None
    if value < today:
        problems.append(f"{label}: expired on {value.isoformat()} (today is {today.isoformat()}); renew it with a new "
                        "approval or fix the resource")  # fmt: skip
        return None
    return value


def levels(rules: Sequence[Any], overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Each rule's enforcement level (its default, or the pack config's)."""
    return {rule.name: (overrides or {}).get(rule.name, rule.enforcement.value) for rule in rules}


def waived(rule: Rule, register: WaiverRegister) -> Rule:
    """The rule as the pack runs it under `pulumi preview/up`: violations the register waives are dropped, through
    the same `WaiverRegister.split` the offline audit reports them with."""
    if rule.stack_check is not None:
        stack_check = rule.stack_check

        def checked_stack(resources: Sequence[ResourceView], config: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
            kept, _ = register.split(rule.name, stack_check(resources, config))
            return kept

        return replace(rule, stack_check=checked_stack)
    check = rule.check
    if check is None:
        raise TypeError(f"rule {rule.name} has neither check nor stack_check")

    def checked(resource: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
        kept, _ = register.split(rule.name, [(resource.urn, message) for message in check(resource, config)])
        return [message for _, message in kept]

    return replace(rule, check=checked)


def register_rules(register: WaiverRegister) -> list[Rule]:
    """Two policies of the register itself on a real preview: `waiver-register` (mandatory) fails when a waiver of
    the stack names a resource the stack does not have; `waivers-in-force` (advisory) lists each waiver in force,
    so every preview's report shows them."""

    def _stack(resources: Sequence[ResourceView]) -> str:
        return next((urn_stack(r.urn) for r in resources if r.urn), "")

    def stale(resources: Sequence[ResourceView], _: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
        stack = _stack(resources)
        return [("", problem) for problem in register.unmatched(stack, (r.name for r in resources))]

    def in_force(resources: Sequence[ResourceView], _: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
        return [("", f"waiver in force: {w.describe()}") for w in register.for_stack(_stack(resources))]

    return [
        Rule("waiver-register", "compliance", "Every waiver of the stack names resources the stack has.",
             Severity.HIGH, "12.3.1", f"Correct or remove the entry in {register.source}.", stack_check=stale),
        Rule("waivers-in-force", "compliance", "Lists the waivers in force in the stack (informational).",
             Severity.LOW, "12.3.1", f"Review the entries of {register.source} before they expire.",
             stack_check=in_force, enforcement=EnforcementLevel.ADVISORY),
    ]  # fmt: skip
