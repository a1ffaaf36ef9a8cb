"""Every rule of the pack, by area."""

from __future__ import annotations

from policies.rules import (
    audit_logging,
    cost,
    encryption,
    exposure,
    identity,
    kubernetes_rules,
    logging_rules,
    resilience,
    tagging,
    transit,
    waf,
)
from policies.rules.base import Rule

ALL_RULES: list[Rule] = [
    *encryption.RULES,
    *transit.RULES,
    *exposure.RULES,
    *identity.RULES,
    *resilience.RULES,
    *logging_rules.RULES,
    *audit_logging.RULES,
    *waf.RULES,
    *tagging.RULES,
    *kubernetes_rules.RULES,
    *cost.RULES,
]
