"""The configuration reference (docs/configuration.md, generated from Pulumi.yaml by offline/docs.py) is the
contract: every key can be overridden with each value its row documents (the backticked values of the dev and
prod columns, and of its description after "Allowed:", which is the description in Pulumi.yaml), on both stacks,
and each value the row says prod refuses is refused there. Parametrized from the page itself, so a new key is
covered as soon as it is declared and the page regenerated (tests/test_docs.py fails while it is stale)."""

from __future__ import annotations

import json
import re
from functools import cache

import pytest

from offline.engine import PROJECT_DIR, run_stack, stack_config
from stacks.config import CONFIG_NAMESPACE, ConfigError, StackConfig, config_keys, parse_stack_config

NS = CONFIG_NAMESPACE
_TICKED = re.compile(r"`([^`]*)`")
_PROD_REFUSES = re.compile(r"\bprod\b[^`]*?\brefuses\b")
"""Where a row's allowed column starts listing the values prod refuses ('prod refuses', 'prod, with ..., refuses')."""

READ_BY_ONE_SIDE = {"auroraMasterRotationDays": "prod", "failoverAuroraReaders": "prod-dr"}
"""Keys only one side of a region pair reads, refused where they do nothing (tests/test_bad_config.py): their
documented values are tried on the stack of that side (prod the primary, prod-dr the standby)."""


def _table() -> list[tuple[list[str], str, str, str]]:
    """Rows of the configuration table: keys, dev column, prod column, allowed values (the description after
    'Allowed:')."""
    text = (PROJECT_DIR / "docs" / "configuration.md").read_text()
    table = text[text.index("| key | type | default | dev | prod | prod-dr | description |") :].split("\n\n")[0]
    rows = []
    for line in table.splitlines()[2:]:
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        keys, dev, prod, description = cells[0], cells[3], cells[4], " | ".join(cells[6:])
        assert "Allowed:" in description, f"{keys}: the description in Pulumi.yaml says nothing after 'Allowed:'"
        rows.append((_TICKED.findall(keys), dev, prod, description.split("Allowed:", 1)[1]))
    return rows


def _value(token: str) -> str:
    return "" if token == '""' else token


def _cases() -> list[tuple[str, str, str, bool]]:
    """(stack, key, value, accepted) for every documented value of every key except tier."""
    cases = []
    for keys, dev, prod, allowed in _table():
        match = _PROD_REFUSES.search(allowed)
        accepted, refused_text = (allowed[: match.start()], allowed[match.end() :]) if match else (allowed, "")
        refused = {_value(token) for token in _TICKED.findall(refused_text)}
        for key in keys:
            if key == "tier":
                continue
            dev_stack, prod_stack = (READ_BY_ONE_SIDE[key],) * 2 if key in READ_BY_ONE_SIDE else ("dev", "prod")
            for token in _TICKED.findall(dev):
                cases.append((dev_stack, key, _value(token), True))
            for token in _TICKED.findall(prod):
                cases.append((prod_stack, key, _value(token), True))
            for token in _TICKED.findall(accepted) + _TICKED.findall(refused_text):
                cases.append((dev_stack, key, _value(token), True))
                cases.append((prod_stack, key, _value(token), _value(token) not in refused))
    return sorted(set(cases))


CASES = _cases()


@cache
def _stack_values(stack: str) -> dict[str, str]:
    """The config the CLI passes for a stack (Pulumi.yaml defaults under the stack file), read once."""
    raw, _ = stack_config(stack)
    prefix = f"{NS}:"
    return {key[len(prefix) :]: value for key, value in raw.items() if key.startswith(prefix)}


def _parse(stack: str, key: str, value: str) -> StackConfig:
    """What the program does with the stack's config after `pulumi config set KEY VALUE` (text, as the
    engine passes it)."""
    return parse_stack_config({**_stack_values(stack), key: value})


def test_every_key_has_documented_values_that_are_tried() -> None:
    tried = {key for _, key, _, _ in CASES} | {"tier"}
    assert tried == set(config_keys())
    assert len(CASES) > 150


@pytest.mark.parametrize(("stack", "key", "value", "accepted"), CASES)
def test_documented_value_is_accepted_or_refused_as_the_table_says(
    stack: str, key: str, value: str, accepted: bool
) -> None:
    if accepted:
        _parse(stack, key, value)
    else:
        with pytest.raises(ConfigError) as raised:
            _parse(stack, key, value)
        assert f"{NS}:{key}" in str(raised.value)
        items = json.loads(value) if value.startswith("[") else [value]
        assert all(item in str(raised.value) for item in items)


def test_the_tier_column_names_each_stack_tier() -> None:
    tiers = {_parse(stack, "region", "us-east-1").tier for stack in ("dev", "prod")}
    assert tiers == {"dev", "prod"}


@pytest.mark.parametrize(("stack", "interval"), [("dev", "60"), ("prod", "5")])
def test_aurora_monitoring_interval_can_be_set_through_the_engine(stack: str, interval: str) -> None:
    run = run_stack(stack, {f"{NS}:auroraMonitoringInterval": interval})
    assert run.error is None, run.error
    instances = run.of_type("aws:rds/clusterInstance:ClusterInstance")
    assert instances and {i.inputs.get("monitoringInterval", 0) for i in instances} == {int(interval)}
