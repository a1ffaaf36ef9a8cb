"""Shared fixtures: the offline runs of both stacks, made once per test session."""

from __future__ import annotations

import pytest

from offline.engine import OfflineRun, run_stack

STACKS = ("dev", "prod")

_runs: dict[str, OfflineRun] = {}


def offline_run(stack: str) -> OfflineRun:
    """The offline run of a stack's own config, made once and shared (runs are deterministic)."""
    if stack not in _runs:
        _runs[stack] = run_stack(stack)
        assert _runs[stack].error is None, _runs[stack].error
    return _runs[stack]


@pytest.fixture(params=STACKS)
def stack_run(request: pytest.FixtureRequest) -> OfflineRun:
    """The offline run of each stack in turn."""
    return offline_run(request.param)


@pytest.fixture
def dev_run() -> OfflineRun:
    return offline_run("dev")


@pytest.fixture
def prod_run() -> OfflineRun:
    return offline_run("prod")


@pytest.fixture(scope="session", autouse=True)
def helm_installed() -> str:
    """The chart tests need helm: install it when missing (as scripts/install-helm.sh does for users)."""
    from tests.charts import helm

    return helm()
