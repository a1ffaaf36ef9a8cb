"""EKS in both stacks: version and support policy, private API, encryption, logs, nodes, add-ons, IRSA."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.cluster_addons import CHARTS
from components.eks import ADDON_VERSIONS, EksClusterArgs
from components.errors import InvalidArgumentError
from offline.engine import OfflineRun, run_stack
from tests.helpers import key_arn, one

CLUSTER = "eks:index:Cluster"


def test_pinned_version_with_standard_support_only(stack_run: OfflineRun) -> None:
    cluster = one(stack_run, CLUSTER).inputs
    assert cluster["version"] == "1.35"
    assert cluster["upgradePolicy"] == {"supportType": "STANDARD"}


def test_api_authentication_with_admin_access_entries(stack_run: OfflineRun) -> None:
    cluster = one(stack_run, CLUSTER).inputs
    assert cluster["authenticationMode"] == "API"
    entries = cluster.get("accessEntries", {})
    if stack_run.stack == "prod":
        (entry,) = entries.values()
        assert entry["principalArn"] == "arn:aws:iam::111122223333:role/platform-admin"
        (policy,) = entry["accessPolicies"].values()
        assert policy["policyArn"].endswith("cluster-access-policy/AmazonEKSClusterAdminPolicy")
        assert policy["accessScope"] == {"type": "cluster"}
    else:
        assert entries == {}


def test_endpoint_private_and_public_only_to_listed_cidrs(stack_run: OfflineRun) -> None:
    cluster = one(stack_run, CLUSTER).inputs
    assert cluster["endpointPrivateAccess"] is True
    if stack_run.stack == "prod":
        assert cluster["endpointPublicAccess"] is False
        assert "publicAccessCidrs" not in cluster
    else:
        assert cluster["endpointPublicAccess"] is True
        assert cluster["publicAccessCidrs"] == ["203.0.113.0/24"]


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
    assert cluster.protect is (stack_run.stack == "prod")
    assert cluster.inputs["deletionProtection"] is (stack_run.stack == "prod")


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


def test_node_group_spans_the_private_subnets_with_tier_sizes(stack_run: OfflineRun) -> None:
    group = one(stack_run, "aws:eks/nodeGroup:NodeGroup").inputs
    assert group["subnetIds"] == stack_run.outputs["privateSubnetIds"]
    assert group["amiType"] == "AL2023_ARM_64_STANDARD"
    expected = {"dev": ("t4g.medium", 2, 3), "prod": ("m7g.large", 3, 10)}[stack_run.stack]
    scaling = group["scalingConfig"]
    assert (group["instanceTypes"][0], scaling["minSize"], scaling["maxSize"]) == expected


def test_managed_addons_pinned_with_network_policy_and_irsa(stack_run: OfflineRun) -> None:
    addons = {a.inputs["addonName"]: a.inputs for a in stack_run.of_type("aws:eks/addon:Addon")}
    assert {name: a["addonVersion"] for name, a in addons.items()} == ADDON_VERSIONS["1.35"]
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
    charts = {
        c.inputs["chart"]: c for c in stack_run.of_type("kubernetes:helm.sh/v4:Chart") if c.inputs["chart"] in CHARTS
    }
    assert {name: c.inputs["version"] for name, c in charts.items()} == {n: v for n, (_, v) in CHARTS.items()}
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
    for suffix, port in (("-db", 5432), ("-cache", 6379), ("-kafka", 9098)):
        group = one(stack_run, "aws:ec2/securityGroup:SecurityGroup", suffix)
        admitted = [r.inputs for r in rules if r.inputs["securityGroupId"] == group.id]
        assert admitted == [{**admitted[0], "referencedSecurityGroupId": cluster_sg, "fromPort": port, "toPort": port}]
        assert "cidrIpv4" not in admitted[0]


def _args(**changes: Any) -> EksClusterArgs:
    values: dict[str, Any] = {
        "vpc_id": "vpc", "private_subnet_ids": ["a", "b", "c"], "account_id": "123456789012",
        "region": "us-east-1", "eks_kms_key_arn": "k", "data_kms_key_arn": "k", "logs_kms_key_arn": "k", **changes,
    }  # fmt: skip
    return EksClusterArgs(**values)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kubernetes_version": "1.33"}, "kubernetes_version: '1.33' is not supported"),
        ({"node_min": 4, "node_max": 2}, "node_min/node_max: 4/2"),
        ({"public_access_cidrs": ("nope",)}, "public_access_cidrs: 'nope' is not a CIDR"),
        ({"admin_role_arns": ("arn:aws:iam::1:user/x",)}, "admin_role_arns: .* is not an IAM role ARN"),
    ],
)
def test_bad_cluster_arguments_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        _args(**changes)


def test_a_version_near_the_end_of_standard_support_warns_with_the_date() -> None:
    run = run_stack("dev", {"fintech-platform:kubernetesVersion": "1.34"})
    assert run.error is None
    assert any("Kubernetes 1.34 leaves EKS standard support on 2026-12-02" in w for w in run.warnings)
    assert {a.inputs["addonName"]: a.inputs["addonVersion"] for a in run.of_type("aws:eks/addon:Addon")} == (
        ADDON_VERSIONS["1.34"]
    )
