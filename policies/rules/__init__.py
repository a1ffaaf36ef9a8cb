"""Every rule of the pack, by area."""

from __future__ import annotations

from policies.rules import (
    audit_logging,
    ci_runner,
    compliance,
    cost,
    credential_rotation,
    data_stores,
    edge_rules,
    encryption,
    exposure,
    grafana_rules,
    identity,
    kubernetes_rules,
    logging_rules,
    observability,
    patching,
    policy_documents,
    recovery,
    region_pair,
    region_switch,
    resilience,
    service_logging,
    storage,
    tagging,
    transit,
    waf,
)
from policies.rules.base import Rule
from policies.rules.pci_mapping import remapped

ALL_RULES: list[Rule] = remapped(
    [
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
        *edge_rules.RULES,
        *policy_documents.RULES,
        *patching.RULES,
        *recovery.RULES,
        *region_pair.RULES,
        *region_switch.RULES,
        *storage.RULES,
        *service_logging.RULES,
        *data_stores.RULES,
        *ci_runner.RULES,
        *compliance.RULES,
        *observability.RULES,
        *credential_rotation.RULES,
        *grafana_rules.RULES,
    ]
)
