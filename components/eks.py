"""EKS with pulumi-eks: private API, envelope encryption, audit logs, IRSA, managed nodes and add-ons.

Nodes: one managed node group per zone, sharing one launch template that requires IMDSv2 with a hop
limit of 1 (pods cannot reach the node's credentials) and encrypts the gp3 root volume with the data
key. Nodes and pods use the EKS-created cluster security group (`skip_default_security_groups`), which
is the group data services admit.

Versions: every pin that depends on the Kubernetes version lives in components/versions.py.

Known limit: pulumi-eks always creates the cluster with bootstrapClusterCreatorAdminPermissions=true
(pulumi/pulumi-eks#2373), so the principal that created the cluster holds an implicit cluster-admin
access entry in addition to the explicit entries made here, and no explicit entry may name it.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s

from components.errors import InvalidArgumentError
from components.iam import irsa_role, policy_document
from components.shared import encrypted_log_group
from components.versions import KUBERNETES_VERSIONS, support_status

STANDARD_SUPPORT_ENDS: dict[str, datetime.date] = {
    version: pins.standard_support_ends for version, pins in KUBERNETES_VERSIONS.items()
}
"""Kubernetes versions this component knows, with the end of EKS standard support (components/versions.py)."""
ADDON_VERSIONS: dict[str, dict[str, str]] = {
    version: dict(pins.addons) for version, pins in KUBERNETES_VERSIONS.items()
}
"""Pinned managed add-on versions per Kubernetes version (components/versions.py)."""

CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
CONTAINER_INSIGHTS_LOG_GROUPS = ("application", "dataplane", "host", "performance")
"""Log groups the CloudWatch observability add-on writes to; created here first, with KMS and retention."""
CLUSTER_ADMIN_POLICY = "arn:{partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
VIEW_POLICY = "arn:{partition}:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
PREVIEW_RENDER_GROUP = "fintech:preview-chart-render"
"""Kubernetes group of the preview role's access entry: bound (components/cluster_addons.py) to a Role that may `get`
exactly the objects the pinned charts `lookup` while rendering (components/versions.py CHART_LOOKUPS). A group name
may not start with `system:` (EKS API CreateAccessEntry, kubernetesGroups)."""
EKS_CONTROL_PLANE_TYPE = "aws:eks/cluster:Cluster"
"""The one resource inside pulumi-eks' Cluster that is Pulumi-protected (when `protect` is set)."""


@dataclass(frozen=True)
class EksClusterArgs:
    """Arguments of EksCluster."""

    vpc_id: pulumi.Input[str]
    """VPC of the cluster. Required."""
    private_subnet_ids: Sequence[pulumi.Input[str]]
    """Private subnets (3 zones) for the control-plane ENIs and the nodes. Required."""
    zone_ids: tuple[str, ...]
    """Zone ID of each private subnet, in the same order; names each zone's node group. Required."""
    account_id: str
    """Account of the cluster. Required."""
    region: str
    """Region of the cluster. Required."""
    eks_kms_key_arn: pulumi.Input[str]
    """Key for envelope encryption of Kubernetes secrets. Required."""
    data_kms_key_arn: pulumi.Input[str]
    """Key for node root volumes and EBS volumes. Required."""
    logs_kms_key_arn: pulumi.Input[str]
    """Key for control-plane and container log groups. Required."""
    partition: str = "aws"
    """AWS partition for ARNs. Default: aws."""
    kubernetes_version: str = "1.35"
    """Kubernetes version, one of components/versions.py still in EKS standard support on `today`. Default: 1.35."""
    admin_role_arns: tuple[str, ...] = ()
    """IAM roles given cluster-admin through access entries. Default: none."""
    deploy_role_arn: str = ""
    """Role that runs `pulumi up` (CI): cluster-admin through an access entry, since it applies cluster-scoped
    objects (CRDs, ClusterRoles, webhooks) of the add-on charts. Empty for none. Default: none."""
    preview_role_arn: str = ""
    """Role that runs `pulumi preview` on pull requests: read-only (AmazonEKSViewPolicy). Empty for none.
    Default: none."""
    public_access_cidrs: tuple[str, ...] = ()
    """CIDRs allowed to the public API endpoint; empty turns the public endpoint off. Default: off."""
    node_instance_type: str = "m7g.large"
    """Node instance type (Graviton: the AMI type is arm64). Default: m7g.large."""
    node_ami_type: str = "AL2023_ARM_64_STANDARD"
    """EKS AMI type. Default: AL2023_ARM_64_STANDARD."""
    node_min_per_zone: tuple[int, ...] = (1, 1, 1)
    """Minimum (and initial) nodes of each zone's node group, one entry per private subnet. Default: 1 each."""
    node_max_per_zone: tuple[int, ...] = (2, 2, 2)
    """Maximum nodes the autoscaler may reach in each zone's node group. Default: 2 each."""
    node_disk_gib: int = 50
    """Root volume size per node (gp3, encrypted). Default: 50."""
    log_retention_days: int = 365
    """Days the control-plane and container log groups keep logs. Default: 365."""
    deletion_protection: bool = True
    """EKS deletion protection (service-side: DeleteCluster is refused while it is on). Default: True."""
    protect: bool = False
    """Pulumi protect on the EKS control plane (aws:eks/cluster:Cluster) only, none of its siblings. Default: False."""
    today: datetime.date = field(default_factory=datetime.date.today)
    """Date the standard-support window is checked against. Default: today."""

    def __post_init__(self) -> None:
        if self.kubernetes_version not in KUBERNETES_VERSIONS:
            raise InvalidArgumentError(
                f"kubernetes_version: '{self.kubernetes_version}' is not supported; use one of "
                f"{', '.join(KUBERNETES_VERSIONS)} (EKS standard support, no extended-support fee)"
            )
        status = support_status(self.kubernetes_version, self.today)
        if not status.supported:
            raise InvalidArgumentError(
                f"kubernetes_version: '{self.kubernetes_version}' left EKS standard support on {status.ends}; "
                "upgrade (extended support bills the control plane at six times the price)"
            )
        if len(self.private_subnet_ids) < 2:
            raise InvalidArgumentError("private_subnet_ids: EKS needs subnets in at least two zones")
        zones = len(self.private_subnet_ids)
        if len(self.zone_ids) != zones or len(set(self.zone_ids)) != zones:
            raise InvalidArgumentError(f"zone_ids: {list(self.zone_ids)}: need one distinct zone ID per private subnet")
        if len(self.node_min_per_zone) != zones or len(self.node_max_per_zone) != zones:
            raise InvalidArgumentError(
                f"node_min_per_zone/node_max_per_zone: need one entry per private subnet ({zones}), got "
                f"{len(self.node_min_per_zone)}/{len(self.node_max_per_zone)}"
            )
        for low, high in zip(self.node_min_per_zone, self.node_max_per_zone, strict=True):
            if low < 0 or high < 1 or high < low:
                raise InvalidArgumentError(
                    f"node_min_per_zone/node_max_per_zone: {low}/{high}: each zone needs 0 <= min <= max and "
                    "max >= 1 (EKS refuses a node group with maxSize 0)"
                )
        if sum(self.node_min_per_zone) < 1:
            raise InvalidArgumentError("node_min_per_zone: at least one node must run (core add-ons need a node)")
        for cidr in self.public_access_cidrs:
            try:
                ipaddress.ip_network(cidr, strict=True)
            except ValueError:
                raise InvalidArgumentError(f"public_access_cidrs: '{cidr}' is not a CIDR") from None
        for argument, arns in (
            ("admin_role_arns", self.admin_role_arns),
            ("deploy_role_arn", (self.deploy_role_arn,) if self.deploy_role_arn else ()),
            ("preview_role_arn", (self.preview_role_arn,) if self.preview_role_arn else ()),
        ):
            for arn in arns:
                if not arn.startswith(f"arn:{self.partition}:iam::") or ":role/" not in arn:
                    raise InvalidArgumentError(f"{argument}: '{arn}' is not an IAM role ARN")
        principals = [*self.admin_role_arns, self.deploy_role_arn, self.preview_role_arn]
        principals = [arn for arn in principals if arn]
        if len(set(principals)) != len(principals):
            raise InvalidArgumentError(
                "admin_role_arns/deploy_role_arn/preview_role_arn: a role may have only one access entry; "
                f"got {principals}"
            )  # fmt: skip

    @property
    def addon_versions(self) -> dict[str, str]:
        """The pinned managed add-on versions of this Kubernetes version."""
        return ADDON_VERSIONS[self.kubernetes_version]


class EksCluster(pulumi.ComponentResource):
    """An EKS cluster with its node group, managed add-ons, log groups and Kubernetes provider."""

    cluster_name: str
    kubeconfig: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_issuer: pulumi.Output[str]
    cluster_security_group_id: pulumi.Output[str]
    provider: k8s.Provider
    ready: list[pulumi.Resource]
    """Resources that must exist before workloads are deployed (node group and core add-ons)."""

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:eks:EksCluster", name, None, opts)
        self._name = name
        self._args = args
        self.cluster_name = name
        status = support_status(args.kubernetes_version, args.today)
        if status.ending_soon:
            pulumi.log.warn(
                f"{name}: Kubernetes {args.kubernetes_version} leaves EKS standard support on {status.ends} "
                f"(in {status.days_left} days); upgrade before then (extended support bills the control plane "
                "at six times the price, and the program refuses the version from that day)",
                self,
            )
        control_plane_logs = encrypted_log_group(
            f"{name}-control-plane", f"/aws/eks/{name}/cluster", args.log_retention_days, args.logs_kms_key_arn, self
        )
        container_logs = [
            encrypted_log_group(
                f"{name}-insights-{kind}",
                f"/aws/containerinsights/{name}/{kind}",
                args.log_retention_days,
                args.logs_kms_key_arn,
                self,
            )
            for kind in CONTAINER_INSIGHTS_LOG_GROUPS
        ]
        cluster = self._cluster(control_plane_logs)
        self.kubeconfig = cluster.kubeconfig_json
        self.oidc_provider_arn = cluster.oidc_provider_arn
        self.oidc_issuer = cluster.oidc_issuer
        self.cluster_security_group_id = cluster.cluster_security_group_id
        core_addons = self._core_addons(cluster)
        node_groups = self._node_groups(cluster, core_addons)
        self._addon("amazon-cloudwatch-observability", cluster, [*node_groups, *container_logs],
                    role=self._role("cloudwatch-agent", "amazon-cloudwatch", "cloudwatch-agent",
                                    managed=["CloudWatchAgentServerPolicy"]))  # fmt: skip
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.ready = [*node_groups, *core_addons]
        self.register_outputs(
            {
                "cluster_name": name,
                "oidc_provider_arn": self.oidc_provider_arn,
                "cluster_security_group_id": self.cluster_security_group_id,
            }
        )

    def _cluster(self, control_plane_logs: aws.cloudwatch.LogGroup) -> eks.Cluster:
        args = self._args
        return eks.Cluster(
            f"{self._name}-cluster",
            name=self._name,
            version=args.kubernetes_version,
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type="STANDARD"),
            vpc_id=args.vpc_id,
            private_subnet_ids=list(args.private_subnet_ids),
            endpoint_private_access=True,
            endpoint_public_access=bool(args.public_access_cidrs),
            public_access_cidrs=list(args.public_access_cidrs) or None,
            authentication_mode=eks.AuthenticationMode.API,
            access_entries=self._access_entries(),
            encryption_config_key_arn=args.eks_kms_key_arn,
            enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
            create_oidc_provider=True,
            skip_default_node_group=True,
            skip_default_security_groups=True,
            bootstrap_self_managed_addons=False,
            use_default_vpc_cni=True,
            coredns_addon_options=eks.CoreDnsAddonOptionsArgs(enabled=False),
            kube_proxy_addon_options=eks.KubeProxyAddonOptionsArgs(enabled=False),
            deletion_protection=args.deletion_protection,
            # No `protect` on the component: pulumi-eks' Cluster is a component, and protect on a component is
            # inherited by every child (service role, OIDC provider, Kubernetes provider, security groups), so
            # a routine replacement of any of them would fail. A transform protects the control-plane leaf
            # alone; transforms reach the children of packaged components such as eks
            # (https://www.pulumi.com/docs/iac/concepts/resources/options/transforms/). The mock engine does
            # not create those children, so only a real preview shows the leaf protected.
            # Foundation phase: with authentication_mode=API, skip_default_node_group, no storage_classes and
            # use_default_vpc_cni=True, this component registers no Kubernetes object (no aws-auth ConfigMap, no
            # StorageClass, no VPC CNI manifest); it only builds a kubernetes.Provider, which calls nothing until
            # a resource uses it. Its healthz wait runs only with a public endpoint, and gives up after 5 minutes
            # without failing (pulumi/pulumi-eks nodejs/eks/cluster/cluster.ts: createCore, the aws-auth
            # ConfigMap under supportsConfigMap(), storageClasses defaulting to {}, VpcCniAddon only when
            # useDefaultVpcCni is false).
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[control_plane_logs],
                transforms=[protect_control_plane] if args.protect else None,
            ),
        )

    def _access_entries(self) -> dict[str, eks.AccessEntryArgs]:
        """Cluster access by EKS access entries: admins and the CI deploy role get cluster-admin, the PR
        preview role read-only.

        The deploy role needs cluster-admin: the add-on charts apply cluster-scoped objects (CRDs,
        ClusterRoles and bindings, webhooks), which AmazonEKSAdminPolicy/EditPolicy do not cover. The preview
        role gets AmazonEKSViewPolicy only: a pulumi-kubernetes preview with server-side apply does dry-run
        patches, which Kubernetes authorizes exactly like real writes
        (https://kubernetes.io/docs/reference/using-api/api-concepts/#dry-run-authorization); when the dry
        run is refused the provider falls back to a client-side diff (pulumi/pulumi-kubernetes#2419). A
        write-capable preview role would let any branch that opens a pull request write to the cluster, so
        the preview trades diff fidelity for least privilege. A new Kubernetes resource may still fail to
        preview with read-only rights (pulumi/pulumi-kubernetes#2521).

        Rendering is a separate step that needs reads the view policy lacks: helm.v4.Chart renders with a server-side
        dry run so chart `lookup` calls reach the API server as the previewing identity, and AmazonEKSViewPolicy
        grants no read on Secrets, so the load balancer controller chart's lookup of its webhook Secret fails the
        render (issue 20.1). The preview entry therefore also carries PREVIEW_RENDER_GROUP, which ClusterAddons binds
        to a Role that can `get` only the Secrets the pinned charts look up, by name (EKS User Guide, "Create access
        entries": kubernetesGroups are bound with Kubernetes RBAC; EKS authorizes by the union of both).

        Bootstrap trap: pulumi-eks creates the cluster with bootstrapClusterCreatorAdminPermissions=true, so
        EKS itself makes an admin entry for the creating principal; an explicit entry for that same role
        would fail with ResourceInUseException. Run the foundation phase as a role that is not listed here.
        """
        args = self._args
        wanted = [
            *((f"admin-{i}", arn, "cluster-admin", CLUSTER_ADMIN_POLICY) for i, arn in enumerate(args.admin_role_arns)),
            ("ci-deploy", args.deploy_role_arn, "cluster-admin", CLUSTER_ADMIN_POLICY),
            ("ci-preview", args.preview_role_arn, "view", VIEW_POLICY),
        ]  # fmt: skip
        return {
            key: eks.AccessEntryArgs(
                principal_arn=arn,
                kubernetes_groups=[PREVIEW_RENDER_GROUP] if key == "ci-preview" else None,
                access_policies={
                    label: eks.AccessPolicyAssociationArgs(
                        policy_arn=policy.format(partition=args.partition),
                        access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                    )
                },
            )
            for key, arn, label, policy in wanted
            if arn
        }

    def _role(self, label: str, namespace: str, service_account: str, managed: Sequence[str] = (),
              inline: pulumi.Input[str] | None = None) -> aws.iam.Role:  # fmt: skip
        return irsa_role(
            f"{self._name}-{label}",
            self.oidc_provider_arn,
            self.oidc_issuer,
            namespace,
            service_account,
            parent=self,
            managed_policy_arns=[f"arn:{self._args.partition}:iam::aws:policy/{p}" for p in managed],
            inline_policy=inline,
        )

    def _addon(
        self,
        addon: str,
        cluster: eks.Cluster,
        depends_on: Sequence[pulumi.Resource],
        role: aws.iam.Role | None = None,
        configuration: dict[str, object] | None = None,
    ) -> aws.eks.Addon:
        return aws.eks.Addon(
            f"{self._name}-{addon}",
            cluster_name=self._name,
            addon_name=addon,
            addon_version=self._args.addon_versions[addon],
            service_account_role_arn=role.arn if role else None,
            configuration_values=json.dumps(configuration) if configuration else None,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[cluster, *depends_on]),
        )

    def _core_addons(self, cluster: eks.Cluster) -> list[aws.eks.Addon]:
        cni_role = self._role("vpc-cni", "kube-system", "aws-node", managed=["AmazonEKS_CNI_Policy"])
        ebs_role = self._role(
            "ebs-csi", "kube-system", "ebs-csi-controller-sa", managed=["service-role/AmazonEBSCSIDriverPolicy"],
            inline=pulumi.Output.from_input(self._args.data_kms_key_arn).apply(_ebs_kms_policy),
        )  # fmt: skip
        return [
            self._addon("vpc-cni", cluster, [], cni_role, {"enableNetworkPolicy": "true"}),
            self._addon("kube-proxy", cluster, []),
            self._addon("coredns", cluster, []),
            self._addon("aws-ebs-csi-driver", cluster, [], ebs_role),
        ]

    def _node_groups(self, cluster: eks.Cluster, core_addons: Sequence[pulumi.Resource]) -> list[aws.eks.NodeGroup]:
        """One managed node group per zone, identical but for the subnet.

        A managed node group over several zones is one Auto Scaling group: the cluster autoscaler can only
        ask it for "one more node", and the group picks the zone, so a pod pending on a hard zone spread may
        wait for a node that lands in the wrong zone. One group per zone lets the autoscaler scale the zone
        the pod needs; `balance-similar-node-groups` keeps the zones level
        (https://docs.aws.amazon.com/eks/latest/best-practices/cas.html, "Configure Node Groups" and
        https://github.com/kubernetes/autoscaler/blob/master/cluster-autoscaler/FAQ.md#im-running-cluster-with-nodes-in-multiple-zones-for-ha-purposes-is-that-supported-by-cluster-autoscaler).
        A group with minSize 0 can scale from zero: the autoscaler reads its labels with eks:DescribeNodegroup.
        """
        args = self._args
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{self._name}-node",
            assume_role_policy=policy_document(
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ),
            description="EKS managed nodes: join the cluster and pull images; pod permissions come from IRSA",
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{self._name}-node-{index}", role=role.name,
                policy_arn=f"arn:{args.partition}:iam::aws:policy/{policy}", opts=child,
            )
            for index, policy in enumerate(("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly"))
        ]  # fmt: skip
        template = aws.ec2.LaunchTemplate(
            f"{self._name}-node",
            description=f"{self._name}: IMDSv2 only (hop limit 1), encrypted gp3 root volume",
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1,
                instance_metadata_tags="disabled",
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=args.node_disk_gib, volume_type="gp3", encrypted="true",
                        kms_key_id=args.data_kms_key_arn, delete_on_termination="true",
                    ),
                )
            ],
            monitoring=aws.ec2.LaunchTemplateMonitoringArgs(enabled=True),
            update_default_version=True,
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags={"Name": f"{self._name}-node"})
                for kind in ("instance", "volume")
            ],
            opts=child,
        )  # fmt: skip
        return [
            aws.eks.NodeGroup(
                f"{self._name}-general-{zone}",
                cluster_name=self._name,
                node_group_name=f"{self._name}-general-{zone}",
                node_role_arn=role.arn,
                subnet_ids=[subnet],
                ami_type=args.node_ami_type,
                instance_types=[args.node_instance_type],
                capacity_type="ON_DEMAND",
                scaling_config=aws.eks.NodeGroupScalingConfigArgs(min_size=low, desired_size=low, max_size=high),
                update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
                launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                    id=template.id, version=template.latest_version.apply(str)
                ),
                labels={"platform/node-pool": "general"},
                opts=pulumi.ResourceOptions(
                    parent=self,
                    depends_on=[cluster, *attachments, core_addons[0]],
                    # The cluster autoscaler owns the desired size (field owned by another controller).
                    ignore_changes=["scalingConfig.desiredSize"],
                ),
            )
            for zone, subnet, low, high in zip(
                args.zone_ids, args.private_subnet_ids, args.node_min_per_zone, args.node_max_per_zone, strict=True
            )
        ]


def protect_control_plane(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    """Transform that adds Pulumi protect to the EKS control plane and leaves every other resource as it is."""
    if args.type_ != EKS_CONTROL_PLANE_TYPE:
        return None
    return pulumi.ResourceTransformResult(
        props=args.props, opts=pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(protect=True))
    )


def _ebs_kms_policy(key_arn: str) -> str:
    """The EBS CSI driver may use the data key only for EBS, through EC2."""
    return policy_document(
        {
            "Effect": "Allow",
            "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
            "Resource": key_arn,
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
        {
            "Effect": "Allow",
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
            "Resource": key_arn,
        },
    )
