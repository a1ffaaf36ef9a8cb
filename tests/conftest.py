"""Shared fixtures: the offline runs of both stacks, made once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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


class _SearchPaths(list[str]):
    """A loader's search paths that take each path once (boto3 appends its data path for every new session)."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


@pytest.fixture(scope="session", autouse=True)
def fast_aws_sdk_and_moto() -> Iterator[None]:
    """Two costs of the moto-backed tests that no assertion depends on, removed for the whole session:

    - every boto3 session (ops.common.Clients makes one per region and run) builds its own botocore data
      loader and parses the service models and endpoints.json again (~340 clients in test_ops_failover.py);
      here all sessions share one loader, as all clients of one session do in botocore (its cache holds the
      parsed, unchanged JSON files of the installed botocore);
    - each moto EC2 backend (one per account and region) loads ~1,300 default AMIs with their snapshots; no
      test uses them (MOTO_EC2_LOAD_DEFAULT_AMIS, moto's documented switch).
    """
    import botocore.loaders
    import botocore.session

    loaders: dict[Any, botocore.loaders.Loader] = {}
    original = botocore.session.create_loader

    def shared_loader(search_path_string: Any = None) -> botocore.loaders.Loader:
        if search_path_string not in loaders:
            loader = original(search_path_string)
            loader._search_paths = _SearchPaths(loader.search_paths)
            loaders[search_path_string] = loader
        return loaders[search_path_string]

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        patch.setattr(botocore.session, "create_loader", shared_loader)
        yield
