"""Cluster add-ons installed with Helm (chart versions pinned), each with an IRSA role scoped to its job.

- aws-load-balancer-controller: only registers pods into the target groups the edge created
  (TargetGroupBinding); it cannot create load balancers, so every internet entry point stays in code.
- metrics-server: the resource metrics the HorizontalPodAutoscalers read.
- cluster-autoscaler: chosen over Karpenter because it scales the managed node groups (one per zone)
  within their declared min/max, so capacity (and the capacity check of the workloads) stays a number
  in config; `balance-similar-node-groups` keeps the zones level, and a pod pending on a zone spread
  gets a node from the group of its zone. Its role may change only Auto Scaling groups tagged as owned
  by this cluster.

Chart versions and the autoscaler image are pinned per Kubernetes version in components/versions.py.
Nothing here is protected: every object is re-created from the charts.

Preview rendering (issue 20.1): a chart `lookup` runs as the identity that runs Pulumi, also in a pull request's
read-only preview. `render_group` gets a Role per namespace that can `get` exactly the objects the pinned charts
look up (components/versions.py CHART_LOOKUPS, audited from each chart's source), by resourceNames, bound to that
Kubernetes group, which the preview role's EKS access entry carries. That is read access to the controller's
webhook serving key (aws-load-balancer-tls): a preview identity can read that one Secret, nothing else. Created
with the add-ons (deploy phase complete): a preview before the first complete `up` still cannot render the chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.errors import InvalidArgumentError
from components.iam import irsa_role, policy_document
from components.versions import CHART_LOOKUPS, KUBERNETES_VERSIONS, ChartLookup


@dataclass(frozen=True)
class ClusterAddonsArgs:
    """Arguments of ClusterAddons."""

    cluster_name: str
    """EKS cluster name. Required."""
    kubernetes_version: str
    """Kubernetes minor version of the cluster. Required."""
    region: str
    """Region of the cluster. Required."""
    account_id: str
    """Account of the cluster. Required."""
    vpc_id: pulumi.Input[str]
    """VPC of the cluster. Required."""
    oidc_provider_arn: pulumi.Input[str]
    """The cluster's IAM OIDC provider. Required."""
    oidc_issuer: pulumi.Input[str]
    """The cluster's OIDC issuer. Required."""
    kubernetes_provider: k8s.Provider
    """Provider for the cluster. Required."""
    target_group_arns: Sequence[pulumi.Input[str]]
    """Target groups the load balancer controller may register pods into. Required."""
    partition: str = "aws"
    """AWS partition for ARNs. Default: aws."""
    depends_on: Sequence[pulumi.Resource] = ()
    """Resources that must exist first (nodes, core add-ons). Default: none."""
    render_group: str = ""
    """Kubernetes group (of the read-only preview identity) that may read what the charts `lookup`. Default: none."""

    def __post_init__(self) -> None:
        if self.render_group.startswith("system:"):
            raise InvalidArgumentError(f"render_group: '{self.render_group}' may not start with 'system:'")
        if self.kubernetes_version not in KUBERNETES_VERSIONS:
            raise InvalidArgumentError(
                f"kubernetes_version: '{self.kubernetes_version}' has no chart pins; known: "
                f"{', '.join(KUBERNETES_VERSIONS)}"
            )
        pins = KUBERNETES_VERSIONS[self.kubernetes_version].charts
        unaudited = [
            f"{chart} {pin.version}" for chart, pin in pins.items() if (chart, pin.version) not in CHART_LOOKUPS
        ]
        if unaudited:
            raise InvalidArgumentError(
                f"kubernetes_version: the pinned charts {', '.join(unaudited)} have no lookup audit in "
                "components/versions.py CHART_LOOKUPS"
            )


class ClusterAddons(pulumi.ComponentResource):
    """Load balancer controller, metrics-server and cluster-autoscaler."""

    charts: dict[str, k8s.helm.v4.Chart]

    def __init__(self, name: str, args: ClusterAddonsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:addons:ClusterAddons", name, None, opts)
        self._name = name
        self._args = args
        pins = KUBERNETES_VERSIONS[args.kubernetes_version]
        lbc_role = self._role("lb-controller", "aws-load-balancer-controller",
                              pulumi.Output.all(*args.target_group_arns).apply(_lb_controller_policy))  # fmt: skip
        autoscaler_role = self._role("cluster-autoscaler", "cluster-autoscaler", _autoscaler_policy(args))
        self.charts = {
            "aws-load-balancer-controller": self._chart(
                "aws-load-balancer-controller",
                {
                    "clusterName": args.cluster_name,
                    "region": args.region,
                    "vpcId": args.vpc_id,
                    "replicaCount": 2,
                    "enableServiceMutatorWebhook": False,
                    "enableBackendSecurityGroup": False,
                    "serviceAccount": _service_account("aws-load-balancer-controller", lbc_role.arn),
                    "podDisruptionBudget": {"maxUnavailable": 1},
                },
            ),
            "metrics-server": self._chart(
                "metrics-server",
                {"replicas": 2, "podDisruptionBudget": {"enabled": True, "minAvailable": 1}},
            ),
            "cluster-autoscaler": self._chart(
                "cluster-autoscaler",
                {
                    "autoDiscovery": {"clusterName": args.cluster_name},
                    "awsRegion": args.region,
                    "image": {"tag": pins.autoscaler_image_tag},
                    "rbac": {"serviceAccount": _service_account("cluster-autoscaler", autoscaler_role.arn)},
                    "extraArgs": {
                        "balance-similar-node-groups": True,
                        "expander": "least-waste",
                        "skip-nodes-with-system-pods": False,
                    },
                },
            ),
        }
        if args.render_group:
            self._lookup_readers(args.render_group)
        self.register_outputs({})

    def _lookup_readers(self, group: str) -> None:
        """One Role per namespace: `get` on exactly the objects the installed charts look up; bound to `group`."""
        pins = KUBERNETES_VERSIONS[self._args.kubernetes_version].charts
        lookups = [lookup for chart in self.charts for lookup in CHART_LOOKUPS[(chart, pins[chart].version)]]
        for namespace in sorted({lookup.namespace for lookup in lookups}):
            rules = lookup_rules([lookup for lookup in lookups if lookup.namespace == namespace])
            options = pulumi.ResourceOptions(parent=self, provider=self._args.kubernetes_provider,
                                             depends_on=list(self._args.depends_on))  # fmt: skip
            role = k8s.rbac.v1.Role(
                f"{self._name}-chart-lookups-{namespace}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name="fintech-chart-lookups", namespace=namespace),
                rules=[
                    k8s.rbac.v1.PolicyRuleArgs(
                        api_groups=r["apiGroups"],
                        resources=r["resources"],
                        verbs=r["verbs"],
                        resource_names=r["resourceNames"],
                    )
                    for r in rules
                ],
                opts=options,
            )
            k8s.rbac.v1.RoleBinding(
                f"{self._name}-chart-lookups-{namespace}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name="fintech-chart-lookups", namespace=namespace),
                role_ref=k8s.rbac.v1.RoleRefArgs(
                    api_group="rbac.authorization.k8s.io", kind="Role", name="fintech-chart-lookups"
                ),
                subjects=[k8s.rbac.v1.SubjectArgs(kind="Group", name=group, api_group="rbac.authorization.k8s.io")],
                opts=pulumi.ResourceOptions.merge(options, pulumi.ResourceOptions(depends_on=[role])),
            )

    def _role(self, label: str, service_account: str, policy: pulumi.Input[str]) -> Any:
        return irsa_role(
            f"{self._name}-{label}",
            self._args.oidc_provider_arn,
            self._args.oidc_issuer,
            "kube-system",
            service_account,
            parent=self,
            inline_policy=policy,
        )

    def _chart(self, chart: str, values: dict[str, Any]) -> k8s.helm.v4.Chart:
        pin = KUBERNETES_VERSIONS[self._args.kubernetes_version].charts[chart]
        return k8s.helm.v4.Chart(
            f"{self._name}-{chart}",
            chart=chart,
            version=pin.version,
            namespace="kube-system",
            repository_opts=k8s.helm.v4.RepositoryOptsArgs(repo=pin.repo),
            values=values,
            opts=pulumi.ResourceOptions(
                parent=self, provider=self._args.kubernetes_provider, depends_on=list(self._args.depends_on)
            ),
        )


def lookup_rules(lookups: Sequence[ChartLookup]) -> list[dict[str, Any]]:
    """RBAC rules allowing `get` on exactly these objects (one rule per API group and kind, names listed)."""
    by_kind: dict[tuple[str, str], list[str]] = {}
    for lookup in lookups:
        group = lookup.api_version.rpartition("/")[0]
        by_kind.setdefault((group, lookup.kind), []).append(lookup.name)
    return [
        {"apiGroups": [group], "resources": [_plural(kind)], "verbs": ["get"], "resourceNames": sorted(names)}
        for (group, kind), names in sorted(by_kind.items())
    ]


def _plural(kind: str) -> str:
    """The resource name of a kind (the kinds charts look up: Secret, ConfigMap, Service ...)."""
    return kind.lower() + ("es" if kind.endswith("s") else "s")


def _service_account(name: str, role_arn: pulumi.Input[str]) -> dict[str, Any]:
    return {"create": True, "name": name, "annotations": {"eks.amazonaws.com/role-arn": role_arn}}


def _lb_controller_policy(target_group_arns: list[str]) -> str:
    """Read what it needs to resolve pods and target groups; write only target registrations."""
    return policy_document(
        {
            "Sid": "Discover",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth",
                "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeTags", "ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSubnets", "ec2:DescribeVpcs", "ec2:DescribeSecurityGroups",
                "ec2:DescribeAvailabilityZones",
            ],
            "Resource": "*",
        },
        {
            "Sid": "RegisterPodsIntoPlatformTargetGroups",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
            "Resource": target_group_arns,
        },
    )  # fmt: skip


def _autoscaler_policy(args: ClusterAddonsArgs) -> str:
    """Describe freely; resize or terminate only Auto Scaling groups this cluster owns."""
    nodegroup = f"arn:{args.partition}:eks:{args.region}:{args.account_id}:nodegroup/{args.cluster_name}/*"
    return policy_document(
        {
            "Sid": "Discover",
            "Effect": "Allow",
            "Action": [
                "autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeAutoScalingInstances",
                "autoscaling:DescribeLaunchConfigurations", "autoscaling:DescribeScalingActivities",
                "autoscaling:DescribeTags", "ec2:DescribeImages", "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplateVersions", "ec2:GetInstanceTypesFromInstanceRequirements",
            ],
            "Resource": "*",
        },
        {
            "Sid": "ScaleOwnedGroupsOnly",
            "Effect": "Allow",
            "Action": ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
            "Resource": "*",
            "Condition": {
                "StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{args.cluster_name}": "owned"}
            },
        },
        {"Sid": "ReadNodeGroups", "Effect": "Allow", "Action": "eks:DescribeNodegroup", "Resource": nodegroup},
    )  # fmt: skip
