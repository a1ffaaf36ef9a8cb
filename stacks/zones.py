"""Default availability-zone IDs per region, used when a stack does not pin its own.

Zone IDs (not names) are used because a zone name maps to a different physical zone in every
account, while an ID is the same everywhere. Each default avoids zones AWS documents as
capacity-constrained for new instance types (for example use1-az3).
"""

from __future__ import annotations

DEFAULT_ZONE_IDS: dict[str, tuple[str, str, str]] = {
    "us-east-1": ("use1-az1", "use1-az2", "use1-az4"),
    "us-east-2": ("use2-az1", "use2-az2", "use2-az3"),
    "us-west-2": ("usw2-az1", "usw2-az2", "usw2-az3"),
    "eu-west-1": ("euw1-az1", "euw1-az2", "euw1-az3"),
    "eu-central-1": ("euc1-az1", "euc1-az2", "euc1-az3"),
}
