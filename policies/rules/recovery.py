"""Recovery: what a deletion leaves behind (final snapshots, recovery windows) and how long backups stay
locked and kept (relaxed for dev by config where the tier keeps less)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from policies.rules.base import ResourceView, Rule

AREA = "resilience"


def _cache_final_snapshot(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if not r.get("finalSnapshotIdentifier"):
        yield "deleting the replication group would take no final snapshot (finalSnapshotIdentifier is unset)"


def _secret_recovery_window(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    # Secrets Manager deletes after 30 days by default; 0 (forceDeleteWithoutRecovery) deletes at once.
    # https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html
    days = r.get("recoveryWindowInDays")
    days = 30 if days is None else int(days)
    if days < config["minDays"]:
        yield f"a deleted secret can be restored for {days} day(s); at least {config['minDays']} are required"


def _vault_lock(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    days = int(r.get("minRetentionDays") or 0)
    if days < config["minDays"]:
        yield f"the vault lock lets recovery points be deleted after {days} day(s); {config['minDays']} are required"


def _backup_plan_retention(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    for rule in r.get("rules") or []:
        lifecycles = [("the rule", rule.get("lifecycle") or {})]
        lifecycles += [("a copy", copy.get("lifecycle") or {}) for copy in rule.get("copyActions") or []]
        for what, lifecycle in lifecycles:
            days = lifecycle.get("deleteAfter")
            if days is not None and int(days) < config["minDays"]:
                yield (
                    f"{what} of {rule.get('ruleName', '?')} deletes recovery points after {days} days "
                    f"(at least {config['minDays']})"
                )


RULES = [
    Rule("cache-final-snapshot", AREA, "Deleting the cache takes a final snapshot.", Severity.MEDIUM, "12.10.1",
         "Set finalSnapshotIdentifier.", ("aws:elasticache/replicationGroup:ReplicationGroup",),
         _cache_final_snapshot),
    Rule("secret-recovery-window", AREA, "Deleted secrets stay recoverable for the tier's window.", Severity.HIGH,
         "12.10.1", "Raise recoveryWindowInDays (secretRecoveryDays).", ("aws:secretsmanager/secret:Secret",),
         _secret_recovery_window, config={"minDays": {"type": "integer", "default": 30}}),
    Rule("backup-vault-lock-retention", AREA, "Vault locks keep recovery points at least the required days.",
         Severity.HIGH, "12.10.1", "Raise minRetentionDays of the VaultLockConfiguration.",
         ("aws:backup/vaultLockConfiguration:VaultLockConfiguration",), _vault_lock,
         config={"minDays": {"type": "integer", "default": 7}}),
    Rule("backup-plan-retention", AREA, "Backup plans and their copies keep recovery points long enough.",
         Severity.HIGH, "12.10.1", "Raise lifecycle.deleteAfter of the rule and of its copy actions.",
         ("aws:backup/plan:Plan",), _backup_plan_retention, config={"minDays": {"type": "integer", "default": 35}}),
]  # fmt: skip
