"""S3 buckets: ACLs disabled, and contents not destroyed with the bucket."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity

from policies.rules.base import ResourceView, Rule, of_type

AREA = "exposure"


def _ownership_enforced(resources: Sequence[ResourceView], _: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    ownership_type = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
    enforced = set().union(*(c.depends_on("bucket") for c in of_type(resources, ownership_type)
                             if c.get("rule.objectOwnership") == "BucketOwnerEnforced"))  # fmt: skip
    for bucket in of_type(resources, "aws:s3/bucket:Bucket"):
        if bucket.urn not in enforced:
            yield bucket.urn, "object ACLs are in effect (ownership controls must be BucketOwnerEnforced)"


def _no_force_destroy(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    if config["required"] and r.get("forceDestroy") is True:
        yield "forceDestroy deletes every object (and log) with the bucket"


RULES = [
    Rule("s3-object-ownership-enforced", AREA, "Every bucket disables ACLs (BucketOwnerEnforced).", Severity.HIGH,
         "7.2.1", "Add BucketOwnershipControls with objectOwnership BucketOwnerEnforced.",
         stack_check=_ownership_enforced),
    Rule("s3-no-force-destroy", "resilience", "No bucket is destroyed with its objects (relaxed in dev, which is "
         "destroyed whole).", Severity.HIGH, "10.3.2", "Set forceDestroy=false; empty a bucket deliberately before "
         "deleting it.", ("aws:s3/bucket:Bucket",), _no_force_destroy,
         config={"required": {"type": "boolean", "default": True}}),
]  # fmt: skip
