"""Walking property values as the mock engine records them (secrets wrapped, unknowns, float numbers)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
    return value
