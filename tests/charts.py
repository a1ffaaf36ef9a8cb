"""Render the workload charts with a real helm binary, using the values the program passes."""

from __future__ import annotations

import functools
import json
import subprocess
from pathlib import Path
from typing import Any

import yaml

from offline.engine import PROJECT_DIR, OfflineRun

HELM_INSTALLER = PROJECT_DIR / "scripts" / "install-helm.sh"


@functools.cache
def helm() -> str:
    """Path of a helm binary; installs one (scripts/install-helm.sh) when none is on PATH."""
    result = subprocess.run(["bash", str(HELM_INSTALLER)], capture_output=True, text=True, check=True, timeout=300)
    return result.stdout.strip().splitlines()[-1]


def workload_chart(run: OfflineRun, workload: str) -> tuple[Path, str, dict[str, Any]]:
    """Chart directory, namespace and values of a workload's release as the program registered it."""
    chart = next(
        c for c in run.of_type("kubernetes:helm.sh/v4:Chart") if c.name == f"fintech-{run.stack}-{workload}-chart"
    )
    return PROJECT_DIR / chart.inputs["chart"], chart.inputs["namespace"], chart.inputs["values"]


def helm_run(*args: str, values: dict[str, Any], tmp: Path) -> subprocess.CompletedProcess[str]:
    """Run helm with `values` written to a file."""
    values_file = tmp / "values.json"
    values_file.write_text(json.dumps(values))
    return subprocess.run(
        [helm(), *args, "--values", str(values_file)], capture_output=True, text=True, timeout=120, cwd=PROJECT_DIR
    )


def render(chart: Path, namespace: str, values: dict[str, Any], tmp: Path) -> list[dict[str, Any]]:
    """The manifests of a chart, rendered by helm template; fails with helm's message."""
    result = helm_run("template", chart.name, str(chart), "--namespace", namespace, values=values, tmp=tmp)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]
