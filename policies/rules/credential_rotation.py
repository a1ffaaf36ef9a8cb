"""Credential rotation (issue 20.8): a database master password changes on a schedule, at most every 90 days
(PCI DSS v4.0.1 8.3.9 and 8.6.3; checkov CKV2_AWS_57 "Secrets Manager secrets should have automatic rotation").

An Aurora cluster with a master user either lets RDS manage its password (`manageMasterUserPassword`: RDS keeps it in
Secrets Manager and rotates it, every 7 days by default; "Password management with Amazon RDS and AWS Secrets
Manager", https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-secrets-manager.html), or is given one
(`masterPasswordWo`/`masterPassword`). A given password passes only when the value it came from is also stored in a
Secrets Manager secret (a SecretVersion whose value came from the same resource) and that secret has a
SecretRotation with a rotation function and a schedule of at most `maxRotationDays`. The relations are read from the
property dependencies (the URNs each value came from), so the rule sees what the program wired, not names.

A secondary of a global database has no master user of its own (it replicates the primary's) and is not judged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity
from pulumi_policy.proxy import UnknownValueError

from policies.rules.base import ResourceView, Rule, of_type
from policies.rules.region_pair import CLUSTER, is_secondary

SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
SECRET_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
PASSWORD_INPUTS = ("masterPasswordWo", "masterPassword")
MAX_ROTATION_DAYS = 90
"""PCI DSS v4.0.1 8.3.9: passwords used as the only factor are changed at least once every 90 days."""
RATE = re.compile(r"^rate\((?P<n>\d+) (?P<unit>days?|hours?)\)$")


def _known(resource: ResourceView, key: str) -> Any:
    """The property, or True when it is unknown until deployment (an ARN computed by the provider)."""
    try:
        return resource.get(key)
    except UnknownValueError:
        return True


def rotation_period_days(days: object, expression: object) -> float | None:
    """Days between rotations from a rotation schedule's two forms, as the SecretRotation's rotationRules or
    DescribeSecret's RotationRules give them: a positive day count, or a `rate(N days|hours)` expression; None when
    neither can be read (none, or a cron expression). Also used by `ops verify` (ops/verify_rotation.py)."""
    if isinstance(days, (int, float)) and not isinstance(days, bool) and days > 0:
        return float(days)
    match = RATE.match(str(expression or "").strip())
    if match is None:
        return None
    count = int(match["n"])
    return float(count) if match["unit"].startswith("day") else count / 24


def schedule_days(rotation: ResourceView) -> float | None:
    """Days between rotations of a SecretRotation (rotation_period_days of its rotationRules)."""
    rules = rotation.get("rotationRules") or {}
    return rotation_period_days(rules.get("automaticallyAfterDays"), rules.get("scheduleExpression"))


def _rotation_problem(rotations: Sequence[ResourceView], max_days: int) -> str | None:
    """Why none of the secret's rotations is good enough (None when one is)."""
    if not rotations:
        return "has no SecretRotation"
    problems = []
    for rotation in rotations:
        days = schedule_days(rotation)
        if not _known(rotation, "rotationLambdaArn"):
            problems.append("names no rotation function (rotationLambdaArn)")
        elif days is None:
            problems.append("has no schedule the pack can read (automaticallyAfterDays or rate(N days))")
        elif days > max_days:
            problems.append(f"rotates every {days:g} days, more than {max_days}")
        else:
            return None
    return "; ".join(problems)


def _master_rotation(resources: Sequence[ResourceView], config: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    max_days = int(config["maxRotationDays"])
    versions = of_type(resources, SECRET_VERSION)
    rotations = of_type(resources, SECRET_ROTATION)
    secrets = {s.urn for s in of_type(resources, SECRET)}
    for cluster in of_type(resources, CLUSTER):
        if is_secondary(cluster) or not cluster.get("masterUsername"):
            continue
        if cluster.get("manageMasterUserPassword") is True:
            continue  # RDS rotates its own master secret
        sources = set().union(*(cluster.depends_on(key) for key in PASSWORD_INPUTS))
        given = any(cluster.get(key) for key in PASSWORD_INPUTS) or sources
        if not given:
            yield cluster.urn, ("the master password is neither managed by RDS (manageMasterUserPassword) nor given "
                                "from a stored secret: nothing rotates it")  # fmt: skip
            continue
        holders = {urn for v in versions if v.depends_on("secretString") & sources
                   for urn in v.depends_on("secretId") & secrets} if sources else set()  # fmt: skip
        if not holders:
            yield cluster.urn, ("the master password is not stored in a Secrets Manager secret of this stack, so no "
                                "rotation can change it (store it, or set manageMasterUserPassword)")  # fmt: skip
            continue
        for holder in sorted(holders):
            problem = _rotation_problem([r for r in rotations if holder in r.depends_on("secretId")], max_days)
            if problem:
                yield cluster.urn, f"the secret holding the master password ({holder.split('::')[-1]}) {problem}"


RULES = [
    Rule("db-master-secret-rotation", "identity", "The database master password rotates automatically, at most every "
         "maxRotationDays days: managed by RDS, or stored in a Secrets Manager secret with a rotation function and "
         "schedule.", Severity.HIGH, "8.3.9", "Set manageMasterUserPassword, or store the password in a secret and "
         "add aws.secretsmanager.SecretRotation with a rotation function and rotationRules.automaticallyAfterDays "
         "of at most maxRotationDays (components/secret_rotation.py).", stack_check=_master_rotation,
         config={"maxRotationDays": {"type": "integer", "minimum": 1, "maximum": MAX_ROTATION_DAYS,
                                     "default": MAX_ROTATION_DAYS}},
         pci_also=("8.6.3",)),
]  # fmt: skip
