"""Shared fixtures: the offline runs of both stacks, made once per test session."""

from __future__ import annotations

from collections.abc import Iterator

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


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A moto account that is the prod stack's pinned account, with test credentials in us-east-1."""
    from moto import mock_aws

    from tests.helpers import PROD_ACCOUNT

    for key, value in {"MOTO_ACCOUNT_ID": PROD_ACCOUNT, "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield
