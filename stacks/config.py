"""The stack configuration: one pydantic model, loaded from Pulumi config in one place.

`load_stack_config()` reads every key of the project's namespace, rejects unknown keys, lays the
stack's values over its tier preset (stacks/tiers.py) and validates the result. Any mistake becomes
a `ConfigError` (a `pulumi.RunError`) naming the key, the bad value and what is allowed, raised
before the program registers a single resource.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Mapping
from typing import Any, Literal

import pulumi
from pydantic import ConfigDict, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel, to_snake

from components.eks import STANDARD_SUPPORT_ENDS
from components.errors import InvalidArgumentError
from components.subnet_plan import ZONE_COUNT, parse_vpc_cidr
from stacks.capacity import ALLOCATABLE, Fit, fit
from stacks.name_limits import MAX_STACK_NAME_LENGTH, STACK_NAME_PATTERN
from stacks.tiers import TIER_PRESETS, TIER_RULES, TierName, TierPreset
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

_REGION_PATTERN = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
_ZONE_ID_PATTERN = re.compile(r"^[a-z]{2,5}\d-az\d+$")
_ACCOUNT_PATTERN = re.compile(r"^\d{12}$")
_ROLE_ARN_PATTERN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
_CERTIFICATE_PATTERN = re.compile(
    r"^arn:aws[a-z-]*:acm:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):certificate/[0-9a-f-]{36}$"
)
_IMAGE_TAG_PATTERN = re.compile(r"^(sha256:[a-f0-9]{64}|[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$")
_EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TRAIL_ARN_PATTERN = re.compile(r"^arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:\d{12}:trail/[A-Za-z0-9._-]{3,128}$")

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


class ConfigError(pulumi.RunError):
    """Invalid stack configuration; the message names the key, the value and what is allowed."""


class StackConfig(TierPreset):
    """Every setting of one stack: the tier preset fields plus the stack's own. Config keys are the
    camelCase names of these fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

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

    def image_tag(self, workload: str) -> str:
        """The pinned image of a workload."""
        tag: str = getattr(self, f"{workload}_image_tag")
        return tag

    @field_validator("region", "dr_region")
    @classmethod
    def _region_shape(cls, value: str) -> str:
        if not _REGION_PATTERN.match(value):
            raise ValueError("must be an AWS region name such as us-east-1")
        return value

    @field_validator("account_id")
    @classmethod
    def _account_shape(cls, value: str) -> str:
        if value and not _ACCOUNT_PATTERN.match(value):
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
        bad = [zone for zone in value if not _ZONE_ID_PATTERN.match(zone)]
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
        return value

    @field_validator("alarm_email")
    @classmethod
    def _email_shape(cls, value: str) -> str:
        if value and not _EMAIL_PATTERN.match(value):
            raise ValueError("must be an e-mail address, or empty")
        return value

    @field_validator("aurora_min_acu", "aurora_max_acu")
    @classmethod
    def _acu_range(cls, value: float) -> float:
        if not 0.5 <= value <= 256 or (value * 2) % 1:
            raise ValueError("must be 0.5 to 256 ACUs in steps of 0.5")
        return value

    @field_validator("aurora_instances", "cache_nodes")
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
    def _supported_kubernetes(cls, value: str) -> str:
        if value not in STANDARD_SUPPORT_ENDS:
            raise ValueError(
                f"not in EKS standard support; allowed: {', '.join(STANDARD_SUPPORT_ENDS)} (older versions bill "
                "extended support at six times the control-plane price)"
            )
        return value

    @field_validator("eks_public_access_cidrs", "alb_ingress_cidrs")
    @classmethod
    def _cidr_list(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for cidr in value:
            try:
                ipaddress.ip_network(cidr, strict=True)
            except ValueError:
                raise ValueError(f"'{cidr}' is not a CIDR such as 203.0.113.0/24") from None
        return value

    @field_validator("eks_admin_role_arns")
    @classmethod
    def _role_arns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [arn for arn in value if not _ROLE_ARN_PATTERN.match(arn)]
        if bad:
            raise ValueError(f"{bad} are not IAM role ARNs (arn:aws:iam::<account>:role/<name>)")
        return value

    @field_validator("organization_trail")
    @classmethod
    def _trail_arn(cls, value: str) -> str:
        if value and not _TRAIL_ARN_PATTERN.match(value):
            raise ValueError(
                "must be a CloudTrail trail ARN (arn:aws:cloudtrail:<region>:<account>:trail/<name>), or empty"
            )
        return value

    @model_validator(mode="after")
    def _log_lock_within_retention(self) -> StackConfig:
        if not 1 <= self.log_lock_days <= self.log_retention_days:
            raise ValueError(
                f"{_key('logLockDays')} = {self.log_lock_days} must be 1 to {_key('logRetentionDays')} = "
                f"{self.log_retention_days}: a lock longer than the retention keeps expired logs (and their cost)"
            )
        return self

    @field_validator("waf_rate_limit")
    @classmethod
    def _waf_rate(cls, value: int) -> int:
        if value < 10:
            raise ValueError("WAF rate-based rules need a limit of at least 10 requests per 5 minutes")
        return value

    @model_validator(mode="after")
    def _edge_and_cluster(self) -> StackConfig:
        if not self.certificate_arn:
            raise ValueError(
                f"{_key('certificateArn')} is missing: the ALB serves HTTPS only and needs an ACM certificate ARN "
                f"in {self.region} (pulumi config set certificateArn arn:aws:acm:...)"
            )
        match = _CERTIFICATE_PATTERN.match(self.certificate_arn)
        if not match:
            raise ValueError(
                f"{_key('certificateArn')} = '{self.certificate_arn}' is not an ACM certificate ARN "
                "(arn:aws:acm:<region>:<account>:certificate/<uuid>)"
            )
        if match["region"] != self.region or (self.account_id and match["account"] != self.account_id):
            raise ValueError(
                f"{_key('certificateArn')} = '{self.certificate_arn}' must be in the stack's region {self.region}"
                + (f" and account {self.account_id}" if self.account_id else "")
            )
        if self.node_min < 1 or self.node_max < self.node_min:
            raise ValueError(
                f"{_key('nodeMax')} = {self.node_max} is below {_key('nodeMin')} = {self.node_min} (or nodeMin < 1)"
            )
        return self

    @field_validator("validator_image_tag", "payments_image_tag", "ledger_image_tag")
    @classmethod
    def _pinned_image(cls, value: str) -> str:
        if not value:
            raise ValueError("missing: every workload runs a pinned image (a version tag or sha256:<digest>)")
        if value == "latest" or not _IMAGE_TAG_PATTERN.match(value):
            raise ValueError("must be a version tag such as 1.4.2 or sha256:<64 hex>, never 'latest'")
        return value

    @model_validator(mode="after")
    def _workloads_fit(self) -> StackConfig:
        if self.hpa_min_replicas < 1 or self.hpa_min_replicas > self.hpa_max_replicas:
            raise ValueError(
                f"{_key('hpaMinReplicas')} = {self.hpa_min_replicas} is above {_key('hpaMaxReplicas')} = "
                f"{self.hpa_max_replicas} (or below 1)"
            )
        if self.node_instance_type not in ALLOCATABLE:
            raise ValueError(
                f"{_key('nodeInstanceType')} = '{self.node_instance_type}': no allocatable figures for it in "
                f"stacks/capacity.py; known: {', '.join(ALLOCATABLE)}"
            )
        _, at_max = self.capacity()
        if at_max.headroom_nodes < 0:
            raise ValueError(
                f"{_key('nodeMax')} = {self.node_max} cannot hold every workload at {_key('hpaMaxReplicas')} = "
                f"{self.hpa_max_replicas}: {at_max.describe()}; raise nodeMax to {at_max.nodes_needed} or lower "
                "hpaMaxReplicas"
            )
        return self

    def capacity(self) -> tuple[Fit, Fit]:
        """How the node group holds the workloads at minimum and at maximum scale."""
        demands = [spec.demand(self.hpa_min_replicas, self.hpa_max_replicas) for spec in WORKLOADS]
        return fit(demands, self.node_instance_type, self.node_min, self.node_max)

    @model_validator(mode="after")
    def _consistent(self) -> StackConfig:
        if self.aurora_min_acu > self.aurora_max_acu:
            raise ValueError(
                f"{_key('auroraMinAcu')} = {self.aurora_min_acu} is above {_key('auroraMaxAcu')} = "
                f"{self.aurora_max_acu}: Serverless v2 minimum capacity must not exceed the maximum"
            )
        if self.kafka_brokers < self.kafka_zones or self.kafka_brokers % self.kafka_zones:
            raise ValueError(
                f"{_key('kafkaBrokers')} = {self.kafka_brokers} is not a multiple of {_key('kafkaZones')} = "
                f"{self.kafka_zones}: MSK spreads brokers evenly over its subnets"
            )
        if self.kafka_volume_max_gib and self.kafka_volume_max_gib <= self.kafka_volume_gib:
            raise ValueError(
                f"{_key('kafkaVolumeMaxGib')} = {self.kafka_volume_max_gib} must be above {_key('kafkaVolumeGib')} "
                f"= {self.kafka_volume_gib}, or 0 to turn storage autoscaling off"
            )
        if self.cross_region_backup and self.dr_region == self.region:
            raise ValueError(
                f"{_key('drRegion')} = '{self.dr_region}' is the stack's own region: a regional outage would take "
                "the copies with it"
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
        return self

    def _require_high_availability(self) -> None:
        single_points = {
            "natStrategy": (self.nat_strategy == "single", "one NAT gateway is a single point of failure for all "
                            "egress; use 'one-per-az'"),
            "auroraInstances": (self.aurora_instances < 2, "a single Aurora instance has no reader to fail over "
                                "to; use 2 or more"),
            "cacheNodes": (self.cache_nodes < 2, "a single cache node has no replica to fail over to; use 2 or more"),
            "kafkaZones": (self.kafka_zones < ZONE_COUNT, "brokers in fewer than 3 zones cannot keep a "
                           "replication factor of 3 across zones; use 3"),
            "nodeMin": (self.node_min < ZONE_COUNT, "fewer than 3 nodes cannot place a workload in every zone; "
                        "use 3 or more"),
            "eksPublicAccessCidrs": (any(ipaddress.ip_network(c).prefixlen == 0 for c in self.eks_public_access_cidrs),
                                     "the Kubernetes API must not be open to the whole internet; leave it empty "
                                     "(private endpoint only) or list your own CIDRs"),
        }  # fmt: skip
        for key, (broken, reason) in single_points.items():
            if broken:
                value = getattr(self, to_snake(key))
                raise ValueError(f"{_key(key)} = {value!r} is not allowed for tier '{self.tier}': {reason}")


def config_keys() -> list[str]:
    """The config keys (without namespace) a stack may set."""
    return sorted(field.alias or name for name, field in StackConfig.model_fields.items())


def _key(key: str) -> str:
    return f"{CONFIG_NAMESPACE}:{key}"


def parse_stack_config(raw: Mapping[str, Any]) -> StackConfig:
    """Validate the project-namespace config values `raw` (keys without namespace) against the tier."""
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
    tier = raw.get("tier", "dev")
    if tier not in TIER_PRESETS:
        raise ConfigError(f"{_key('tier')} = '{tier}': unknown tier; allowed: {', '.join(TIER_PRESETS)}")
    region = raw.get("region", "us-east-1")
    if not isinstance(region, str) or not _REGION_PATTERN.match(region):
        raise ConfigError(f"{_key('region')} = {region!r}: not an AWS region name such as us-east-1")
    preset_keys = {to_camel(name) for name in TIER_PRESETS[tier].model_dump()}
    values: dict[str, Any] = TIER_PRESETS[tier].model_dump(by_alias=False)
    values = {to_camel(name): value for name, value in values.items()}
    values["tier"] = tier
    for key, value in raw.items():
        if key in preset_keys and value == TIER_DEFAULT:
            continue
        values[key] = value
    values["region"] = region
    for key in _array_keys():
        if key in values:
            values[key] = tuple(_json_array(values[key], key))
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
        return StackConfig.model_validate(values)
    except ValidationError as err:
        raise ConfigError(_describe(err)) from None


def _array_keys() -> list[str]:
    """Config keys whose values are lists (declared `type: array` in Pulumi.yaml)."""
    return [
        field.alias or name
        for name, field in StackConfig.model_fields.items()
        if str(field.annotation).startswith("tuple")
    ]


def _json_array(value: Any, key: str) -> list[Any]:
    """Config arrays arrive JSON-encoded from the Pulumi engine; accept both forms."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except json.JSONDecodeError:
            raise ConfigError(f"{_key(key)} = '{value}': not a list; set it with --path '{key}[0]'") from None
    if not isinstance(value, list):
        raise ConfigError(f"{_key(key)} = '{value}': must be a list")
    return value


def _describe(err: ValidationError) -> str:
    lines = []
    for problem in err.errors():
        message = problem["msg"].removeprefix("Value error, ")
        if problem["loc"]:
            key = str(problem["loc"][0])
            lines.append(f"{_key(key)} = {problem['input']!r}: {message}")
        else:
            lines.append(message)
    return "invalid stack configuration:\n  " + "\n  ".join(lines)


def read_project_config() -> dict[str, Any]:
    """All config values of this project's namespace, keys without the namespace prefix."""
    from pulumi.runtime import config as runtime_config

    prefix = f"{CONFIG_NAMESPACE}:"
    merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return {key[len(prefix) :]: value for key, value in merged.items() if key.startswith(prefix)}


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


def load_stack_config() -> StackConfig:
    """Load and validate the running stack's configuration (and its name); raises ConfigError on any mistake."""
    check_stack_name(pulumi.get_stack())
    return parse_stack_config(read_project_config())
