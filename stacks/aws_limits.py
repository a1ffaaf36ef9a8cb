"""What AWS (and the Pulumi engine) accept for a stack config value: whole-value patterns, service limits
with their sources, and the helpers the config model checks values with."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from policies.address_space import covers_public_internet

# Every pattern is matched with re.fullmatch (a trailing newline never slips through) and spells digits
# as [0-9], so Unicode digits such as '٣' are refused.
REGION_PATTERN = re.compile(r"[a-z]{2}(-gov)?-[a-z]+-[0-9]")
ZONE_ID_PATTERN = re.compile(r"[a-z]{2,5}[0-9]-az[0-9]+")
ACCOUNT_PATTERN = re.compile(r"[0-9]{12}")
# IAM role ARN: path and name of [A-Za-z0-9+=,.@_-], name at most 64 characters
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names).
ROLE_ARN_PATTERN = re.compile(
    r"arn:(?P<partition>[a-z-]+):iam::(?P<account>[0-9]{12}):role/(?:[A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]{1,64}"
)
CERTIFICATE_PATTERN = re.compile(
    r"arn:(?P<partition>[a-z-]+):acm:(?P<region>[a-z0-9-]+):(?P<account>[0-9]{12}):certificate/[0-9a-f-]{36}"
)
# Docker's reference grammar: a tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; a digest sha256:<64 hex>
# (https://github.com/distribution/reference/blob/main/regexp.go).
IMAGE_TAG_PATTERN = re.compile(r"sha256:[a-f0-9]{64}|[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
# An address SNS can deliver to: an RFC 5321 dot-atom local part and a domain of LDH labels with a
# letter TLD; at most 254 characters.
EMAIL_PATTERN = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
INT_TEXT = re.compile(r"-?[0-9]+")
FLOAT_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")
BOOL_TEXT = {"true": True, "True": True, "false": False, "False": False}
"""The spellings pulumi.Config.get_bool accepts (pulumi/config.py)."""

TAG_VALUE_MAX = 256
TAG_VALUE_SYMBOLS = set(" _.:/=+-@")
"""AWS tag values: at most 256 Unicode characters; letters, numbers, spaces and _ . : / = + - @; never the
reserved 'aws:' prefix (https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html)."""
MSK_VOLUME_GIB = (1, 16384)
"""MSK broker EBS volume size, GiB (AWS::MSK::Cluster EBSStorageInfo VolumeSize: minimum 1, maximum 16384)."""
NODE_DISK_GIB = (20, 16384)
"""EKS node root volume, GiB: not below the 20 GiB root snapshot of the EKS AL2023 AMIs (a smaller volume
fails to launch; EKS CreateNodegroup diskSize defaults to 20) and not above EBS gp3's 16 TiB."""
NODE_GROUP_MAX = 450
"""Nodes per EKS managed node group (EKS service quota 'Nodes per managed node group': 450)."""
WAF_RATE_LIMIT = (10, 2_000_000_000)
"""WAFv2 RateBasedStatement Limit: minimum 10, maximum 2,000,000,000 requests per evaluation window
(https://docs.aws.amazon.com/waf/latest/APIReference/API_RateBasedStatement.html)."""
ACU_MAX_FLOOR = 1.0
"""Aurora refuses a Serverless v2 maximum below 1 ACU ('Serverless v2 maximum capacity 0.5 isn't valid. The
maximum capacity must be at least 1.0', aws/aws-cdk#32232; CloudFormation: 'must be higher than 0.5 ACUs')."""
PARTITIONS = {"cn-": "aws-cn", "us-gov-": "aws-us-gov"}
"""Region prefixes of the partitions other than 'aws' (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html)."""


def partition_of(region: str) -> str:
    """The AWS partition of a region: aws-cn for cn-*, aws-us-gov for us-gov-*, else aws."""
    return next((partition for prefix, partition in PARTITIONS.items() if region.startswith(prefix)), "aws")


def covers_internet(cidrs: Iterable[str]) -> bool:
    """Whether the CIDRs together admit every public IPv4 or every global IPv6 address (0.0.0.0/1 + 128.0.0.0/1,
    or the 37 blocks around reserved space, are as open as 0.0.0.0/0). The pack's rules judge coverage with
    the same function (policies/address_space.py). Entries that are not CIDRs are ignored here."""
    return covers_public_internet(cidrs)


EKS_PUBLIC_CIDRS_MAX = 40
"""Public endpoint access CIDR ranges per cluster: 40, not adjustable (Amazon EKS service quotas,
https://docs.aws.amazon.com/eks/latest/userguide/service-quotas.html)."""
SECURITY_GROUP_INBOUND_RULES = 60
"""Inbound rules per security group: 60 by default, counted separately for IPv4 and IPv6 (Amazon VPC quotas,
https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-security-groups); more fail
with RulesPerSecurityGroupLimitExceeded."""


def tag_value_problem(value: str) -> str | None:
    """Why AWS would refuse `value` as a tag value, or None."""
    if len(value) > TAG_VALUE_MAX:
        return f"is {len(value)} characters; AWS tag values hold at most {TAG_VALUE_MAX}"
    bad = sorted({c for c in value if c not in TAG_VALUE_SYMBOLS and unicodedata.category(c)[0] not in "LNZ"})
    if bad:
        return (
            f"contains {''.join(bad)!r}; AWS tag values allow letters, numbers, spaces and _ . : / = + - @ "
            f"(at most {TAG_VALUE_MAX} characters)"
        )
    if value.lower().startswith("aws:"):
        return "starts with 'aws:', a prefix AWS reserves for its own tags"
    return None


HOSTED_ZONE_ID_PATTERN = re.compile(r"Z[A-Z0-9]{1,31}")
"""A Route 53 hosted zone ID (Z followed by upper-case letters and digits, at most 32 characters), matched whole."""
DNS_NAME_MAX = 253
"""Longest fully qualified domain name Route 53 accepts (without the trailing dot)."""
DNS_NAME_PATTERN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]")
"""A lowercase fully qualified DNS name: labels of 1-63 letters, digits and inner hyphens; a top-level label that
starts with a letter. Route 53 record names, https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DomainNameFormat.html"""
