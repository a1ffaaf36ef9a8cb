"""Observability: SLO targets and period, the collectors' scrape interval, trace sampling and the Grafana switch.

Tier defaults (SLO targets, scrape interval, trace sampling) are TierPreset fields in stacks/tiers.py; the keys
here apply to every tier. Every value is refused before a resource is registered when the rules, the collector or
Amazon Managed Grafana could not take it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator

from components.prometheus_config import MAX_SCRAPE_INTERVAL_SECONDS, MIN_SCRAPE_INTERVAL_SECONDS
from components.slo import BURN_ALERTS, SLOS, unreachable_alerts
from stacks.config.base import ConfigBase, ns_key
from stacks.tiers import TierPreset

GrafanaAuthentication = Literal["", "AWS_SSO", "SAML"]
SLO_PERIOD_DAYS = (7, 14, 28, 30)
"""SLO periods the rules express: every one is longer than the longest alert window (3 days) and a whole number of
weeks or the conventional 30 days."""
SLO_TARGET_KEYS = ("sloAvailabilityTarget", "sloLatencyTarget", "sloProcessingTarget")


class ObservabilityConfig(ConfigBase):
    """Observability keys of every stack, and the validators of the tier-dependent ones (TierPreset fields
    sloAvailabilityTarget, sloLatencyTarget, sloProcessingTarget, scrapeIntervalSeconds, traceSamplingRatio)."""

    slo_period_days: int = 30
    """Days of the SLO period (error budget window): 7, 14, 28 or 30. Default: 30."""
    grafana_workspace: bool = False
    """Create an Amazon Managed Grafana workspace reading the Prometheus workspace, and load the Prometheus data source
    and the dashboards into it (components/grafana.py). Default: false."""
    grafana_authentication: GrafanaAuthentication = ""
    """How people sign in to the Grafana workspace: AWS_SSO (IAM Identity Center enabled in the account or its
    organization) or SAML (an identity provider's metadata URL); required with grafanaWorkspace. Default: empty."""
    grafana_saml_metadata_url: str = ""
    """HTTPS URL of the SAML identity provider's metadata; required with grafanaAuthentication SAML. Default: empty."""
    trace_encryption: bool = True
    """Set X-Ray's encryption to the stack's own customer-managed key (alias `<prefix>-traces-xray`). X-Ray keeps one
    encryption setting per account and region: false only in a stack that shares its account and region with
    another stack that owns the setting (then set the policy config `trace-export-encrypted.required` false too).
    Not a tier choice. Default: true."""

    @field_validator("slo_availability_target", "slo_latency_target", "slo_processing_target")
    @classmethod
    def _target_range(cls, value: float) -> float:
        if not 0 < value < 1:
            raise ValueError("must be between 0 and 1, both excluded (such as 0.999 for 99.9%)")
        return value

    @field_validator("trace_sampling_ratio")
    @classmethod
    def _sampling_range(cls, value: float) -> float:
        if not 0 < value <= 1:
            raise ValueError("must be above 0 and at most 1 (1 samples every trace)")
        return value

    @field_validator("scrape_interval_seconds")
    @classmethod
    def _scrape_interval(cls, value: int) -> int:
        if not MIN_SCRAPE_INTERVAL_SECONDS <= value <= MAX_SCRAPE_INTERVAL_SECONDS:
            raise ValueError(
                f"allowed: {MIN_SCRAPE_INTERVAL_SECONDS} to {MAX_SCRAPE_INTERVAL_SECONDS} seconds (the AMP managed "
                f"collector refuses less than {MIN_SCRAPE_INTERVAL_SECONDS}; above {MAX_SCRAPE_INTERVAL_SECONDS} the "
                "5-minute rule window holds fewer than 4 samples)"
            )
        return value

    @field_validator("slo_period_days")
    @classmethod
    def _period(cls, value: int) -> int:
        if value not in SLO_PERIOD_DAYS:
            raise ValueError(f"allowed: {', '.join(map(str, SLO_PERIOD_DAYS))}")
        return value

    @field_validator("grafana_saml_metadata_url")
    @classmethod
    def _metadata_url(cls, value: str) -> str:
        if value and (not value.startswith("https://") or " " in value):
            raise ValueError("must be an https:// URL")
        return value

    def _check_observability(self) -> None:
        """Every SLO target expressible by the burn-rate rules of the period; Grafana with its sign-in."""
        for key in SLO_TARGET_KEYS:
            target = getattr(self, _snake(key))
            unreachable = unreachable_alerts(target, self.slo_period_days)
            if unreachable:
                raise ValueError(
                    f"{ns_key(key)} = {target!r} with {ns_key('sloPeriodDays')} = "
                    f"{self.slo_period_days}: "
                    f"the error budget is so large that {', '.join(unreachable)} could never fire (an error ratio "
                    f"cannot exceed 1); raise the target to at least {_lowest_target(self.slo_period_days)}"
                )
        if self.grafana_workspace and not self.grafana_authentication:
            raise ValueError(
                "fintech-platform:grafanaWorkspace = true needs fintech-platform:grafanaAuthentication: AWS_SSO (IAM "
                "Identity Center enabled for the account) or SAML (with grafanaSamlMetadataUrl); Amazon Managed "
                "Grafana has no other sign-in"
            )
        if self.grafana_authentication == "SAML" and not self.grafana_saml_metadata_url:
            raise ValueError(
                "fintech-platform:grafanaAuthentication = 'SAML' needs fintech-platform:grafanaSamlMetadataUrl (the "
                "identity provider's metadata URL)"
            )


def slo_targets(preset: TierPreset) -> dict[str, float]:
    """SLO name (components/slo.py) -> its target in a stack's config."""
    by_kind = {"availability": preset.slo_availability_target, "latency": preset.slo_latency_target,
               "processing": preset.slo_processing_target}  # fmt: skip
    return {slo.name: by_kind[slo.kind] for slo in SLOS}


def _snake(key: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key)


def _lowest_target(period_days: int) -> str:
    """The smallest target whose every burn threshold stays below 1, rounded up to 4 decimals."""
    worst = max(alert.factor(period_days) for alert in BURN_ALERTS)
    return f"{1 - 1 / worst + 0.0001:.4f}"
