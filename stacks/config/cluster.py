"""EKS cluster keys: Kubernetes version, API endpoint access, admin roles, and the node groups' limits
(nodeInstanceType, nodeMin, nodeMax and nodeDiskGib are tier preset fields, stacks/tiers.py)."""

from __future__ import annotations

import datetime
import ipaddress

from pydantic import ValidationInfo, field_validator

from components.versions import KUBERNETES_VERSIONS, support_status, supported_versions
from policies.address_space import not_routed
from stacks.aws_limits import EKS_PUBLIC_CIDRS_MAX, NODE_DISK_GIB, NODE_GROUP_MAX, ROLE_ARN_PATTERN
from stacks.capacity import ALLOCATABLE
from stacks.config.base import ConfigBase, ns_key, priced
from stacks.config.network import check_cidr_list


class ClusterConfig(ConfigBase):
    """The EKS control plane and its nodes."""

    kubernetes_version: str = "1.35"
    """EKS Kubernetes version, one in EKS standard support. Default: 1.35."""
    eks_public_access_cidrs: tuple[str, ...] = ()
    """CIDRs allowed to the public EKS API endpoint; empty turns it off. Default: empty (private only)."""
    eks_admin_role_arns: tuple[str, ...] = ()
    """IAM roles given cluster-admin through EKS access entries. Default: none."""

    @field_validator("kubernetes_version")
    @classmethod
    def _supported_kubernetes(cls, value: str, info: ValidationInfo) -> str:
        today = (info.context or {}).get("today") or datetime.date.today()
        allowed = ", ".join(supported_versions(today))
        if value not in KUBERNETES_VERSIONS:
            raise ValueError(
                f"not a version this program pins; allowed today ({today}): {allowed} (EKS standard support)"
            )
        status = support_status(value, today)
        if not status.supported:
            raise ValueError(
                f"left EKS standard support on {status.ends} (extended support bills the control plane at six "
                f"times the price); allowed today ({today}): {allowed}"
            )
        return value

    @field_validator("eks_public_access_cidrs")
    @classmethod
    def _eks_cidr_list(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return check_cidr_list(value)

    @field_validator("eks_public_access_cidrs")
    @classmethod
    def _eks_cidrs_ipv4(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        # EKS publicAccessCidrs takes IPv4 blocks only
        # (https://docs.aws.amazon.com/eks/latest/APIReference/API_VpcConfigRequest.html).
        ipv6 = [cidr for cidr in value if ipaddress.ip_network(cidr).version == 6]
        if ipv6:
            raise ValueError(f"{ipv6} are IPv6; the EKS public endpoint admits IPv4 CIDRs only")
        return value

    @field_validator("eks_public_access_cidrs")
    @classmethod
    def _eks_cidrs_deployable(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        # What EKS refuses at CreateCluster/UpdateClusterConfig, refused here instead: more than 40 blocks (EKS
        # service quotas, "Public endpoint access CIDR ranges per cluster", not adjustable), and blocks no internet
        # client comes from (private, loopback, link-local, multicast, class E): publicAccessCidrs are the addresses
        # of internet clients of the PUBLIC endpoint
        # (https://docs.aws.amazon.com/eks/latest/APIReference/API_VpcConfigRequest.html, "The CIDR blocks that are
        # allowed access to your cluster's public Kubernetes API server endpoint"); in-VPC clients reach the
        # private endpoint (https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html).
        if len(value) > EKS_PUBLIC_CIDRS_MAX:
            raise ValueError(
                f"lists {len(value)} CIDRs; EKS allows at most {EKS_PUBLIC_CIDRS_MAX} public endpoint access CIDR "
                "ranges per cluster (a quota that cannot be raised)"
            )
        private = [cidr for cidr in value if not_routed(ipaddress.ip_network(cidr))]
        if private:
            raise ValueError(
                f"{private} are private, loopback, link-local, multicast or reserved space: no internet client "
                "comes from there, and the public endpoint admits internet clients only (in-VPC clients use the "
                "private endpoint); list public CIDRs, or leave the list empty"
            )
        return value

    @field_validator("eks_admin_role_arns")
    @classmethod
    def _role_arns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [arn for arn in value if not isinstance(arn, str) or not ROLE_ARN_PATTERN.fullmatch(arn)]
        if bad:
            raise ValueError(f"{bad} are not IAM role ARNs (arn:<partition>:iam::<12-digit account>:role/<name>)")
        return value

    @field_validator("node_disk_gib")
    @classmethod
    def _node_disk(cls, value: int) -> int:
        low, high = NODE_DISK_GIB
        if not low <= value <= high:
            raise ValueError(
                f"must be {low} to {high} GiB (the EKS AL2023 AMI's root snapshot is {low} GiB; gp3 holds 16 TiB)"
            )
        return value

    @field_validator("node_min", "node_max")
    @classmethod
    def _node_count(cls, value: int) -> int:
        if not 1 <= value <= NODE_GROUP_MAX:
            raise ValueError(f"must be 1 to {NODE_GROUP_MAX} nodes (an EKS managed node group holds at most 450)")
        return value

    @field_validator("node_instance_type")
    @classmethod
    def _node_type_known(cls, value: str) -> str:
        known = sorted(set(ALLOCATABLE) & priced("ec2:"))
        if value not in known:
            raise ValueError(
                f"no allocatable figures (stacks/capacity.py) and price (pricing/prices.yaml) for it; known: "
                f"{', '.join(known)}"
            )
        return value

    def _check_admin_partition(self) -> None:
        """Admin roles in the partition of the stack's region."""
        other = [arn for arn in self.eks_admin_role_arns if arn.split(":")[1] != self.partition]
        if other:
            raise ValueError(
                f"{ns_key('eksAdminRoleArns')} = {self._shown('eksAdminRoleArns', other)}: not in partition "
                f"'{self.partition}' of region {self.region}; use arn:{self.partition}:iam::<account>:role/<name>"
            )

    def _check_node_bounds(self, info: ValidationInfo) -> None:
        """nodeMin <= nodeMax."""
        if self.node_max < self.node_min:
            raise ValueError(self._pair_message("nodeMin", "nodeMax", info, "nodeMax must be at least nodeMin"))
