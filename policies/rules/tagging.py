"""Tagging: every taggable AWS resource carries the inventory tags."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from policies.rules.base import ResourceView, Rule

AREA = "tagging"
REQUIRED_TAGS = ("environment", "project", "owner", "cost-center", "data-classification", "managed-by")
UNTAGGABLE = (
    "aws:ec2/route:Route", "aws:ec2/routeTableAssociation:RouteTableAssociation", "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:kms/alias:Alias",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "aws:sns/topicPolicy:TopicPolicy",
    "aws:sns/topicSubscription:TopicSubscription", "aws:secretsmanager/secretVersion:SecretVersion",
    "aws:secretsmanager/secretPolicy:SecretPolicy", "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "aws:ecr/lifecyclePolicy:LifecyclePolicy",
    "aws:lb/listenerRule:ListenerRule", "aws:wafv2/webAclAssociation:WebAclAssociation",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
    "aws:backup/selection:Selection", "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
    "aws:appautoscaling/policy:Policy",
)  # fmt: skip
"""Types without tags (or whose tags AWS does not keep), which the rule skips."""


def _provider_tags(provider_props: Mapping[str, Any]) -> dict[str, str]:
    default_tags = provider_props.get("defaultTags") or {}
    if isinstance(default_tags, str):
        default_tags = json.loads(default_tags) if default_tags else {}
    return dict(default_tags.get("tags") or {})


def _required_tags(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    if not r.type.startswith("aws:") or r.type in UNTAGGABLE:
        return
    tags = {**_provider_tags(r.provider_props), **(r.get("tags") or {})}
    missing = [tag for tag in config["requiredTags"] if not str(tags.get(tag, "")).strip()]
    if missing:
        yield f"missing tags {missing} (set them in the provider's default_tags)"


class _AnyAws(tuple[str, ...]):
    """Matches every resource type, so the tag rule sees all AWS resources."""

    def __contains__(self, item: object) -> bool:
        return isinstance(item, str) and item.startswith("aws:")


RULES = [
    Rule("required-tags", AREA, "Every taggable AWS resource carries the inventory tags.", Severity.MEDIUM,
         "12.5.1", "Set owner, costCenter and dataClassification in stack config; the provider's default_tags "
         "apply them with environment, project and managed-by.", _AnyAws(), _required_tags,
         config={"requiredTags": {"type": "array", "items": {"type": "string"}, "default": list(REQUIRED_TAGS)}}),
]  # fmt: skip
