"""Preflight: every pinned Helm chart version of the cluster add-ons exists in its chart repository.

A Helm repository is an HTTP(S) directory whose index.yaml lists every chart and version it serves
(https://helm.sh/docs/topics/chart_repository/#the-index-file); a pin that is not listed there fails
the complete phase of `pulumi up` when the chart is fetched.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any, NamedTuple

import yaml

from components.versions import CHART_PINS
from ops.common import Report

INDEX_TIMEOUT_SECONDS = 30
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ChartPin(NamedTuple):
    """Where a chart comes from and the version pinned."""

    repository: str
    version: str


def chart_pins(kubernetes_version: str) -> dict[str, ChartPin]:
    """The add-on charts the program installs on a cluster of this Kubernetes version."""
    pins = CHART_PINS.get(kubernetes_version, {})
    return {chart: ChartPin(pin["repo"], pin["version"]) for chart, pin in pins.items()}


def read_index(repository: str) -> dict[str, Any]:
    """The repository's parsed index.yaml; OSError or ValueError with the reason when unreadable."""
    url = f"{repository.rstrip('/')}/index.yaml"
    with urllib.request.urlopen(url, timeout=INDEX_TIMEOUT_SECONDS) as response:
        document = yaml.load(response.read(), Loader=_Loader)
    if not isinstance(document, dict) or not isinstance(document.get("entries"), dict):
        raise ValueError(f"{url} is not a Helm repository index (no 'entries' mapping)")
    return document


def check_chart_versions(report: Report, pins: Mapping[str, ChartPin]) -> None:
    """One finding per chart: its pinned version is listed in its repository's index."""
    indexes: dict[str, dict[str, Any] | str] = {}
    for chart, pin in pins.items():
        if not pin.repository.startswith(("https://", "http://")):
            report.add(f"chart-{chart}", False, f"repository {pin.repository!r} is not an http(s) URL")
            continue
        if pin.repository not in indexes:
            try:
                indexes[pin.repository] = read_index(pin.repository)
            except (OSError, ValueError, yaml.YAMLError) as err:
                reason: object = err
                if isinstance(err, urllib.error.HTTPError):
                    reason = f"HTTP {err.code} {err.reason}"
                elif isinstance(err, urllib.error.URLError):
                    reason = err.reason
                indexes[pin.repository] = f"cannot read {pin.repository.rstrip('/')}/index.yaml: {reason}"
        index = indexes[pin.repository]
        if isinstance(index, str):
            report.add(f"chart-{chart}", False, f"{pin.version} not checked: {index}", pin.repository)
            continue
        versions = [str(entry.get("version")) for entry in index["entries"].get(chart) or [] if isinstance(entry, dict)]
        found = pin.version in versions
        detail = f"{chart} {pin.version} is in the repository index"
        if not found:
            newest = ", ".join(versions[:3]) if versions else "none"
            detail = f"{chart} {pin.version} is not in the repository index (listed first: {newest})"
        report.add(f"chart-{chart}", found, detail, pin.repository)
