"""Do the node groups hold every workload at its HPA maximum? A plain-number check, made before
any resource is registered, and the headroom figures the offline plan prints.

Nodes run in one managed node group per zone; `split_per_zone` turns nodeMin/nodeMax into each
group's min/max. With a hard zone spread (topologySpreadConstraints, DoNotSchedule, maxSkew 1) every
zone must hold its own share of each workload (the replicas rounded up over the zones), so the check
is made per zone against the smallest zone; with a soft spread the pods may pack into any zone and
the nodes are pooled.

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


@dataclass(frozen=True)
class ZoneSplit:
    """Minimum and maximum nodes of each zone's node group."""

    mins: tuple[int, ...]
    maxes: tuple[int, ...]


def split_per_zone(node_min: int, node_max: int, zones: int, hard_spread: bool) -> ZoneSplit:
    """Spread node_min and node_max over one node group per zone, the remainder going to the first zones.

    Refused: fewer maximum nodes than zones (EKS refuses a node group with maxSize 0), and - under a hard
    zone spread - totals that are not multiples of the zone count (the spread keeps zones level, so a node
    above the multiple could never be filled, and the autoscaler could not add it where pods are pending).
    """
    if node_min < 1 or node_max < node_min:
        raise InvalidArgumentError(f"node_min/node_max: {node_min}/{node_max}: need 1 <= node_min <= node_max")
    if node_max < zones:
        raise InvalidArgumentError(
            f"node_max: {node_max} is below the {zones} zones: each zone has its own node group, which needs a "
            "maximum of at least 1 node"
        )
    if hard_spread and (node_min % zones or node_max % zones):
        raise InvalidArgumentError(
            f"node_min/node_max: {node_min}/{node_max} must be multiples of the {zones} zones: the workloads "
            "spread evenly over the zones (hard spread), so each zone's node group gets the same share"
        )

    def spread(total: int) -> tuple[int, ...]:
        return tuple(total // zones + (1 if zone < total % zones else 0) for zone in range(zones))

    return ZoneSplit(spread(node_min), spread(node_max))


def fit(demands: list[Demand], instance_type: str, split: ZoneSplit, hard_spread: bool = False) -> tuple[Fit, Fit]:
    """The fit at minimum scale (HPA minimums on the groups' minimums) and at maximum scale (HPA maximums on
    their maximums). Under a hard zone spread each zone holds ceil(replicas / zones) of every workload and a
    share of the cluster's system pods, and the smallest zone bounds what is available."""
    zones = len(split.mins)
    results = []
    overhead = CLUSTER_OVERHEAD + cert_manager_overhead()
    for scale, replicas_of, sizes in (
        ("minimum", "min_replicas", split.mins),
        ("maximum", "max_replicas", split.maxes),
    ):
        if hard_spread:
            total = Resources(
                *(math.ceil(value / zones) for value in (overhead.cpu_m, overhead.memory_mi, overhead.pods))
            )
            for demand in demands:
                total = total + demand.requests.times(math.ceil(getattr(demand, replicas_of) / zones))
            per_zone, bound_by = nodes_for(total, instance_type)
            results.append(Fit(scale, per_zone * zones, min(sizes) * zones, bound_by))
        else:
            total = overhead
            for demand in demands:
                total = total + demand.requests.times(getattr(demand, replicas_of))
            needed, bound_by = nodes_for(total, instance_type)
            results.append(Fit(scale, needed, sum(sizes), bound_by))
    return results[0], results[1]
