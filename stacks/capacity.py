"""Does the node group hold every workload at its HPA maximum? A plain-number check, made before
any resource is registered, and the headroom figures the offline plan prints.

Allocatable capacity per instance type follows the EKS AL2023 defaults (kube-reserved CPU by core
count, kube-reserved memory 255 MiB + 11 MiB per max pod, 100 MiB eviction threshold, max pods from
the ENI limits). Overheads of the platform's own pods are estimates of their requests, kept here in
one place so they can be corrected from a real cluster (kubectl describe nodes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from components import cert_manager
from components.errors import InvalidArgumentError


@dataclass(frozen=True)
class Resources:
    """CPU (millicores), memory (MiB) and pod slots."""

    cpu_m: int
    memory_mi: int
    pods: int

    def __add__(self, other: Resources) -> Resources:
        return Resources(self.cpu_m + other.cpu_m, self.memory_mi + other.memory_mi, self.pods + other.pods)

    def times(self, count: int) -> Resources:
        """This much, `count` times."""
        return Resources(self.cpu_m * count, self.memory_mi * count, self.pods * count)


ALLOCATABLE: dict[str, Resources] = {
    "t4g.medium": Resources(1930, 3350, 17),
    "t4g.large": Resources(1930, 7160, 35),
    "m7g.large": Resources(1930, 7000, 29),
    "m7g.xlarge": Resources(3920, 14500, 58),
    "m6g.large": Resources(1930, 7000, 29),
    "c7g.large": Resources(1930, 3250, 29),
}
"""Allocatable resources of the node types the tiers use."""
PER_NODE_OVERHEAD = Resources(cpu_m=340, memory_mi=560, pods=5)
"""Daemon pods on every node: aws-node, kube-proxy, ebs-csi-node, cloudwatch-agent, fluent-bit."""
CLUSTER_OVERHEAD = Resources(cpu_m=960, memory_mi=1900, pods=11)
"""Cluster-wide system pods: coredns x2, metrics-server x2, load balancer controller x2,
cluster-autoscaler, ebs-csi-controller x2, CloudWatch observability operator x2."""


@dataclass(frozen=True)
class Demand:
    """One workload's pod requests and replica bounds."""

    name: str
    requests: Resources
    min_replicas: int
    max_replicas: int


@dataclass(frozen=True)
class Fit:
    """How many nodes a scale needs against how many the group may have."""

    scale: str
    nodes_needed: int
    nodes_available: int
    bound_by: str
    """The resource that sets nodes_needed: cpu, memory or pods."""

    @property
    def headroom_nodes(self) -> int:
        """Nodes left over (negative: short)."""
        return self.nodes_available - self.nodes_needed

    def describe(self) -> str:
        """One line for a person."""
        return (
            f"at {self.scale} scale: needs {self.nodes_needed} of {self.nodes_available} nodes "
            f"({self.bound_by}-bound), headroom {self.headroom_nodes} node(s)"
        )


def parse_cpu(value: str) -> int:
    """Kubernetes CPU quantity ('250m', '1', '0.5') in millicores."""
    return int(value[:-1]) if value.endswith("m") else int(float(value) * 1000)


def parse_memory(value: str) -> int:
    """Kubernetes memory quantity ('256Mi', '1Gi') in MiB."""
    if value.endswith("Gi"):
        return int(float(value[:-2]) * 1024)
    if value.endswith("Mi"):
        return int(value[:-2])
    raise InvalidArgumentError(f"memory: '{value}' must be in Mi or Gi")


def cert_manager_overhead() -> Resources:
    """cert-manager's pods (controller, webhook, cainjector; components/cert_manager.py), from the requests and
    replicas the program sets on its chart."""
    total = Resources(0, 0, 0)
    for cpu, memory in cert_manager.POD_REQUESTS.values():
        total = total + Resources(parse_cpu(cpu), parse_memory(memory), 1).times(cert_manager.REPLICAS)
    return total


def nodes_for(total: Resources, instance_type: str) -> tuple[int, str]:
    """Nodes of `instance_type` needed to hold `total` plus per-node daemons, and the binding resource."""
    if instance_type not in ALLOCATABLE:
        raise InvalidArgumentError(
            f"instance_type: '{instance_type}' has no allocatable figures; known: {', '.join(ALLOCATABLE)}"
        )
    node = ALLOCATABLE[instance_type]
    usable = Resources(
        node.cpu_m - PER_NODE_OVERHEAD.cpu_m,
        node.memory_mi - PER_NODE_OVERHEAD.memory_mi,
        node.pods - PER_NODE_OVERHEAD.pods,
    )
    needs = {
        "cpu": math.ceil(total.cpu_m / usable.cpu_m),
        "memory": math.ceil(total.memory_mi / usable.memory_mi),
        "pods": math.ceil(total.pods / usable.pods),
    }
    bound_by = max(needs, key=lambda key: needs[key])
    return needs[bound_by], bound_by


def fit(demands: list[Demand], instance_type: str, node_min: int, node_max: int) -> tuple[Fit, Fit]:
    """The fit at minimum scale (HPA minimums on node_min nodes) and maximum scale (HPA maximums on node_max)."""
    results = []
    for scale, replicas_of, available in (("minimum", "min_replicas", node_min), ("maximum", "max_replicas", node_max)):
        total = CLUSTER_OVERHEAD + cert_manager_overhead()
        for demand in demands:
            total = total + demand.requests.times(getattr(demand, replicas_of))
        needed, bound_by = nodes_for(total, instance_type)
        results.append(Fit(scale, needed, available, bound_by))
    return results[0], results[1]
