"""The configuration split by area (stacks/config/): every area's cross-key check is wired into the one
model validator that runs them in order, and every config key belongs to exactly one area module."""

from __future__ import annotations

import inspect
import re

from stacks.config import StackConfig, config_keys
from stacks.config.base import ConfigBase
from stacks.tiers import TierPreset


def _area_models() -> list[type[ConfigBase]]:
    return [base for base in StackConfig.__mro__ if issubclass(base, ConfigBase) and base is not StackConfig]


def test_every_area_check_runs_in_the_model_validator() -> None:
    defined = {
        name
        for model in [*_area_models(), StackConfig]
        for name in vars(model)
        if name.startswith("_check_") and callable(vars(model)[name])
    }
    validators = StackConfig.__pydantic_decorators__.model_validators
    assert list(validators) == ["_cross_checks"]  # the one place that orders the cross-key checks
    called = set(re.findall(r"self\.(_check_\w+)\(", inspect.getsource(validators["_cross_checks"].func)))
    assert called == defined


def test_every_key_belongs_to_one_area() -> None:
    owners: dict[str, list[str]] = {}
    models: list[type[TierPreset]] = [TierPreset, *_area_models()]
    for model in models:
        for name in vars(model).get("__annotations__", {}):
            if name in StackConfig.model_fields:
                owners.setdefault(name, []).append(model.__name__)
    assert {name: where for name, where in owners.items() if len(where) != 1} == {}
    assert sorted(StackConfig.model_fields[name].alias or name for name in owners) == config_keys()
