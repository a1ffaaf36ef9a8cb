"""Tags and ownership: who owns the stack, who pays for it (cost center, budget), how its data is
classified and who is alerted."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator

from stacks.aws_limits import EMAIL_PATTERN, tag_value_problem
from stacks.config.base import ConfigBase

DataClassification = Literal["public", "internal", "confidential", "restricted"]

SECRET_CAPABLE_KEYS = frozenset({"owner", "costCenter", "dataClassification"})
"""Keys whose value stays a secret Output wherever the program uses it (the providers' default tags).
Every other key feeds typed component arguments that are checked as plain values (or, for
monthlyBudgetUsd, a stack output the cost report reads as a number)."""


class OwnershipConfig(ConfigBase):
    """The tags on every resource, the alarm address and the budget (monthlyBudgetUsd is a tier preset field)."""

    owner: str = "platform-team"
    """Tag 'owner'. Default: platform-team."""
    cost_center: str = "platform"
    """Tag 'cost-center'. Default: platform."""
    data_classification: DataClassification = "confidential"
    """Tag 'data-classification'. Default: confidential."""
    alarm_email: str = ""
    """Address subscribed to the alarm topic; empty for none. Default: empty."""

    @field_validator("owner", "cost_center")
    @classmethod
    def _non_empty_tag(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty: every resource is tagged with it")
        problem = tag_value_problem(value)
        if problem:
            raise ValueError(f"{problem}; every resource is tagged with it")
        return value

    @field_validator("alarm_email")
    @classmethod
    def _email_shape(cls, value: str) -> str:
        if value and (len(value) > 254 or not EMAIL_PATTERN.fullmatch(value)):
            raise ValueError("must be an e-mail address such as oncall@example.com (at most 254 characters), or empty")
        return value

    @field_validator("monthly_budget_usd")
    @classmethod
    def _budget(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be a positive number of US dollars (AWS Budgets refuses 0 or less)")
        return value
