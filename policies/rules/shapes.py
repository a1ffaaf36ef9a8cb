"""Readers that hide the two shapes a resource can take in a stack.

In a real preview the children of pulumi-eks are visible (`aws:eks/cluster:Cluster`); in the offline
plan only the component's own inputs are (`eks:index:Cluster`). Each reader answers one question for
either shape, with the value AWS or pulumi-eks defaults to when the property is unset.
"""

from __future__ import annotations

from typing import Any

from policies.rules.base import ResourceView, is_list

EKS_COMPONENT = "eks:index:Cluster"


def eks_public_access(r: ResourceView) -> tuple[bool, list[str]]:
    """Whether the public API endpoint is on (default: on) and the CIDRs it admits (default: all)."""
    prefix = "" if r.type == EKS_COMPONENT else "vpcConfig."
    public = r.get(f"{prefix}endpointPublicAccess", True)
    cidrs = r.get(f"{prefix}publicAccessCidrs") or ["0.0.0.0/0"]
    return bool(public), list(cidrs)


def eks_encryption_key(r: ResourceView) -> Any:
    """The KMS key that envelope-encrypts secrets (None when unset)."""
    if r.type == EKS_COMPONENT:
        return r.get("encryptionConfigKeyArn")
    configs = r.get("encryptionConfig")
    config = configs[0] if is_list(configs) and configs else configs or {}
    if "secrets" not in (config.get("resources") or []):
        return None
    return (config.get("provider") or {}).get("keyArn")


def eks_log_types(r: ResourceView) -> set[str]:
    """Control-plane log types sent to CloudWatch (default: none)."""
    return set(r.get("enabledClusterLogTypes") or [])


def eks_support_type(r: ResourceView) -> str:
    """STANDARD or EXTENDED (the default of both pulumi-eks and EKS is EXTENDED)."""
    return str(r.get("upgradePolicy.supportType") or "EXTENDED")


def eks_private_access(r: ResourceView) -> bool:
    """Whether the private API endpoint is on (default of pulumi-eks and of the EKS API: off)."""
    prefix = "" if r.type == EKS_COMPONENT else "vpcConfig."
    return bool(r.get(f"{prefix}endpointPrivateAccess", False))


def eks_authentication_mode(r: ResourceView) -> str:
    """API, API_AND_CONFIG_MAP or CONFIG_MAP (default of both shapes: CONFIG_MAP)."""
    path = "authenticationMode" if r.type == EKS_COMPONENT else "accessConfig.authenticationMode"
    return str(r.get(path) or "CONFIG_MAP")


def eks_version(r: ResourceView) -> str | None:
    """The Kubernetes minor version ('1.35'); None when unset (EKS then picks its default, which ages)."""
    version = r.get("version")
    return str(version) if version else None
