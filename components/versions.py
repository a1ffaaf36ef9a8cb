"""Every version pin that depends on the Kubernetes version, in one table.

A Kubernetes minor version is accepted while it is in EKS standard support (14 months from its EKS
release; afterwards the cluster bills extended support at six times the control-plane price). The
dates come from the Amazon EKS Kubernetes release calendar
(https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html):
1.35 released 2026-01-27, ends 2027-03-27; 1.36 released on EKS 2026-06-02, ends 2027-08-02 (EKS 1.36
release notes, https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions-standard.html, and the
14-month rule). 1.34 left standard support on 2026-12-02 and is no longer pinned (its autoscaler pin,
v1.34.2, also predated the 1.34.x patch releases).

Every pin carries its source in PIN_SOURCES (a release tag, or the `describe-addon-versions` call that lists
it). The add-on pins cannot be checked offline: `ops preflight` checks each against the live account
(`aws eks describe-addon-versions --addon-name <a> --kubernetes-version <v>`), and every chart pin
(CHART_PINS: the add-on charts, cert-manager and trust-manager) against its Helm repository's index,
before `pulumi up` (the bootstrap and deploy workflows run it first).
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
_JETSTACK_CHARTS = "https://charts.jetstack.io"

CERT_MANAGER_CHART = ChartPin(_JETSTACK_CHARTS, "v1.21.1")
"""cert-manager chart; v1.21 supports Kubernetes 1.33 to 1.36 (cert-manager.io "Supported Releases")."""
TRUST_MANAGER_CHART = ChartPin(_JETSTACK_CHARTS, "v0.24.0")
"""trust-manager chart (Kubernetes >= 1.25 per its Chart.yaml kubeVersion), which distributes the platform CA."""


def _charts(lbc: str, metrics: str, autoscaler: str) -> Mapping[str, ChartPin]:
    return MappingProxyType(
        {
            "aws-load-balancer-controller": ChartPin(_ALB_CHARTS, lbc),
            "metrics-server": ChartPin(_METRICS_CHARTS, metrics),
            "cluster-autoscaler": ChartPin(_AUTOSCALER_CHARTS, autoscaler),
            **{chart: ChartPin(_PROMETHEUS_COMMUNITY_CHARTS, pin) for chart, pin in _EXPORTER_CHARTS.items()},
            "cert-manager": CERT_MANAGER_CHART,
            "trust-manager": TRUST_MANAGER_CHART,
        }
    )


KUBERNETES_VERSIONS: Mapping[str, KubernetesPins] = MappingProxyType(
    {
        "1.35": KubernetesPins(
            standard_support_ends=datetime.date(2027, 3, 27),
            addons=MappingProxyType({
                "vpc-cni": "v1.21.1-eksbuild.3",
                "coredns": "v1.13.2-eksbuild.1",
                "kube-proxy": "v1.35.0-eksbuild.2",
                "aws-ebs-csi-driver": "v1.66.0-eksbuild.1",
                "amazon-cloudwatch-observability": "v4.10.3-eksbuild.1",
            }),
            charts=_charts(lbc="1.17.0", metrics="3.13.0", autoscaler="9.59.0"),
            autoscaler_image_tag="v1.35.2",
        ),
        "1.36": KubernetesPins(
            standard_support_ends=datetime.date(2027, 8, 2),
            addons=MappingProxyType({
                "vpc-cni": "v1.22.3-eksbuild.1",
                "coredns": "v1.14.3-eksbuild.3",
                "kube-proxy": "v1.36.0-eksbuild.13",
                "aws-ebs-csi-driver": "v1.66.0-eksbuild.1",
                "amazon-cloudwatch-observability": "v4.10.3-eksbuild.1",
            }),
            charts=_charts(lbc="1.17.0", metrics="3.13.0", autoscaler="9.59.0"),
            autoscaler_image_tag="v1.36.1",
        ),
    }
)  # fmt: skip
"""Kubernetes minor version -> its support date, add-on pins and chart pins."""

_DESCRIBE = (
    "aws eks describe-addon-versions --addon-name {addon} --kubernetes-version {k8s} (checked live by ops preflight)"
)
_CW_RELEASE = (
    "https://github.com/aws-observability/helm-charts/releases/tag/amazon-cloudwatch-observability-4.10.3 "
    "(the add-on's chart, 4.10.x released 2026-03, after EKS 1.35); "
)
PIN_SOURCES: Mapping[str, str] = MappingProxyType(
    {
        # Helm charts: the release tag in the chart's own repository (read with the fetch tool, 2026-12-05).
        "chart:aws-load-balancer-controller@1.17.0": "https://github.com/aws/eks-charts commit b9f9067 "
        "'aws-load-balancer-controller: v2.17.0' (Chart.yaml version 1.17.0, appVersion v2.17.0)",
        "chart:metrics-server@3.13.0": "https://github.com/kubernetes-sigs/metrics-server/releases/tag/"
        "metrics-server-helm-chart-3.13.0",
        "chart:cluster-autoscaler@9.59.0": "https://github.com/kubernetes/autoscaler/releases/tag/"
        "cluster-autoscaler-chart-9.59.0 (2026-07-21)",
        "chart:cert-manager@v1.21.1": "https://github.com/cert-manager/cert-manager/releases/tag/v1.21.1 (2026-07-29)",
        "chart:trust-manager@v0.24.0": "https://github.com/cert-manager/trust-manager/releases/tag/v0.24.0 "
        "(2026-06-27)",
        "chart:kube-state-metrics@5.33.2": "https://github.com/prometheus-community/helm-charts commit a80cc01d4 "
        "(charts/kube-state-metrics/Chart.yaml version 5.33.2)",
        "chart:prometheus-node-exporter@4.45.3": "https://github.com/prometheus-community/helm-charts commit "
        "80b38521a (charts/prometheus-node-exporter/Chart.yaml version 4.45.3)",
        # cluster-autoscaler images: the newest patch of the minor matching the cluster (release tags).
        "image:cluster-autoscaler@v1.35.2": "https://github.com/kubernetes/autoscaler/releases/tag/"
        "cluster-autoscaler-1.35.2 (2026-07-22)",
        "image:cluster-autoscaler@v1.36.1": "https://github.com/kubernetes/autoscaler/releases/tag/"
        "cluster-autoscaler-1.36.1 (2026-07-22)",
        # EKS managed add-ons: only the EKS API lists them (no public release page carries the eksbuild suffix).
        **{
            f"addon:{addon}@{version}": (_CW_RELEASE if addon == "amazon-cloudwatch-observability" else "")
            + _DESCRIBE.format(addon=addon, k8s=k8s)
            for k8s, pins in KUBERNETES_VERSIONS.items()
            for addon, version in pins.addons.items()
        },
    }
)
"""Where each pin comes from: 'chart:<name>@<version>', 'image:cluster-autoscaler@<tag>', 'addon:<name>@<version>'."""


def pin_keys() -> list[str]:
    """The PIN_SOURCES key of every pin in the version table (a pin without a source is a test failure)."""
    keys: list[str] = []
    for pins in KUBERNETES_VERSIONS.values():
        keys += [f"chart:{name}@{pin.version}" for name, pin in pins.charts.items()]
        keys += [f"addon:{name}@{version}" for name, version in pins.addons.items()]
        keys.append(f"image:cluster-autoscaler@{pins.autoscaler_image_tag}")
    return sorted(set(keys))


@dataclass(frozen=True)
class ChartLookup:
    """One object a chart's templates read with Helm's `lookup` while rendering."""

    api_version: str
    kind: str
    namespace: str
    name: str
    source: str
    """The template line that performs it."""


CHART_LOOKUPS: Mapping[tuple[str, str], tuple[ChartLookup, ...]] = MappingProxyType(
    {
        # helm.v4.Chart renders like `helm template --dry-run=server` (pulumi-kubernetes
        # provider/pkg/provider/helm/v4/chart.go, "use server-side dry-run to enable the lookup function"), so
        # every `lookup` reaches the API server as the identity that runs Pulumi - the read-only preview role
        # too. Helm's lookup returns an empty object only on NotFound; a Forbidden fails the render.
        ("aws-load-balancer-controller", "1.17.0"): (
            ChartLookup(
                "v1",
                "Secret",
                "kube-system",
                "aws-load-balancer-tls",
                "templates/_helpers.tpl:100 (webhookCerts, included unconditionally by templates/webhook.yaml:1; "
                "no value turns it off)",
            ),
        ),
        # metrics-server looks up its Secret only with tls.type 'helm' or 'existingSecret' (templates/apiservice.yaml);
        # the program keeps the default type 'metrics-server' (the server makes its own certificate).
        ("metrics-server", "3.13.0"): (),
        ("cluster-autoscaler", "9.59.0"): (),  # no `lookup` in charts/cluster-autoscaler/templates
        ("cert-manager", "v1.21.1"): (),  # no `lookup` in deploy/charts/cert-manager/templates
        ("trust-manager", "v0.24.0"): (),  # no `lookup` in deploy/charts/trust-manager/templates
        # No `lookup` in prometheus-community/helm-charts charts/<chart>/templates at the commits that set these
        # versions (kube-state-metrics 5.33.2: a80cc01d4; prometheus-node-exporter 4.45.3: 80b38521a).
        ("kube-state-metrics", "5.33.2"): (),
        ("prometheus-node-exporter", "4.45.3"): (),
    }
)
"""(chart, version) -> the objects its templates `lookup`, audited from the chart source at that version. A pinned
chart version missing here has not been audited (tests/test_chart_lookups.py fails)."""


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
