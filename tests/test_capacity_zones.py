"""nodeMin/nodeMax split over one node group per zone, and the capacity check made per zone under a hard spread."""

from __future__ import annotations

import pytest

from components.errors import InvalidArgumentError
from stacks.capacity import CLUSTER_OVERHEAD, Demand, Resources, ZoneSplit, fit, split_per_zone
from stacks.config import ConfigError, parse_stack_config

_CERT = "arn:aws:acm:us-east-1:111122223333:certificate/7c1d9e40-2a6b-4f8e-b3c5-91e0d4a7f628"
_IMAGES = {"validatorImageTag": "1", "paymentsImageTag": "1", "ledgerImageTag": "1"}
DEV = {"certificateArn": _CERT, **_IMAGES}
PROD = {"tier": "prod", "accountId": "111122223333", "certificateArn": _CERT, **_IMAGES}


@pytest.mark.parametrize(
    ("node_min", "node_max", "hard", "mins", "maxes"),
    [
        (2, 3, False, (1, 1, 0), (1, 1, 1)),
        (4, 8, False, (2, 1, 1), (3, 3, 2)),
        (3, 12, True, (1, 1, 1), (4, 4, 4)),
        (6, 6, True, (2, 2, 2), (2, 2, 2)),
    ],
)
def test_totals_spread_over_the_zones(node_min: int, node_max: int, hard: bool, mins: tuple[int, ...],
                                      maxes: tuple[int, ...]) -> None:  # fmt: skip
    split = split_per_zone(node_min, node_max, 3, hard)
    assert (split.mins, split.maxes) == (mins, maxes)
    assert (sum(split.mins), sum(split.maxes)) == (node_min, node_max)


@pytest.mark.parametrize(
    ("node_min", "node_max", "hard", "message"),
    [
        (1, 2, False, "node_max: 2 is below the 3 zones"),
        (3, 10, True, "node_min/node_max: 3/10 must be multiples of the 3 zones"),
        (4, 6, True, "node_min/node_max: 4/6 must be multiples of the 3 zones"),
        (0, 3, False, "need 1 <= node_min <= node_max"),
    ],
)
def test_totals_that_cannot_be_split_are_refused(node_min: int, node_max: int, hard: bool, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        split_per_zone(node_min, node_max, 3, hard)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({**DEV, "nodeMin": "1", "nodeMax": "2"},
         "fintech-platform:nodeMin = 1, fintech-platform:nodeMax = 2: cannot be split over one node group per zone: "
         "2 is below the 3 zones"),
        ({**PROD, "nodeMax": "10"},
         "fintech-platform:nodeMin = 3, fintech-platform:nodeMax = 10: cannot be split over one node group per zone: "
         "3/10 must be multiples of the 3 zones"),
    ],
)  # fmt: skip
def test_config_names_both_keys_when_it_cannot_split(raw: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_stack_config(raw)
    assert expected in str(refused.value)


def test_hard_spread_counts_each_zones_share_against_the_smallest_zone() -> None:
    """Five replicas under a hard spread put two in some zone: that zone must hold two, whatever the others do."""
    pod = Resources(cpu_m=1000, memory_mi=512, pods=1)
    demands = [Demand("w", pod, min_replicas=1, max_replicas=5)]
    split = ZoneSplit(mins=(1, 1, 1), maxes=(2, 2, 2))
    _, hard = fit(demands, "m7g.large", split, hard_spread=True)
    _, soft = fit(demands, "m7g.large", split, hard_spread=False)
    # m7g.large: 1930m allocatable - 340m daemons = 1590m per node; a zone holds ceil(5/3) = 2 pods (2000m) plus
    # a third of the system pods (320m): 2 nodes per zone, 6 in all. Pooled, 5000m + 960m needs 4 nodes.
    assert (hard.nodes_needed, hard.nodes_available, hard.bound_by) == (6, 6, "cpu")
    assert (soft.nodes_needed, soft.nodes_available) == (4, 6)
    assert CLUSTER_OVERHEAD.cpu_m == 960
