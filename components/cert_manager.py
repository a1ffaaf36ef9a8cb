"""The platform's private certificate authority inside the cluster: cert-manager and its issuers.

The workloads terminate TLS in the pod with a certificate from this CA (app_charts/platform-lib,
`_certificate.tpl`): the ALB re-encrypts to them over HTTPS and workloads call each other over https://.

Create order (what each step waits for; the mock engine cannot show it):

1. The `cert-manager` namespace (Pod Security restricted: the chart's pods run non-root, seccomp
   RuntimeDefault, no privilege escalation, all capabilities dropped, read-only root file systems).
2. The jetstack chart with `crds.enabled=true` (chart values of v1.21, where `installCRDs` is deprecated),
   so the Certificate/Issuer/ClusterIssuer CRDs are ordinary objects of the release. `helm.v4.Chart`
   does not run Helm hooks (pulumi-kubernetes#3284; Pulumi blog "kubernetes-chart-v4", "Not supported:
   Helm hooks"), so the chart's `startupapicheck` post-install Job never runs. Readiness comes from
   Pulumi's await instead: each Deployment (controller, webhook, cainjector) is awaited until its pods
   are ready, and the webhook configurations carry `pulumi.com/waitFor` on their caBundle, so they are
   ready only once cainjector has injected the webhook's CA (pulumi/docs#12454, "Improved Kubernetes
   await logic", whose example is exactly this jsonpath). Before that the API server rejects every
   cert-manager object with "x509: certificate signed by unknown authority".
3. The issuers, `depends_on` the chart (a dependency on a component waits for all of its children):
   a self-signed bootstrap ClusterIssuer, the CA Certificate it signs (kept in the cert-manager
   namespace, the ClusterIssuer "cluster resource namespace" by default), then the CA ClusterIssuer
   that signs the workloads' serving certificates. Pulumi awaits custom resources that report a Ready
   condition (pulumi-kubernetes 4.18+ generic await), so `ready` means the CA can issue.
4. The workload charts depend on `ready` (stacks/builders.py).

Reachability: the API server calls the webhook on its pod port 10250 (the chart's `webhook.securePort`).
The nodes use the EKS cluster security group, which admits all traffic from itself, the control plane's
network interfaces included (EKS User Guide, "View Amazon EKS security group requirements for clusters");
the `cert-manager` namespace has no NetworkPolicy, so the VPC CNI's policy enforcement admits it too.

Delete: the CRDs carry `helm.sh/resource-policy: keep` (`crds.keep`); Pulumi ignores that Helm
annotation, so destroying the stack deletes the CRDs and with them every Certificate (GC), which is what
a torn-down stack wants. CA rotation: cert-manager renews the CA before `ca_duration` runs out; every
secret it issues carries the current CA in `ca.crt`, which is what callers trust.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.errors import InvalidArgumentError
from components.workload import POD_SECURITY_LABELS

CHART_REPOSITORY = "https://charts.jetstack.io"
"""The jetstack Helm repository (the chart is also published as oci://quay.io/jetstack/charts/cert-manager)."""
CHART_VERSION = "v1.21.1"
"""Pinned cert-manager chart. v1.21 supports Kubernetes 1.33 to 1.36 (cert-manager.io "Supported Releases")."""
SUPPORTED_KUBERNETES = ("1.33", "1.34", "1.35", "1.36")
"""Kubernetes minor versions the pinned release supports."""
NAMESPACE = "cert-manager"
"""Namespace of cert-manager and of the CA's secret."""
POD_REQUESTS = {"controller": ("50m", "96Mi"), "webhook": ("25m", "48Mi"), "cainjector": ("50m", "128Mi")}
"""CPU and memory requests of each cert-manager pod (the chart sets none); stacks/capacity.py counts them."""
REPLICAS = 2
"""Replicas of each cert-manager Deployment, with a PodDisruptionBudget of one unavailable."""
WAIT_FOR_CA_BUNDLE = {"pulumi.com/waitFor": "jsonpath={.webhooks[*].clientConfig.caBundle}"}
"""Webhook configurations are ready once cainjector has written their CA bundle."""


@dataclass(frozen=True)
class CertManagerArgs:
    """Arguments of CertManager."""

    kubernetes_provider: k8s.Provider
    """Provider of the cluster. Required."""
    kubernetes_version: str
    """Kubernetes minor version of the cluster, one of SUPPORTED_KUBERNETES. Required."""
    ca_common_name: str = "fintech-platform internal CA"
    """Common name of the private CA certificate. Default: fintech-platform internal CA."""
    issuer_name: str = "platform-ca"
    """Name of the CA ClusterIssuer the workload certificates reference. Default: platform-ca."""
    ca_duration_hours: int = 43800
    """Lifetime of the CA certificate (renewed a third of it before expiry), 8760-87600. Default: 43800 (5 years)."""
    depends_on: Sequence[pulumi.Resource] = ()
    """Resources that must exist first (nodes, core add-ons). Default: none."""

    def __post_init__(self) -> None:
        if self.kubernetes_version not in SUPPORTED_KUBERNETES:
            raise InvalidArgumentError(
                f"kubernetes_version: cert-manager {CHART_VERSION} supports {', '.join(SUPPORTED_KUBERNETES)}, "
                f"not {self.kubernetes_version}"
            )
        if not 8760 <= self.ca_duration_hours <= 87600:
            raise InvalidArgumentError(f"ca_duration_hours: {self.ca_duration_hours} is not 8760 to 87600")


class CertManager(pulumi.ComponentResource):
    """cert-manager (Helm), a self-signed bootstrap issuer, the platform CA and its ClusterIssuer."""

    chart: k8s.helm.v4.Chart
    issuer_name: str
    """Name of the CA ClusterIssuer that signs workload certificates."""
    ready: list[pulumi.Resource]
    """Depend on these to use the issuer: the CA ClusterIssuer is Ready."""

    def __init__(self, name: str, args: CertManagerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:cert_manager:CertManager", name, None, opts)
        k8s_options = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider)
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=NAMESPACE, labels=POD_SECURITY_LABELS),
            opts=pulumi.ResourceOptions.merge(k8s_options, pulumi.ResourceOptions(depends_on=list(args.depends_on))),
        )
        self.chart = k8s.helm.v4.Chart(
            f"{name}-chart",
            chart="cert-manager",
            version=CHART_VERSION,
            namespace=NAMESPACE,
            repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=CHART_REPOSITORY),
            values=chart_values(),
            opts=pulumi.ResourceOptions.merge(
                k8s_options, pulumi.ResourceOptions(depends_on=[namespace, *args.depends_on])
            ),
        )
        after_chart = pulumi.ResourceOptions.merge(k8s_options, pulumi.ResourceOptions(depends_on=[self.chart]))
        bootstrap = _custom(f"{name}-selfsigned", "ClusterIssuer", "platform-selfsigned", {"selfSigned": {}},
                            after_chart)  # fmt: skip
        ca_secret = f"{args.issuer_name}-root"
        ca = _custom(
            f"{name}-ca",
            "Certificate",
            ca_secret,
            {
                "isCA": True,
                "commonName": args.ca_common_name,
                "secretName": ca_secret,
                "duration": f"{args.ca_duration_hours}h",
                "renewBefore": f"{args.ca_duration_hours // 3}h",
                "privateKey": {"algorithm": "ECDSA", "size": 384, "rotationPolicy": "Always"},
                "usages": ["cert sign", "crl sign", "digital signature"],
                "issuerRef": {"name": "platform-selfsigned", "kind": "ClusterIssuer", "group": "cert-manager.io"},
            },
            pulumi.ResourceOptions.merge(after_chart, pulumi.ResourceOptions(depends_on=[bootstrap])),
            namespace=NAMESPACE,
        )
        issuer = _custom(
            f"{name}-issuer",
            "ClusterIssuer",
            args.issuer_name,
            {"ca": {"secretName": ca_secret}},
            pulumi.ResourceOptions.merge(after_chart, pulumi.ResourceOptions(depends_on=[ca])),
        )
        self.issuer_name = args.issuer_name
        self.ready = [issuer]
        self.register_outputs({})


def chart_values() -> dict[str, Any]:
    """Values of the jetstack chart: CRDs in the release, two replicas of each part, explicit requests."""

    def part(component: str) -> dict[str, Any]:
        cpu, memory = POD_REQUESTS[component]
        return {
            "replicaCount": REPLICAS,
            "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1},
            "resources": {"requests": {"cpu": cpu, "memory": memory}},
        }

    return {
        "crds": {"enabled": True, "keep": True},
        **part("controller"),
        "webhook": {
            **part("webhook"),
            "validatingWebhookConfigurationAnnotations": WAIT_FOR_CA_BUNDLE,
            "mutatingWebhookConfigurationAnnotations": WAIT_FOR_CA_BUNDLE,
        },
        "cainjector": part("cainjector"),
        "startupapicheck": {"enabled": False},
    }


def _custom(
    resource_name: str,
    kind: str,
    name: str,
    spec: dict[str, Any],
    opts: pulumi.ResourceOptions,
    namespace: str | None = None,
) -> k8s.apiextensions.CustomResource:
    return k8s.apiextensions.CustomResource(
        resource_name,
        api_version="cert-manager.io/v1",
        kind=kind,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace),
        spec=spec,
        opts=opts,
    )
