"""The platform's private certificate authority inside the cluster: cert-manager, its issuers, and trust-manager,
which distributes the CA to every workload namespace separately from the serving certificates.

The workloads terminate TLS in the pod with a certificate from this CA (app_charts/platform-lib,
`_certificate.tpl`): the ALB re-encrypts to them over HTTPS and workloads call each other over https://.

Create order (what each step waits for; the mock engine cannot show it):

1. The `cert-manager` namespace (Pod Security restricted: the charts' pods run non-root, seccomp
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
   that signs the workloads' serving certificates. The provider awaits a custom resource only when it
   carries `pulumi.com/waitFor` (or with the opt-in PULUMI_K8S_AWAIT_ALL; pulumi-kubernetes
   provider/pkg/metadata/overrides.go `ReadyCondition`: "Otherwise we no-op"), so each of the three carries
   WAIT_FOR_READY: `ready` means the CA Certificate is issued and the ClusterIssuer reports Ready.
4. trust-manager (chart pinned in components/versions.py) after cert-manager: its webhook's serving
   certificate is a cert-manager Certificate. Then the Bundle, which copies the `tls.crt` of every Secret
   labelled CA_BUNDLE_LABEL in the trust namespace (the CA's own Secret, and during a re-key the copy of the
   previous CA) into a ConfigMap `<bundle>` in every namespace labelled the same; it carries a waitFor on its
   Synced condition. trust-manager's admission webhook (failurePolicy Fail) validates every Bundle; its
   ValidatingWebhookConfiguration has no caBundle of its own: cainjector writes it from the chart's Certificate
   (`cert-manager.io/inject-ca-from`, chart templates/webhook.yaml at v0.24.0, `app.webhook.tls.helmCert`
   disabled). The chart has no value that annotates that object alone (only `commonAnnotations`, which would put
   the same waitFor on every object, a Deployment included, which has no such path and would never be ready), so
   the transform `wait_for_trust_webhook_ca` adds WAIT_FOR_CA_BUNDLE to it: transforms reach the children of a
   packaged component such as helm.v4.Chart (Pulumi docs, "Resource option: transformations": "Transforms support
   modifying child resources of packaged components ... whereas Transformations do not"). The chart is then
   complete only once the CA is injected, and the Bundle, which depends on the chart, can no longer be sent to a
   webhook the API server cannot verify ("x509: certificate signed by unknown authority" on the first `up`).
   `helmCert` (a CA made by Helm's genCA at render time) is not used: helm.v4.Chart renders on every preview and
   update, so a new random CA and key would be a diff on every run, and the key would sit in state.
5. The workload charts depend on `ready` (stacks/builders.py).

CA rotation (cert-manager docs "Trust": distribute trust separately from the issued certificates). Callers
trust the bundle ConfigMap, never the `ca.crt` of their own serving Secret. A scheduled renewal of the CA keeps
its key (`rotationPolicy: Never`), so a leaf signed before the renewal still chains to the renewed CA
certificate (same subject and key, RFC 5280 6.1 path validation): nothing breaks and nobody needs to act. A
re-key (compromise, algorithm change) is the deliberate procedure of docs/day2.md: label a copy of the current
CA certificate into the bundle, re-key, re-issue the leaves, remove the copy after the leaf lifetime;
tests/test_ca_rotation.py runs both cases against the rendered charts.

Reachability: the API server calls the webhook on its pod port 10250 (the chart's `webhook.securePort`).
The nodes use the EKS cluster security group, which admits all traffic from itself, the control plane's
network interfaces included (EKS User Guide, "View Amazon EKS security group requirements for clusters");
the `cert-manager` namespace has no NetworkPolicy, so the VPC CNI's policy enforcement admits it too.

Delete: both charts put `helm.sh/resource-policy: keep` on their CRDs (`crds.keep`), and helm.v4.Chart maps
that annotation to Pulumi's RetainOnDelete (pulumi-kubernetes provider/pkg/provider/helm/v4/chart.go,
`preregister`). So removing this component (deploy phase back to foundation) leaves the CRDs, and with them
the workloads' Certificates, in the cluster: a later re-install adopts them. A full `pulumi destroy` deletes
the EKS cluster itself, so nothing outlives the stack.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.errors import InvalidArgumentError
from components.versions import CERT_MANAGER_CHART, TRUST_MANAGER_CHART
from components.workload import POD_SECURITY_LABELS

CHART_REPOSITORY = CERT_MANAGER_CHART.repo
"""The jetstack Helm repository (the chart is also published as oci://quay.io/jetstack/charts/cert-manager)."""
CHART_VERSION = CERT_MANAGER_CHART.version
"""Pinned cert-manager chart (components/versions.py)."""
SUPPORTED_KUBERNETES = ("1.33", "1.34", "1.35", "1.36")
"""Kubernetes minor versions the pinned release supports."""
NAMESPACE = "cert-manager"
"""Namespace of cert-manager, trust-manager and of the CA's secret (trust-manager's default trust namespace)."""
POD_REQUESTS = {
    "controller": ("50m", "96Mi"),
    "webhook": ("25m", "48Mi"),
    "cainjector": ("50m", "128Mi"),
    "trust-manager": ("25m", "64Mi"),
}
"""CPU and memory requests of each pod of the two charts (the charts set none); stacks/capacity.py counts them."""
REPLICAS = 2
"""Replicas of each Deployment, with a PodDisruptionBudget of one unavailable."""
WAIT_FOR_CA_BUNDLE = {"pulumi.com/waitFor": "jsonpath={.webhooks[*].clientConfig.caBundle}"}
"""Webhook configurations are ready once cainjector has written their CA bundle."""
TRUST_WEBHOOK_TYPE = "kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration"
"""Pulumi type of the webhook configuration the trust-manager chart renders."""
TRUST_WEBHOOK_NAME = "trust-manager"
"""Its name: the chart's name (`trust-manager.name`, no nameOverride)."""
WAIT_FOR_READY = {"pulumi.com/waitFor": 'jsonpath={.status.conditions[?(@.type=="Ready")].status}=True'}
"""cert-manager objects are ready when their Ready condition is True (pulumi-kubernetes waitFor, jsonpath form)."""
WAIT_FOR_SYNCED = {"pulumi.com/waitFor": 'jsonpath={.status.conditions[?(@.type=="Synced")].status}=True'}
"""A trust-manager Bundle is ready when its Synced condition is True (trust-manager BundleConditionSynced)."""
CA_BUNDLE_LABEL_KEY = "trust.fintech.platform/ca-bundle"
"""Label of the CA Secrets the bundle reads, and of the namespaces it writes its ConfigMap to."""
TRUST_BUNDLE_KEY = "ca.crt"
"""Key of the PEM bundle in the ConfigMap trust-manager writes."""


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
    """cert-manager (Helm), a self-signed bootstrap issuer, the platform CA and its ClusterIssuer, and trust-manager
    with the Bundle that publishes the CA to every namespace labelled `trust_namespace_labels`."""

    chart: k8s.helm.v4.Chart
    trust_chart: k8s.helm.v4.Chart
    issuer_name: str
    """Name of the CA ClusterIssuer that signs workload certificates."""
    trust_bundle_name: str
    """Name of the Bundle and of the ConfigMap (key TRUST_BUNDLE_KEY) it writes into each labelled namespace."""
    trust_namespace_labels: dict[str, str]
    """Labels a namespace needs to receive the trust bundle ConfigMap."""
    ready: list[pulumi.Resource]
    """Depend on these to use the issuer and the bundle: the CA ClusterIssuer is Ready, the Bundle is Synced and
    trust-manager (which keeps the bundle in sync) runs."""

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
        bundle_label = {CA_BUNDLE_LABEL_KEY: args.issuer_name}
        ca = _custom(
            f"{name}-ca",
            "Certificate",
            ca_secret,
            {
                "isCA": True,
                "commonName": args.ca_common_name,
                "secretName": ca_secret,
                "secretTemplate": {"labels": bundle_label},
                "duration": f"{args.ca_duration_hours}h",
                "renewBefore": f"{args.ca_duration_hours // 3}h",
                # A renewal keeps the key: certificates signed before it chain to the renewed CA certificate, so
                # a scheduled renewal never splits the platform in two. Re-keying is a deliberate procedure
                # (docs/day2.md) that first puts the old CA into the trust bundle.
                "privateKey": {"algorithm": "ECDSA", "size": 384, "rotationPolicy": "Never"},
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
        self.trust_chart = k8s.helm.v4.Chart(
            f"{name}-trust-manager",
            chart="trust-manager",
            version=TRUST_MANAGER_CHART.version,
            namespace=NAMESPACE,
            repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=TRUST_MANAGER_CHART.repo),
            values=trust_manager_values(),
            opts=pulumi.ResourceOptions.merge(
                after_chart, pulumi.ResourceOptions(transforms=[wait_for_trust_webhook_ca])
            ),
        )
        self.trust_bundle_name = f"{args.issuer_name}-bundle"
        self.trust_namespace_labels = dict(bundle_label)
        bundle = k8s.apiextensions.CustomResource(
            f"{name}-bundle",
            api_version="trust.cert-manager.io/v1alpha1",
            kind="Bundle",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=self.trust_bundle_name, annotations=WAIT_FOR_SYNCED),
            spec=bundle_spec(bundle_label),
            opts=pulumi.ResourceOptions.merge(k8s_options, pulumi.ResourceOptions(depends_on=[self.trust_chart, ca])),
        )
        self.issuer_name = args.issuer_name
        self.ready = [issuer, bundle, self.trust_chart]
        self.register_outputs({})


def bundle_spec(label: dict[str, str]) -> dict[str, Any]:
    """The Bundle: every labelled CA Secret's tls.crt (trust namespace) -> ConfigMap key ca.crt in labelled namespaces.

    A selector, not a name, so the copy of a previous CA joins the bundle by its label during a re-key."""
    return {
        "sources": [{"secret": {"selector": {"matchLabels": label}, "key": "tls.crt"}}],
        "target": {"configMap": {"key": TRUST_BUNDLE_KEY}, "namespaceSelector": {"matchLabels": label}},
    }


def wait_for_trust_webhook_ca(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    """Transform of the trust-manager chart's children: its ValidatingWebhookConfiguration is ready only once
    cainjector has written the caBundle (WAIT_FOR_CA_BUNDLE); every other object is left as it is."""
    if args.type_ != TRUST_WEBHOOK_TYPE:
        return None
    found = args.props.get("metadata")  # Chart v4 registers each rendered object with its manifest as plain inputs
    if not isinstance(found, dict) or found.get("name") != TRUST_WEBHOOK_NAME:
        return None
    metadata = dict(found)
    metadata["annotations"] = {**(metadata.get("annotations") or {}), **WAIT_FOR_CA_BUNDLE}
    return pulumi.ResourceTransformResult(props={**args.props, "metadata": metadata}, opts=args.opts)


def _part(component: str) -> dict[str, Any]:
    cpu, memory = POD_REQUESTS[component]
    return {
        "replicaCount": REPLICAS,
        "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1},
        "resources": {"requests": {"cpu": cpu, "memory": memory}},
    }


def chart_values() -> dict[str, Any]:
    """Values of the jetstack chart: CRDs in the release, two replicas of each part, explicit requests."""
    return {
        "crds": {"enabled": True, "keep": True},
        **_part("controller"),
        "webhook": {
            **_part("webhook"),
            "validatingWebhookConfigurationAnnotations": WAIT_FOR_CA_BUNDLE,
            "mutatingWebhookConfigurationAnnotations": WAIT_FOR_CA_BUNDLE,
        },
        "cainjector": _part("cainjector"),
        "startupapicheck": {"enabled": False},
    }


def trust_manager_values() -> dict[str, Any]:
    """Values of the trust-manager chart: CRDs in the release, trust namespace cert-manager, no public CA package
    (the bundle holds only the platform CA, so no init container pulls the Debian trust store), no Secret targets."""
    return {
        "crds": {"enabled": True, "keep": True},
        **_part("trust-manager"),
        "defaultPackage": {"enabled": False},
        "secretTargets": {"enabled": False},
        # The webhook's serving certificate from cert-manager, its CA injected by cainjector (awaited through
        # wait_for_trust_webhook_ca); the chart's default, pinned because the transform relies on it.
        "app": {"trust": {"namespace": NAMESPACE}, "webhook": {"tls": {"helmCert": {"enabled": False}}}},
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
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace, annotations=WAIT_FOR_READY),
        spec=spec,
        opts=opts,
    )
