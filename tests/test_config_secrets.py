"""Secret config stays secret, and settings the program would ignore are warned about."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

from pulumi.runtime import rpc

from offline.engine import PROJECT_DIR, run_program, run_stack, stack_config

NS = "fintech-platform"


def _plain_strings(value: Any) -> list[str]:
    """Every string in `value` that is not inside a secret."""
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return []
        return [s for item in value.values() for s in _plain_strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _plain_strings(item)]
    return [value] if isinstance(value, str) else []


def test_a_secret_tag_value_stays_secret_in_every_resource_and_output() -> None:
    run = run_stack("dev", secret_overrides={f"{NS}:owner": "payments-team-x7"})
    assert run.error is None, run.error
    providers = run.of_type("pulumi:providers:aws")
    assert providers and all(p.inputs["defaultTags"][rpc._special_sig_key] == rpc._special_secret_sig
                             for p in providers)  # fmt: skip
    leaks = [r.name for r in run.resources if any("payments-team-x7" in s for s in _plain_strings(r.inputs))]
    assert leaks == []
    assert not any("payments-team-x7" in s for s in _plain_strings(run.outputs))


def test_a_plain_tag_value_is_not_made_secret() -> None:
    run = run_stack("dev", {f"{NS}:owner": "payments-team-x7"})
    provider = run.of_type("pulumi:providers:aws")[0]
    assert "payments-team-x7" in provider.inputs["defaultTags"]


def test_a_secret_that_cannot_stay_secret_is_warned_about() -> None:
    run = run_stack("dev", secret_overrides={f"{NS}:monthlyBudgetUsd": "777"})
    assert run.error is None, run.error
    assert any(f"{NS}:monthlyBudgetUsd is set with --secret" in w and "unencrypted" in w for w in run.warnings)


ENCRYPTED = "v1:Tk9UQVJFQUxDSVBIRVI=:dGhpcy1pcy1ub3QtZGVjcnlwdGFibGUtb2ZmbGluZQ=="


def test_encrypted_values_of_any_type_plan_offline(tmp_path: Path) -> None:
    import yaml

    entries: dict[str, Any] = {
        "owner": {"secure": ENCRYPTED},  # a string
        "nodeMax": {"secure": ENCRYPTED},  # numbers
        "monthlyBudgetUsd": {"secure": ENCRYPTED},
        "eksAdminRoleArns": [{"secure": ENCRYPTED}],  # an item of a list, set with --secret --path
        "albIngressCidrs": {"secure": ENCRYPTED},  # a whole list
    }
    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    stack = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())
    stack["config"].update({f"{NS}:{key}": value for key, value in entries.items()})
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump(stack))
    config, secret_keys = stack_config("dev", project_dir=tmp_path)
    assert sorted(secret_keys) == sorted(f"{NS}:{key}" for key in entries)
    assert ENCRYPTED not in str(config)
    program = str(PROJECT_DIR / "__main__.py")
    run = run_program(lambda: runpy.run_path(program, run_name="__main__"), NS, "dev", config, secret_keys)
    assert run.error is None, run.error
    assert len(run.resources) > 150


IGNORED = {
    "fintech-platfrom:tier": ("prod", "namespace 'fintech-platfrom' is not this project's; did you mean "
                                      "'fintech-platform:tier'?"),
    "fintech_platform:tier": ("prod", "did you mean 'fintech-platform:tier'?"),
    "Fintech-Platform:nodeMax": ("5", "did you mean 'fintech-platform:nodeMax'?"),
    "aws:region": ("eu-west-1", "'aws:region' = 'eu-west-1' has no effect"),
    "aws:profile": ("prod-admin", "'aws:profile' has no effect"),
}  # fmt: skip


def test_ignored_settings_are_warned_about_by_the_program() -> None:
    run = run_stack("dev", {key: value for key, (value, _) in IGNORED.items()})
    assert run.error is None, run.error
    for key, (_, expected) in IGNORED.items():
        assert any(expected in warning and key in warning for warning in run.warnings), (key, run.warnings)


def test_matching_or_unrelated_settings_are_not_warned_about() -> None:
    from stacks.config import ignored_settings

    config = {"aws:region": "us-east-1", "kubernetes:context": "x", "fintech-platform:tier": "dev", "pulumi:x": "1"}
    assert ignored_settings(config, "us-east-1") == []
