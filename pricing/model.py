"""Prices an offline plan, resource by resource, at baseline (minimum capacity) and at peak (node,
HPA and ACU maximums), with the usage assumptions of the stack's tier.

It reads the plan (offline.plan.summarize) rather than the program, so two plans - a base branch
and a working tree - are priced by the same table and the same rules.
"""

from __future__ import annotations

import datetime
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from offline.cli import CommandError
from offline.stackfile import read_yaml

DATA_DIR = Path(__file__).resolve().parent
FREE_TYPES = {
    "aws:xray/traceSegmentDestination:TraceSegmentDestination",
    "pulumi:providers:aws", "pulumi:providers:kubernetes", "random:index/randomPassword:RandomPassword",
    "random:index/randomId:RandomId", "aws:elasticache/user:User", "aws:elasticache/userGroup:UserGroup",
    "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/routeTable:RouteTable", "aws:ec2/route:Route", "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "aws:ec2/securityGroup:SecurityGroup",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "aws:ec2/flowLog:FlowLog",
    "aws:ec2/launchTemplate:LaunchTemplate", "aws:rds/subnetGroup:SubnetGroup",
    "aws:elasticache/subnetGroup:SubnetGroup", "aws:rds/clusterParameterGroup:ClusterParameterGroup",
    "aws:rds/parameterGroup:ParameterGroup", "aws:elasticache/parameterGroup:ParameterGroup",
    "aws:msk/configuration:Configuration", "aws:kms/alias:Alias", "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:sns/topic:Topic", "aws:sns/topicPolicy:TopicPolicy",
    "aws:sns/topicSubscription:TopicSubscription", "aws:secretsmanager/secretVersion:SecretVersion",
    "aws:secretsmanager/secretPolicy:SecretPolicy", "aws:appautoscaling/target:Target",
    "aws:appautoscaling/policy:Policy", "aws:backup/plan:Plan", "aws:backup/selection:Selection",
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration", "aws:eks/addon:Addon",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "aws:s3/bucketPolicy:BucketPolicy",
    "aws:lb/listener:Listener", "aws:lb/listenerRule:ListenerRule", "aws:lb/targetGroup:TargetGroup",
    "aws:wafv2/webAclAssociation:WebAclAssociation", "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "aws:ecr/lifecyclePolicy:LifecyclePolicy",
    "kubernetes:core/v1:Namespace", "kubernetes:helm.sh/v4:Chart",
    "aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:cloudwatch/logMetricFilter:LogMetricFilter", "aws:cloudwatch/eventRule:EventRule",
    "aws:cloudwatch/eventTarget:EventTarget", "aws:msk/topic:Topic", "pulumi-python:dynamic/aurora:DatabaseUser",
    "aws:codebuild/webhook:Webhook", "aws:eks/accessEntry:AccessEntry",
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "aws:amp/ruleGroupNamespace:RuleGroupNamespace",
    "aws:amp/alertManagerDefinition:AlertManagerDefinition",
    "aws:grafana/workspaceSamlConfiguration:WorkspaceSamlConfiguration",
    "aws:grafana/workspaceServiceAccount:WorkspaceServiceAccount",
    "aws:grafana/workspaceServiceAccountToken:WorkspaceServiceAccountToken", "pulumi:providers:grafana",
    "grafana:oss/dataSource:DataSource",
    "grafana:oss/folder:Folder", "grafana:oss/dashboard:Dashboard",
    "kubernetes:cert-manager.io/v1:Certificate", "kubernetes:cert-manager.io/v1:ClusterIssuer",
    "aws:cfg/deliveryChannel:DeliveryChannel", "aws:cfg/recorderStatus:RecorderStatus",
    "aws:securityhub/standardsSubscription:StandardsSubscription",
    "kubernetes:trust.cert-manager.io/v1alpha1:Bundle", "kubernetes:rbac.authorization.k8s.io/v1:Role",
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
}  # fmt: skip
"""Types with no charge of their own (their cost shows up on the resources that use them)."""


class PricingError(CommandError):
    """The price table, the usage assumptions or the plan cannot be priced (exit status 2)."""


REQUIRED_PRICES = (
    "eks_control_plane_standard", "eks_control_plane_extended", "ebs_gp3", "nat_gateway", "nat_data", "public_ipv4",
    "aurora_serverless_v2_acu", "aurora_storage", "aurora_io", "msk_storage", "alb", "alb_lcu", "waf_web_acl",
    "waf_rule", "waf_requests", "kms_key", "kms_requests", "secret", "secrets_api", "logs_ingestion", "logs_storage",
    "ecr_storage", "interface_endpoint", "cloudwatch_alarm", "backup_warm_storage", "inter_region_transfer",
    "s3_standard", "cloudtrail_management_events", "cloudtrail_data_events", "guardduty_cloudtrail_events",
    "guardduty_flow_dns", "guardduty_eks_audit", "guardduty_runtime_vcpu", "codebuild_linux_medium",
    "aurora_replicated_write_io", "route53_health_check", "route53_health_check_feature", "arc_region_switch_plan",
    "lambda_requests", "lambda_gb_second", "config_item", "config_rule_evaluation", "conformance_pack_evaluation",
    "securityhub_check", "amp_ingestion", "amp_storage", "amp_query", "amp_collector", "amp_collector_samples",
    "grafana_editor", "grafana_viewer", "aurora_iopt_storage", "aurora_iopt_instance_factor",
    "aurora_iopt_serverless_v2_acu", "logs_ingestion_infrequent_access", "secret_rotation", "serverless_application",
    "xray_traces_recorded",
)  # fmt: skip
"""Rows of prices.yaml the model reads by name; rows per instance type ('ec2:<type>', 'rds:<class>',
'elasticache:<engine>:<type>', 'msk:<type>') are looked up from the plan."""
REQUIRED_USAGE = (
    "nat_data_gb", "alb_lcu", "waf_million_requests", "aurora_storage_gb", "aurora_million_io", "log_ingestion_gb",
    "kms_10k_requests", "secrets_10k_requests", "ecr_storage_gb", "access_log_gb", "backup_gb", "backup_copy_gb",
    "trail_data_events_100k", "trail_log_gb", "trail_bucket_gb", "guardduty_million_events", "guardduty_flow_dns_gb",
    "guardduty_eks_audit_million", "guardduty_vcpus_per_node", "ci_build_minutes", "aurora_replicated_write_million_io",
    "aurora_replication_gb", "ecr_replication_gb", "region_switch_report_gb", "region_switch_invocations",
    "master_rotation_invocations", "master_rotation_gb_seconds", "master_rotation_log_gb",
    "config_items", "config_rule_evaluations", "conformance_pack_evaluations", "securityhub_checks", "config_bucket_gb",
    "metrics_series_eks", "metrics_series_msk", "metrics_query_billion_samples", "grafana_users", "grafana_viewers",
    "traced_million_requests",
)  # fmt: skip
"""Usage assumptions every tier of usage.yaml must give."""
PRICE_FIELDS = ("price", "unit", "source", "date")


@dataclass(frozen=True)
class Price:
    """One row of the price table."""

    price: float
    unit: str
    source: str
    date: str


@dataclass(frozen=True)
class PriceTable:
    """The price table and the usage assumptions of each tier."""

    prices: dict[str, Price]
    usage: dict[str, dict[str, float]]
    usage_notes: dict[str, dict[str, str]]
    hours: float = 730
    region: str = "us-east-1"
    """The region whose list prices the table holds."""
    stand_in_regions: dict[str, str] = field(default_factory=dict)
    """Other regions priced with this table's rows, each with the reason given in prices.yaml; every report of
    such a region carries that reason as a flag (never silently). A region in neither is refused."""

    def hourly(self, key: str) -> float:
        """Monthly cost of one unit priced per hour."""
        return self.get(key) * self.hours

    def get(self, key: str) -> float:
        """A unit price; PricingError names the missing row and the rows of its kind."""
        if key not in self.prices:
            kind = key.rpartition(":")[0]
            similar = sorted(k.rpartition(":")[2] for k in self.prices if kind and k.rpartition(":")[0] == kind)
            known = f"priced {kind} types: {', '.join(similar)}" if similar else "no row of that kind"
            raise PricingError(f"pricing/prices.yaml has no row '{key}' ({known}); choose a priced type, or add the "
                               "row with its price, unit, source and date")  # fmt: skip
        return self.prices[key].price


def _number(value: Any) -> float | None:
    """A finite, non-negative number (YAML int or float, not a boolean), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        return None
    return float(value)


def _price_row(key: Any, row: Any) -> Price:
    where = f"pricing/prices.yaml: row {key!r}"
    if not isinstance(key, str) or not key:
        raise PricingError(f"{where}: a row name is a non-empty string such as 'nat_gateway' or 'ec2:t4g.medium'")
    if not isinstance(row, dict):
        raise PricingError(f"{where} is {type(row).__name__}; a row is {{price, unit, source, date}}")
    missing = [field for field in PRICE_FIELDS if field not in row]
    extra = sorted(str(field) for field in row if field not in PRICE_FIELDS)
    if missing or extra:
        problems = [f"lacks {', '.join(missing)}"] * bool(missing) + [f"has unknown {', '.join(extra)}"] * bool(extra)
        raise PricingError(f"{where} {' and '.join(problems)}; a row holds exactly {', '.join(PRICE_FIELDS)}")
    price = _number(row["price"])
    if price is None:
        raise PricingError(f"{where}: price {row['price']!r} is not a number >= 0 (USD per unit)")
    for text in ("unit", "source"):
        if not isinstance(row[text], str) or not row[text].strip():
            raise PricingError(f"{where}: {text} {row[text]!r} must be a non-empty text")
    date = row["date"]
    if not isinstance(date, datetime.date):
        try:
            date = datetime.date.fromisoformat(str(date))
        except ValueError:
            raise PricingError(f"{where}: date {row['date']!r} is not a date YYYY-MM-DD") from None
    return Price(price, row["unit"], row["source"], date.isoformat())


def _usage_tier(tier: Any, rows: Any) -> tuple[dict[str, float], dict[str, str]]:
    where = f"pricing/usage.yaml: tier {tier!r}"
    if not isinstance(rows, dict):
        raise PricingError(f"{where} is {type(rows).__name__}; it maps each assumption to {{value, note}}")
    missing = [key for key in REQUIRED_USAGE if key not in rows]
    if missing:
        raise PricingError(f"{where} lacks {', '.join(missing)}; every tier gives {', '.join(REQUIRED_USAGE)}")
    values, notes = {}, {}
    for key, row in rows.items():
        if key not in REQUIRED_USAGE:
            raise PricingError(f"{where}: unknown assumption {key!r}; the model reads {', '.join(REQUIRED_USAGE)}")
        value = _number(row.get("value")) if isinstance(row, dict) else None
        if value is None or not isinstance(row.get("note"), str):
            raise PricingError(f"{where}: {key} must be {{value: <number >= 0>, note: <text>}}, got {row!r}")
        values[key], notes[key] = value, row["note"]
    return values, notes


def load_prices(directory: Path = DATA_DIR) -> PriceTable:
    """Read and check prices.yaml and usage.yaml; PricingError names the file, the row and what is allowed."""
    prices = read_yaml(directory / "prices.yaml", "the price table", "pricing/prices.yaml")
    usage = read_yaml(directory / "usage.yaml", "the usage assumptions", "pricing/usage.yaml")
    if not isinstance(prices, dict) or not isinstance(prices.get("prices"), dict):
        raise PricingError("pricing/prices.yaml must be a mapping with region, hours_per_month and prices (a "
                           "mapping of rows)")  # fmt: skip
    hours = _number(prices.get("hours_per_month"))
    if hours is None or not 672 <= hours <= 744:
        raise PricingError(f"pricing/prices.yaml: hours_per_month {prices.get('hours_per_month')!r} must be the hours "
                           "of a month, 672 to 744 (730 on average)")  # fmt: skip
    region = prices.get("region")
    if not isinstance(region, str) or not region:
        raise PricingError(f"pricing/prices.yaml: region {region!r} must name the region of the list prices")
    stand_ins = prices.get("stand_in_regions", {})
    if not isinstance(stand_ins, dict) or not all(
        isinstance(name, str) and name and name != region and isinstance(why, str) and why.strip()
        for name, why in stand_ins.items()
    ):
        raise PricingError(f"pricing/prices.yaml: stand_in_regions {stand_ins!r} must map each other region priced "
                           f"with the {region} rows to the reason (a non-empty text)")  # fmt: skip
    rows = {key: _price_row(key, row) for key, row in prices["prices"].items()}
    missing = [key for key in REQUIRED_PRICES if key not in rows]
    if missing:
        raise PricingError(f"pricing/prices.yaml lacks the row(s) {', '.join(missing)}, which the model needs")
    if not isinstance(usage, dict) or not usage:
        raise PricingError("pricing/usage.yaml must map each tier (dev, prod) to its usage assumptions")
    tiers = {str(tier): _usage_tier(tier, rows_of_tier) for tier, rows_of_tier in usage.items()}
    return PriceTable(
        prices=rows,
        usage={tier: values for tier, (values, _) in tiers.items()},
        usage_notes={tier: notes for tier, (_, notes) in tiers.items()},
        hours=hours,
        region=region,
        stand_in_regions=dict(stand_ins),
    )


@dataclass(frozen=True)
class CostLine:
    """One priced item of one resource, per month."""

    component: str
    resource: str
    item: str
    baseline: float
    peak: float


@dataclass
class CostReport:
    """A stack's priced plan."""

    stack: str
    tier: str
    budget: float | None
    lines: list[CostLine] = field(default_factory=list)
    usage_tier: str = ""
    """The usage assumptions priced (pricing/usage.yaml): the tier's, or 'standby' for the standby of a pair."""
    region: str = "us-east-1"
    """The stack's region."""
    price_region: str = "us-east-1"
    """The region whose list prices priced it."""
    price_flag: str = ""
    """Why the stack's region was priced with another region's list prices (empty when they are its own)."""
    unpriced: list[str] = field(default_factory=list)
    """Types neither priced nor known to be free: they need a rule before the total can be trusted."""

    @property
    def baseline(self) -> float:
        """Monthly total at minimum capacity."""
        return round(sum(line.baseline for line in self.lines), 2)

    @property
    def peak(self) -> float:
        """Monthly total at maximum capacity."""
        return round(sum(line.peak for line in self.lines), 2)

    def by_component(self) -> dict[str, tuple[float, float]]:
        """Baseline and peak per component."""
        totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for line in self.lines:
            totals[line.component][0] += line.baseline
            totals[line.component][1] += line.peak
        return {name: (round(b, 2), round(p, 2)) for name, (b, p) in sorted(totals.items())}

    @property
    def verdict(self) -> BudgetVerdict | None:
        """The stack against its own budget (budget_verdict), or None when it has none."""
        return budget_verdict(self)

    @property
    def over_budget(self) -> bool:
        """Whether the baseline exceeds the stack's own budget (budget_verdict)."""
        verdict = self.verdict
        return verdict is not None and verdict.over


@dataclass(frozen=True)
class BudgetVerdict:
    """One stack's baseline against its own monthlyBudgetUsd: the one meaning of "budget" for the offline plan,
    the cost report and its --check, the PR diff and the CI gate (all call budget_verdict)."""

    stack: str
    baseline: float
    peak: float
    budget: float

    @property
    def over(self) -> bool:
        """Whether the baseline (minimum capacity, the month's floor) exceeds the budget; the peak is shown only."""
        return self.baseline > self.budget

    @property
    def share(self) -> float:
        """Baseline as a share of the budget (1.0 = all of it)."""
        return self.baseline / self.budget

    @property
    def headroom(self) -> float:
        """Budget left at baseline (negative: over by that much)."""
        return round(self.budget - self.baseline, 2)

    def line(self) -> str:
        """One line for a person, the same wherever the verdict is shown."""
        state = "OVER BUDGET" if self.over else "within budget"
        gap = f"over by {-self.headroom:,.2f}" if self.over else f"headroom {self.headroom:,.2f}"
        return (f"budget {self.budget:,.2f} of '{self.stack}': baseline {self.baseline:,.2f} {state} "
                f"({self.share:.0%} of budget, {gap}; peak {self.peak / self.budget:.0%})")  # fmt: skip

    def document(self) -> dict[str, Any]:
        """The verdict as JSON-ready data."""
        return {"stack": self.stack, "budget": self.budget, "baseline": self.baseline, "peak": self.peak,
                "overBudget": self.over, "share": round(self.share, 4), "headroom": self.headroom}  # fmt: skip


def budget_verdict(report: CostReport) -> BudgetVerdict | None:
    """A priced stack against its own budget (its output monthlyBudgetUsd); None when the plan has no budget.
    Every command that speaks of a budget calls this one function."""
    if report.budget is None:
        return None
    return BudgetVerdict(report.stack, report.baseline, report.peak, report.budget)


Resource = dict[str, Any]
Pricer = Callable[[Resource, "_Context"], Iterable[tuple[str, float, float]]]


@dataclass
class _Context:
    table: PriceTable
    usage: dict[str, float]
    resources: list[Resource]
    counts: dict[str, int]

    def find(self, type_token: str, **match: Any) -> list[Resource]:
        return [r for r in self.resources if r["type"] == type_token
                and all(r.get(k) == v or r["inputs"].get(k) == v for k, v in match.items())]  # fmt: skip

    def share(self, key: str, type_token: str) -> float:
        """One resource's equal share of a usage figure spread over all resources of a type."""
        return self.usage.get(key, 0.0) / max(1, self.counts.get(type_token, 0))


def _eks(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
    support = (r["inputs"].get("upgradePolicy") or {}).get("supportType", "EXTENDED")
    key = "eks_control_plane_standard" if support == "STANDARD" else "eks_control_plane_extended"
    yield f"control plane ({support.lower()} support)", c.table.hourly(key), c.table.hourly(key)


def _node_group(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
    inputs = r["inputs"]
    scaling = inputs.get("scalingConfig") or {}
    low, high = int(scaling.get("minSize", 1)), int(scaling.get("maxSize", 1))
    kind = (inputs.get("instanceTypes") or ["t3.medium"])[0]
    hourly = c.table.hourly(f"ec2:{kind}")
    yield f"{kind} nodes ({low} to {high})", hourly * low, hourly * high
    template_id = (inputs.get("launchTemplate") or {}).get("id")
    for template in c.find("aws:ec2/launchTemplate:LaunchTemplate", id=template_id):
        size = sum(
            int((d.get("ebs") or {}).get("volumeSize", 0)) for d in template["inputs"].get("blockDeviceMappings", [])
        )
        gb = c.table.get("ebs_gp3") * size
        yield f"gp3 root volumes ({size} GB each)", gb * low, gb * high


AURORA_IO_OPTIMIZED = "aurora-iopt1"
"""The storageType of an Aurora I/O-Optimized cluster: no I/O charge, dearer storage, instances and ACUs (Aurora
pricing; the reference's I/O-Optimized row). Any other value (unset, "aurora") is Aurora Standard."""


def _io_optimized(cluster: Resource | None) -> bool:
    return bool(cluster) and (cluster or {}).get("inputs", {}).get("storageType") == AURORA_IO_OPTIMIZED


def _aurora_instance(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
    inputs = r["inputs"]
    kind = inputs.get("instanceClass", "")
    clusters = c.find("aws:rds/cluster:Cluster", id=inputs.get("clusterIdentifier")) or c.find(
        "aws:rds/cluster:Cluster"
    )
    optimized = _io_optimized(clusters[0] if clusters else None)
    suffix = ", I/O-Optimized" if optimized else ""
    if kind != "db.serverless":
        factor = c.table.get("aurora_iopt_instance_factor") if optimized else 1.0
        monthly = c.table.hourly(f"rds:{kind}") * factor
        yield f"{kind}{suffix}", monthly, monthly
        return
    scaling = (clusters[0]["inputs"].get("serverlessv2ScalingConfiguration") or {}) if clusters else {}
    low, high = float(scaling.get("minCapacity", 0.5)), float(scaling.get("maxCapacity", 1))
    acu = c.table.hourly("aurora_iopt_serverless_v2_acu" if optimized else "aurora_serverless_v2_acu")
    yield f"Serverless v2 ({low:g} to {high:g} ACU{suffix})", acu * low, acu * high


def _aurora_cluster(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
    """A global database's secondary cluster keeps a full copy of the volume in its own region, billed as storage
    there; its own I/O is its readers' (the writes it receives are priced on the global cluster, in the primary)."""
    inputs = r["inputs"]
    secondary = bool(inputs.get("globalClusterIdentifier")) and not inputs.get("masterUsername")
    role = "secondary copy, " if secondary else ""
    if _io_optimized(r):
        storage = c.usage["aurora_storage_gb"] * c.table.get("aurora_iopt_storage")
        yield f"storage ({role}{c.usage['aurora_storage_gb']:g} GB, I/O-Optimized: I/O included)", storage, storage
        return
    storage = c.usage["aurora_storage_gb"] * c.table.get("aurora_storage")
    io = c.usage["aurora_million_io"] * c.table.get("aurora_io")
    yield f"storage ({role}{c.usage['aurora_storage_gb']:g} GB)", storage, storage
    yield f"I/O ({c.usage['aurora_million_io']:g} M requests)", io, io


def _global_cluster(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
    """Aurora global database: each write of the primary is billed again as a replicated write I/O in the
    secondary region, and the replication stream as inter-region transfer (Aurora pricing, Global Database).
    The usage figures are per secondary region; a pair has one (the standby)."""
    writes = c.usage["aurora_replicated_write_million_io"]
    io = writes * c.table.get("aurora_replicated_write_io")
    gb = c.usage["aurora_replication_gb"]
    transfer = gb * c.table.get("inter_region_transfer")
    yield f"replicated write I/O in the secondary region ({writes:g} M)", io, io
    yield f"inter-region replication transfer ({gb:g} GB)", transfer, transfer


def _cache(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
    inputs = r["inputs"]
    nodes = int(inputs.get("numCacheClusters", 1))
    monthly = c.table.hourly(f"elasticache:{inputs.get('engine', 'redis')}:{inputs.get('nodeType')}") * nodes
    yield f"{nodes} x {inputs.get('nodeType')}", monthly, monthly


def _msk(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
    inputs = r["inputs"]
    brokers = int(inputs.get("numberOfBrokerNodes", 3))
    group = inputs.get("brokerNodeGroupInfo") or {}
    kind = group.get("instanceType")
    size = int(((group.get("storageInfo") or {}).get("ebsStorageInfo") or {}).get("volumeSize", 1000))
    compute = c.table.hourly(f"msk:{kind}") * brokers
    storage = c.table.get("msk_storage") * size * brokers
    yield f"{brokers} x {kind}", compute, compute
    yield f"broker storage ({brokers} x {size} GB)", storage, storage


def _nat(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
    hourly = c.table.hourly("nat_gateway")
    data = c.share("nat_data_gb", r["type"]) * c.table.get("nat_data")
    yield "gateway", hourly, hourly
    yield "data processed", data, data


def _interface_endpoint(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
    if r["inputs"].get("vpcEndpointType") != "Interface":
        return
    zones = len(r["inputs"].get("subnetIds") or [])
    monthly = c.table.hourly("interface_endpoint") * zones
    yield f"interface endpoint in {zones} zones", monthly, monthly


def _alb(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
    """An internet-facing load balancer holds at least one public IPv4 address per zone, billed like any other
    since 2024-02-01 (the public_ipv4 row); it may hold more as it scales, which the baseline leaves out."""
    yield "load balancer", c.table.hourly("alb"), c.table.hourly("alb")
    if not r["inputs"].get("internal"):
        zones = len(r["inputs"].get("subnets") or r["inputs"].get("subnetMappings") or [])
        addresses = zones * c.table.hourly("public_ipv4")
        yield f"public IPv4 ({zones}, one per zone)", addresses, addresses
    lcu = c.usage["alb_lcu"] * c.table.hourly("alb_lcu")
    yield f"LCUs ({c.usage['alb_lcu']:g} average)", lcu, lcu


def _waf(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
    rules = len(r["inputs"].get("rules") or [])
    fixed = c.table.get("waf_web_acl") + rules * c.table.get("waf_rule")
    requests = c.usage["waf_million_requests"] * c.table.get("waf_requests")
    yield f"web ACL with {rules} rules", fixed, fixed
    yield f"requests ({c.usage['waf_million_requests']:g} M)", requests, requests


OWN_LOG_USAGE: Mapping[str, str] = MappingProxyType({"secret_rotation": "master_rotation_log_gb"})
"""Component -> its own log usage figure, for components whose log groups do not take a share of log_ingestion_gb
(which the others share): the master secret rotation function logs four invocations a month, kilobytes, not a busy
group's share."""


def _log_group(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
    """An equal share of log_ingestion_gb over the log groups outside OWN_LOG_USAGE, or the component's own figure;
    a group of the Infrequent Access class (logGroupClass) is ingested at that class's price, and stored at
    logs_storage (prices.yaml says why)."""
    own = OWN_LOG_USAGE.get(str(r.get("component", "")).split(":")[0])
    if own is not None:
        share = c.usage[own]
    else:
        shared = [x for x in c.resources if x["type"] == r["type"]
                  and str(x.get("component", "")).split(":")[0] not in OWN_LOG_USAGE]  # fmt: skip
        share = c.usage["log_ingestion_gb"] / max(1, len(shared))
    months = min(12.0, float(r["inputs"].get("retentionInDays", 365)) / 30)
    infrequent = r["inputs"].get("logGroupClass") == "INFREQUENT_ACCESS"
    ingestion = share * c.table.get("logs_ingestion_infrequent_access" if infrequent else "logs_ingestion")
    storage = share * months * c.table.get("logs_storage")
    yield "ingestion", ingestion, ingestion
    yield f"storage ({months:.0f} months kept)", storage, storage


def _per_unit(key: str, label: str) -> Pricer:
    def price(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
        yield label, c.table.get(key), c.table.get(key)

    return price


def _usage_share(key: str, usage_key: str, label: str) -> Pricer:
    def price(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
        monthly = c.share(usage_key, r["type"]) * c.table.get(key)
        yield label, monthly, monthly

    return price


def _kms_key(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
    yield "key", c.table.get("kms_key"), c.table.get("kms_key")
    requests = c.share("kms_10k_requests", r["type"]) * c.table.get("kms_requests")
    yield "requests", requests, requests


def _secret(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
    """A replica is billed as a secret of its own (Secrets Manager pricing: per replica per month)."""
    yield "secret", c.table.get("secret"), c.table.get("secret")
    for replica in r["inputs"].get("replicas") or []:
        region = replica.get("region", "another region") if isinstance(replica, dict) else "another region"
        yield f"replica in {region}", c.table.get("secret"), c.table.get("secret")
    calls = c.share("secrets_10k_requests", r["type"]) * c.table.get("secrets_api")
    yield "API calls", calls, calls


def _vault(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
    storage = c.share("backup_gb", r["type"]) * c.table.get("backup_warm_storage")
    yield "recovery points", storage, storage
    # components/backup.py names the copy's vault in drRegion f"{name}-dr-vault" after its component; in a stack
    # named prod-dr every name holds 'dr', so the exact name, not the word, marks the copy
    if r["name"] == f"{r.get('component_name', '')}-dr-vault":
        copy = c.usage["backup_copy_gb"] * c.table.get("inter_region_transfer")
        yield "cross-region copy transfer", copy, copy


def _ecr_replication(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
    """Registry replication copies each pushed image to every destination region, billed as inter-region data
    transfer (ECR pricing); the copies' storage is priced on the destination stack's repositories."""
    rules = (r["inputs"].get("replicationConfiguration") or {}).get("rules") or []
    destinations = max(1, sum(len(rule.get("destinations") or []) for rule in rules))
    gb = c.usage["ecr_replication_gb"] * destinations
    transfer = gb * c.table.get("inter_region_transfer")
    yield f"images copied to {destinations} region(s) ({gb:g} GB)", transfer, transfer


HEALTH_CHECK_TYPES = {"HTTP", "HTTPS", "HTTP_STR_MATCH", "HTTPS_STR_MATCH", "TCP", "CALCULATED", "CLOUDWATCH_METRIC"}
"""Route 53 health check types priced as a basic check plus features (RECOVERY_CONTROL is billed by Application
Recovery Controller, which the table does not price)."""


def _health_check(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
    """A basic health check of an AWS endpoint, plus each optional feature (HTTPS, string matching, 10-second
    interval, latency measurement) that is billed on top (Route 53 pricing, health checks). A CLOUDWATCH_METRIC
    or CALCULATED check has none of them."""
    inputs = r["inputs"]
    kind = str(inputs.get("type", ""))
    if kind not in HEALTH_CHECK_TYPES:
        raise PricingError(f"health check {r['name']!r} has type {kind!r}; the model prices "
                           f"{', '.join(sorted(HEALTH_CHECK_TYPES))}")  # fmt: skip
    yield f"health check ({kind})", c.table.get("route53_health_check"), c.table.get("route53_health_check")
    optional = {
        "HTTPS": kind.startswith("HTTPS"),
        "string matching": kind.endswith("STR_MATCH"),
        "fast interval": int(inputs.get("requestInterval") or 30) == 10,
        "latency measurement": bool(inputs.get("measureLatency")),
    }
    features = [name for name, on in optional.items() if on]
    if features:
        extra = len(features) * c.table.get("route53_health_check_feature")
        yield f"optional features ({', '.join(features)})", extra, extra


def _dns_record(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
    """An alias record to an AWS resource (the ALB) is answered without a query charge (Route 53 pricing: alias
    queries to ELB load balancers are free); any other record is billed per query, which the model has no usage
    figure for, so it is refused rather than priced as free."""
    if not r["inputs"].get("aliases"):
        raise PricingError(f"Route 53 record {r['name']!r} is not an alias: its queries are billed per million "
                           "and pricing/usage.yaml has no figure for them; add one, a price and a rule")  # fmt: skip
    yield "alias queries to an AWS resource (no charge)", 0.0, 0.0


LOG_BUCKET_USAGE = {
    "cloudtrail": ("trail_bucket_gb", "CloudTrail log storage"),
    "region-switch": ("region_switch_report_gb", "Region switch execution reports"),
    "config": ("config_bucket_gb", "AWS Config history storage"),
}
"""Usage figure of a log bucket by its 'log-source' tag; other buckets hold ALB access logs (access_log_gb)."""


def _bucket(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
    source = (r["inputs"].get("tags") or {}).get("log-source", "alb")
    usage_key, label = LOG_BUCKET_USAGE.get(source, ("access_log_gb", "access-log storage"))
    peers = [b for b in c.find(r["type"]) if (b["inputs"].get("tags") or {}).get("log-source", "alb") == source]
    monthly = c.usage.get(usage_key, 0.0) / max(1, len(peers)) * c.table.get("s3_standard")
    yield label, monthly, monthly


def _trail(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
    """Management events: first copy free; data events billed per event; CloudWatch Logs delivery billed as logs."""
    yield "management events (first copy)", c.table.get("cloudtrail_management_events"), 0.0
    events = c.usage["trail_data_events_100k"] * c.table.get("cloudtrail_data_events")
    yield f"data events ({c.usage['trail_data_events_100k']:g} x 100k)", events, events
    if r["inputs"].get("cloudWatchLogsGroupArn"):
        gb = c.usage["trail_log_gb"]
        ingestion = gb * c.table.get("logs_ingestion")
        yield f"CloudWatch Logs ingestion ({gb:g} GB)", ingestion, ingestion


def _function(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
    """A Lambda function billed per request and per GB-second; the platform's functions run only during Region
    switch executions (region_switch_invocations a month, each at most its timeout)."""
    calls = c.usage["region_switch_invocations"]
    gb_seconds = calls * float(r["inputs"].get("memorySize") or 128) / 1024 * float(r["inputs"].get("timeout") or 3)
    monthly = calls / 1e6 * c.table.get("lambda_requests") + gb_seconds * c.table.get("lambda_gb_second")
    yield f"{calls:g} invocation(s) a month", monthly, monthly
    yield from _failover_readers(r, c)


def _failover_readers(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
    """The Aurora readers a Region switch readers function (READERS) adds while its region is active: not Pulumi
    resources, and absent at baseline; at peak (the region active all month) each costs what the cluster's writer
    costs at its peak (lambdas/region_switch/readers.py copies the writer's class)."""
    variables = ((r["inputs"].get("environment") or {}).get("variables")) or {}
    count = int(variables.get("READERS") or 0)
    clusters = c.find("aws:rds/cluster:Cluster", clusterIdentifier=variables.get("CLUSTER"))
    members = (
        c.find("aws:rds/clusterInstance:ClusterInstance", clusterIdentifier=clusters[0].get("id")) if clusters else []
    )
    writers = sorted(members, key=lambda i: i["inputs"].get("promotionTier") or 0)
    if count and writers:
        _, _, peak = next(iter(_aurora_instance(writers[0], c)))
        yield f"{count} failover reader(s) like the writer (only while the region is active)", 0.0, count * peak


def _rotation_application(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
    """AWS's rotation function, deployed from the Serverless Application Repository as a CloudFormation stack: the
    repository and the stack cost nothing of their own (row serverless_application), the function is billed per
    request and GB-second for master_rotation_invocations a month (four steps per rotation). Negligible: a few
    hundredths of a cent a month."""
    yield "application stack", c.table.get("serverless_application"), c.table.get("serverless_application")
    calls, gb_seconds = c.usage["master_rotation_invocations"], c.usage["master_rotation_gb_seconds"]
    monthly = calls / 1e6 * c.table.get("lambda_requests") + gb_seconds * c.table.get("lambda_gb_second")
    yield f"rotation function ({calls:g} invocations, {gb_seconds:g} GB-s)", monthly, monthly


def _guardduty(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
    events = c.usage["guardduty_million_events"] * c.table.get("guardduty_cloudtrail_events")
    flows = c.usage["guardduty_flow_dns_gb"] * c.table.get("guardduty_flow_dns")
    yield f"CloudTrail event analysis ({c.usage['guardduty_million_events']:g} M)", events, events
    yield f"VPC flow and DNS log analysis ({c.usage['guardduty_flow_dns_gb']:g} GB)", flows, flows


def _guardduty_feature(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
    name = r["inputs"].get("name")
    if name == "EKS_AUDIT_LOGS":
        audit = c.usage["guardduty_eks_audit_million"] * c.table.get("guardduty_eks_audit")
        yield f"EKS audit log analysis ({c.usage['guardduty_eks_audit_million']:g} M events)", audit, audit
    elif name in ("RUNTIME_MONITORING", "EKS_RUNTIME_MONITORING"):
        low = high = 0
        for group in c.find("aws:eks/nodeGroup:NodeGroup"):
            scaling = group["inputs"].get("scalingConfig") or {}
            low += int(scaling.get("minSize", 1))
            high += int(scaling.get("maxSize", 1))
        per_node = c.usage["guardduty_vcpus_per_node"] * c.table.get("guardduty_runtime_vcpu")
        yield f"EKS runtime monitoring ({low} to {high} nodes)", per_node * low, per_node * high


FIRST_BAND = 100_000
"""Evaluations or checks per account, region and month priced at the first band of AWS Config's and Security Hub's
tiers; beyond it the model would need the next band's price."""


def _first_band(price_key: str, usage_key: str, label: str) -> Pricer:
    """A per-evaluation (or per-check) charge of the stack's account and region, within the first band."""

    def price(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
        count = c.usage[usage_key]
        if count > FIRST_BAND:
            raise PricingError(f"pricing/usage.yaml {usage_key} = {count:g} is beyond the first {FIRST_BAND:,} of the "
                               f"price tier of {price_key}; add the next band's price and model it")  # fmt: skip
        monthly = c.share(usage_key, r["type"]) * c.table.get(price_key)
        yield f"{label} ({count:g})", monthly, monthly

    return price


SAMPLE_BYTES = 2
"""Bytes a stored sample takes (AMP pricing: 'typically 1 or 2 bytes'; metadata not counted)."""
AMP_RETENTION_MONTHS = 5
"""Months a workspace keeps samples: AMP's default retention of 150 days."""


def _scrape_interval(configuration: Any) -> float:
    """The global scrape interval (seconds) of a collector's configuration text; 60 when it does not say."""
    match = re.search(r"scrape_interval:\s*['\"]?(\d+)s", str(configuration or ""))
    return float(match.group(1)) if match else 60.0


def _scraper_samples(r: Resource, c: _Context) -> tuple[str, float, float]:
    """(source, active series, samples per month) of one collector: series from usage, interval from its config."""
    source = "msk" if (r["inputs"].get("source") or {}).get("vpc") else "eks"
    series = c.usage["metrics_series_msk"] if source == "msk" else c.usage["metrics_series_eks"]
    interval = _scrape_interval(r["inputs"].get("scrapeConfiguration"))
    return source, series, series * c.table.hours * 3600 / interval


def _scraper(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
    source, series, samples = _scraper_samples(r, c)
    hours = c.table.hourly("amp_collector")
    collected = samples / 1e7 * c.table.get("amp_collector_samples")
    ingested = samples / 1e7 * c.table.get("amp_ingestion")
    interval = _scrape_interval(r["inputs"].get("scrapeConfiguration"))
    yield f"{source} collector hours", hours, hours
    yield f"samples collected ({series:.0f} series every {interval:.0f} s)", collected, collected
    yield "samples ingested", ingested, ingested


def _workspace(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
    samples = sum(_scraper_samples(s, c)[2] for s in c.find("aws:amp/scraper:Scraper"))
    stored_gb = samples * AMP_RETENTION_MONTHS * SAMPLE_BYTES / 2**30
    storage = stored_gb * c.table.get("amp_storage")
    query = c.usage["metrics_query_billion_samples"] * c.table.get("amp_query")
    yield f"storage ({stored_gb:.1f} GB: {AMP_RETENTION_MONTHS} months of samples)", storage, storage
    yield "query samples processed", query, query


def _xray_traces(r: Resource, c: _Context) -> Iterable[tuple[str, float, float]]:
    """Traces X-Ray records for the stack's workloads: requests a month x the sampling ratio their charts set
    (values.telemetry.samplingRatio; none without workload charts). Priced on the stack's X-Ray setting, the one
    X-Ray resource a stack has; the free tier (100,000 traces per account and month) is left out."""
    ratios = [float(((chart["inputs"].get("values") or {}).get("telemetry") or {}).get("samplingRatio") or 0)
              for chart in c.find("kubernetes:helm.sh/v4:Chart")]  # fmt: skip
    ratio = max(ratios, default=0.0)
    traces = c.usage["traced_million_requests"] * ratio
    monthly = traces * c.table.get("xray_traces_recorded")
    yield f"X-Ray traces recorded ({traces:g} million: sampling ratio {ratio:g})", monthly, monthly


PRICERS: dict[str, Pricer] = {
    "aws:xray/encryptionConfig:EncryptionConfig": _xray_traces,
    "eks:index:Cluster": _eks,
    "aws:eks/nodeGroup:NodeGroup": _node_group,
    "aws:rds/clusterInstance:ClusterInstance": _aurora_instance,
    "aws:rds/cluster:Cluster": _aurora_cluster,
    "aws:rds/globalCluster:GlobalCluster": _global_cluster,
    "aws:ecr/replicationConfiguration:ReplicationConfiguration": _ecr_replication,
    "aws:route53/healthCheck:HealthCheck": _health_check,
    "aws:arcregionswitch/plan:Plan": _per_unit("arc_region_switch_plan", "Region switch plan (its executions)"),
    "aws:lambda/function:Function": _function,
    "aws:serverlessrepository/cloudFormationStack:CloudFormationStack": _rotation_application,
    "aws:secretsmanager/secretRotation:SecretRotation": _per_unit("secret_rotation", "rotation schedule"),
    "aws:route53/record:Record": _dns_record,
    "aws:elasticache/replicationGroup:ReplicationGroup": _cache,
    "aws:msk/cluster:Cluster": _msk,
    "aws:ec2/natGateway:NatGateway": _nat,
    "aws:ec2/eip:Eip": lambda r, c: [("public IPv4", c.table.hourly("public_ipv4"), c.table.hourly("public_ipv4"))],
    "aws:ec2/vpcEndpoint:VpcEndpoint": _interface_endpoint,
    "aws:lb/loadBalancer:LoadBalancer": _alb,
    "aws:wafv2/webAcl:WebAcl": _waf,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _per_unit("cloudwatch_alarm", "alarm"),
    "aws:kms/key:Key": _kms_key,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:ecr/repository:Repository": _usage_share("ecr_storage", "ecr_storage_gb", "image storage"),
    "aws:s3/bucket:Bucket": _bucket,
    "aws:cloudtrail/trail:Trail": _trail,
    "aws:guardduty/detector:Detector": _guardduty,
    "aws:guardduty/detectorFeature:DetectorFeature": _guardduty_feature,
    "aws:backup/vault:Vault": _vault,
    "aws:codebuild/project:Project": _usage_share("codebuild_linux_medium", "ci_build_minutes", "build minutes"),
    "aws:cfg/recorder:Recorder": _usage_share("config_item", "config_items", "configuration items recorded"),
    "aws:cfg/rule:Rule": _first_band("config_rule_evaluation", "config_rule_evaluations", "rule evaluations"),
    "aws:cfg/conformancePack:ConformancePack": _first_band(
        "conformance_pack_evaluation", "conformance_pack_evaluations", "conformance pack evaluations"
    ),
    "aws:securityhub/account:Account": _first_band("securityhub_check", "securityhub_checks", "security checks"),
    "aws:amp/scraper:Scraper": _scraper,
    "aws:amp/workspace:Workspace": _workspace,
    "aws:grafana/workspace:Workspace": lambda r, c: [
        (
            "editor licenses",
            c.usage["grafana_users"] * c.table.get("grafana_editor"),
            c.usage["grafana_users"] * c.table.get("grafana_editor"),
        ),
        (
            "viewer licenses",
            c.usage["grafana_viewers"] * c.table.get("grafana_viewer"),
            c.usage["grafana_viewers"] * c.table.get("grafana_viewer"),
        ),
    ],
}


def component_label(component: dict[str, Any], stack: str) -> str:
    """A short unique label: the component's module ('network'), plus its own suffix ('workload:ledger')."""
    if component["type"] == "(stack)":
        return "providers"
    module = component["type"].split(":")[1]
    prefix = f"fintech-{stack}"
    suffix = component["name"].removeprefix(prefix).lstrip("-")
    return f"{module}:{suffix}" if suffix else module


STANDBY_USAGE = "standby"
"""Usage assumptions of the standby of a region pair (the plan's output standbyFor is set): it holds a full
copy of the data but serves no traffic until a failover, so traffic-driven figures are its own."""


def usage_tier(plan: dict[str, Any]) -> str:
    """The usage assumptions a plan is priced with: 'standby' for the standby of a pair, else its tier's."""
    if (plan.get("outputs") or {}).get("standbyFor"):
        return STANDBY_USAGE
    return str(plan.get("tier") or "dev")


def price_flag(region: str, table: PriceTable) -> str:
    """Why `region` is priced with the table's list prices ('' when they are its own); PricingError when the
    table neither holds that region's prices nor names it as a stand-in."""
    if region == table.region:
        return ""
    if region not in table.stand_in_regions:
        raise PricingError(f"region {region}; pricing/prices.yaml holds {table.region} list prices only, so it "
                           f"cannot be priced (add a price table for {region}, or list it under stand_in_regions "
                           f"with the evidence that its prices are the same)")  # fmt: skip
    return f"{region} priced with {table.region} list prices: {table.stand_in_regions[region]}"


def price_plan(plan: dict[str, Any], table: PriceTable | None = None) -> CostReport:
    """Price every resource of an offline plan (offline.plan.summarize output)."""
    table = table or load_prices()
    tier = plan.get("tier") or "dev"
    region = plan.get("region") or table.region
    try:
        flag = price_flag(region, table)
    except PricingError as error:
        raise PricingError(f"stack '{plan['stack']}' is in {error}") from None
    usage = usage_tier(plan)
    if usage not in table.usage:
        raise PricingError(f"pricing/usage.yaml has no usage assumptions for tier '{usage}'; tiers: "
                           f"{', '.join(sorted(table.usage))}")  # fmt: skip
    budget = plan.get("outputs", {}).get("monthlyBudgetUsd")
    if budget is not None and (_number(budget) is None or float(budget) <= 0):
        raise PricingError(f"fintech-platform:monthlyBudgetUsd = {budget!r}: the budget must be a positive amount of "
                           "USD per month")  # fmt: skip
    report = CostReport(plan["stack"], tier, float(budget) if budget is not None else None, usage_tier=usage,
                        region=region, price_region=table.region, price_flag=flag)  # fmt: skip
    resources = [
        {**r, "component": component_label(c, plan["stack"]), "component_name": c["name"]}
        for c in plan["components"]
        for r in c["resources"]
    ]
    counts: dict[str, int] = defaultdict(int)
    for resource in resources:
        counts[resource["type"]] += 1
    context = _Context(table, table.usage[usage], resources, counts)
    for resource in resources:
        pricer = PRICERS.get(resource["type"])
        if pricer is None:
            if resource["type"] not in FREE_TYPES:
                report.unpriced.append(resource["type"])
            continue
        for item, baseline, peak in pricer(resource, context):
            report.lines.append(CostLine(resource["component"], resource["name"], item, baseline, peak))
    report.unpriced = sorted(set(report.unpriced))
    return report


@dataclass(frozen=True)
class PairReport:
    """A primary stack and its standby (the stack its output drStack names), shown together as information: each
    stack is checked against its own budget (budget_verdict), never the pair's sum."""

    primary: CostReport
    standby: CostReport

    @property
    def baseline(self) -> float:
        """Monthly total of both stacks at minimum capacity."""
        return round(self.primary.baseline + self.standby.baseline, 2)

    @property
    def peak(self) -> float:
        """Monthly total of both stacks at maximum capacity."""
        return round(self.primary.peak + self.standby.peak, 2)

    @property
    def budgets(self) -> float | None:
        """The sum of both stacks' own budgets, for comparison only (None when either has none)."""
        if self.primary.budget is None or self.standby.budget is None:
            return None
        return self.primary.budget + self.standby.budget


def standby_of(plan: dict[str, Any]) -> str:
    """The standby stack a primary's plan names (its output drStack), or '' when it has none."""
    name = (plan.get("outputs") or {}).get("drStack") or ""
    if not isinstance(name, str):
        raise PricingError(f"stack '{plan['stack']}': output drStack = {name!r} must be a stack name or empty")
    return name


def check_pair(primary: dict[str, Any], standby: dict[str, Any]) -> None:
    """PricingError unless `standby` declares itself the standby of `primary` (its output standbyFor)."""
    declared = (standby.get("outputs") or {}).get("standbyFor") or ""
    if declared != primary["stack"]:
        shown = f"standbyFor = {declared!r}" if declared else "no standbyFor"
        raise PricingError(f"stack '{primary['stack']}' names '{standby['stack']}' as its drStack, but "
                           f"'{standby['stack']}' has {shown}; set fintech-platform:standbyFor: {primary['stack']} "
                           f"in Pulumi.{standby['stack']}.yaml")  # fmt: skip
