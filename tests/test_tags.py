"""Default tags: every AWS resource is created through the one provider that carries them."""

from __future__ import annotations

import json

from offline.engine import OfflineRun

REQUIRED_TAGS = {"environment", "project", "owner", "cost-center", "data-classification", "managed-by"}


def test_every_provider_carries_every_required_tag(stack_run: OfflineRun) -> None:
    providers = stack_run.of_type("pulumi:providers:aws")
    assert [p.name for p in providers] == {"dev": ["aws"], "prod": ["aws", "aws-dr"]}[stack_run.stack]
    for provider in providers:
        tags = json.loads(provider.inputs["defaultTags"])["tags"]
        assert set(tags) == REQUIRED_TAGS
        assert tags["environment"] == stack_run.stack
        assert tags["project"] == "fintech-platform"
        assert tags["managed-by"] == "pulumi"
        assert tags["data-classification"] == {"dev": "confidential", "prod": "restricted"}[stack_run.stack]
        assert all(value.strip() for value in tags.values())


def test_every_aws_resource_uses_a_tagging_provider(stack_run: OfflineRun) -> None:
    references = {f"{p.urn}::{p.id}" for p in stack_run.of_type("pulumi:providers:aws")}
    aws_resources = [r for r in stack_run.resources if r.type.startswith("aws:")]
    assert len(aws_resources) > 40
    assert {r.provider for r in aws_resources} <= references


def test_only_backup_copies_and_the_secret_replicas_keys_use_the_dr_region(prod_run: OfflineRun) -> None:
    """prod's own resources in drRegion: the backup copy vault and the keys of the copies (backup) and of the
    secret replicas. Replicated images and secrets land there through their services, not this provider."""
    (dr,) = [p for p in prod_run.of_type("pulumi:providers:aws") if p.name == "aws-dr"]
    in_dr = sorted(r.name for r in prod_run.resources if r.provider == f"{dr.urn}::{dr.id}")
    names = ["fintech-prod-dr-backup", "fintech-prod-dr-secret-replicas", "fintech-prod-dr-vault"]
    assert in_dr == sorted(names * 2)  # each key with its alias, the vault with its lock
    assert dr.inputs["region"] == "us-west-2"


def test_prod_providers_refuse_any_other_account(prod_run: OfflineRun, dev_run: OfflineRun) -> None:
    for provider in prod_run.of_type("pulumi:providers:aws"):
        assert json.loads(provider.inputs["allowedAccountIds"]) == ["111122223333"]
    (dev,) = dev_run.of_type("pulumi:providers:aws")
    assert "allowedAccountIds" not in dev.inputs
