"""Builds the policy pack. The PolicyPack constructor starts the analyzer server and blocks, so this
module only builds it; the rules live in importable modules (policies.rules). Each rule is guarded
(policies/pack_config.py): a property the rule does not declare fails the preview instead of being
ignored, which the Pulumi CLI's own schema check lets through."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.pack_config import guarded
from policies.rules import ALL_RULES

PolicyPack(
    name="fintech-platform-baseline",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[guarded(rule).to_policy() for rule in ALL_RULES],
)
