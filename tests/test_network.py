"""Network: three zones, subnet tiers, NAT and routes per tier, subnet groups, endpoints, flow logs."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest

from components.errors import InvalidArgumentError
from components.network import DEFAULT_INTERFACE_ENDPOINT_SERVICES, NetworkArgs
from offline.engine import OfflineRun, Registration

EXPECTED_NATS = {"dev": 1, "prod": 3}
EXPECTED_CIDR = {"dev": "10.20.0.0/16", "prod": "10.40.0.0/16"}


def _flow_log_group(run: OfflineRun) -> Registration:
    (group,) = [g for g in run.of_type("aws:cloudwatch/logGroup:LogGroup") if g.name.endswith("-flow-logs")]
    return group


def _subnets(run: OfflineRun, tier: str) -> list[Registration]:
    return [s for s in run.of_type("aws:ec2/subnet:Subnet") if s.inputs["tags"]["tier"] == tier]


def _tables_by_subnet(run: OfflineRun) -> dict[str, str]:
    return {a.inputs["subnetId"]: a.inputs["routeTableId"]
            for a in run.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")}  # fmt: skip


def _default_routes(run: OfflineRun) -> dict[str, dict[str, Any]]:
    return {r.inputs["routeTableId"]: r.inputs for r in run.of_type("aws:ec2/route:Route")
            if r.inputs["destinationCidrBlock"] == "0.0.0.0/0"}  # fmt: skip


def test_vpc_has_dns_and_the_stack_cidr(stack_run: OfflineRun) -> None:
    (vpc,) = stack_run.of_type("aws:ec2/vpc:Vpc")
    assert vpc.inputs["cidrBlock"] == EXPECTED_CIDR[stack_run.stack]
    assert vpc.inputs["enableDnsSupport"] is True
    assert vpc.inputs["enableDnsHostnames"] is True


def test_three_distinct_zones_each_with_a_subnet_of_every_tier(stack_run: OfflineRun) -> None:
    zones = stack_run.outputs["availabilityZoneIds"]
    assert len(set(zones)) == 3
    for tier in ("public", "private", "database"):
        subnets = _subnets(stack_run, tier)
        assert sorted(s.inputs["availabilityZoneId"] for s in subnets) == sorted(zones)


def test_no_subnet_maps_public_ips_and_all_fit_the_vpc(stack_run: OfflineRun) -> None:
    vpc = ipaddress.IPv4Network(EXPECTED_CIDR[stack_run.stack])
    subnets = stack_run.of_type("aws:ec2/subnet:Subnet")
    assert len(subnets) == 9
    for subnet in subnets:
        assert subnet.inputs["mapPublicIpOnLaunch"] is False
        assert ipaddress.IPv4Network(subnet.inputs["cidrBlock"]).subnet_of(vpc)


def test_eks_discovery_tags(stack_run: OfflineRun) -> None:
    assert all(s.inputs["tags"]["kubernetes.io/role/elb"] == "1" for s in _subnets(stack_run, "public"))
    assert all(s.inputs["tags"]["kubernetes.io/role/internal-elb"] == "1" for s in _subnets(stack_run, "private"))
    for subnet in _subnets(stack_run, "database"):
        assert not any(tag.startswith("kubernetes.io/") for tag in subnet.inputs["tags"])


def test_nat_count_per_tier_in_public_subnets(stack_run: OfflineRun) -> None:
    nats = stack_run.of_type("aws:ec2/natGateway:NatGateway")
    assert len(nats) == EXPECTED_NATS[stack_run.stack]
    public_ids = {s.id for s in _subnets(stack_run, "public")}
    assert all(nat.inputs["subnetId"] in public_ids for nat in nats)
    assert len(stack_run.of_type("aws:ec2/eip:Eip")) == len(nats)


def test_public_subnets_route_to_the_internet_gateway(stack_run: OfflineRun) -> None:
    tables, routes = _tables_by_subnet(stack_run), _default_routes(stack_run)
    (igw,) = stack_run.of_type("aws:ec2/internetGateway:InternetGateway")
    for subnet in _subnets(stack_run, "public"):
        route = routes[tables[subnet.id]]
        assert route.get("gatewayId") == igw.id


def test_private_subnets_route_through_nat_in_their_own_zone_when_one_per_az(stack_run: OfflineRun) -> None:
    tables, routes = _tables_by_subnet(stack_run), _default_routes(stack_run)
    nat_zone = {}
    public_zone = {s.id: s.inputs["availabilityZoneId"] for s in _subnets(stack_run, "public")}
    for nat in stack_run.of_type("aws:ec2/natGateway:NatGateway"):
        nat_zone[nat.id] = public_zone[nat.inputs["subnetId"]]
    private = _subnets(stack_run, "private")
    assert len({tables[s.id] for s in private}) == 3  # a route table per zone
    for subnet in private:
        route = routes[tables[subnet.id]]
        assert "gatewayId" not in route
        if stack_run.stack == "prod":
            assert nat_zone[route["natGatewayId"]] == subnet.inputs["availabilityZoneId"]
        else:
            assert route["natGatewayId"] in nat_zone


def test_database_subnets_have_no_route_to_the_internet(stack_run: OfflineRun) -> None:
    tables, routes = _tables_by_subnet(stack_run), _default_routes(stack_run)
    for subnet in _subnets(stack_run, "database"):
        assert tables[subnet.id] not in routes


def test_subnet_groups_cover_exactly_the_database_subnets(stack_run: OfflineRun) -> None:
    database_ids = sorted(s.id for s in _subnets(stack_run, "database"))
    (db_group,) = stack_run.of_type("aws:rds/subnetGroup:SubnetGroup")
    (cache_group,) = stack_run.of_type("aws:elasticache/subnetGroup:SubnetGroup")
    assert sorted(db_group.inputs["subnetIds"]) == database_ids
    assert sorted(cache_group.inputs["subnetIds"]) == database_ids
    assert stack_run.outputs["dbSubnetGroupName"] == db_group.inputs["name"]
    assert stack_run.outputs["cacheSubnetGroupName"] == cache_group.inputs["name"]


def test_default_security_group_has_no_rules(stack_run: OfflineRun) -> None:
    (group,) = stack_run.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert group.inputs["ingress"] == [] and group.inputs["egress"] == []


def test_flow_logs_capture_all_traffic_into_a_log_group_encrypted_with_the_logs_key(stack_run: OfflineRun) -> None:
    (flow_log,) = stack_run.of_type("aws:ec2/flowLog:FlowLog")
    log_group = _flow_log_group(stack_run)
    assert flow_log.inputs["trafficType"] == "ALL"
    assert flow_log.inputs["logDestinationType"] == "cloud-watch-logs"
    assert flow_log.inputs["logDestination"] == log_group.outputs["arn"]
    assert log_group.inputs["kmsKeyId"] == stack_run.outputs["kmsKeyArns"]["logs"]
    assert log_group.inputs["retentionInDays"] == {"dev": 30, "prod": 365}[stack_run.stack]


def test_flow_log_role_is_pinned_and_writes_only_its_log_group(stack_run: OfflineRun) -> None:
    (role,) = [r for r in stack_run.of_type("aws:iam/role:Role") if r.name.endswith("flow-logs")]
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    account = stack_run.outputs["kmsKeyArns"]["logs"].split(":")[4]
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": account}
    (policy,) = [p for p in stack_run.of_type("aws:iam/rolePolicy:RolePolicy") if p.name.endswith("flow-logs")]
    log_group = _flow_log_group(stack_run)
    write, describe = json.loads(policy.inputs["policy"])["Statement"]
    assert write["Resource"] == [log_group.outputs["arn"], f"{log_group.outputs['arn']}:*"]
    assert "*" not in json.dumps(write["Action"])
    assert describe["Action"] == "logs:DescribeLogGroups"


def test_s3_gateway_endpoint_serves_every_route_table(stack_run: OfflineRun) -> None:
    (s3,) = [
        e for e in stack_run.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") if e.inputs["vpcEndpointType"] == "Gateway"
    ]
    assert s3.inputs["serviceName"] == "com.amazonaws.us-east-1.s3"
    tables = {t.id for t in stack_run.of_type("aws:ec2/routeTable:RouteTable")}
    assert set(s3.inputs["routeTableIds"]) == tables


def test_interface_endpoints_follow_the_tier(stack_run: OfflineRun) -> None:
    interface = [e for e in stack_run.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
                 if e.inputs["vpcEndpointType"] == "Interface"]  # fmt: skip
    if stack_run.stack == "dev":
        assert interface == []
        return
    services = {e.inputs["serviceName"].removeprefix("com.amazonaws.us-east-1.") for e in interface}
    # prod, a region pair's primary, runs its master secret's rotation function in the VPC (Secrets Manager API)
    rotation = {"secretsmanager"} if stack_run.stack == "prod" else set()
    assert services == set(DEFAULT_INTERFACE_ENDPOINT_SERVICES) | rotation
    private_ids = sorted(s.id for s in _subnets(stack_run, "private"))
    (rule,) = [
        r for r in stack_run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.name.endswith("endpoints-https")
    ]  # fmt: skip
    assert (rule.inputs["fromPort"], rule.inputs["toPort"], rule.inputs["cidrIpv4"]) == (
        443,
        443,
        EXPECTED_CIDR["prod"],
    )
    # Two of the three zones (interfaceEndpointZones): any one zone's loss leaves each service an interface.
    assert len({tuple(sorted(e.inputs["subnetIds"])) for e in interface}) == 1
    for endpoint in interface:
        assert endpoint.inputs["privateDnsEnabled"] is True
        assert len(set(endpoint.inputs["subnetIds"])) == 2 and set(endpoint.inputs["subnetIds"]) <= set(private_ids)


def test_all_network_resources_belong_to_the_network_component(stack_run: OfflineRun) -> None:
    (component,) = stack_run.of_type("fintech:network:Network")
    children = [r for r in stack_run.resources if r.parent == component.urn]
    assert len(children) == {"dev": 39, "prod": 50}[stack_run.stack]
    assert all(child.name.startswith(f"{component.name}-") for child in children)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"zone_ids": ("use1-az1", "use1-az2")}, "zone_ids: .* must be exactly 3 distinct"),
        ({"zone_ids": ("use1-az1", "use1-az1", "use1-az2")}, "zone_ids: .* must be exactly 3 distinct"),
        ({"nat_strategy": "two"}, "nat_strategy: 'two' is not one of"),
        ({"flow_log_retention_days": 0}, "flow_log_retention_days: 0 must be positive"),
        ({"vpc_cidr": "10.0.0.0/24"}, "vpc_cidr: '10.0.0.0/24' is too small"),
        ({"interface_endpoint_services": ("sts", "sts")}, "interface_endpoint_services: .* has duplicates"),
    ],
)
def test_bad_network_arguments_are_refused(changes: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {
        "vpc_cidr": "10.0.0.0/16", "zone_ids": ("use1-az1", "use1-az2", "use1-az4"), "region": "us-east-1",
        "account_id": "123456789012", "logs_kms_key_arn": "arn:aws:kms:us-east-1:123456789012:key/x", **changes,
    }  # fmt: skip
    with pytest.raises(InvalidArgumentError, match=message):
        NetworkArgs(**args)
