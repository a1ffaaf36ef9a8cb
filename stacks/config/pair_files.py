"""A region pair is one thing in two stack files: `check_region_pair` reads the other half and refuses a pair
whose two files do not name each other or disagree on where and under which name they run.

Both stack files are in the repository at every `pulumi up` (and in every checkout the offline commands
plan), so the program checks its pair before it registers a resource, and the commands that read stack files
(the offline plan, pricing.report, offline.audit, which run the program, and `ops`, which loads the files
through ops/common.py) call this same function: one answer to "is this a pair" everywhere.

What a pair is (README "Loss of the region"): the primary names its standby (drStack), the standby names the
primary (standbyFor), the standby runs in the primary's drRegion, in the same account, tier and partition,
behind the same failover record (dnsZoneId, dnsName). A stack file copied under another name therefore cannot
plan as a second standby: the primary's drStack names only one.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from stacks.config.base import CONFIG_NAMESPACE, ConfigError, ns_key
from stacks.config.model import StackConfig

STACK_FILES_DIR = Path(__file__).resolve().parents[2]
"""Where Pulumi.yaml and the Pulumi.<stack>.yaml files are: the project directory, which is also the program's
directory under `pulumi up` (the CLI runs the program there). Default: the directory above stacks/."""

PAIR_KEYS = ("tier", "region", "accountId", "drRegion", "drStack", "standbyFor", "dnsZoneId", "dnsName")
"""The keys that say where a stack of a pair runs and whom it pairs with."""


@dataclass(frozen=True)
class PairSide:
    """One stack of a (possible) pair: its name and the values of PAIR_KEYS, defaults applied."""

    stack: str
    values: dict[str, str]

    def __getitem__(self, key: str) -> str:
        return self.values[key]

    @property
    def file(self) -> str:
        """The stack's file name."""
        return f"Pulumi.{self.stack}.yaml"


def known_stacks(project_dir: Path) -> list[str]:
    """Stack names that have a Pulumi.<stack>.yaml in `project_dir`."""
    return sorted(path.name[len("Pulumi.") : -len(".yaml")] for path in project_dir.glob("Pulumi.*.yaml"))


def side_of(stack: str, config: StackConfig) -> PairSide:
    """The pair keys of a validated config."""
    values = {
        "tier": config.tier, "region": config.region, "accountId": config.account_id, "drRegion": config.dr_region,
        "drStack": config.dr_stack, "standbyFor": config.standby_for, "dnsZoneId": config.dns_zone_id,
        "dnsName": config.dns_name,
    }  # fmt: skip
    return PairSide(stack, values)


def _defaults(project_dir: Path) -> dict[str, str]:
    declarations = (_read(project_dir / "Pulumi.yaml") or {}).get("config") or {}
    defaults = {key: "" for key in PAIR_KEYS}
    for key in PAIR_KEYS:
        declared = declarations.get(key)
        if isinstance(declared, dict) and declared.get("default") is not None:
            defaults[key] = str(declared["default"])
    return defaults


def _read(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ConfigError(f"{path.name} cannot be read to check the region pair: {first}") from None


def read_side(stack: str, project_dir: Path) -> PairSide:
    """The pair keys of Pulumi.<stack>.yaml as the program would see them (Pulumi.yaml defaults under the file)."""
    values = _defaults(project_dir)
    document = _read(project_dir / f"Pulumi.{stack}.yaml") or {}
    config = document.get("config") if isinstance(document, dict) else None
    for key in PAIR_KEYS:
        value = (config or {}).get(f"{CONFIG_NAMESPACE}:{key}")
        if value is None:
            continue
        if isinstance(value, dict):
            raise ConfigError(
                f"Pulumi.{stack}.yaml: {ns_key(key)} is a secret or a mapping; the keys that pair two stacks "
                f"({', '.join(PAIR_KEYS)}) must be plain values, so that both halves of a pair can be compared"
            )
        values[key] = str(value) if not isinstance(value, bool) else str(value).lower()
    return PairSide(stack, values)


def _missing(key: str, name: str, stacks: list[str]) -> str:
    close = difflib.get_close_matches(name, stacks, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return (
        f"{ns_key(key)} = '{name}' names no stack of this project: there is no Pulumi.{name}.yaml (stacks: "
        f"{', '.join(stacks)}){hint}"
    )


def pair_problems(this: PairSide, other: PairSide) -> list[str]:
    """What makes `this` and `other` not a primary and its standby, `this` being the side that names `other`
    (empty when they pair). Each problem names the key, both values and the two files."""
    primary, standby = (this, other) if this["drStack"] else (other, this)
    problems: list[str] = []
    if this is primary and standby["standbyFor"] != primary.stack:
        shown = f"standbyFor = '{standby['standbyFor']}'" if standby["standbyFor"] else "no standbyFor"
        what = " (it is itself a primary: drStack = '" + standby["drStack"] + "')" if standby["drStack"] else ""
        problems.append(
            f"{ns_key('drStack')} = '{standby.stack}', but {standby.file} has {shown}{what}; the standby must set "
            f"{ns_key('standbyFor')}: {primary.stack}"
        )
        if standby["tier"] != primary["tier"]:
            problems.append(
                f"{standby.file} is a '{standby['tier']}' stack ({ns_key('tier')}), the primary a '{primary['tier']}' "
                "one: the standby takes over the primary's traffic and must be of its tier"
            )
        return problems
    if this is standby and primary["drStack"] != standby.stack:
        if primary["standbyFor"]:
            role = f"is itself a standby (standbyFor = '{primary['standbyFor']}')"
        elif primary["drStack"]:
            role = f"names '{primary['drStack']}' as its standby (drStack), not this stack"
        else:
            role = "is not the primary of a region pair (no drStack)"
        problems.append(
            f"{ns_key('standbyFor')} = '{primary.stack}', but {primary.file} {role}; a primary has one standby, the "
            f"stack its {ns_key('drStack')} names"
        )
        return problems
    if standby["region"] != primary["drRegion"]:
        problems.append(
            f"{primary.file} sets {ns_key('drRegion')} = '{primary['drRegion']}', but its standby {standby.stack} "
            f"runs in {ns_key('region')} = '{standby['region']}'; the standby runs in the primary's drRegion"
        )
    if standby["region"] == primary["region"]:
        problems.append(
            f"{standby.file} sets {ns_key('region')} = '{standby['region']}', the region of its primary "
            f"{primary.stack}: a regional outage would take both"
        )
    for key, why in (
        ("accountId", "a global database, its secret replica and the image replication stay in one account"),
        ("tier", "the standby takes over the primary's traffic"),
        ("dnsZoneId", "the failover record's PRIMARY and SECONDARY halves live in one hosted zone"),
        ("dnsName", "the failover record's PRIMARY and SECONDARY halves answer one name"),
    ):
        if primary[key] != standby[key]:
            problems.append(
                f"{ns_key(key)} differs: '{primary[key]}' in {primary.file}, '{standby[key]}' in {standby.file}; "
                f"it must be the same in both ({why})"
            )
    return problems


def check_region_pair(stack: str, config: StackConfig, project_dir: Path | None = None) -> None:
    """ConfigError unless the other half of this stack's region pair (if any) is a stack file of the project
    that names this stack back and agrees on region, account, tier and failover record. `project_dir`
    (default STACK_FILES_DIR) holds the stack files."""
    directory = project_dir or STACK_FILES_DIR
    this = side_of(stack, config)
    key = "drStack" if config.dr_stack else "standbyFor" if config.standby_for else ""
    if not key:
        return
    other_name = this[key]
    if other_name == stack:
        raise ConfigError(
            f"{ns_key(key)} = '{stack}' names this stack itself: the other stack of a region pair is another "
            "stack, in drRegion"
        )
    stacks = known_stacks(directory)
    if other_name not in stacks:
        raise ConfigError(_missing(key, other_name, stacks))
    problems = pair_problems(this, read_side(other_name, directory))
    if problems:
        raise ConfigError(f"stack '{stack}' and '{other_name}' are not a region pair: " + "; ".join(problems))


def check_named_standby(stack: str, raw: dict[str, Any], project_dir: Path | None = None) -> None:
    """Before the tier's rules: a stack that another stack names as its standby (drStack) but that sets no
    standbyFor is told the missing pair key, not the first zone-redundancy rule a standby's sizes trip."""
    if raw.get("standbyFor") or raw.get("drStack"):
        return
    directory = project_dir or STACK_FILES_DIR
    for other in known_stacks(directory):
        if other == stack:
            continue
        try:
            side = read_side(other, directory)
        except ConfigError:
            continue  # that file's own problems are reported when it is planned
        if side["drStack"] == stack:
            raise ConfigError(
                f"{ns_key('standbyFor')} is not set, but {side.file} names this stack as its standby (drStack = "
                f"'{stack}'): set {ns_key('standbyFor')}: {other} (or change {other}'s drStack)"
            )
