"""ECR registry replication of the primary's namespace to the standby region, in the same account."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components.errors import InvalidArgumentError
from components.registry_replication import RegistryReplication, RegistryReplicationArgs
from offline.engine import OfflineRun, run_program
from tests.helpers import PROD_ACCOUNT, one

REPLICATION = "aws:ecr/replicationConfiguration:ReplicationConfiguration"


def _args(**changes: Any) -> RegistryReplicationArgs:
    values: dict[str, Any] = {
        "account_id": PROD_ACCOUNT, "source_region": "us-east-1", "destination_region": "us-west-2",
        "repository_prefix": "fintech-prod/", **changes,
    }  # fmt: skip
    return RegistryReplicationArgs(**values)


def _run() -> OfflineRun:
    def program() -> None:
        pulumi.export("registry_id", RegistryReplication("fintech-prod-ecr", _args()).registry_id)

    run = run_program(program, "unit", "unit")
    assert run.error is None, run.error
    return run


def test_one_rule_copies_the_namespace_to_the_standby_region_of_the_same_account() -> None:
    run = _run()
    configuration = one(run, REPLICATION)
    (rule,) = configuration.inputs["replicationConfiguration"]["rules"]
    assert rule["destinations"] == [{"region": "us-west-2", "registryId": PROD_ACCOUNT}]
    assert rule["repositoryFilters"] == [{"filter": "fintech-prod/", "filterType": "PREFIX_MATCH"}]
    assert configuration.parent == one(run, "fintech:ecr:RegistryReplication").urn
    assert run.outputs["registry_id"] == configuration.outputs["registryId"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"repository_prefix": "fintech-prod"}, "repository_prefix: 'fintech-prod' must end with '/'"),
        ({"repository_prefix": "Fintech-Prod/"}, "repository_prefix: 'Fintech-Prod/' is not a lowercase"),
        ({"repository_prefix": "/"}, "repository_prefix: '/' is not a lowercase"),
        ({"destination_region": "us-west"}, "destination_region: 'us-west' is not an AWS region"),
        ({"source_region": "US-EAST-1"}, "source_region: 'US-EAST-1' is not an AWS region"),
        ({"destination_region": "us-east-1"}, "destination_region: 'us-east-1' is the registry's own region"),
        ({"account_id": "1111"}, "account_id: '1111' is not a 12-digit"),
    ],
)
def test_bad_replication_arguments_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        _args(**changes)


def test_a_nested_namespace_is_accepted() -> None:
    assert _args(repository_prefix="fintech/prod_1/").repository_prefix == "fintech/prod_1/"
