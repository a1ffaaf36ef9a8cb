"""Kubernetes: enough replicas in prod, and Pod Security restricted in every workload namespace."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from policies.rules.base import ResourceView, Rule

AREA = "kubernetes"
SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease", "default", "amazon-cloudwatch")


def _hpa_minimum(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    if r.type == "kubernetes:helm.sh/v4:Chart":
        replicas = (r.get("values") or {}).get("replicas")
        if not isinstance(replicas, Mapping):
            return  # not a platform workload chart (add-ons size themselves)
        minimum = replicas.get("min")
    else:
        minimum = r.get("spec.minReplicas", 1)
    if minimum is None or int(minimum) < config["minReplicas"]:
        yield f"minimum replicas {minimum} is below {config['minReplicas']}"


def _restricted_namespace(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    name = r.get("metadata.name") or r.name
    if name in config["exemptNamespaces"]:
        return
    labels = r.get("metadata.labels") or {}
    if labels.get("pod-security.kubernetes.io/enforce") != "restricted":
        yield f"namespace {name} does not enforce Pod Security 'restricted'"


RULES = [
    Rule("hpa-minimum-replicas", AREA, "Workloads keep at least the tier's minimum replicas (one per zone in prod).",
         Severity.HIGH, "12.10.1", "Raise hpaMinReplicas.",
         ("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "kubernetes:helm.sh/v4:Chart"), _hpa_minimum,
         config={"minReplicas": {"type": "integer", "default": 3}}),
    Rule("namespace-pod-security-restricted", AREA, "Workload namespaces enforce Pod Security 'restricted'.",
         Severity.HIGH, "2.2.1", "Label the namespace pod-security.kubernetes.io/enforce=restricted.",
         ("kubernetes:core/v1:Namespace",), _restricted_namespace,
         config={"exemptNamespaces": {"type": "array", "items": {"type": "string"},
                                      "default": list(SYSTEM_NAMESPACES)}}),
]  # fmt: skip
