"""The stack configuration: one pydantic model, loaded from Pulumi config in one place.

`load_stack_config()` reads every key of the project's namespace, rejects unknown keys, lays the
stack's values over its tier preset (stacks/tiers.py) and validates the result. Any mistake becomes
a `ConfigError` (a `pulumi.RunError`) naming the key, the bad value and what is allowed, raised
before the program registers a single resource.
"""

from __future__ import annotations

import datetime
import difflib
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from functools import cache
from typing import Any, Literal, get_args, get_origin

import pulumi
from pydantic import ConfigDict, PrivateAttr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic.alias_generators import to_camel, to_snake

from components.errors import InvalidArgumentError
from components.subnet_plan import ZONE_COUNT, parse_vpc_cidr
from components.versions import KUBERNETES_VERSIONS, support_status, supported_versions
from stacks.aws_limits import (
    ACCOUNT_PATTERN,
    ACU_MAX_FLOOR,
    BOOL_TEXT,
    CERTIFICATE_PATTERN,
    DNS_NAME_MAX,
    DNS_NAME_PATTERN,
    EMAIL_PATTERN,
    FLOAT_TEXT,
    HOSTED_ZONE_ID_PATTERN,
    IMAGE_TAG_PATTERN,
    INT_TEXT,
    MSK_VOLUME_GIB,
    NODE_DISK_GIB,
    NODE_GROUP_MAX,
    REGION_PATTERN,
    ROLE_ARN_PATTERN,
    WAF_RATE_LIMIT,
    ZONE_ID_PATTERN,
    covers_internet,
    partition_of,
    tag_value_problem,
)
from stacks.capacity import ALLOCATABLE, Fit, ZoneSplit, fit, split_per_zone
from stacks.name_limits import MAX_STACK_NAME_LENGTH, STACK_NAME_PATTERN
from stacks.observability_settings import ObservabilitySettings
from stacks.tiers import STANDBY_RELAXED, TIER_PRESETS, TIER_RULES, TierName, TierPreset
from stacks.workload_specs import WORKLOADS
from stacks.zones import DEFAULT_ZONE_IDS

CONFIG_NAMESPACE = "fintech-platform"
"""The project name in Pulumi.yaml, which namespaces every config key of the project."""

TIER_DEFAULT = "tier"
"""Value of a preset key meaning 'take the tier's preset' (the Pulumi.yaml default of such keys)."""

CLOUDWATCH_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
"""The only retention periods CloudWatch Logs accepts."""

DataClassification = Literal["public", "internal", "confidential", "restricted"]
DeployPhase = Literal["foundation", "complete"]

_TRAIL_ARN_PATTERN = re.compile(r"arn:[a-z-]+:cloudtrail:[a-z0-9-]+:[0-9]{12}:trail/[A-Za-z0-9._-]{3,128}")
"""A CloudTrail trail ARN, matched whole with ASCII digits."""
_CONNECTION_PATTERN = re.compile(
    r"^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:(?P<account>\d{12}):connection/[0-9a-f-]{36}$"
)
_REPOSITORY_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")

BASELINE_SETTINGS = {
    "cacheAuth": "IAM authentication on the cache",
    "cacheTransitEncryption": "TLS to the cache",
    "storageEncrypted": "encryption at rest",
    "auroraForceSsl": "TLS to Aurora",
    "auroraIamAuth": "IAM database authentication",
    "kafkaUnauthenticatedAccess": "authenticated Kafka clients",
    "kafkaTls": "TLS to Kafka",
    "flowLogs": "VPC flow logs",
    "auditTrail": "the account audit trail (where an organization trail records the account, set organizationTrail)",
}
"""Settings a user may look for that do not exist: they are the security baseline in every tier."""


SECRET_CAPABLE_KEYS = frozenset({"owner", "costCenter", "dataClassification"})
"""Keys whose value stays a secret Output wherever the program uses it (the providers' default tags).
Every other key feeds typed component arguments that are checked as plain values (or, for
monthlyBudgetUsd, a stack output the cost report reads as a number)."""


_VALIDATING_SECRETS: ContextVar[frozenset[str]] = ContextVar("validating_secrets", default=frozenset())
"""Secret keys of the config being validated (the model's own set is attached only after validation)."""


class ConfigError(pulumi.RunError):
    """Invalid stack configuration; the message names the key, the value and what is allowed."""


class StackConfig(ObservabilitySettings, TierPreset):
    """Every setting of one stack: the tier preset fields plus the stack's own. Config keys are the
    camelCase names of these fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)
    _secret_keys: frozenset[str] = PrivateAttr(default_factory=frozenset)

    tier: TierName
    """Cost tier preset: dev or prod. Default: dev."""
    region: str
    """AWS region. Default: us-east-1."""
    account_id: str = ""
    """AWS account the stack must deploy into; empty allows any (refused for prod). Default: empty."""
    vpc_cidr: str = "10.0.0.0/16"
    """IPv4 CIDR of the VPC, /16 to /20, private range. Default: 10.0.0.0/16."""
    availability_zone_ids: tuple[str, ...]
    """Exactly three distinct zone IDs. Default: the region's set in stacks/zones.py."""
    owner: str = "platform-team"
    """Tag 'owner'. Default: platform-team."""
    cost_center: str = "platform"
    """Tag 'cost-center'. Default: platform."""
    data_classification: DataClassification = "confidential"
    """Tag 'data-classification'. Default: confidential."""
    dr_region: str = "us-west-2"
    """Region that receives backup copies when crossRegionBackup is on. Default: us-west-2."""
    alarm_email: str = ""
    """Address subscribed to the alarm topic; empty for none. Default: empty."""
    kubernetes_version: str = "1.35"
    """EKS Kubernetes version, one in EKS standard support. Default: 1.35."""
    eks_public_access_cidrs: tuple[str, ...] = ()
    """CIDRs allowed to the public EKS API endpoint; empty turns it off. Default: empty (private only)."""
    eks_admin_role_arns: tuple[str, ...] = ()
    """IAM roles given cluster-admin through EKS access entries. Default: none."""
    ci_github_connection_arn: str = ""
    """CodeConnections (CodeStar) connection to GitHub of the in-VPC CI runner; empty: no runner. Default: empty."""
    ci_repository: str = ""
    """GitHub repository (owner/name) whose workflow jobs the runner takes. Default: empty."""
    ci_deploy_role_arn: str = ""
    """Role the deploy workflow assumes for `pulumi up`: cluster-admin access entry. Default: empty."""
    ci_preview_role_arn: str = ""
    """Role the pull-request workflow assumes for `pulumi preview`: read-only access entry. Default: empty."""
    certificate_arn: str = ""
    """ACM certificate of the ALB's HTTPS listener, in the stack's region. Required."""
    alb_ingress_cidrs: tuple[str, ...] = ("0.0.0.0/0",)
    """Clients admitted to the ALB on 443 (it does not listen on 80). Default: 0.0.0.0/0."""
    waf_rate_limit: int = 2000
    """Requests per client IP per 5 minutes before WAF blocks it. Default: 2000."""
    validator_image_tag: str = ""
    """Image tag or sha256 digest of the validator. Required."""
    payments_image_tag: str = ""
    """Image tag or sha256 digest of payments. Required."""
    ledger_image_tag: str = ""
    """Image tag or sha256 digest of the ledger. Required."""
    organization_trail: str = ""
    """ARN of an organization CloudTrail trail that already records this account; empty builds the stack's
    own trail. Default: empty."""
    dr_stack: str = ""
    """Primary side of a region pair: the name of this stack's standby stack in drRegion. Aurora becomes the primary
    of a global database, the master credential and the workload images replicate to drRegion, and dnsName fails
    over to the standby. Default: empty (no standby)."""
    standby_for: str = ""
    """Standby side of a region pair: the name of the primary stack. Aurora joins the primary's global database as
    a secondary, the workload repositories receive the primary's images, and dnsName's SECONDARY record points
    here; the zone-redundancy rules a standby may relax are in STANDBY_RELAXED. Default: empty (not a standby)."""
    dns_zone_id: str = ""
    """Route 53 public hosted zone holding dnsName; required in a region pair. Default: empty."""
    dns_name: str = ""
    """The platform's public name, answered by a Route 53 failover record (PRIMARY in the primary stack, SECONDARY
    in its standby); required in a region pair, the same in both stacks. Default: empty."""
    audit_trail_multi_region: bool = True
    """Whether the stack's own CloudTrail trail records every region (true) or only its own (false: for a standby
    whose primary's multi-region trail already records every region). Default: true."""
    deploy_phase: DeployPhase = "complete"
    """foundation: only what the AWS control plane creates (no Kubernetes API call); complete: plus namespaces,
    add-on and workload releases. Default: complete."""

    @property
    def kubernetes_layer(self) -> bool:
        """Whether this run registers resources through the Kubernetes API (deployPhase complete)."""
        return self.deploy_phase == "complete"

    def image_tag(self, workload: str) -> str:
        """The pinned image of a workload."""
        tag: str = getattr(self, f"{workload}_image_tag")
        return tag

    @property
    def secret_keys(self) -> frozenset[str]:
        """Config keys (camelCase) whose values were set with --secret; their values stay secret."""
        return self._secret_keys

    @property
    def partition(self) -> str:
        """The AWS partition of the stack's region."""
        return partition_of(self.region)

    @field_validator("region", "dr_region")
    @classmethod
    def _region_shape(cls, value: str) -> str:
        if not REGION_PATTERN.fullmatch(value):
            raise ValueError("must be an AWS region name such as us-east-1")
        return value

    @field_validator("account_id")
    @classmethod
    def _account_shape(cls, value: str) -> str:
        if value and not ACCOUNT_PATTERN.fullmatch(value):
            raise ValueError("must be a 12-digit AWS account ID, or empty")
        return value

    @field_validator("vpc_cidr")
    @classmethod
    def _vpc_cidr_fits_plan(cls, value: str) -> str:
        try:
            parse_vpc_cidr(value, argument="vpcCidr")
        except InvalidArgumentError as err:
            raise ValueError(str(err).removeprefix(f"vpcCidr: '{value}' ")) from None
        return value

    @field_validator("availability_zone_ids")
    @classmethod
    def _three_distinct_zone_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(value) != ZONE_COUNT or len(set(value)) != ZONE_COUNT:
            raise ValueError(f"must list exactly {ZONE_COUNT} distinct zone IDs")
        bad = [zone for zone in value if not ZONE_ID_PATTERN.fullmatch(zone)]
        if bad:
            raise ValueError(f"{bad} are not zone IDs; use IDs such as use1-az1, not names such as us-east-1a")
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _cloudwatch_retention(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be a positive number of days")
        if value not in CLOUDWATCH_RETENTION_DAYS:
            raise ValueError(f"CloudWatch accepts only {', '.join(map(str, CLOUDWATCH_RETENTION_DAYS))}")
        return value

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

    @field_validator("aurora_min_acu")
    @classmethod
    def _acu_range(cls, value: float) -> float:
        if not 0.5 <= value <= 256 or (value * 2) % 1:
            raise ValueError("must be 0.5 to 256 ACUs in steps of 0.5")
        return value

    @field_validator("aurora_max_acu")
    @classmethod
    def _acu_max_range(cls, value: float) -> float:
        if not ACU_MAX_FLOOR <= value <= 256 or (value * 2) % 1:
            raise ValueError("must be 1 to 256 ACUs in steps of 0.5 (Aurora refuses a maximum below 1 ACU)")
        return value

    @field_validator("kafka_topic_partitions")
    @classmethod
    def _topic_partitions(cls, value: int) -> int:
        if not 1 <= value <= 200:
            raise ValueError("must be 1 to 200 partitions per topic")
        return value

    @field_validator("kafka_topic_retention_hours")
    @classmethod
    def _topic_retention(cls, value: int) -> int:
        if not 1 <= value <= 8760:
            raise ValueError("must be 1 to 8760 hours (one year)")
        return value

    @field_validator("aurora_instances", "cache_nodes", "interface_endpoint_zones")
    @classmethod
    def _one_per_zone(cls, value: int) -> int:
        if not 1 <= value <= ZONE_COUNT:
            raise ValueError(f"must be 1 to {ZONE_COUNT} (one per zone)")
        return value

    @field_validator("kafka_zones")
    @classmethod
    def _kafka_zones(cls, value: int) -> int:
        if value not in (2, 3):
            raise ValueError("MSK spreads brokers over 2 or 3 zones")
        return value

    @field_validator("aurora_backup_retention_days")
    @classmethod
    def _aurora_retention(cls, value: int) -> int:
        if not 1 <= value <= 35:
            raise ValueError("Aurora keeps point-in-time backups 1 to 35 days")
        return value

    @field_validator("cache_snapshot_retention_days")
    @classmethod
    def _cache_retention(cls, value: int) -> int:
        if not 1 <= value <= 35:
            raise ValueError("must be 1 to 35 days (0 would turn snapshots off)")
        return value

    @field_validator("secret_recovery_days")
    @classmethod
    def _secret_recovery(cls, value: int) -> int:
        if not 7 <= value <= 30:
            raise ValueError("Secrets Manager allows a recovery window of 7 to 30 days")
        return value

    @field_validator("kubernetes_version")
    @classmethod
    def _supported_kubernetes(cls, value: str, info: ValidationInfo) -> str:
        today = (info.context or {}).get("today") or datetime.date.today()
        allowed = ", ".join(supported_versions(today))
        if value not in KUBERNETES_VERSIONS:
            raise ValueError(
                f"not a version this program pins; allowed today ({today}): {allowed} (EKS standard support)"
            )
        status = support_status(value, today)
        if not status.supported:
            raise ValueError(
                f"left EKS standard support on {status.ends} (extended support bills the control plane at six "
                f"times the price); allowed today ({today}): {allowed}"
            )
        return value

    @field_validator("ci_github_connection_arn")
    @classmethod
    def _connection_arn(cls, value: str) -> str:
        if value and not _CONNECTION_PATTERN.match(value):
            raise ValueError(
                "must be a CodeConnections connection ARN (arn:aws:codeconnections:<region>:<account>:connection/"
                "<uuid>), or empty"
            )
        return value

    @field_validator("ci_repository")
    @classmethod
    def _repository(cls, value: str) -> str:
        if value and not _REPOSITORY_PATTERN.match(value):
            raise ValueError("must be a GitHub repository as owner/name, or empty")
        return value

    @field_validator("ci_deploy_role_arn", "ci_preview_role_arn")
    @classmethod
    def _role_arn(cls, value: str) -> str:
        if value and not ROLE_ARN_PATTERN.fullmatch(value):
            raise ValueError("is not an IAM role ARN (arn:aws:iam::<account>:role/<name>), or empty")
        return value

    @field_validator("eks_public_access_cidrs", "alb_ingress_cidrs")
    @classmethod
    def _cidr_list(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for cidr in value:
            if not isinstance(cidr, str) or not cidr.isascii() or cidr != cidr.strip():
                raise ValueError(f"{cidr!r} is not a CIDR such as 203.0.113.0/24")
            try:
                ipaddress.ip_network(cidr, strict=True)
            except ValueError:
                raise ValueError(f"'{cidr}' is not a CIDR such as 203.0.113.0/24 (no host bits set)") from None
        return value

    @field_validator("eks_public_access_cidrs")
    @classmethod
    def _eks_cidrs_ipv4(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        # EKS publicAccessCidrs takes IPv4 blocks only
        # (https://docs.aws.amazon.com/eks/latest/APIReference/API_VpcConfigRequest.html).
        ipv6 = [cidr for cidr in value if ipaddress.ip_network(cidr).version == 6]
        if ipv6:
            raise ValueError(f"{ipv6} are IPv6; the EKS public endpoint admits IPv4 CIDRs only")
        return value

    @field_validator("eks_admin_role_arns")
    @classmethod
    def _role_arns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [arn for arn in value if not isinstance(arn, str) or not ROLE_ARN_PATTERN.fullmatch(arn)]
        if bad:
            raise ValueError(f"{bad} are not IAM role ARNs (arn:<partition>:iam::<12-digit account>:role/<name>)")
        return value

    @field_validator("organization_trail")
    @classmethod
    def _trail_arn(cls, value: str) -> str:
        if value and not _TRAIL_ARN_PATTERN.fullmatch(value):
            raise ValueError(
                "must be a CloudTrail trail ARN (arn:aws:cloudtrail:<region>:<account>:trail/<name>), or empty"
            )
        return value

    @field_validator("dr_stack", "standby_for")
    @classmethod
    def _stack_name(cls, value: str) -> str:
        if value and (not STACK_NAME_PATTERN.match(value) or len(value) > MAX_STACK_NAME_LENGTH):
            raise ValueError(
                f"must be the name of another stack of this project (lowercase letters, digits and single hyphens, "
                f"at most {MAX_STACK_NAME_LENGTH} characters), or empty"
            )
        return value

    @field_validator("dns_zone_id")
    @classmethod
    def _zone_id(cls, value: str) -> str:
        if value and not HOSTED_ZONE_ID_PATTERN.fullmatch(value):
            raise ValueError("must be a Route 53 hosted zone ID such as Z0123456789ABCDEFGHIJ, or empty")
        return value

    @field_validator("dns_name")
    @classmethod
    def _dns_name(cls, value: str) -> str:
        if value and (len(value) > DNS_NAME_MAX or not DNS_NAME_PATTERN.fullmatch(value)):
            raise ValueError(
                f"must be a fully qualified lowercase DNS name such as api.fintech.example.com (labels of letters, "
                f"digits and inner hyphens, at most {DNS_NAME_MAX} characters), or empty"
            )
        return value

    @property
    def region_pair_role(self) -> Literal["primary", "standby", "none"]:
        """This stack's side of a region pair: primary (drStack set), standby (standbyFor set) or none."""
        if self.dr_stack:
            return "primary"
        return "standby" if self.standby_for else "none"

    @model_validator(mode="after")
    def _region_pair(self) -> StackConfig:
        if self.dr_stack and self.standby_for:
            raise ValueError(
                f"{_key('drStack')} = {self._v('drStack')} and {_key('standbyFor')} = {self._v('standbyFor')} are "
                "both set: a stack is either the primary of a region pair (drStack) or its standby (standbyFor)"
            )
        if self.region_pair_role != "none":
            pair_key = "drStack" if self.dr_stack else "standbyFor"
            missing = [key for key in ("dnsZoneId", "dnsName") if not getattr(self, to_snake(key))]
            if missing:
                raise ValueError(
                    f"{_key(pair_key)} = {self._v(pair_key)} needs {' and '.join(_key(k) for k in missing)}: traffic "
                    "moves between the two stacks of a region pair through a Route 53 failover record"
                )
        elif (self.dns_zone_id or self.dns_name) and not TIER_RULES[self.tier].requires_region_pair:
            # (a tier that requires a pair says so first, in _tier_rules)
            set_keys = [key for key in ("dnsZoneId", "dnsName") if getattr(self, to_snake(key))]
            shown = ", ".join(f"{_key(key)} = {self._v(key)}" for key in set_keys)
            raise ValueError(
                f"{shown}: set without {_key('drStack')} or {_key('standbyFor')}; the failover record belongs to a "
                "region pair (leave both empty outside one)"
            )
        return self

    @model_validator(mode="after")
    def _log_lock_within_retention(self, info: ValidationInfo) -> StackConfig:
        set_keys = (info.context or {}).get("set_keys", set())
        if self.log_lock_days > self.log_retention_days and set_keys & {"logRetentionDays", "logLockDays"} == {
            "logRetentionDays"
        }:
            raise ValueError(
                f"{_key('logRetentionDays')} = {self._v('logRetentionDays')} is below {_key('logLockDays')} = "
                f"{self._v('logLockDays')}: logs must be kept at least as long as they are locked"
            )
        if not 1 <= self.log_lock_days <= self.log_retention_days:
            raise ValueError(
                f"{_key('logLockDays')} = {self._v('logLockDays')} must be 1 to {_key('logRetentionDays')} = "
                f"{self._v('logRetentionDays')}: a lock longer than the retention keeps expired logs (and their cost)"
            )
        return self

    @field_validator("waf_rate_limit")
    @classmethod
    def _waf_rate(cls, value: int) -> int:
        low, high = WAF_RATE_LIMIT
        if not low <= value <= high:
            raise ValueError(f"WAF rate-based rules take a limit of {low} to {high:,} requests per 5 minutes")
        return value

    @field_validator("kafka_volume_gib")
    @classmethod
    def _msk_volume(cls, value: int) -> int:
        low, high = MSK_VOLUME_GIB
        if not low <= value <= high:
            raise ValueError(f"MSK broker volumes are {low} to {high} GiB")
        return value

    @field_validator("kafka_volume_max_gib")
    @classmethod
    def _msk_volume_ceiling(cls, value: int) -> int:
        if value != 0 and not MSK_VOLUME_GIB[0] <= value <= MSK_VOLUME_GIB[1]:
            raise ValueError(f"must be 0 (no storage autoscaling) or a ceiling of up to {MSK_VOLUME_GIB[1]} GiB")
        return value

    @field_validator("node_disk_gib")
    @classmethod
    def _node_disk(cls, value: int) -> int:
        low, high = NODE_DISK_GIB
        if not low <= value <= high:
            raise ValueError(
                f"must be {low} to {high} GiB (the EKS AL2023 AMI's root snapshot is {low} GiB; gp3 holds 16 TiB)"
            )
        return value

    @field_validator("node_min", "node_max")
    @classmethod
    def _node_count(cls, value: int) -> int:
        if not 1 <= value <= NODE_GROUP_MAX:
            raise ValueError(f"must be 1 to {NODE_GROUP_MAX} nodes (an EKS managed node group holds at most 450)")
        return value

    @field_validator("hpa_min_replicas", "hpa_max_replicas")
    @classmethod
    def _replicas(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1 pod")
        return value

    @field_validator("kafka_brokers")
    @classmethod
    def _brokers(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be a positive number of brokers (a multiple of kafkaZones)")
        return value

    @field_validator("monthly_budget_usd")
    @classmethod
    def _budget(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be a positive number of US dollars (AWS Budgets refuses 0 or less)")
        return value

    @field_validator("node_instance_type")
    @classmethod
    def _node_type_known(cls, value: str) -> str:
        known = sorted(set(ALLOCATABLE) & _priced("ec2:"))
        if value not in known:
            raise ValueError(
                f"no allocatable figures (stacks/capacity.py) and price (pricing/prices.yaml) for it; known: "
                f"{', '.join(known)}"
            )
        return value

    @field_validator("cache_node_type")
    @classmethod
    def _cache_type_known(cls, value: str) -> str:
        known = sorted(_priced("elasticache:valkey:"))
        if value not in known:
            raise ValueError(f"no Valkey price for it in pricing/prices.yaml; known: {', '.join(known)}")
        return value

    @field_validator("kafka_broker_type")
    @classmethod
    def _broker_type_known(cls, value: str) -> str:
        known = sorted(_priced("msk:"))
        if value not in known:
            raise ValueError(f"no MSK price for it in pricing/prices.yaml; known: {', '.join(known)}")
        return value

    @model_validator(mode="after")
    def _edge_and_cluster(self, info: ValidationInfo) -> StackConfig:
        if not self.certificate_arn:
            raise ValueError(
                f"{_key('certificateArn')} is missing: the ALB serves HTTPS only and needs an ACM certificate ARN "
                f"in {self.region} (pulumi config set certificateArn arn:aws:acm:...)"
            )
        shown = self._shown("certificateArn", self.certificate_arn)
        match = CERTIFICATE_PATTERN.fullmatch(self.certificate_arn)
        if not match:
            raise ValueError(
                f"{_key('certificateArn')} = {shown} is not an ACM certificate ARN "
                f"(arn:{self.partition}:acm:<region>:<12-digit account>:certificate/<uuid>)"
            )
        if match["region"] != self.region or (self.account_id and match["account"] != self.account_id):
            raise ValueError(
                f"{_key('certificateArn')} = {shown} must be in the stack's region {self.region}"
                + (f" and account {self.account_id}" if self.account_id else "")
            )
        if match["partition"] != self.partition:
            raise ValueError(
                f"{_key('certificateArn')} = {shown} is in partition '{match['partition']}'; region {self.region} "
                f"is in partition '{self.partition}'"
            )
        other = [arn for arn in self.eks_admin_role_arns if arn.split(":")[1] != self.partition]
        if other:
            raise ValueError(
                f"{_key('eksAdminRoleArns')} = {self._shown('eksAdminRoleArns', other)}: not in partition "
                f"'{self.partition}' of region {self.region}; use arn:{self.partition}:iam::<account>:role/<name>"
            )
        if self.node_max < self.node_min:
            raise ValueError(self._pair_message("nodeMin", "nodeMax", info, "nodeMax must be at least nodeMin"))
        return self

    def _pair_message(self, low: str, high: str, info: ValidationInfo, rule: str) -> str:
        """A message for two keys out of order that names first the one the stack set (the value at fault);
        when the stack set both, or neither, the pair is named low first."""
        set_keys = (info.context or {}).get("set_keys", set())
        low_value, high_value = self._v(low), self._v(high)
        if high in set_keys and low not in set_keys:
            return f"{_key(high)} = {high_value} is below {_key(low)} = {low_value}; {rule}"
        return f"{_key(low)} = {low_value} is above {_key(high)} = {high_value}; {rule}"

    def _shown(self, key: str, value: Any) -> str:
        """How an error message shows a key's value: repr, or [secret] for a value set with --secret."""
        return "[secret]" if key in self._secret_keys | _VALIDATING_SECRETS.get() else repr(value)

    def _v(self, key: str) -> str:
        """The value of config key `key` as an error message shows it."""
        return self._shown(key, getattr(self, to_snake(key)))

    @field_validator("validator_image_tag", "payments_image_tag", "ledger_image_tag")
    @classmethod
    def _pinned_image(cls, value: str) -> str:
        if not value:
            raise ValueError("missing: every workload runs a pinned image (a version tag or sha256:<digest>)")
        if value == "latest" or not IMAGE_TAG_PATTERN.fullmatch(value):
            raise ValueError("must be a version tag such as 1.4.2 or sha256:<64 hex>, never 'latest'")
        return value

    @model_validator(mode="after")
    def _workloads_fit(self, info: ValidationInfo) -> StackConfig:
        if self.hpa_min_replicas > self.hpa_max_replicas:
            raise ValueError(
                self._pair_message("hpaMinReplicas", "hpaMaxReplicas", info, "the minimum must not exceed the maximum")
            )
        try:
            self.node_split()
        except InvalidArgumentError as err:
            raise ValueError(
                f"{_key('nodeMin')} = {self.node_min}, {_key('nodeMax')} = {self.node_max}: cannot be split over "
                f"one node group per zone: {str(err).split(': ', 1)[1]}"
            ) from None
        _, at_max = self.capacity()
        if at_max.headroom_nodes < 0:
            raise ValueError(
                f"{_key('nodeMax')} = {self._v('nodeMax')} cannot hold every workload at {_key('hpaMaxReplicas')} = "
                f"{self._v('hpaMaxReplicas')}: {at_max.describe()}; raise nodeMax to {at_max.nodes_needed} or lower "
                "hpaMaxReplicas"
            )
        return self

    @property
    def hard_zone_spread(self) -> bool:
        """Whether workloads must spread evenly over the zones (DoNotSchedule): the tier's high availability."""
        return TIER_RULES[self.tier].high_availability

    def node_split(self) -> ZoneSplit:
        """nodeMin/nodeMax spread over one node group per zone (raises InvalidArgumentError if they cannot be)."""
        return split_per_zone(self.node_min, self.node_max, ZONE_COUNT, self.hard_zone_spread)

    def capacity(self) -> tuple[Fit, Fit]:
        """How the per-zone node groups hold the workloads at minimum and at maximum scale."""
        demands = [spec.demand(self.hpa_min_replicas, self.hpa_max_replicas) for spec in WORKLOADS]
        return fit(demands, self.node_instance_type, self.node_split(), self.hard_zone_spread)

    @model_validator(mode="after")
    def _ci_runner(self) -> StackConfig:
        if bool(self.ci_github_connection_arn) != bool(self.ci_repository):
            raise ValueError(
                f"{_key('ciGithubConnectionArn')} and {_key('ciRepository')} go together: the in-VPC CI runner "
                "needs both (set both, or neither for no runner)"
            )
        principals = [*self.eks_admin_role_arns, self.ci_deploy_role_arn, self.ci_preview_role_arn]
        principals = [arn for arn in principals if arn]
        duplicates = sorted({arn for arn in principals if principals.count(arn) > 1})
        if duplicates:
            raise ValueError(
                f"{_key('eksAdminRoleArns')}, {_key('ciDeployRoleArn')} and {_key('ciPreviewRoleArn')} name "
                f"{duplicates} more than once: EKS allows one access entry per role"
            )
        return self

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> StackConfig:
        if self.aurora_min_acu > self.aurora_max_acu:
            raise ValueError(
                self._pair_message(
                    "auroraMinAcu", "auroraMaxAcu", info, "Serverless v2 minimum capacity must not exceed the maximum"
                )
            )
        if self.kafka_brokers < self.kafka_zones:
            raise ValueError(
                f"{_key('kafkaBrokers')} = {self._v('kafkaBrokers')} is fewer than {_key('kafkaZones')} = "
                f"{self._v('kafkaZones')}: MSK needs at least one broker per zone"
            )
        if self.kafka_brokers % self.kafka_zones:
            raise ValueError(
                f"{_key('kafkaBrokers')} = {self._v('kafkaBrokers')} is not a multiple of {_key('kafkaZones')} = "
                f"{self._v('kafkaZones')}: MSK spreads brokers evenly over its subnets"
            )
        if self.kafka_volume_max_gib and self.kafka_volume_max_gib <= self.kafka_volume_gib:
            set_keys = (info.context or {}).get("set_keys", set())
            if "kafkaVolumeGib" in set_keys and "kafkaVolumeMaxGib" not in set_keys:
                raise ValueError(
                    f"{_key('kafkaVolumeGib')} = {self._v('kafkaVolumeGib')} is not below "
                    f"{_key('kafkaVolumeMaxGib')} = {self._v('kafkaVolumeMaxGib')}: the initial size must be below "
                    "the autoscaling ceiling (or set "
                    "kafkaVolumeMaxGib to 0 to turn storage autoscaling off)"
                )
            raise ValueError(
                f"{_key('kafkaVolumeMaxGib')} = {self._v('kafkaVolumeMaxGib')} must be above {_key('kafkaVolumeGib')} "
                f"= {self._v('kafkaVolumeGib')}, or 0 to turn storage autoscaling off"
            )
        uses_dr_region = self.cross_region_backup or self.region_pair_role != "none"
        if uses_dr_region and partition_of(self.dr_region) != self.partition:
            raise ValueError(
                f"{_key('drRegion')} = {self._v('drRegion')} is in partition '{partition_of(self.dr_region)}'; backups "
                f"are copied, and a region pair replicates, only within partition '{self.partition}' of {self.region}"
            )
        if uses_dr_region and self.dr_region == self.region:
            raise ValueError(
                f"{_key('drRegion')} = {self._v('drRegion')} is the stack's own region: a regional outage would take "
                "the copies (and the other stack of a region pair) with it"
            )
        return self

    @model_validator(mode="after")
    def _tier_rules(self) -> StackConfig:
        rules = TIER_RULES[self.tier]
        if rules.high_availability:
            self._require_high_availability()
        if rules.requires_account_pin and not self.account_id:
            raise ValueError(
                f"{_key('accountId')} must be set for tier '{self.tier}', so the stack can never "
                "deploy into another account"
            )
        if rules.requires_region_pair and self.region_pair_role == "none":
            raise ValueError(
                f"{_key('drStack')} must be set for tier '{self.tier}' (the name of its standby stack in "
                f"{_key('drRegion')}), unless the stack is itself a standby ({_key('standbyFor')}): a region failure "
                "must meet the recovery objectives"
            )
        if rules.requires_cross_region_backup and not self.cross_region_backup and not self.standby_for:
            raise ValueError(
                f"{_key('crossRegionBackup')} = false is not allowed for tier '{self.tier}': the database's "
                f"backups must be copied to {_key('drRegion')} (allowed: true)"
            )
        return self

    def _require_high_availability(self) -> None:
        single_points = {
            "interfaceEndpointZones": (self.interface_endpoints and self.interface_endpoint_zones < 2,
                                       "endpoints in one zone are lost with it; use 2 or 3"),
            "natStrategy": (self.nat_strategy == "single", "one NAT gateway is a single point of failure for all "
                            "egress; use 'one-per-az'"),
            "auroraInstances": (self.aurora_instances < 2, "a single Aurora instance has no reader to fail over "
                                "to; use 2 or more"),
            "cacheNodes": (self.cache_nodes < 2, "a single cache node has no replica to fail over to; use 2 or more"),
            "kafkaZones": (self.kafka_zones < ZONE_COUNT, "brokers in fewer than 3 zones cannot keep a "
                           "replication factor of 3 across zones; use 3"),
            "nodeMin": (self.node_min < ZONE_COUNT, "fewer than 3 nodes cannot place a workload in every zone; "
                        "use 3 or more"),
            "eksPublicAccessCidrs": (covers_internet(self.eks_public_access_cidrs),
                                     "the Kubernetes API must not be open to the whole internet (these CIDRs "
                                     "together cover it); leave it empty (private endpoint only) or list your own "
                                     "CIDRs"),
        }  # fmt: skip
        for key, (broken, reason) in single_points.items():
            if broken and not (self.standby_for and key in STANDBY_RELAXED):
                value = self._shown(key, getattr(self, to_snake(key)))
                raise ValueError(f"{_key(key)} = {value} is not allowed for tier '{self.tier}': {reason}")


def config_keys() -> list[str]:
    """The config keys (without namespace) a stack may set."""
    return sorted(field.alias or name for name, field in StackConfig.model_fields.items())


def _key(key: str) -> str:
    return f"{CONFIG_NAMESPACE}:{key}"


def parse_stack_config(
    raw: Mapping[str, Any], secret_keys: Iterable[str] = (), today: datetime.date | None = None
) -> StackConfig:
    """Validate the project-namespace config values `raw` (keys without namespace) against the tier, on
    `today` (default: the real date; it decides which Kubernetes versions are still in standard support).

    Values arrive as text, as the Pulumi engine passes them; keys in `secret_keys` were set with
    --secret and their values are never shown in an error message.
    """
    secrets = frozenset(secret_keys)
    known = set(config_keys())
    unknown = sorted(set(raw) - known)
    baseline = [key for key in unknown if key in BASELINE_SETTINGS]
    if baseline:
        key = baseline[0]
        raise ConfigError(
            f"{_key(key)}: not a setting: {BASELINE_SETTINGS[key]} is part of the security baseline in every "
            "tier and cannot be turned off"
        )
    if unknown:
        key = unknown[0]
        hint = difflib.get_close_matches(key, sorted(known), n=1)
        suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
        raise ConfigError(f"{_key(key)}: unknown config key{suggestion} Known keys: {', '.join(sorted(known))}")

    def shown(key: str) -> str:
        return "[secret]" if key in secrets else repr(raw.get(key))

    tier = raw.get("tier", "dev")
    if tier not in TIER_PRESETS:
        raise ConfigError(f"{_key('tier')} = {shown('tier')}: unknown tier; allowed: {', '.join(TIER_PRESETS)}")
    region = raw.get("region", "us-east-1")
    if not isinstance(region, str) or not REGION_PATTERN.fullmatch(region):
        raise ConfigError(f"{_key('region')} = {shown('region')}: not an AWS region name such as us-east-1")
    preset_keys = {to_camel(name) for name in TIER_PRESETS[tier].model_dump()}
    values: dict[str, Any] = TIER_PRESETS[tier].model_dump(by_alias=False)
    values = {to_camel(name): value for name, value in values.items()}
    values["tier"] = tier
    for key, value in raw.items():
        if key in preset_keys and value == TIER_DEFAULT:
            continue
        values[key] = _from_text(key, value, "[secret]" if key in secrets else repr(value))
    values["region"] = region
    for key in _array_keys():
        if key in values:
            values[key] = tuple(_json_array(values[key], key, "[secret]" if key in secrets else None))
    zones = list(values.get("availabilityZoneIds", ()))
    if not zones:
        zones = list(DEFAULT_ZONE_IDS.get(values["region"], ()))
        if not zones:
            raise ConfigError(
                f"{_key('availabilityZoneIds')}: region '{values['region']}' has no default zone set; "
                f"set three zone IDs (regions with defaults: {', '.join(DEFAULT_ZONE_IDS)})"
            )
    values["availabilityZoneIds"] = tuple(zones)
    try:
        set_keys = {key for key, value in raw.items() if not (key in preset_keys and value == TIER_DEFAULT)}
        token = _VALIDATING_SECRETS.set(secrets)
        try:
            context = {"set_keys": set_keys, "today": today or datetime.date.today()}
            config = StackConfig.model_validate(values, context=context)
        finally:
            _VALIDATING_SECRETS.reset(token)
    except ValidationError as err:
        raise ConfigError(_scrub(_describe(err, raw, secrets), raw, secrets)) from None
    config._secret_keys = secrets
    return config


def _scrub(message: str, raw: Mapping[str, Any], secrets: frozenset[str]) -> str:
    """A last guard: no secret text value of 4 or more characters is ever printed in a message."""
    for key in secrets:
        value = raw.get(key)
        if isinstance(value, str) and len(value) >= 4:
            message = message.replace(value, "[secret]")
    return message


def _field_type(key: str) -> Any:
    """The annotation of the model field behind a config key."""
    return StackConfig.model_fields[to_snake(key)].annotation


def _from_text(key: str, value: Any, shown: str) -> Any:
    """A config value as its field's type. The engine passes every value as text ('60', 'true', '0.5'), so
    numbers and booleans are parsed here, strictly: ASCII digits only, the whole value, no spaces."""
    annotation = _field_type(key)
    if not isinstance(value, str):
        return value
    choices = get_args(annotation) if get_origin(annotation) is Literal else ()
    if choices and all(isinstance(choice, int) for choice in choices):
        if not INT_TEXT.fullmatch(value) or int(value) not in choices:
            raise ConfigError(f"{_key(key)} = {shown}: allowed: {', '.join(map(str, choices))}")
        return int(value)
    if annotation is bool:
        if value not in BOOL_TEXT:
            raise ConfigError(f"{_key(key)} = {shown}: allowed: true, false")
        return BOOL_TEXT[value]
    if annotation is int:
        if not INT_TEXT.fullmatch(value):
            raise ConfigError(f"{_key(key)} = {shown}: not a whole number (digits 0-9, such as 3)")
        return int(value)
    if annotation is float:
        if not FLOAT_TEXT.fullmatch(value):
            raise ConfigError(
                f"{_key(key)} = {shown}: not a number (digits 0-9 and an optional decimal point, such as 0.5)"
            )
        return float(value)
    return value


@cache
def _priced(prefix: str) -> frozenset[str]:
    """Instance types the cost model has a price for: the rows of pricing/prices.yaml under `prefix`."""
    from pricing.model import load_prices

    return frozenset(key[len(prefix) :] for key in load_prices().prices if key.startswith(prefix))


def _array_keys() -> list[str]:
    """Config keys whose values are lists (declared `type: array` in Pulumi.yaml)."""
    return [
        field.alias or name
        for name, field in StackConfig.model_fields.items()
        if str(field.annotation).startswith("tuple")
    ]


def _json_array(value: Any, key: str, shown: str | None = None) -> list[Any]:
    """Config arrays arrive JSON-encoded from the Pulumi engine; accept both forms."""
    shown = shown or repr(value)
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except json.JSONDecodeError:
            raise ConfigError(f"{_key(key)} = {shown}: not a list; set it with --path '{key}[0]'") from None
    if not isinstance(value, list):
        raise ConfigError(f"{_key(key)} = {shown}: must be a list of strings")
    bad = [item for item in value if not isinstance(item, str)]
    if bad:
        raise ConfigError(f"{_key(key)} = {shown}: must be a list of strings; {len(bad)} item(s) are not")
    return value


def _describe(err: ValidationError, raw: Mapping[str, Any], secrets: frozenset[str]) -> str:
    lines = []
    for problem in err.errors():
        message = problem["msg"].removeprefix("Value error, ")
        if problem["loc"]:
            key = str(problem["loc"][0])
            shown = repr(raw[key]) if key in raw else repr(problem["input"])
            value = "[secret]" if key in secrets else shown
            lines.append(f"{_key(key)} = {value}: {message}")
        else:
            lines.append(message)
    return "invalid stack configuration:\n  " + "\n  ".join(lines)


def read_project_config() -> dict[str, Any]:
    """All config values of this project's namespace, keys without the namespace prefix."""
    prefix = f"{CONFIG_NAMESPACE}:"
    return {key[len(prefix) :]: value for key, value in _all_config().items() if key.startswith(prefix)}


def _all_config() -> dict[str, Any]:
    from pulumi.runtime import config as runtime_config

    return {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}


def _secret_keys() -> set[str]:
    """Project keys (without namespace) whose values the engine marked secret."""
    from pulumi.runtime import config as runtime_config

    prefix = f"{CONFIG_NAMESPACE}:"
    marked = set(runtime_config.get_config_secret_keys_env()) | {
        key for key in _all_config() if runtime_config.is_config_secret(key)
    }
    return {key[len(prefix) :] for key in marked if key.startswith(prefix)}


def ignored_settings(config: Mapping[str, Any], region: str | None) -> list[str]:
    """Warnings for config the program never reads: keys of a namespace that looks like a misspelling of
    this project's, and provider settings (aws:*) that the stack's explicit providers do not take."""
    warnings = []
    for key in sorted(config):
        namespace, _, name = key.partition(":")
        if namespace == CONFIG_NAMESPACE or not name:
            continue
        folded = re.sub(r"[^a-z0-9]", "", namespace.lower())
        target = CONFIG_NAMESPACE.replace("-", "")
        if folded == target or difflib.SequenceMatcher(None, folded, target).ratio() >= 0.8:
            warnings.append(
                f"config key '{key}' is ignored: namespace '{namespace}' is not this project's; did you mean "
                f"'{CONFIG_NAMESPACE}:{name}'?"
            )
        elif namespace == "aws" and name == "region" and region and config[key] != region:
            warnings.append(
                f"config key 'aws:region' = {config[key]!r} has no effect: every resource uses the stack's explicit "
                f"providers, which deploy into {CONFIG_NAMESPACE}:region = '{region}'"
            )
        elif namespace == "aws" and name != "region":
            warnings.append(
                f"config key '{key}' has no effect: the stack's explicit AWS providers do not read aws:* settings; "
                f"use the {CONFIG_NAMESPACE} keys (region, accountId) or the AWS environment"
            )
    return warnings


def check_stack_name(stack: str) -> None:
    """Refuse a stack name that would make some physical AWS name invalid (stacks/name_limits.py)."""
    if not STACK_NAME_PATTERN.match(stack):
        raise ConfigError(
            f"stack name '{stack}': every AWS name of the stack starts with 'fintech-<stack>'; S3 bucket, RDS and "
            "ElastiCache names allow only lowercase letters, digits and single hyphens, starting with a letter"
        )
    if len(stack) > MAX_STACK_NAME_LENGTH:
        raise ConfigError(
            f"stack name '{stack}': {len(stack)} characters, at most {MAX_STACK_NAME_LENGTH}: the load balancer's "
            f"name 'fintech-{stack}-alb' plus Pulumi's 8-character auto-name suffix must fit the 32 characters "
            "Elastic Load Balancing allows"
        )


def check_region_pair_names(stack: str, config: StackConfig) -> None:
    """Refuse a region pair whose other stack is this one (only the running program knows its stack name)."""
    for key in ("drStack", "standbyFor"):
        if getattr(config, to_snake(key)) == stack:
            raise ConfigError(
                f"{_key(key)} = '{stack}' names this stack itself: the other stack of a region pair is another "
                "stack, in drRegion"
            )


def load_stack_config() -> StackConfig:
    """Load and validate the running stack's configuration (and its name); raises ConfigError on any mistake.
    Settings the program would ignore are reported with pulumi.log.warn first."""
    check_stack_name(pulumi.get_stack())
    raw = read_project_config()
    region = raw.get("region", "us-east-1")
    for warning in ignored_settings(_all_config(), region if isinstance(region, str) else None):
        pulumi.log.warn(warning)
    config = parse_stack_config(raw, _secret_keys())
    check_region_pair_names(pulumi.get_stack(), config)
    for key in sorted(config.secret_keys - SECRET_CAPABLE_KEYS):
        pulumi.log.warn(
            f"{_key(key)} is set with --secret, but the program uses it as a plain value (typed component "
            "arguments or a stack output), so it is stored unencrypted in state. Only "
            f"{', '.join(sorted(SECRET_CAPABLE_KEYS))} stay secret end to end"
        )
    return config
