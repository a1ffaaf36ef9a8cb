"""Physical names that both the program and the operations commands compute: one place for each."""

from __future__ import annotations


def repository_name(prefix: str, workload: str) -> str:
    """ECR repository of a workload's images, e.g. 'fintech-prod/payments'."""
    return f"{prefix}/{workload}"
