"""Every version pin that depends on the Kubernetes version, in one table.

A Kubernetes minor version is accepted while it is in EKS standard support (14 months from its EKS
release; afterwards the cluster bills extended support at six times the control-plane price). The
dates come from the Amazon EKS Kubernetes release calendar
(https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html):
1.34 released on EKS 2025-10-02, standard support ends 2026-12-02; 1.35 released 2026-01-27, ends
2027-03-27; 1.36 released on EKS 2026-06-02, ends 2027-08-02 (EKS 1.36 release notes,
https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions-standard.html, and the 14-month rule).

Refresh the add-on pins with `aws eks describe-addon-versions --kubernetes-version <v>`; `ops preflight`
checks them against the live account, and the chart pins (CHART_PINS) against their Helm repositories.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

SUPPORT_WARNING_DAYS = 90
"""Days before the end of standard support from which a plan warns (one quarter to plan the upgrade)."""


@dataclass(frozen=True)
class ChartPin:
    """One Helm chart: its repository and pinned chart version."""

    repo: str
    version: str


@dataclass(frozen=True)
class KubernetesPins:
    """What one Kubernetes minor version pins."""

    standard_support_ends: datetime.date
    """End of EKS standard support (UTC): extended support billing starts at the beginning of this day, so
    from this day on the version is refused."""
    addons: Mapping[str, str]
    """EKS managed add-on name -> add-on version."""
    charts: Mapping[str, ChartPin]
    """Helm chart name -> repository and chart version."""
    autoscaler_image_tag: str
    """cluster-autoscaler image tag; its minor version must match the cluster's."""


_ALB_CHARTS = "https://aws.github.io/eks-charts"
_METRICS_CHARTS = "https://kubernetes-sigs.github.io/metrics-server/"
_AUTOSCALER_CHARTS = "https://kubernetes.github.io/autoscaler"
_PROMETHEUS_COMMUNITY_CHARTS = "https://prometheus-community.github.io/helm-charts"
_EXPORTER_CHARTS = {"kube-state-metrics": "5.33.2", "prometheus-node-exporter": "4.45.3"}
"""The metrics exporters the managed collector scrapes (components/metrics.py); neither depends on the Kubernetes
minor version within the supported range, so one pin serves all."""


def _charts(lbc: str, metrics: str, autoscaler: str) -> Mapping[str, ChartPin]:
    return MappingProxyType(
        {
            "aws-load-balancer-controller": ChartPin(_ALB_CHARTS, lbc),
            "metrics-server": ChartPin(_METRICS_CHARTS, metrics),
            "cluster-autoscaler": ChartPin(_AUTOSCALER_CHARTS, autoscaler),
            **{chart: ChartPin(_PROMETHEUS_COMMUNITY_CHARTS, pin) for chart, pin in _EXPORTER_CHARTS.items()},
        }
    )


KUBERNETES_VERSIONS: Mapping[str, KubernetesPins] = MappingProxyType(
    {
        "1.34": KubernetesPins(
            standard_support_ends=datetime.date(2026, 12, 2),
            addons=MappingProxyType({
                "vpc-cni": "v1.20.4-eksbuild.1",
                "coredns": "v1.12.4-eksbuild.1",
                "kube-proxy": "v1.34.0-eksbuild.2",
                "aws-ebs-csi-driver": "v1.66.0-eksbuild.1",
                "amazon-cloudwatch-observability": "v4.6.0-eksbuild.1",
            }),
            charts=_charts(lbc="1.17.0", metrics="3.13.0", autoscaler="9.59.0"),
            autoscaler_image_tag="v1.34.2",
        ),
        "1.35": KubernetesPins(
            standard_support_ends=datetime.date(2027, 3, 27),
            addons=MappingProxyType({
                "vpc-cni": "v1.21.1-eksbuild.3",
                "coredns": "v1.13.2-eksbuild.1",
                "kube-proxy": "v1.35.0-eksbuild.2",
                "aws-ebs-csi-driver": "v1.66.0-eksbuild.1",
                "amazon-cloudwatch-observability": "v4.6.0-eksbuild.1",
            }),
            charts=_charts(lbc="1.17.0", metrics="3.13.0", autoscaler="9.59.0"),
            autoscaler_image_tag="v1.35.0",
        ),
        "1.36": KubernetesPins(
            standard_support_ends=datetime.date(2027, 8, 2),
            addons=MappingProxyType({
                "vpc-cni": "v1.22.3-eksbuild.1",
                "coredns": "v1.14.3-eksbuild.3",
                "kube-proxy": "v1.36.0-eksbuild.13",
                "aws-ebs-csi-driver": "v1.66.0-eksbuild.1",
                "amazon-cloudwatch-observability": "v4.6.0-eksbuild.1",
            }),
            charts=_charts(lbc="1.17.0", metrics="3.13.0", autoscaler="9.59.0"),
            autoscaler_image_tag="v1.36.0",
        ),
    }
)  # fmt: skip
"""Kubernetes minor version -> its support date, add-on pins and chart pins."""

CHART_PINS: dict[str, dict[str, dict[str, str]]] = {
    version: {name: {"repo": pin.repo, "version": pin.version} for name, pin in pins.charts.items()}
    for version, pins in KUBERNETES_VERSIONS.items()
}
"""Plain view of the chart pins for tools (ops preflight): {kubernetes version: {chart: {repo, version}}}."""


@dataclass(frozen=True)
class SupportStatus:
    """Where a Kubernetes version stands on a given day."""

    version: str
    ends: datetime.date
    days_left: int
    """Days from `today` to the end of standard support (0 or negative: already over)."""

    @property
    def supported(self) -> bool:
        """Still in standard support."""
        return self.days_left > 0

    @property
    def ending_soon(self) -> bool:
        """In standard support, but for SUPPORT_WARNING_DAYS days or fewer."""
        return 0 < self.days_left <= SUPPORT_WARNING_DAYS


def support_status(version: str, today: datetime.date | None = None) -> SupportStatus:
    """The standard-support status of a known version on `today` (default: the real date)."""
    ends = KUBERNETES_VERSIONS[version].standard_support_ends
    return SupportStatus(version, ends, (ends - (today or datetime.date.today())).days)


def supported_versions(today: datetime.date | None = None) -> list[str]:
    """The pinned versions still in standard support on `today` (default: the real date)."""
    return [version for version in KUBERNETES_VERSIONS if support_status(version, today).supported]
