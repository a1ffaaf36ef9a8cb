"""Small look-ups over an offline run, shared by the tests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from offline.engine import OfflineRun, Registration
from offline.plan import redact
from policies.rules.base import ResourceView

PROD_ACCOUNT = "111122223333"
REGION_PAIR = {"drStack": "prod-dr", "dnsZoneId": "Z0123456789ABCDEFGHIJ", "dnsName": "api.fintech.example.com"}
"""The keys that make a prod-tier config the primary of a region pair, which the prod tier requires (issue 14)."""
"""The account Pulumi.prod.yaml pins (accountId); ops tests run moto as this account."""


def one(run: OfflineRun, type_token: str, suffix: str = "") -> Registration:
    """The single registration of a type whose name ends with `suffix`; fails on none or several."""
    found = [r for r in run.of_type(type_token) if r.name.endswith(suffix)]
    assert len(found) == 1, f"{len(found)} {type_token} named *{suffix}: {[r.name for r in found]}"
    return found[0]


def children(run: OfflineRun, component_type: str) -> list[Registration]:
    """Every resource parented (directly) by the one component of this type named after the stack."""
    component = one(run, component_type, f"fintech-{run.stack}")
    return [r for r in run.resources if r.parent == component.urn]


def key_arn(run: OfflineRun, domain: str) -> str:
    """ARN of one of the stack's platform keys."""
    arn: str = run.outputs["kmsKeyArns"][domain]
    return arn


def plain(value: Any) -> Any:
    """A value with secrets and unknowns shown as the plan shows them."""
    return redact(value)


def isolate_aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials from this machine: no AWS_* variable, no profile or config file, no instance metadata."""
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def view_urn(type_token: str, name: str) -> str:
    """The URN a rule test gives a resource: stack 's' of project 'p'."""
    return f"urn:pulumi:s::p::{type_token}::{name}"


def view(type_token: str, name: str, props: dict[str, Any] | None = None, deps: dict[str, list[str]] | None = None,
         protect: bool = False, provider: dict[str, Any] | None = None) -> ResourceView:  # fmt: skip
    """A resource as a policy rule sees it (the rule tests' builder): `props` its inputs, `deps` the URNs each
    property came from, `provider` its provider's properties. Defaults: none of them, not protected."""
    return ResourceView(type_token, name, view_urn(type_token, name), props or {}, protect=protect,
                        provider_props=provider or {}, property_dependencies=deps or {})  # fmt: skip
