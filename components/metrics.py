"""Metrics as code: an Amazon Managed Service for Prometheus workspace, the AWS managed collectors that fill it,
its rules and its Alertmanager.

Two components, because the alarm topic's key and policy must name the workspace (aws:SourceArn) and the
Alertmanager must name the topic:

- `MetricsWorkspace` (created before the platform keys and the alarm topic): the workspace, encrypted with its own
  customer-managed key, logging to a log group under the same key with the stack's retention.
- `MetricsCollection` (created after the cluster, Kafka and the alarm topic): the managed collectors (one for EKS,
  one for MSK), their security groups, the rule groups and the Alertmanager definition, and (deploy phase
  complete) kube-state-metrics and node-exporter from pinned charts.

Life cycle (walked for `pulumi up` and `destroy`; sources inline):
- Workspace: creates in seconds; kms_key_arn forces a new workspace (the key cannot change, AMP User Guide
  "Encryption at rest"), which loses every stored sample: the key is a stable leaf (PlatformKeys, protected in
  tiers with protectStateful) and the workspace inherits `protect` from that setting.
- Scraper: CreateScraper returns at once and the scraper stays CREATING for many minutes (the provider waits,
  up to its create timeout; 30 minutes is set here). UpdateScraper changes the scrape configuration, alias and
  destination in place; a change of source (cluster, subnets, security groups) needs a new scraper (AMP User
  Guide, "Scraper configuration": "If you need to update the source ... you must delete the scraper and recreate
  it"; the provider marks `source` ForceNew). The design keeps the source stable (the cluster's private subnets
  and a security group of its own whose rules, not membership, change) so a scrape change is an in-place update,
  and uses delete_before_replace=False (the default) so a replacement creates the new collector before deleting
  the old one: no gap in collection, at most 10 collectors per region per account (AMP quota) while both exist.
- Cluster access: the cluster uses authentication mode API, so AMP creates the scraper's access entry itself with
  the documented minimal rules (nodes, nodes/proxy, nodes/metrics, services, endpoints, pods, ingresses,
  configmaps: get/list/watch; /metrics: get; metrics.eks.amazonaws.com kcm/ksh metrics: get), AMP User Guide,
  "Configure Amazon EKS for scraper access with access entries". A program-made entry for the same role would
  collide with it (ResourceInUseException), so none is made; `ops verify` checks the entry exists.
- Known risk, deploy-time, unverified here: one edition of the AMP User Guide ("Using an AWS managed collector",
  German translation) says workspaces created with customer-managed keys cannot be the destination of AWS
  managed collectors; the English page read for this work does not. The security baseline requires the CMK, so
  the program keeps it; if CreateScraper refuses the workspace, the scraper create fails loudly (nothing is
  silently unencrypted) and docs/observability.md says what to do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import prometheus_config as prom
from components.errors import InvalidArgumentError
from components.shared import AlarmSpec, create_alarms, encrypted_log_group
from components.versions import KUBERNETES_VERSIONS

SCRAPER_CREATE_TIMEOUT = "30m"
"""How long `pulumi up` waits for a collector to become ACTIVE (AWS: 'can take several minutes')."""


@dataclass(frozen=True)
class MetricsWorkspaceArgs:
    """Arguments of MetricsWorkspace."""

    kms_key_arn: pulumi.Input[str]
    """Customer-managed key of the workspace and of its log group (it must admit aps via kms:ViaService and the
    logs service for this account's log groups). Required."""
    log_retention_days: int = 365
    """Days the workspace's log group keeps logs. Default: 365."""
    protect: bool = False
    """Register the workspace with protect=True (it holds the stored metrics). Default: False."""


class MetricsWorkspace(pulumi.ComponentResource):
    """An Amazon Managed Service for Prometheus workspace, encrypted with a CMK, logging to an encrypted log group."""

    workspace_id: pulumi.Output[str]
    arn: pulumi.Output[str]
    prometheus_endpoint: pulumi.Output[str]
    log_group_name: str
    grafana: pulumi.ComponentResource | None = None
    """The Grafana workspace reading this one, when the stack has one (set by the stack's composition)."""

    def __init__(self, name: str, args: MetricsWorkspaceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:metrics:MetricsWorkspace", name, None, opts)
        self.log_group_name = f"/aws/prometheus/{name}"
        # Vended logs: AMP writes rule-evaluation and Alertmanager errors to this group; it must exist first (the
        # provider's logging_configuration: "This log group must exist. The ARN must end with :*").
        log_group = encrypted_log_group(
            f"{name}-prometheus", self.log_group_name, args.log_retention_days, args.kms_key_arn, self
        )
        workspace = aws.amp.Workspace(
            f"{name}-prometheus",
            alias=f"{name}-metrics",
            kms_key_arn=args.kms_key_arn,
            logging_configuration=aws.amp.WorkspaceLoggingConfigurationArgs(
                log_group_arn=log_group.arn.apply(lambda arn: f"{arn}:*")
            ),
            # A managed collector tags its destination workspace with AMPAgentlessScraper; declaring the tag keeps
            # the next update from removing it (pulumi-aws amp.Scraper docs, "Ignoring changes to Prometheus
            # Workspace destination").
            tags={"AMPAgentlessScraper": ""},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.workspace_id = workspace.id
        self.arn = workspace.arn
        self.prometheus_endpoint = workspace.prometheus_endpoint
        self.register_outputs(
            {"workspace_id": self.workspace_id, "arn": self.arn, "prometheus_endpoint": self.prometheus_endpoint}
        )


@dataclass(frozen=True)
class KafkaSource:
    """The MSK cluster the second collector scrapes (open monitoring)."""

    cluster_name: str
    """MSK cluster name (an external label of its series)."""
    bootstrap_brokers: pulumi.Input[str]
    """Bootstrap string; its host names are the brokers the collector resolves."""
    security_group_id: pulumi.Input[str]
    """The brokers' security group: it admits the collector on the exporter ports."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """Subnets of the brokers (2 or 3 zones): the collector's interfaces go there."""


@dataclass(frozen=True)
class MetricsCollectionArgs:
    """Arguments of MetricsCollection."""

    workspace_id: pulumi.Input[str]
    """The workspace. Required."""
    workspace_arn: pulumi.Input[str]
    """The workspace's ARN (the collectors' destination). Required."""
    cluster_name: str
    """EKS cluster to scrape. Required."""
    cluster_arn: pulumi.Input[str]
    """Its ARN. Required."""
    cluster_security_group_id: pulumi.Input[str]
    """The cluster security group (control-plane interfaces, nodes and pods): it admits the collector on the API
    server, kube-state-metrics, node-exporter and workload metrics ports only. Required."""
    vpc_id: pulumi.Input[str]
    """VPC of the cluster. Required."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """Private subnets of the cluster (at least two zones): the EKS collector's interfaces go there. Required."""
    region: str
    """Region of the workspace, the cluster and the alarm topic. Required."""
    alarm_topic_arn: pulumi.Input[str]
    """The alarm topic the Alertmanager publishes to (its key and policy admit this workspace). Required."""
    rule_groups: Mapping[str, pulumi.Input[str]]
    """Rule group namespace name -> rule file text (Prometheus rule format). Required."""
    workload_namespaces: tuple[str, ...]
    """Namespaces whose annotated pods are scraped. Required."""
    kafka: KafkaSource | None = None
    """MSK cluster to scrape; None scrapes none. Default: None."""
    scrape_interval_seconds: int = 30
    """Scrape interval of both collectors (30-75 s). Default: 30."""
    kubernetes_version: str = "1.35"
    """Kubernetes minor version: picks the exporter chart pins (components/versions.py). Default: 1.35."""
    kubernetes_provider: k8s.Provider | None = None
    """Provider of the cluster; None (deploy phase foundation) installs no exporter chart. Default: None."""
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """What the exporter charts need first (nodes, core add-ons). Default: none."""

    def __post_init__(self) -> None:
        if not (prom.MIN_SCRAPE_INTERVAL_SECONDS <= self.scrape_interval_seconds <= prom.MAX_SCRAPE_INTERVAL_SECONDS):
            raise InvalidArgumentError(
                f"scrape_interval_seconds: {self.scrape_interval_seconds} is outside "
                f"{prom.MIN_SCRAPE_INTERVAL_SECONDS}-{prom.MAX_SCRAPE_INTERVAL_SECONDS}"
            )
        if len(self.subnet_ids) < 2:
            raise InvalidArgumentError("subnet_ids: a managed collector needs subnets in at least two zones")
        if self.kafka is not None and len(self.kafka.subnet_ids) < 2:
            raise InvalidArgumentError("kafka.subnet_ids: a managed collector needs subnets in at least two zones")
        if not self.rule_groups:
            raise InvalidArgumentError("rule_groups: at least one rule group is required")
        if self.kubernetes_version not in KUBERNETES_VERSIONS:
            raise InvalidArgumentError(f"kubernetes_version: '{self.kubernetes_version}' has no chart pins")


EXPORTER_CHARTS = ("kube-state-metrics", "prometheus-node-exporter")
"""The exporter charts MetricsCollection installs (pins in components/versions.py)."""


class MetricsCollection(pulumi.ComponentResource):
    """Managed collectors, their network access, the rule groups and the Alertmanager of a workspace."""

    scraper_arns: dict[str, pulumi.Output[str]]
    """Collector ARN by source ('eks', 'msk')."""
    scraper_role_arns: dict[str, pulumi.Output[str]]
    """The collectors' service-linked role ARNs (the EKS one is the principal of its access entry)."""
    rule_group_names: list[str]
    charts: dict[str, k8s.helm.v4.Chart]

    def __init__(self, name: str, args: MetricsCollectionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:metrics:MetricsCollection", name, None, opts)
        self._name = name
        child = pulumi.ResourceOptions(parent=self)
        self.charts = self._exporters(args)
        eks_group = self._collector_group(
            "eks", args.vpc_id, args.cluster_security_group_id,
            [prom.API_SERVER_PORT, prom.KUBE_STATE_METRICS_PORT, prom.NODE_EXPORTER_PORT, prom.WORKLOAD_METRICS_PORT],
            "kube API server proxy (kubelet, cAdvisor), kube-state-metrics, node-exporter, workload metrics",
        )  # fmt: skip
        eks_config = prom.eks_scrape_config(args.scrape_interval_seconds, args.cluster_name, args.workload_namespaces)
        eks = self._scraper("eks", aws.amp.ScraperSourceArgs(eks=aws.amp.ScraperSourceEksArgs(
            cluster_arn=args.cluster_arn, subnet_ids=list(args.subnet_ids), security_group_ids=[eks_group.id],
        )), eks_config, args.workspace_arn, [*self.charts.values()])  # fmt: skip
        self.scraper_arns = {"eks": eks.arn}
        self.scraper_role_arns = {"eks": eks.role_arn}
        if args.kafka is not None:
            kafka = args.kafka
            msk_group = self._collector_group(
                "msk", args.vpc_id, kafka.security_group_id,
                [prom.MSK_JMX_EXPORTER_PORT, prom.MSK_NODE_EXPORTER_PORT], "MSK open monitoring exporters",
            )  # fmt: skip
            msk_config = pulumi.Output.from_input(kafka.bootstrap_brokers).apply(
                lambda brokers: prom.msk_scrape_config(args.scrape_interval_seconds, kafka.cluster_name, brokers)
            )
            msk = self._scraper("msk", aws.amp.ScraperSourceArgs(vpc=aws.amp.ScraperSourceVpcArgs(
                subnet_ids=list(kafka.subnet_ids), security_group_ids=[msk_group.id],
            )), msk_config, args.workspace_arn, [])  # fmt: skip
            self.scraper_arns["msk"] = msk.arn
            self.scraper_role_arns["msk"] = msk.role_arn
        self.rule_group_names = sorted(args.rule_groups)
        for group in self.rule_group_names:
            # One namespace per file: a broken file fails its own PutRuleGroupsNamespace, not the others'.
            aws.amp.RuleGroupNamespace(
                f"{name}-rules-{group}", name=group, workspace_id=args.workspace_id, data=args.rule_groups[group],
                opts=child,
            )  # fmt: skip
        aws.amp.AlertManagerDefinition(
            f"{name}-alertmanager",
            workspace_id=args.workspace_id,
            definition=pulumi.Output.from_input(args.alarm_topic_arn).apply(
                lambda topic: prom.alertmanager_definition(topic, args.region)
            ),
            opts=child,
        )
        create_alarms(name, workspace_alarms(args.workspace_id), args.alarm_topic_arn, parent=self)
        create_workspace_query_alarms(name, args.workspace_id, args.alarm_topic_arn, parent=self)
        self.register_outputs({"scraper_arns": self.scraper_arns})

    def _collector_group(
        self,
        label: str,
        vpc_id: pulumi.Input[str],
        target_group_id: pulumi.Input[str],
        ports: Sequence[int],
        purpose: str,
    ) -> aws.ec2.SecurityGroup:
        """A security group for one collector's interfaces: egress to `target_group_id` on `ports` only, and the
        matching ingress on the target group. Rules are separate resources so a port change updates rules, never
        the group (whose replacement would replace the collector: its source names the group)."""
        child = pulumi.ResourceOptions(parent=self)
        group = aws.ec2.SecurityGroup(
            f"{self._name}-{label}-collector",
            vpc_id=vpc_id,
            description=f"{self._name}: AMP managed collector ({label}) interfaces",
            tags={"Name": f"{self._name}-{label}-collector"},
            opts=child,
        )
        for port in ports:
            aws.vpc.SecurityGroupEgressRule(
                f"{self._name}-{label}-collector-to-{port}", security_group_id=group.id,
                referenced_security_group_id=target_group_id, ip_protocol="tcp", from_port=port, to_port=port,
                description=f"TCP {port} to the scraped targets ({purpose})", opts=child,
            )  # fmt: skip
            aws.vpc.SecurityGroupIngressRule(
                f"{self._name}-{label}-collector-from-{port}", security_group_id=target_group_id,
                referenced_security_group_id=group.id, ip_protocol="tcp", from_port=port, to_port=port,
                description=f"TCP {port} from the AMP managed collector ({label})", opts=child,
            )  # fmt: skip
        return group

    def _scraper(
        self,
        label: str,
        source: aws.amp.ScraperSourceArgs,
        config: pulumi.Input[str],
        workspace_arn: pulumi.Input[str],
        depends_on: Sequence[pulumi.Resource],
    ) -> aws.amp.Scraper:
        return aws.amp.Scraper(
            f"{self._name}-{label}-collector",
            alias=f"{self._name}-{label}",
            source=source,
            destination=aws.amp.ScraperDestinationArgs(amp=aws.amp.ScraperDestinationAmpArgs(workspace_arn=workspace_arn)),
            scrape_configuration=config,
            timeouts=aws.amp.ScraperTimeoutsArgs(create=SCRAPER_CREATE_TIMEOUT, delete=SCRAPER_CREATE_TIMEOUT),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)),
        )  # fmt: skip

    def _exporters(self, args: MetricsCollectionArgs) -> dict[str, k8s.helm.v4.Chart]:
        """kube-state-metrics and node-exporter (pinned), in kube-system; none without a Kubernetes provider."""
        if args.kubernetes_provider is None:
            return {}
        pins = KUBERNETES_VERSIONS[args.kubernetes_version].charts
        values: dict[str, dict[str, object]] = {
            "kube-state-metrics": {"replicas": 1, "service": {"port": prom.KUBE_STATE_METRICS_PORT},
                                   "securityContext": {"runAsNonRoot": True}},
            "prometheus-node-exporter": {"service": {"port": prom.NODE_EXPORTER_PORT,
                                                     "targetPort": prom.NODE_EXPORTER_PORT}},
        }  # fmt: skip
        return {
            chart: k8s.helm.v4.Chart(
                f"{self._name}-{chart}",
                chart=chart,
                version=pins[chart].version,
                namespace="kube-system",
                repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=pins[chart].repo),
                values=values[chart],
                opts=pulumi.ResourceOptions(
                    parent=self, provider=args.kubernetes_provider, depends_on=list(args.depends_on)
                ),
            )
            for chart in EXPORTER_CHARTS
        }


def workspace_alarms(workspace_id: pulumi.Input[str]) -> list[AlarmSpec]:
    """A CloudWatch alarm on the workspace's Alertmanager, so a broken alert path is noticed outside Prometheus: AMP
    vends AlertManagerNotificationsFailed in the AWS/Prometheus namespace per "Workspace" (AMP User Guide,
    "Use CloudWatch metrics to monitor Amazon Managed Service for Prometheus resources",
    https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-CW-usage-metrics.html)."""
    return [
        AlarmSpec("notifications-failed", "AWS/Prometheus", "AlertManagerNotificationsFailed",
                  {"Workspace": workspace_id}, "GreaterThanThreshold", 0,
                  "Alertmanager cannot publish to the alarm topic (key or topic policy?): SLO pages are not delivered",
                  statistic="Sum", period_seconds=300, evaluation_periods=1,
                  # "A metric not existing or missing is the same as the value of that metric being 0" (AMP User
                  # Guide, CloudWatch metrics): a healthy workspace publishes nothing, so missing is not breaching.
                  treat_missing_data="notBreaching"),
    ]  # fmt: skip


@dataclass(frozen=True)
class WorkspaceQueryAlarm:
    """A CloudWatch alarm on the sum of one AWS/Prometheus metric of one workspace, over every dimension set."""

    suffix: str
    """Resource-name suffix."""
    metric: str
    """AWS/Prometheus metric name."""
    description: str
    """What the alarm means for a person woken by it."""
    evaluation_periods: int
    """Consecutive 5-minute periods with a sum above 0 before the alarm fires."""

    def query(self, workspace_id: str) -> str:
        """The CloudWatch Metrics Insights query: FROM the namespace without SCHEMA() matches the metric under every
        dimension set that carries Workspace (CloudWatch User Guide, "Metrics Insights query components and
        syntax": FROM namespace vs SCHEMA(namespace, dimensions))."""
        return f"SELECT SUM({self.metric}) FROM \"AWS/Prometheus\" WHERE Workspace = '{workspace_id}'"


WORKSPACE_QUERY_ALARMS = (
    WorkspaceQueryAlarm("rule-evaluation-failures", "RuleEvaluationFailures",
                        "Rules of the Prometheus workspace fail to evaluate: their SLO and platform alerts cannot fire "
                        "(the workspace log group names the rule and the error)", 2),
    WorkspaceQueryAlarm("rule-iterations-missed", "RuleGroupIterationsMissed",
                        "Rule groups of the Prometheus workspace miss evaluations (too slow): alerts come late or not "
                        "at all", 2),
    WorkspaceQueryAlarm("discarded-samples", "DiscardedSamples",
                        "The Prometheus workspace discards ingested samples (throttled, over a limit, out of order) "
                        "for 15 minutes: dashboards and alerts miss data", 3),
)  # fmt: skip
"""The workspace's own failures beyond the Alertmanager: rule evaluation and ingestion. AMP vends
RuleEvaluationFailures, RuleGroupIterationsMissed and DiscardedSamples in AWS/Prometheus (AMP User Guide, "Use
CloudWatch metrics to monitor Amazon Managed Service for Prometheus resources"); they carry the Workspace dimension
and, the rule metrics, also the rule group (DiscardedSamples the reason). A metric alarm must name the exact dimension
set, and the excerpts of the guide read for this work did not show these sets whole, so the alarm sums the metric
with a Metrics Insights query over every dimension set that has this Workspace: it cannot sit in INSUFFICIENT_DATA
because of a wrong guess of the rule group's dimension value. Missing data is not breaching (the metrics are emitted
when something fails or is evaluated). Not covered here: ingestion stopping altogether (a collector down), which the
workspace's own rule MetricsCollectionStopped pages on (observability/rules/platform.yaml) and `ops verify` checks."""


def create_workspace_query_alarms(
    name: str, workspace_id: pulumi.Input[str], topic_arn: pulumi.Input[str], parent: pulumi.Resource
) -> list[aws.cloudwatch.MetricAlarm]:
    """The WORKSPACE_QUERY_ALARMS of one workspace, each notifying `topic_arn` on alarm and on recovery. Alarms on a
    Metrics Insights query take the query, its period and return_data on one metric query; namespace, metric name,
    dimensions and statistic stay unset (CloudWatch API PutMetricAlarm, "Metrics" with "Expression"). Life cycle:
    PutMetricAlarm validates the query, so a malformed one fails `pulumi up` on the alarm; the query must return one
    series (no GROUP BY) and reads the recent hours of data only, ample for 5-minute periods (CloudWatch User Guide,
    "Create alarms on Metrics Insights queries"); a changed query is an in-place PutMetricAlarm."""
    return [
        aws.cloudwatch.MetricAlarm(
            f"{name}-{spec.suffix}",
            alarm_description=spec.description,
            metric_queries=[aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id="q1", expression=pulumi.Output.from_input(workspace_id).apply(spec.query), period=300,
                return_data=True, label=spec.metric,
            )],
            comparison_operator="GreaterThanThreshold",
            threshold=0,
            evaluation_periods=spec.evaluation_periods,
            treat_missing_data="notBreaching",
            alarm_actions=[topic_arn],
            ok_actions=[topic_arn],
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for spec in WORKSPACE_QUERY_ALARMS
    ]  # fmt: skip
