"""Walking property values as the mock engine records them (secrets wrapped, unknowns, float numbers)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import rpc


def convert(value: Any, on_secret: Callable[[Any], Any], unknown: Any) -> Any:
    """The value with each secret replaced by `on_secret(its converted content)`, each unknown by `unknown`,
    and each integral float by an int (the wire format carries every number as a float)."""
    if rpc.is_rpc_secret(value):
        return on_secret(convert(rpc.unwrap_rpc_secret(value), on_secret, unknown))
    if value is rpc.UNKNOWN:
        return unknown
    if isinstance(value, dict):
        return {key: convert(item, on_secret, unknown) for key, item in value.items()}
    if isinstance(value, list):
        return [convert(item, on_secret, unknown) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (pulumi.Asset, pulumi.Archive)):
        return _asset(value)
    return value


def _asset(value: pulumi.Asset | pulumi.Archive) -> dict[str, Any]:
    """An asset or archive (a Lambda function's code) as data: its kind and its path relative to the project."""
    path = getattr(value, "path", None)
    if path is None:
        return {type(value).__name__: sorted(getattr(value, "assets", {}) or {})}
    project = Path(__file__).resolve().parent.parent
    where = Path(path).resolve()
    return {type(value).__name__: str(where.relative_to(project)) if where.is_relative_to(project) else path}
