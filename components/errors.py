"""The one error type components raise for bad arguments."""

from __future__ import annotations

import pulumi


class InvalidArgumentError(pulumi.RunError, ValueError):
    """An argument is out of range or conflicts with another; the message names the argument.

    It is a `pulumi.RunError`, so `pulumi up` prints the message without a Python traceback.
    """
