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
