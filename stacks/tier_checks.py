"""Warnings for a production-tier stack that chooses below its tier by config: a burstable instance class, or an
Aurora Serverless v2 minimum below what AWS recommends for the instance's role.

Allowed-but-risky, so a warning (pulumi.log.warn, conventions: "allowed-but-risky combinations call
pulumi.log.warn") and not an error: a standby may run smaller sizes until `ops failover` scales it, and a team may
accept the risk for a while. The policy pack's advisory rule instance-classes-in-tier flags the same classes
(tests/test_tiers.py holds the two together).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from stacks.tiers import (
    AURORA_MIN_ACU_GLOBAL_PRIMARY,
    AURORA_MIN_ACU_PERFORMANCE_INSIGHTS,
    BURSTABLE_FAMILIES,
    CLASS_KEYS,
    PRODUCTION_CLASSES,
    TIER_RULES,
    ServiceName,
    TierName,
)

SERVERLESS = "db.serverless"


class TierChoices(Protocol):
    """What the checks read of a stack's config (StackConfig has all of it)."""

    tier: TierName
    node_instance_type: str
    cache_node_type: str
    kafka_broker_type: str
    aurora_instance_class: str
    aurora_min_acu: float
    dr_stack: str
    standby_for: str


@dataclass(frozen=True)
class ClassChoice:
    """One service's instance class in a stack."""

    service: ServiceName
    key: str
    value: str


def family(instance_class: str) -> str:
    """The instance family of a class: 't4g' for 't4g.medium', 'cache.t4g.small', 'db.t4g.large' or
    'kafka.t3.small'; '' for db.serverless."""
    if instance_class == SERVERLESS:
        return ""
    parts = instance_class.split(".")
    return parts[-2] if len(parts) >= 2 else ""


def is_burstable(instance_class: str) -> bool:
    """Whether the class is of a burstable family (BURSTABLE_FAMILIES)."""
    return family(instance_class) in BURSTABLE_FAMILIES


def class_choices(config: TierChoices) -> list[ClassChoice]:
    """The instance class of nodes, cache, brokers and Aurora, with the key that sets each."""
    values: dict[ServiceName, str] = {
        "nodes": config.node_instance_type,
        "cache": config.cache_node_type,
        "brokers": config.kafka_broker_type,
        "aurora": config.aurora_instance_class,
    }
    return [ClassChoice(service, CLASS_KEYS[service], value) for service, value in values.items()]


def recommended_min_acu(config: TierChoices) -> tuple[float, str]:
    """AWS's recommended Serverless v2 minimum for the stack's Aurora role, and why (stacks/tiers.py cites it):
    8 ACUs for the primary of a global database (a stack with drStack), else 2 ACUs for Performance Insights
    (on in every stack; a standby's secondary cluster is not in the primary Region)."""
    if config.dr_stack:
        return AURORA_MIN_ACU_GLOBAL_PRIMARY, "the primary Region of an Aurora global database"
    return AURORA_MIN_ACU_PERFORMANCE_INSIGHTS, "an instance with Performance Insights"


def below_tier(config: TierChoices) -> list[str]:
    """Warnings for a tier with production_classes: each burstable class chosen, and a Serverless v2 minimum below
    AWS's recommendation. Empty for other tiers."""
    if not TIER_RULES[config.tier].production_classes:
        return []
    warnings = []
    for choice in class_choices(config):
        if is_burstable(choice.value):
            allowed = ", ".join(PRODUCTION_CLASSES[choice.service])
            warnings.append(
                f"fintech-platform:{choice.key} = {choice.value} is a burstable class (family {family(choice.value)}) "
                f"in tier '{config.tier}', which runs production classes ({allowed}): CPU credits run out under "
                "sustained load. Allowed by config (a standby's size, a deliberate saving), never the tier's preset"
            )
    floor, role = recommended_min_acu(config)
    if config.aurora_instance_class == SERVERLESS and config.aurora_min_acu < floor:
        warnings.append(
            f"fintech-platform:auroraMinAcu = {config.aurora_min_acu:g} is below the {floor:g} ACUs AWS recommends "
            f"for {role} (Aurora User Guide, 'Choosing the minimum Aurora Serverless v2 capacity setting'): a "
            "small instance scales up slowly and may fall behind"
        )
    return warnings
