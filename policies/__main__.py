"""Builds the policy pack. The PolicyPack constructor starts the analyzer server and blocks, so this
module only builds it; the rules live in importable modules (policies.rules). Each rule is guarded
(policies/pack_config.py): a property the rule does not declare fails the preview instead of being
ignored, which the Pulumi CLI's own schema check lets through. The exceptions register
(policies/waivers.yaml, policies/waivers.py) is read first: an invalid or expired entry stops the pack
(exit 2, the entry named), waived violations are dropped the way `python -m offline.audit` reports them,
and two register policies list the waivers in force and fail on a stale one."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.pack_config import guarded
from policies.rules import ALL_RULES
from policies.waivers import DEFAULT_PATH, WaiverError, levels, load_register, register_rules, stack_tiers, waived

try:
    register = load_register(DEFAULT_PATH, levels(ALL_RULES), stack_tiers(Path(__file__).resolve().parent.parent))
except WaiverError as err:
    print(f"error: {err}", file=sys.stderr)
    sys.exit(2)

rules = [guarded(waived(rule, register)) for rule in ALL_RULES] + register_rules(register)
PolicyPack(
    name="fintech-platform-baseline",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[rule.to_policy() for rule in rules],
)
