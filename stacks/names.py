"""Physical names that both the program and the operations commands compute: one place for each."""

from __future__ import annotations


def repository_name(prefix: str, workload: str) -> str:
    """ECR repository of a workload's images, e.g. 'fintech-prod/payments'."""
    return f"{prefix}/{workload}"


def resource_prefix(stack: str) -> str:
    """Prefix of every component name and AWS resource name of a stack, e.g. 'fintech-dev'."""
    return f"fintech-{stack}"


def global_database_name(primary_prefix: str) -> str:
    """The Aurora global database of a region pair, named after its primary stack, e.g. 'fintech-prod-global'."""
    return f"{primary_prefix}-global"


def primary_prefix(stack: str, standby_for: str) -> str:
    """Prefix of a region pair's primary: the stack's own, or (a standby) its primary's, e.g. 'fintech-prod'. The
    standby's repositories, global database and master credential all carry the primary's name."""
    return resource_prefix(standby_for or stack)


MASTER_CREDENTIAL = "aurora-master"
"""AppSecrets name of the Aurora master credential a global primary generates (RDS cannot manage it there)."""


def master_credential_prefix(primary: str) -> str:
    """Name prefix of that credential's secret (AppSecrets names secrets '<prefix>/<name>-...'); its replica in the
    standby's region has the same name."""
    return f"{primary}/{MASTER_CREDENTIAL}-"
