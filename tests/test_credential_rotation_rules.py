"""Cases of the credential rotation rule (policies/rules/credential_rotation.py): it passes, fails explicitly and
fails by default (a given master password with no rotation); tests/test_policy_rules.py runs them with every other
rule's cases. The tests here pin the relations the rule follows and its schedule reading."""

from __future__ import annotations

from typing import Any

import pytest

from policies.rules import ALL_RULES
from policies.rules.base import ResourceView
from policies.rules.credential_rotation import SECRET, SECRET_ROTATION, SECRET_VERSION, schedule_days
from policies.rules.region_pair import CLUSTER
from tests.conftest import offline_run
from tests.helpers import view as _r

RULES = {rule.name: rule for rule in ALL_RULES}
RULE = RULES["db-master-secret-rotation"]
PASSWORD = "random:index/randomPassword:RandomPassword"
LAMBDA = "arn:aws:lambda:us-east-1:111122223333:function:fintech-prod-master-rotation"


RANDOM = _r(PASSWORD, "master", {"length": 40})
STORED = _r(SECRET, "master", {"kmsKeyId": "arn:aws:kms:us-east-1:111122223333:key/1"})
OTHER_SECRET = _r(SECRET, "other", {})
CLUSTER_GIVEN = _r(CLUSTER, "db", {"masterUsername": "platform_admin", "masterPasswordWo": "x"},
                   {"masterPasswordWo": [RANDOM.urn]})  # fmt: skip
VERSION = _r(SECRET_VERSION, "master-first", {"secretString": "{}"},
             {"secretString": [RANDOM.urn, CLUSTER_GIVEN.urn], "secretId": [STORED.urn]})  # fmt: skip


def _rotation(secret: ResourceView = STORED, lambda_arn: str = LAMBDA, **rules: Any) -> ResourceView:
    return _r(SECRET_ROTATION, f"rotation-{secret.name}", {"rotationLambdaArn": lambda_arn, "rotationRules": rules},
              {"secretId": [secret.urn]})  # fmt: skip


GIVEN = [RANDOM, STORED, CLUSTER_GIVEN, VERSION]
STACK_CASES: dict[str, tuple[list[ResourceView], list[ResourceView], list[ResourceView]]] = {
    "db-master-secret-rotation": (
        [*GIVEN, _rotation(automaticallyAfterDays=30)],
        [*GIVEN, _rotation(automaticallyAfterDays=180)],
        GIVEN,
    ),
}


def test_rds_managed_and_secondary_clusters_need_no_rotation_of_their_own() -> None:
    managed = _r(CLUSTER, "db", {"masterUsername": "admin", "manageMasterUserPassword": True})
    secondary = _r(CLUSTER, "standby", {"globalClusterIdentifier": "g"})
    assert RULE.evaluate_stack([managed, secondary], {}) == []


@pytest.mark.parametrize(
    ("resources", "words"),
    [
        ([_r(CLUSTER, "db", {"masterUsername": "admin"})], "neither managed by RDS"),
        ([RANDOM, CLUSTER_GIVEN], "not stored in a Secrets Manager secret"),
        # the rotation is on another secret than the one that holds the password
        ([*GIVEN, OTHER_SECRET, _rotation(OTHER_SECRET, automaticallyAfterDays=30)], "has no SecretRotation"),
        ([*GIVEN, _rotation(lambda_arn="", automaticallyAfterDays=30)], "names no rotation function"),
        ([*GIVEN, _rotation(scheduleExpression="cron(0 4 1 * ? *)")], "no schedule the pack can read"),
        ([*GIVEN, _rotation(scheduleExpression="rate(91 days)")], "every 91 days, more than 90"),
    ],
)
def test_what_the_rule_refuses(resources: list[ResourceView], words: str) -> None:
    messages = RULE.evaluate_stack(resources, {})
    assert len(messages) == 1 and words in messages[0][1]
    assert messages[0][0] == next(r.urn for r in resources if r.type == CLUSTER)


def test_the_limit_is_the_pack_config() -> None:
    thirty = [*GIVEN, _rotation(automaticallyAfterDays=30)]
    assert RULE.evaluate_stack(thirty, {"maxRotationDays": 30}) == []
    assert RULE.evaluate_stack(thirty, {"maxRotationDays": 14})


@pytest.mark.parametrize(
    ("rules", "days"),
    [({"automaticallyAfterDays": 30}, 30), ({"scheduleExpression": "rate(10 days)"}, 10),
     ({"scheduleExpression": "rate(12 hours)"}, 0.5), ({"scheduleExpression": "cron(0 4 1 * ? *)"}, None), ({}, None)],
)  # fmt: skip
def test_schedule_days(rules: dict[str, Any], days: float | None) -> None:
    assert schedule_days(_r(SECRET_ROTATION, "r", {"rotationRules": rules})) == days


def test_the_primary_stack_rotates_its_master_secret_within_the_configured_period() -> None:
    """prod (a region pair's primary) passes through its SecretRotation, whose schedule is the config's period; dev
    (RDS-managed) and prod-dr (secondary) pass without one."""
    run = offline_run("prod")
    (rotation,) = run.of_type(SECRET_ROTATION)
    assert rotation.inputs["rotationRules"]["automaticallyAfterDays"] == 30
    assert rotation.inputs["rotationLambdaArn"].endswith(":function:fintech-prod-master-rotation")
    for stack in ("dev", "prod-dr"):
        assert not offline_run(stack).of_type(SECRET_ROTATION)
