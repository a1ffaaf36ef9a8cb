"""Default tags: every AWS resource is created through the one provider that carries them."""

from __future__ import annotations

import json

from offline.engine import OfflineRun

REQUIRED_TAGS = {"environment", "project", "owner", "cost-center", "data-classification", "managed-by"}


def test_the_provider_carries_every_required_tag(stack_run: OfflineRun) -> None:
    (provider,) = stack_run.of_type("pulumi:providers:aws")
    tags = json.loads(provider.inputs["defaultTags"])["tags"]
    assert set(tags) == REQUIRED_TAGS
    assert tags["environment"] == stack_run.stack
    assert tags["project"] == "fintech-platform"
    assert tags["managed-by"] == "pulumi"
    assert tags["data-classification"] == {"dev": "confidential", "prod": "restricted"}[stack_run.stack]
    assert all(value.strip() for value in tags.values())


def test_every_aws_resource_uses_the_tagging_provider(stack_run: OfflineRun) -> None:
    (provider,) = stack_run.of_type("pulumi:providers:aws")
    reference = f"{provider.urn}::{provider.id}"
    aws_resources = [r for r in stack_run.resources if r.type.startswith("aws:")]
    assert len(aws_resources) > 40
    assert {r.provider for r in aws_resources} == {reference}


def test_prod_provider_refuses_any_other_account(prod_run: OfflineRun, dev_run: OfflineRun) -> None:
    (prod,) = prod_run.of_type("pulumi:providers:aws")
    assert json.loads(prod.inputs["allowedAccountIds"]) == ["111122223333"]
    (dev,) = dev_run.of_type("pulumi:providers:aws")
    assert "allowedAccountIds" not in dev.inputs
