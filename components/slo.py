"""The platform's service level objectives and their multi-window, multi-burn-rate alerts, as data.

The method is the SRE workbook's ("Alerting on SLOs", https://sre.google/workbook/alerting-on-slos/, section 6:
multiwindow, multi-burn-rate alerts): an alert fires when the error ratio over a long window AND over a short
window (1/12 of it) both exceed `burn factor x (1 - target)`, where the burn factor spends a given share of the
period's error budget within the long window. The three alerts here are the workbook's recommendation for a
30-day period (2% of the budget in 1 h -> page, 5% in 6 h -> page, 10% in 3 days -> ticket); for another period
the factors follow from the same budget shares.

The SLI recording rules are rendered from this catalog into observability/rules/slo-sli.yaml (kept in the
repository; a test proves the file equals the rendering). The per-stack objectives (target and error-ratio
thresholds) are rendered from the stack config into a separate rule group, so the alert rules
(observability/rules/slo-alerts.yaml) stay the same in every stack.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import yaml

SloKind = Literal["availability", "latency", "processing"]

HTTP_REQUESTS = "http_server_request_duration_seconds"
"""The OpenTelemetry HTTP server duration histogram (semantic conventions `http.server.request.duration`, unit s)
as the OpenTelemetry Prometheus exporter names it; the workloads' metrics contract (docs/observability.md)."""
LEDGER_POSTINGS = "ledger_postings_total"
"""Counter of the ledger's postings, label `outcome` = posted | failed (the ledger's metrics contract)."""


@dataclass(frozen=True)
class BurnAlert:
    """One multi-window burn-rate alert."""

    name: str
    long_window: str
    short_window: str
    long_hours: float
    budget_share: float
    """Share of the period's error budget the alert lets burn within the long window."""
    severity: Literal["page", "ticket"]
    burn: Literal["fast", "slow", "long"]

    def factor(self, period_days: int) -> float:
        """The burn rate that spends `budget_share` of a `period_days` budget within the long window."""
        return self.budget_share * period_days * 24 / self.long_hours


BURN_ALERTS: tuple[BurnAlert, ...] = (
    BurnAlert("ErrorBudgetFastBurn", "1h", "5m", 1, 0.02, "page", "fast"),
    BurnAlert("ErrorBudgetSlowBurn", "6h", "30m", 6, 0.05, "page", "slow"),
    BurnAlert("ErrorBudgetLongBurn", "3d", "6h", 72, 0.10, "ticket", "long"),
)
"""The workbook's three alerts: 14.4x over 1 h/5 min and 6x over 6 h/30 min page, 1x over 3 d/6 h opens a ticket
(factors for a 30-day period)."""
WINDOWS: tuple[str, ...] = ("5m", "30m", "1h", "6h", "3d")
"""Every window an alert reads an error ratio over."""


@dataclass(frozen=True)
class Slo:
    """One service level objective of a workload."""

    workload: str
    kind: SloKind
    description: str
    latency_threshold_seconds: str = ""
    """For latency SLOs: the bucket bound (the `le` label, as the exporter writes it) a good request stays under."""

    @property
    def name(self) -> str:
        """The `slo` label: '<workload>-<kind>'."""
        return f"{self.workload}-{self.kind}"

    def error_ratio(self, window: str) -> str:
        """PromQL of the SLI's error ratio (bad events / all events) over `window`: 0 when no event is bad, no value
        when there is no event at all (no traffic burns no budget)."""
        selector = f'job="workloads",namespace="{self.workload}"'
        if self.kind == "processing":
            total = f"sum(rate({LEDGER_POSTINGS}{{{selector}}}[{window}]))"
            return f'(sum(rate({LEDGER_POSTINGS}{{{selector},outcome="failed"}}[{window}])) or vector(0)) / {total}'
        total = f"sum(rate({HTTP_REQUESTS}_count{{{selector}}}[{window}]))"
        if self.kind == "availability":
            bad = f'sum(rate({HTTP_REQUESTS}_count{{{selector},http_response_status_code=~"5.."}}[{window}]))'
            return f"({bad} or vector(0)) / {total}"
        good = f'sum(rate({HTTP_REQUESTS}_bucket{{{selector},le="{self.latency_threshold_seconds}"}}[{window}]))'
        return f"1 - ({good} / {total})"


SLOS: tuple[Slo, ...] = (
    Slo("validator", "availability", "validation requests answered without a server error (5xx)"),
    Slo("validator", "latency", "validation requests answered within 250 ms", latency_threshold_seconds="0.25"),
    Slo("payments", "availability", "payment requests answered without a server error (5xx)"),
    Slo("payments", "latency", "payment requests answered within 500 ms", latency_threshold_seconds="0.5"),
    Slo("ledger", "processing", "postings processed without failure"),
)
"""The platform's SLOs. Latency bounds are bucket bounds of the OpenTelemetry default duration histogram."""


def sli_rules() -> dict[str, Any]:
    """The SLI recording rules (observability/rules/slo-sli.yaml): `slo:sli_error:ratio_rate<window>{slo}` per SLO
    and window."""
    return {
        "groups": [
            {
                "name": "slo-sli",
                "rules": [
                    {"record": f"slo:sli_error:ratio_rate{window}", "expr": slo.error_ratio(window),
                     "labels": {"slo": slo.name, "workload": slo.workload}}
                    for slo in SLOS
                    for window in WINDOWS
                ],
            }
        ]
    }  # fmt: skip


def objectives(targets: Mapping[str, float], period_days: int) -> dict[str, Any]:
    """The per-stack objectives group: `slo:objective:ratio{slo}` (the target) and
    `slo:error_ratio:threshold{slo,window}` (burn factor x error budget) for each alert's long window.

    `targets`: SLO name -> target in (0, 1); every SLO of the catalog must have one."""
    missing = sorted({slo.name for slo in SLOS} - set(targets))
    if missing:
        raise ValueError(f"targets: no target for {missing}")
    rules: list[dict[str, Any]] = []
    for slo in SLOS:
        target = targets[slo.name]
        rules.append({"record": "slo:objective:ratio", "expr": _number(target), "labels": {"slo": slo.name}})
        for alert in BURN_ALERTS:
            threshold = alert.factor(period_days) * (1 - target)
            rules.append({"record": "slo:error_ratio:threshold", "expr": _number(threshold),
                          "labels": {"slo": slo.name, "window": alert.long_window}})  # fmt: skip
    return {"groups": [{"name": "slo-objectives", "rules": rules}]}


def unreachable_alerts(target: float, period_days: int) -> list[str]:
    """The burn alerts whose error-ratio threshold is 1 or more under `target` and `period_days`: they could never
    fire (an error ratio cannot exceed 1), so the rules cannot express that objective."""
    return [
        f"{alert.name} ({alert.long_window}/{alert.short_window}: threshold "
        f"{alert.factor(period_days) * (1 - target):.3g})"
        for alert in BURN_ALERTS
        if alert.factor(period_days) * (1 - target) >= 1
    ]


def _number(value: float) -> str:
    """A PromQL number literal, rounded to 12 significant digits (no float noise such as 0.9990000000000001)."""
    return f"{value:.12g}"


def dump(document: Mapping[str, Any]) -> str:
    """YAML text of a rule document, in a stable layout."""
    return yaml.safe_dump(dict(document), sort_keys=False, width=200)
