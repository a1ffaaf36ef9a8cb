"""Kubernetes: enough replicas in prod, and Pod Security restricted in every workload namespace."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from policies.rules.base import ResourceView, Rule
from policies.rules.edge_rules import admits_internet
from policies.rules.shapes import eks_authentication_mode, eks_private_access

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


def _eks_api_access(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if not eks_private_access(r):
        yield "the private API endpoint is off: nodes and pods would reach the Kubernetes API over the internet"
    mode = eks_authentication_mode(r)
    if mode != "API":
        yield f"authentication mode {mode} honours the aws-auth ConfigMap; use access entries only (API)"


def _network_policy_enforced(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if r.get("addonName") != "vpc-cni":
        return
    values = r.get("configurationValues") or "{}"
    values = json.loads(values) if isinstance(values, str) else values
    if str(values.get("enableNetworkPolicy", "false")).lower() != "true":
        yield "the VPC CNI does not enforce NetworkPolicies (configurationValues enableNetworkPolicy must be true)"


def _workload_values(r: ResourceView) -> Mapping[str, Any] | None:
    """Values of a platform workload chart (the ones with a securityContext and a config block), else None."""
    values = r.get("values") or {}
    return values if isinstance(values, Mapping) and "securityContext" in values and "config" in values else None


def _workload_non_root(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    values = _workload_values(r)
    if values is not None and int((values.get("securityContext") or {}).get("uid") or 0) == 0:
        yield "the workload would run as root (securityContext.uid must be a non-zero user)"


def _workload_clients(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    config = (_workload_values(r) or {}).get("config") or {}
    if "REDIS_HOST" in config and str(config.get("REDIS_TLS")).lower() != "true":
        yield "the cache client does not use TLS (REDIS_TLS)"
    if "DB_HOST" in config and config.get("DB_SSLMODE") != "verify-full":
        yield f"the database client uses sslmode {config.get('DB_SSLMODE')}; verify-full is required"
    if "DB_HOST" in config and str(config.get("DB_IAM_AUTH")).lower() != "true":
        yield "the database client does not use IAM authentication (DB_IAM_AUTH)"
    if "KAFKA_BOOTSTRAP_SERVERS" in config and not str(config.get("KAFKA_SECURITY", "")).startswith("SASL_SSL"):
        yield f"the Kafka client uses {config.get('KAFKA_SECURITY')}; SASL_SSL with IAM is required"


def _workload_network(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    values = _workload_values(r)
    if values is None:
        return
    # networkPolicy.awsApiCidrs is not judged: without interface endpoints (a tier choice) pods reach the AWS
    # APIs through NAT, i.e. 0.0.0.0/0 on 443.
    policy = values.get("networkPolicy") or {}
    lists = {"exposure.albSourceCidrs": list((values.get("exposure") or {}).get("albSourceCidrs") or [])}
    lists |= {f"networkPolicy.dataStores[{s.get('name')}]": list(s.get("cidrs") or [])
              for s in policy.get("dataStores") or []}  # fmt: skip
    for where, cidrs in lists.items():
        if admits_internet(cidrs) or any(str(c).endswith("/0") for c in cidrs):
            yield f"{where} admits the internet ({cidrs}); these peers are inside the VPC"


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
    Rule("eks-api-access", AREA, "The Kubernetes API has its private endpoint on and authenticates through EKS "
         "access entries only.", Severity.HIGH, "7.2.1", "Set endpointPrivateAccess=true and authenticationMode=API.",
         ("eks:index:Cluster", "aws:eks/cluster:Cluster"), _eks_api_access),
    Rule("network-policies-enforced", AREA, "The VPC CNI add-on enforces Kubernetes NetworkPolicies.", Severity.HIGH,
         "1.3.1", "Set configurationValues {\"enableNetworkPolicy\": \"true\"} on the vpc-cni add-on.",
         ("aws:eks/addon:Addon",), _network_policy_enforced),
    Rule("workload-runs-as-non-root", AREA, "Platform workloads run as a non-root user.", Severity.HIGH, "2.2.1",
         "Set securityContext.uid to a non-zero user in the chart values.", ("kubernetes:helm.sh/v4:Chart",),
         _workload_non_root),
    Rule("workload-clients-secure", AREA, "Workload clients use TLS and IAM to the database, cache and Kafka.",
         Severity.CRITICAL, "4.2.1", "Set REDIS_TLS=true, DB_SSLMODE=verify-full, DB_IAM_AUTH=true and "
         "KAFKA_SECURITY=SASL_SSL/AWS_MSK_IAM in the chart config.", ("kubernetes:helm.sh/v4:Chart",),
         _workload_clients),
    Rule("workload-network-narrow", AREA, "Workload network policies to data stores and ALB sources name VPC "
         "ranges, never the internet.", Severity.HIGH, "1.3.1", "List the subnets' CIDRs, not 0.0.0.0/0.",
         ("kubernetes:helm.sh/v4:Chart",), _workload_network),
]  # fmt: skip
