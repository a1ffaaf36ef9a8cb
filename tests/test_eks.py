"""EKS in both stacks: version and support policy, private API, encryption, logs, nodes, add-ons, IRSA."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pulumi
import pytest

from components.eks import ADDON_VERSIONS, EksCluster, EksClusterArgs
from components.errors import InvalidArgumentError
from components.versions import CHART_PINS, KUBERNETES_VERSIONS, SUPPORT_WARNING_DAYS, support_status
from offline.engine import OfflineRun, run_program, run_stack
from stacks.config import ConfigError, parse_stack_config
from tests.helpers import key_arn, one

CLUSTER = "eks:index:Cluster"


def test_pinned_version_with_standard_support_only(stack_run: OfflineRun) -> None:
    cluster = one(stack_run, CLUSTER).inputs
    assert cluster["version"] == "1.35"
    assert cluster["upgradePolicy"] == {"supportType": "STANDARD"}


def test_api_authentication_with_least_access_entries(stack_run: OfflineRun) -> None:
    """Admins and the CI deploy role get cluster-admin; the pull-request preview role only views."""
    cluster = one(stack_run, CLUSTER).inputs
    assert cluster["authenticationMode"] == "API"
    account = {"dev": "123456789012", "prod": "111122223333"}[stack_run.stack]
    granted = {
        entry["principalArn"]: [(p["policyArn"].rsplit("/", 1)[1], p["accessScope"]) for p in policies.values()]
        for entry in cluster["accessEntries"].values()
        for policies in [entry["accessPolicies"]]
    }
    expected = {
        f"arn:aws:iam::{account}:role/fintech-ci-deploy": [("AmazonEKSClusterAdminPolicy", {"type": "cluster"})],
        f"arn:aws:iam::{account}:role/fintech-ci-preview": [("AmazonEKSViewPolicy", {"type": "cluster"})],
    }
    if stack_run.stack == "prod":
        expected["arn:aws:iam::111122223333:role/platform-admin"] = [
            ("AmazonEKSClusterAdminPolicy", {"type": "cluster"})
        ]
    assert granted == expected


def test_endpoint_private_in_both_stacks(stack_run: OfflineRun) -> None:
    """Dev no longer admits a placeholder CIDR: both stacks deploy from the in-VPC runner."""
    cluster = one(stack_run, CLUSTER).inputs
    assert cluster["endpointPrivateAccess"] is True
    assert cluster["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in cluster


def test_public_endpoint_only_to_listed_cidrs() -> None:
    run = run_stack("dev", {"fintech-platform:eksPublicAccessCidrs": '["198.51.100.7/32"]'})
    assert run.error is None, run.error
    cluster = one(run, CLUSTER).inputs
    assert (cluster["endpointPublicAccess"], cluster["publicAccessCidrs"]) == (True, ["198.51.100.7/32"])


def test_secrets_encryption_logs_oidc_and_no_default_nodes(stack_run: OfflineRun) -> None:
    cluster = one(stack_run, CLUSTER)
    assert cluster.inputs["encryptionConfigKeyArn"] == key_arn(stack_run, "eks")
    assert cluster.inputs["enabledClusterLogTypes"] == [
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    ]
    assert cluster.inputs["createOidcProvider"] is True
    assert cluster.inputs["skipDefaultNodeGroup"] is True
    log_group = one(stack_run, "aws:cloudwatch/logGroup:LogGroup", "-control-plane")
    assert log_group.inputs["name"] == f"/aws/eks/{cluster.inputs['name']}/cluster"
    assert log_group.inputs["kmsKeyId"] == key_arn(stack_run, "logs")
    assert log_group.urn in cluster.dependencies
    assert cluster.inputs["deletionProtection"] is (stack_run.stack == "prod")


def test_nothing_in_the_cluster_or_addons_is_pulumi_protected(stack_run: OfflineRun) -> None:
    """protect on pulumi-eks' Cluster component would be inherited by its roles, OIDC provider, Kubernetes
    provider and security groups, so routine replacements would fail; the control plane inside it is protected
    by a transform instead (test_protect_transform_protects_only_the_control_plane)."""
    owners = {
        r.urn for r in stack_run.resources if r.type in ("fintech:eks:EksCluster", "fintech:addons:ClusterAddons")
    }
    inside = [r for r in stack_run.resources if r.parent in owners]
    assert len(inside) > 20
    assert [r.name for r in inside if r.protect] == []
    assert one(stack_run, CLUSTER).protect is False


def test_nodes_use_imdsv2_hop_limit_1_and_encrypted_gp3(stack_run: OfflineRun) -> None:
    templates = stack_run.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    assert templates, "every node group needs a launch template"
    for template in templates:
        metadata = template.inputs["metadataOptions"]
        assert (metadata["httpTokens"], metadata["httpPutResponseHopLimit"]) == ("required", 1)
        (device,) = template.inputs["blockDeviceMappings"]
        assert device["ebs"]["volumeType"] == "gp3"
        assert device["ebs"]["encrypted"] == "true"
        assert device["ebs"]["kmsKeyId"] == key_arn(stack_run, "data")
    for group in stack_run.of_type("aws:eks/nodeGroup:NodeGroup"):
        assert group.inputs["launchTemplate"]["id"] in {t.id for t in templates}


def test_one_node_group_per_zone_with_the_tier_sizes_split(stack_run: OfflineRun) -> None:
    """The cluster autoscaler can add a node in the zone a pending pod needs only if each zone is its own group."""
    zones = json.loads(stack_run.config["fintech-platform:availabilityZoneIds"])
    groups = [one(stack_run, "aws:eks/nodeGroup:NodeGroup", f"-general-{zone}") for zone in zones]
    assert [g.inputs["subnetIds"] for g in groups] == [[subnet] for subnet in stack_run.outputs["privateSubnetIds"]]
    assert [g.inputs["nodeGroupName"] for g in groups] == [f"fintech-{stack_run.stack}-general-{z}" for z in zones]
    assert {(g.inputs["amiType"], json.dumps(g.inputs["labels"])) for g in groups} == {
        ("AL2023_ARM_64_STANDARD", '{"platform/node-pool": "general"}')
    }
    expected = {
        "dev": ("t4g.medium", [1, 1, 0], [1, 1, 1]),
        "prod": ("c7g.large", [1, 1, 1], [4, 4, 4]),
    }[stack_run.stack]
    sizes = [g.inputs["scalingConfig"] for g in groups]
    assert {g.inputs["instanceTypes"][0] for g in groups} == {expected[0]}
    assert ([s["minSize"] for s in sizes], [s["maxSize"] for s in sizes]) == (expected[1], expected[2])
    assert [s["desiredSize"] for s in sizes] == expected[1]
    capacity = stack_run.outputs["capacity"]
    assert (capacity["minimum"]["nodesAvailable"], capacity["maximum"]["nodesAvailable"]) == (
        sum(expected[1]),
        sum(expected[2]),
    )


def test_managed_addons_pinned_with_network_policy_and_irsa(stack_run: OfflineRun) -> None:
    addons = {a.inputs["addonName"]: a.inputs for a in stack_run.of_type("aws:eks/addon:Addon")}
    assert {name: a["addonVersion"] for name, a in addons.items()} == dict(KUBERNETES_VERSIONS["1.35"].addons)
    assert json.loads(addons["vpc-cni"]["configurationValues"]) == {"enableNetworkPolicy": "true"}
    roles = {r.id: r for r in stack_run.of_type("aws:iam/role:Role")}
    expected = {
        "vpc-cni": "kube-system:aws-node",
        "aws-ebs-csi-driver": "kube-system:ebs-csi-controller-sa",
        "amazon-cloudwatch-observability": "amazon-cloudwatch:cloudwatch-agent",
    }
    for name, service_account in expected.items():
        role_arn = addons[name]["serviceAccountRoleArn"]
        role = next(r for r in roles.values() if r.outputs["arn"] == role_arn)
        _assert_trusts_only(role.inputs["assumeRolePolicy"], f"system:serviceaccount:{service_account}")


def test_container_logs_go_to_groups_created_with_kms_and_retention(stack_run: OfflineRun) -> None:
    for kind in ("application", "dataplane", "host", "performance"):
        group = one(stack_run, "aws:cloudwatch/logGroup:LogGroup", f"-insights-{kind}").inputs
        assert group["name"] == f"/aws/containerinsights/fintech-{stack_run.stack}/{kind}"
        assert group["kmsKeyId"] == key_arn(stack_run, "logs")


def test_helm_addons_pinned_with_scoped_irsa(stack_run: OfflineRun) -> None:
    pins = CHART_PINS["1.35"]
    charts = {
        c.inputs["chart"]: c for c in stack_run.of_type("kubernetes:helm.sh/v4:Chart") if c.inputs["chart"] in pins
    }
    assert {name: (c.inputs["repositoryOpts"]["repo"], c.inputs["version"]) for name, c in charts.items()} == {
        name: (pin["repo"], pin["version"]) for name, pin in pins.items()
    }
    autoscaler = charts["cluster-autoscaler"].inputs["values"]
    assert autoscaler["image"]["tag"] == KUBERNETES_VERSIONS["1.35"].autoscaler_image_tag
    assert autoscaler["extraArgs"]["balance-similar-node-groups"] is True
    (provider,) = stack_run.of_type("pulumi:providers:kubernetes")
    assert all(c.provider.startswith(provider.urn) for c in charts.values())
    lbc = charts["aws-load-balancer-controller"].inputs["values"]
    role = next(r for r in stack_run.of_type("aws:iam/role:Role")
                if r.outputs["arn"] == lbc["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"])  # fmt: skip
    _assert_trusts_only(
        role.inputs["assumeRolePolicy"], "system:serviceaccount:kube-system:aws-load-balancer-controller"
    )
    policy = json.loads(one(stack_run, "aws:iam/rolePolicy:RolePolicy", "-lb-controller").inputs["policy"])
    register = next(s for s in policy["Statement"] if s["Sid"] == "RegisterPodsIntoPlatformTargetGroups")
    assert sorted(register["Resource"]) == sorted(stack_run.outputs["targetGroupArns"].values())
    assert not any("CreateLoadBalancer" in json.dumps(s["Action"]) for s in policy["Statement"])
    autoscaler = json.loads(one(stack_run, "aws:iam/rolePolicy:RolePolicy", "-cluster-autoscaler").inputs["policy"])
    scale = next(s for s in autoscaler["Statement"] if s["Sid"] == "ScaleOwnedGroupsOnly")
    assert scale["Condition"]["StringEquals"] == {
        f"aws:ResourceTag/k8s.io/cluster-autoscaler/fintech-{stack_run.stack}": "owned"
    }


def _assert_trusts_only(trust_json: str, subject: str) -> None:
    (statement,) = json.loads(trust_json)["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    conditions = statement["Condition"]["StringEquals"]
    subjects = [value for key, value in conditions.items() if key.endswith(":sub")]
    assert subjects == [subject]
    assert [v for k, v in conditions.items() if k.endswith(":aud")] == ["sts.amazonaws.com"]


def test_data_services_admit_only_the_cluster_security_group(stack_run: OfflineRun) -> None:
    cluster_sg = stack_run.outputs["eksClusterSecurityGroupId"]
    rules = stack_run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    collector = one(stack_run, "aws:ec2/securityGroup:SecurityGroup", "-msk-collector").id
    rotation = [g.id for g in stack_run.of_type("aws:ec2/securityGroup:SecurityGroup") if g.name.endswith("-rotation")]
    for suffix, port in (("-db", 5432), ("-cache", 6379), ("-kafka", 9098)):
        group = one(stack_run, "aws:ec2/securityGroup:SecurityGroup", suffix)
        on_group = [r.inputs for r in rules if r.inputs["securityGroupId"] == group.id]
        # Where the master secret rotates (components/secret_rotation.py), the database also admits the rotation
        # function, on the database port only.
        from_rotation = [r for r in on_group if r["referencedSecurityGroupId"] in rotation]
        assert [(r["fromPort"], r["toPort"]) for r in from_rotation] == (
            [(5432, 5432)] if suffix == "-db" and rotation else []
        )
        on_group = [r for r in on_group if r not in from_rotation]
        # Besides the clients, MSK admits only the metrics collector, on its open-monitoring exporter ports.
        admitted = [r for r in on_group if r["referencedSecurityGroupId"] != collector]
        exporters = sorted(r["fromPort"] for r in on_group if r["referencedSecurityGroupId"] == collector)
        assert exporters == ([11001, 11002] if suffix == "-kafka" else [])
        assert admitted == [{**admitted[0], "referencedSecurityGroupId": cluster_sg, "fromPort": port, "toPort": port}]
        assert "cidrIpv4" not in admitted[0]


def _args(**changes: Any) -> EksClusterArgs:
    values: dict[str, Any] = {
        "vpc_id": "vpc", "private_subnet_ids": ["a", "b", "c"], "zone_ids": ("z1", "z2", "z3"),
        "account_id": "123456789012", "region": "us-east-1", "eks_kms_key_arn": "k", "data_kms_key_arn": "k",
        "logs_kms_key_arn": "k", **changes,
    }  # fmt: skip
    return EksClusterArgs(**values)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kubernetes_version": "1.33"}, "kubernetes_version: '1.33' is not supported"),
        ({"kubernetes_version": "1.34"}, "kubernetes_version: '1.34' is not supported"),  # out of support: dropped
        ({"kubernetes_version": "1.35", "today": datetime.date(2027, 3, 27)}, "left EKS standard support on 2027-03"),
        ({"node_min_per_zone": (1, 1), "node_max_per_zone": (2, 2)}, "need one entry per private subnet"),
        ({"node_min_per_zone": (2, 1, 1), "node_max_per_zone": (1, 2, 2)}, "2/1: each zone needs"),
        ({"node_min_per_zone": (0, 0, 0), "node_max_per_zone": (1, 1, 0)}, "max >= 1"),
        ({"public_access_cidrs": ("nope",)}, "public_access_cidrs: 'nope' is not a CIDR"),
        ({"admin_role_arns": ("arn:aws:iam::1:user/x",)}, "admin_role_arns: .* is not an IAM role ARN"),
        ({"preview_role_arn": "arn:aws:iam::1:user/x"}, "preview_role_arn: .* is not an IAM role ARN"),
        ({"admin_role_arns": ("arn:aws:iam::1:role/a",), "deploy_role_arn": "arn:aws:iam::1:role/a"},
         "a role may have only one access entry"),
    ],
)  # fmt: skip
def test_bad_cluster_arguments_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        _args(**changes)


_CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0f3e8a52-6b1d-4c8e-9a7f-2d5b1c9e4a10"
_DEV = {"certificateArn": _CERT, "validatorImageTag": "1", "paymentsImageTag": "1", "ledgerImageTag": "1"}


@pytest.mark.parametrize("version", ["1.35", "1.36"])
def test_versions_in_standard_support_are_accepted(version: str) -> None:
    """1.36 reached EKS on 2026-06-02 and is in standard support until 2027-08-02; it used to be refused."""
    assert parse_stack_config({**_DEV, "kubernetesVersion": version}, today=datetime.date(2026, 12, 5))


def test_a_version_out_of_standard_support_is_no_longer_pinned() -> None:
    """1.34 left standard support on 2026-12-02 (issue 20.6): no pin, so no stack can ask for it."""
    assert "1.34" not in KUBERNETES_VERSIONS
    with pytest.raises(ConfigError, match=r"kubernetesVersion = '1.34'"):
        parse_stack_config({**_DEV, "kubernetesVersion": "1.34"}, today=datetime.date(2026, 11, 1))


def test_a_version_is_refused_from_the_day_its_standard_support_ends() -> None:
    parse_stack_config({**_DEV, "kubernetesVersion": "1.35"}, today=datetime.date(2027, 3, 26))
    with pytest.raises(ConfigError) as refused:
        parse_stack_config({**_DEV, "kubernetesVersion": "1.35"}, today=datetime.date(2027, 3, 27))
    message = str(refused.value)
    assert "fintech-platform:kubernetesVersion = '1.35'" in message
    assert "left EKS standard support on 2027-03-27" in message and "allowed today (2027-03-27): 1.36" in message


def test_an_unknown_version_is_refused_with_the_allowed_ones() -> None:
    with pytest.raises(ConfigError, match=r"kubernetesVersion = '1.37'.*allowed today \(2027-04-01\): 1.36"):
        parse_stack_config({**_DEV, "kubernetesVersion": "1.37"}, today=datetime.date(2027, 4, 1))


def test_the_version_check_uses_the_real_date_by_default() -> None:
    """No test-only path: without a clock the check runs on today's date."""
    today = datetime.date.today()
    for version in KUBERNETES_VERSIONS:
        supported = support_status(version, today).supported
        try:
            parse_stack_config({**_DEV, "kubernetesVersion": version})
            accepted = True
        except ConfigError:
            accepted = False
        assert accepted is supported, version


def test_support_status_counts_the_days_left() -> None:
    status = support_status("1.35", datetime.date(2027, 3, 18))
    assert (status.ends, status.days_left, status.supported, status.ending_soon) == (
        datetime.date(2027, 3, 27),
        9,
        True,
        True,
    )
    assert not support_status("1.35", datetime.date(2026, 11, 23)).ending_soon  # 124 days left
    assert support_status(
        "1.35", datetime.date(2027, 3, 27) - datetime.timedelta(days=SUPPORT_WARNING_DAYS)
    ).ending_soon


def _cluster_program(version: str, today: datetime.date) -> None:
    EksCluster("fintech-x", _args(kubernetes_version=version, today=today))


def test_a_version_near_the_end_of_standard_support_warns_with_the_days_left() -> None:
    run = run_program(lambda: _cluster_program("1.35", datetime.date(2027, 3, 18)), "fintech-platform", "x")
    assert run.error is None, run.error
    assert any("Kubernetes 1.35 leaves EKS standard support on 2027-03-27 (in 9 days)" in w for w in run.warnings)
    assert {a.inputs["addonName"]: a.inputs["addonVersion"] for a in run.of_type("aws:eks/addon:Addon")} == (
        ADDON_VERSIONS["1.35"]
    )
    quiet = run_program(lambda: _cluster_program("1.36", datetime.date(2026, 11, 23)), "fintech-platform", "x")
    assert quiet.error is None and not any("standard support" in w for w in quiet.warnings)


def test_chart_pins_are_a_plain_table_for_every_version() -> None:
    """ops preflight reads CHART_PINS to check each chart version exists in its Helm repository: every chart the
    program installs, cert-manager and trust-manager included (issue 20.5)."""
    assert set(CHART_PINS) == set(KUBERNETES_VERSIONS) == set(ADDON_VERSIONS)
    for charts in CHART_PINS.values():
        assert set(charts) == {"aws-load-balancer-controller", "metrics-server", "cluster-autoscaler", "cert-manager",
                               "trust-manager", "kube-state-metrics", "prometheus-node-exporter"}  # fmt: skip
        assert all(pin["repo"].startswith("https://") and pin["version"] for pin in charts.values())
    assert json.loads(json.dumps(CHART_PINS)) == CHART_PINS


def test_protect_transform_protects_only_the_control_plane() -> None:
    """pulumi-eks' Cluster is a packaged component: a transform reaches its children, and protects the control
    plane alone (protect on the component would be inherited by its roles, OIDC provider and providers)."""
    from components.eks import protect_control_plane

    def transformed(type_: str) -> pulumi.ResourceTransformResult | None:
        args = pulumi.ResourceTransformArgs(
            True, type_, "x", {"name": "x"}, pulumi.ResourceOptions(ignore_changes=["a"])
        )
        return protect_control_plane(args)

    result = transformed("aws:eks/cluster:Cluster")
    assert result is not None and result.opts is not None
    assert (result.opts.protect, result.opts.ignore_changes, result.props) == (True, ["a"], {"name": "x"})
    others = ("aws:iam/role:Role", "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "pulumi:providers:kubernetes",
              "aws:ec2/securityGroup:SecurityGroup", "eks:index:Cluster")  # fmt: skip
    for other in others:
        assert transformed(other) is None


def test_every_pin_names_its_source() -> None:
    """Issue 20.6: a chart, image or add-on pin without a source is refused here (pin_keys walks the whole table)."""
    from components.versions import PIN_SOURCES, pin_keys

    keys = pin_keys()
    assert len(keys) >= 10 and not [key for key in keys if not PIN_SOURCES.get(key)]
    assert not set(PIN_SOURCES) - set(keys), "a source for a pin that is no longer in the table"
    for key in keys:
        if key.startswith(("chart:", "image:")):
            assert "https://github.com/" in PIN_SOURCES[key], key
        else:
            assert "describe-addon-versions" in PIN_SOURCES[key], key
