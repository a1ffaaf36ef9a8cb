"""The Route 53 failover record of one stack: a CLOUDWATCH_METRIC health check that counts an unanswerable alarm
as down, and a failover alias A record to the region's ALB that carries it."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components.dns_failover import FailoverRecord, FailoverRecordArgs
from components.errors import InvalidArgumentError
from offline.engine import OfflineRun, run_program
from tests.helpers import one

HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
RECORD = "aws:route53/record:Record"
ALB_DNS = "fintech-prod-alb-1234.us-east-1.elb.amazonaws.com"
ALB_ZONE = "Z35SXDOTRQ7X7K"


def _args(**changes: Any) -> FailoverRecordArgs:
    values: dict[str, Any] = {
        "zone_id": "Z0PUBLICZONE", "record_name": "api.fintech.example.com", "role": "PRIMARY",
        "alb_dns_name": ALB_DNS, "alb_zone_id": ALB_ZONE, "alarm_name": "fintech-prod-payments-no-healthy-targets",
        "alarm_region": "us-east-1", **changes,
    }  # fmt: skip
    return FailoverRecordArgs(**values)


def _run(**changes: Any) -> OfflineRun:
    def program() -> None:
        record = FailoverRecord("fintech-prod-dns", _args(**changes))
        pulumi.export("health_check_id", record.health_check_id)
        pulumi.export("fqdn", record.fqdn)

    run = run_program(program, "unit", "unit")
    assert run.error is None, run.error
    return run


@pytest.mark.parametrize("role", ["PRIMARY", "SECONDARY"])
def test_health_check_watches_the_alarm_and_counts_insufficient_data_as_down(role: str) -> None:
    run = _run(role=role)
    check = one(run, HEALTH_CHECK)
    assert check.inputs["type"] == "CLOUDWATCH_METRIC"
    assert check.inputs["cloudwatchAlarmName"] == "fintech-prod-payments-no-healthy-targets"
    assert check.inputs["cloudwatchAlarmRegion"] == "us-east-1"
    assert check.inputs["insufficientDataHealthStatus"] == "Unhealthy"
    assert check.inputs["tags"]["failover-role"] == role


def test_operations_own_the_inversion_of_the_health_check() -> None:
    """A drill inverts the PRIMARY check out of band; a deploy must neither set nor reset it."""
    check = one(_run(), HEALTH_CHECK)
    assert "invertHealthcheck" not in check.inputs
    assert check.ignore_changes == ["invertHealthcheck"]


@pytest.mark.parametrize("role", ["PRIMARY", "SECONDARY"])
def test_record_is_a_failover_alias_to_the_alb_carrying_the_health_check(role: str) -> None:
    run = _run(role=role)
    record = one(run, RECORD).inputs
    check = one(run, HEALTH_CHECK)
    assert (record["zoneId"], record["name"], record["type"]) == ("Z0PUBLICZONE", "api.fintech.example.com", "A")
    assert record["failoverRoutingPolicies"] == [{"type": role}]
    assert record["healthCheckId"] == check.id
    assert record["aliases"] == [{"name": ALB_DNS, "zoneId": ALB_ZONE, "evaluateTargetHealth": True}]
    assert "ttl" not in record and "records" not in record
    assert record["allowOverwrite"] is False
    assert run.outputs == {"health_check_id": check.id, "fqdn": "api.fintech.example.com"}


def test_set_identifier_defaults_to_the_component_name_and_can_be_given() -> None:
    assert one(_run(), RECORD).inputs["setIdentifier"] == "fintech-prod-dns"
    assert one(_run(set_identifier="us-west-2"), RECORD).inputs["setIdentifier"] == "us-west-2"


def test_children_are_parented_to_the_component() -> None:
    run = _run()
    component = one(run, "fintech:dns:FailoverRecord")
    assert {r.parent for r in run.resources if r.custom and not r.type.startswith("pulumi:")} == {component.urn}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"record_name": "localhost"}, "record_name: 'localhost' must be a fully qualified name"),
        ({"record_name": "*.fintech.example.com"}, r"record_name: .* labels \['\*'\]"),
        ({"record_name": "API.fintech.example.com"}, r"record_name: .* labels \['API'\]"),
        ({"record_name": "-api.example.com"}, r"record_name: .* labels \['-api'\]"),
        ({"record_name": "a" * 64 + ".example.com"}, "record_name: .* 1-63 lowercase"),
        ({"record_name": ("a" * 60 + ".") * 5 + "com"}, "record_name: .* must be 1-253 characters"),
        ({"role": "ACTIVE"}, "role: 'ACTIVE' is not one of PRIMARY, SECONDARY"),
        ({"alarm_region": "useast1"}, "alarm_region: 'useast1' is not an AWS region"),
        ({"set_identifier": "x" * 129}, "set_identifier: 129 characters"),
    ],
)
def test_bad_failover_arguments_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        _args(**changes)


def test_a_trailing_dot_is_accepted() -> None:
    assert _args(record_name="api.fintech.example.com.").record_name == "api.fintech.example.com."
