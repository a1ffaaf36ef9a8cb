"""A VPC across exactly three availability zones, with private placement and flow logs.

Per zone: a public subnet (load balancers, NAT), a private subnet (workloads) and a database
subnet (no route to the internet). CIDRs come from components/subnet_plan.py. NAT is one gateway per
zone (each private route table uses its own zone's) or a single shared gateway. The default security
group is emptied, no subnet maps public IPs, and all traffic is logged to an encrypted log group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.errors import InvalidArgumentError
from components.iam import policy_document, service_trust_policy
from components.shared import encrypted_log_group
from components.subnet_plan import ZONE_COUNT, plan_subnets

DEFAULT_INTERFACE_ENDPOINT_SERVICES = ("ecr.api", "ecr.dkr", "sts", "logs")
"""Services that nodes and pods call when interface endpoints are on: image pulls (ecr.api, ecr.dkr; layers come
through the S3 gateway endpoint), IRSA credentials (sts) and log shipping (logs). Nothing in the VPC calls KMS
(EBS, RDS, ElastiCache, MSK and Secrets Manager use the keys service-side, and the database, cache and Kafka IAM
tokens are signed locally) and no workload reads a secret; the platform adds the secretsmanager endpoint when a
workload does (stacks/builders.py)."""

_ELB_ROLE_TAG = {"public": "kubernetes.io/role/elb", "private": "kubernetes.io/role/internal-elb"}


@dataclass(frozen=True)
class NetworkArgs:
    """Arguments of Network."""

    vpc_cidr: str
    """IPv4 CIDR of the VPC, a private /16 to /20. Required."""
    zone_ids: tuple[str, ...]
    """Exactly three distinct availability zone IDs, in subnet order. Required."""
    region: str
    """Region of the VPC, for endpoint service names. Required."""
    account_id: str
    """Account of the VPC, to pin the flow-log role's trust. Required."""
    logs_kms_key_arn: pulumi.Input[str]
    """Customer-managed key that encrypts the flow-log group. Required."""
    partition: str = "aws"
    """AWS partition for ARNs. Default: aws."""
    nat_strategy: Literal["single", "one-per-az"] = "one-per-az"
    """One NAT gateway per zone, or a single shared one. Default: one-per-az."""
    interface_endpoint_services: tuple[str, ...] = DEFAULT_INTERFACE_ENDPOINT_SERVICES
    """Interface endpoints to create; empty for none. Default: ecr.api, ecr.dkr, sts, logs."""
    interface_endpoint_zones: int = ZONE_COUNT
    """Zones (the first private subnets) with an endpoint network interface for each service: 2 keeps every service
    reachable when any one zone is lost (clients in the third zone cross zones), 1 does not. Default: 3."""
    flow_log_retention_days: int = 365
    """Days the flow-log group keeps records. Default: 365."""

    def __post_init__(self) -> None:
        plan_subnets(self.vpc_cidr)  # raises InvalidArgumentError naming vpc_cidr
        if len(self.zone_ids) != ZONE_COUNT or len(set(self.zone_ids)) != ZONE_COUNT:
            raise InvalidArgumentError(
                f"zone_ids: {list(self.zone_ids)} must be exactly {ZONE_COUNT} distinct zone IDs"
            )
        if self.nat_strategy not in ("single", "one-per-az"):
            raise InvalidArgumentError(f"nat_strategy: '{self.nat_strategy}' is not one of 'single', 'one-per-az'")
        if self.flow_log_retention_days <= 0:
            raise InvalidArgumentError(f"flow_log_retention_days: {self.flow_log_retention_days} must be positive")
        if not 1 <= self.interface_endpoint_zones <= ZONE_COUNT:
            raise InvalidArgumentError(
                f"interface_endpoint_zones: {self.interface_endpoint_zones} is outside 1-{ZONE_COUNT}"
            )
        if len(set(self.interface_endpoint_services)) != len(self.interface_endpoint_services):
            raise InvalidArgumentError(
                f"interface_endpoint_services: {list(self.interface_endpoint_services)} has duplicates"
            )


class Network(pulumi.ComponentResource):
    """VPC, subnets, routing, NAT, subnet groups, endpoints and flow logs over three zones."""

    vpc_id: pulumi.Output[str]
    vpc_cidr_block: pulumi.Output[str]
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]
    database_subnet_ids: pulumi.Output[list[str]]
    db_subnet_group_name: pulumi.Output[str]
    cache_subnet_group_name: pulumi.Output[str]
    nat_gateway_ids: pulumi.Output[list[str]]
    flow_log_group_name: pulumi.Output[str]
    zone_ids: list[str]
    subnet_ids_by_tier: dict[str, list[pulumi.Output[str]]]
    """Subnet IDs of each tier ('public', 'private', 'database') in zone order."""
    interface_endpoints: dict[str, aws.ec2.VpcEndpoint]
    """The interface endpoints by service ('sts', 'secretsmanager', ...); empty when there are none. A caller that
    reaches a service only through its endpoint depends on it (the provider's create waits for the endpoint to be
    'available': terraform-provider-aws internal/service/ec2/vpc_endpoint.go, waitVPCEndpointAvailable)."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:network:Network", name, None, opts)
        self._name = name
        self._child = pulumi.ResourceOptions(parent=self)
        self.zone_ids = list(args.zone_ids)
        plan = plan_subnets(args.vpc_cidr)

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.vpc_cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": f"{name}-vpc"},
            opts=self._child,
        )
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags={"Name": f"{name}-default-sg-unused"},
            opts=self._child,
        )
        subnets = {
            tier: [self._subnet(vpc, tier, zone, str(cidr)) for zone, cidr in zip(args.zone_ids, cidrs, strict=True)]
            for tier, cidrs in plan.items()
        }
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags={"Name": f"{name}-igw"}, opts=self._child)
        public_rt = self._route_table(vpc, "public", subnets["public"])
        self._route(public_rt, "public-internet", gateway_id=igw.id)
        nats = self._nat_gateways(subnets["public"], args.nat_strategy)
        private_rts = []
        for index, subnet in enumerate(subnets["private"]):
            table = self._route_table(vpc, f"private-{index}", [subnet])
            nat = nats[index] if args.nat_strategy == "one-per-az" else nats[0]
            self._route(table, f"private-{index}-internet", nat_gateway_id=nat.id)
            private_rts.append(table)
        database_rt = self._route_table(vpc, "database", subnets["database"])  # no internet route

        database_ids = [subnet.id for subnet in subnets["database"]]
        db_group = aws.rds.SubnetGroup(
            f"{name}-db",
            name=f"{name}-db",
            description=f"{name}: Aurora over the database subnets",
            subnet_ids=database_ids,
            opts=self._child,
        )
        cache_group = aws.elasticache.SubnetGroup(
            f"{name}-cache",
            name=f"{name}-cache",
            description=f"{name}: ElastiCache over the database subnets",
            subnet_ids=database_ids,
            opts=self._child,
        )
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=vpc.id,
            service_name=f"com.amazonaws.{args.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[table.id for table in [public_rt, *private_rts, database_rt]],
            tags={"Name": f"{name}-s3"},
            opts=self._child,
        )
        self.interface_endpoints = (
            self._interface_endpoints(vpc, subnets["private"], args) if args.interface_endpoint_services else {}
        )
        log_group = self._flow_logs(vpc, args)

        self.subnet_ids_by_tier = {tier: [subnet.id for subnet in members] for tier, members in subnets.items()}
        self.vpc_id = vpc.id
        self.vpc_cidr_block = vpc.cidr_block
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in subnets["public"]])
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in subnets["private"]])
        self.database_subnet_ids = pulumi.Output.all(*database_ids)
        self.db_subnet_group_name = db_group.name
        self.cache_subnet_group_name = cache_group.name
        self.nat_gateway_ids = pulumi.Output.all(*[nat.id for nat in nats])
        self.flow_log_group_name = log_group.name
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
                "database_subnet_ids": self.database_subnet_ids,
                "db_subnet_group_name": self.db_subnet_group_name,
                "cache_subnet_group_name": self.cache_subnet_group_name,
                "nat_gateway_ids": self.nat_gateway_ids,
                "flow_log_group_name": self.flow_log_group_name,
            }
        )

    def _subnet(self, vpc: aws.ec2.Vpc, tier: str, zone_id: str, cidr: str) -> aws.ec2.Subnet:
        tags = {"Name": f"{self._name}-{tier}-{zone_id}", "tier": tier}
        if tier in _ELB_ROLE_TAG:
            tags[_ELB_ROLE_TAG[tier]] = "1"
        return aws.ec2.Subnet(
            f"{self._name}-{tier}-{zone_id}",
            vpc_id=vpc.id,
            cidr_block=cidr,
            availability_zone_id=zone_id,
            map_public_ip_on_launch=False,
            tags=tags,
            opts=self._child,
        )

    def _route_table(self, vpc: aws.ec2.Vpc, label: str, subnets: list[aws.ec2.Subnet]) -> aws.ec2.RouteTable:
        table = aws.ec2.RouteTable(
            f"{self._name}-{label}", vpc_id=vpc.id, tags={"Name": f"{self._name}-{label}"}, opts=self._child
        )
        for index, subnet in enumerate(subnets):
            aws.ec2.RouteTableAssociation(
                f"{self._name}-{label}-{index}", subnet_id=subnet.id, route_table_id=table.id, opts=self._child
            )
        return table

    def _route(self, table: aws.ec2.RouteTable, label: str, **target: pulumi.Input[str]) -> None:
        aws.ec2.Route(
            f"{self._name}-{label}",
            route_table_id=table.id,
            destination_cidr_block="0.0.0.0/0",
            opts=self._child,
            **target,
        )

    def _nat_gateways(self, public: list[aws.ec2.Subnet], strategy: str) -> list[aws.ec2.NatGateway]:
        count = ZONE_COUNT if strategy == "one-per-az" else 1
        gateways = []
        for index in range(count):
            eip = aws.ec2.Eip(
                f"{self._name}-nat-{index}", domain="vpc", tags={"Name": f"{self._name}-nat-{index}"}, opts=self._child
            )
            gateways.append(
                aws.ec2.NatGateway(
                    f"{self._name}-nat-{index}",
                    allocation_id=eip.id,
                    subnet_id=public[index].id,
                    connectivity_type="public",
                    tags={"Name": f"{self._name}-nat-{index}"},
                    opts=self._child,
                )
            )
        return gateways

    def _interface_endpoints(
        self, vpc: aws.ec2.Vpc, private: list[aws.ec2.Subnet], args: NetworkArgs
    ) -> dict[str, aws.ec2.VpcEndpoint]:
        group = aws.ec2.SecurityGroup(
            f"{self._name}-endpoints",
            vpc_id=vpc.id,
            description="Interface VPC endpoints: HTTPS from inside the VPC only",
            tags={"Name": f"{self._name}-endpoints"},
            opts=self._child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{self._name}-endpoints-https",
            security_group_id=group.id,
            description="HTTPS from the VPC",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4=args.vpc_cidr,
            opts=self._child,
        )
        endpoints = {}
        for service in args.interface_endpoint_services:
            endpoints[service] = aws.ec2.VpcEndpoint(
                f"{self._name}-{service.replace('.', '-')}",
                vpc_id=vpc.id,
                service_name=f"com.amazonaws.{args.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                # One endpoint network interface per enabled zone; the regional private DNS name answers with
                # the interfaces of every enabled zone, so a client reaches the service from any zone
                # (https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-access-aws-services.html).
                subnet_ids=[subnet.id for subnet in private[: args.interface_endpoint_zones]],
                security_group_ids=[group.id],
                tags={"Name": f"{self._name}-{service}"},
                opts=self._child,
            )
        return endpoints

    def _flow_logs(self, vpc: aws.ec2.Vpc, args: NetworkArgs) -> aws.cloudwatch.LogGroup:
        log_group = encrypted_log_group(
            f"{self._name}-flow-logs",
            f"/vpc/{self._name}/flow-logs",
            args.flow_log_retention_days,
            args.logs_kms_key_arn,
            parent=self,
        )
        trust = service_trust_policy(
            "vpc-flow-logs.amazonaws.com",
            args.account_id,
            f"arn:{args.partition}:ec2:{args.region}:{args.account_id}:vpc-flow-log/*",
        )
        role = aws.iam.Role(f"{self._name}-flow-logs", assume_role_policy=trust, opts=self._child)
        aws.iam.RolePolicy(
            f"{self._name}-flow-logs",
            role=role.id,
            policy=log_group.arn.apply(_flow_log_write_policy),
            opts=self._child,
        )
        aws.ec2.FlowLog(
            f"{self._name}-flow-logs",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags={"Name": f"{self._name}-flow-logs"},
            opts=self._child,
        )
        return log_group


def _flow_log_write_policy(log_group_arn: str) -> str:
    """Least privilege for the flow-log role: write streams of its own log group only."""
    return policy_document(
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            "Resource": [log_group_arn, f"{log_group_arn}:*"],
        },
        {
            "Effect": "Allow",
            "Action": "logs:DescribeLogGroups",
            "Resource": log_group_arn.split(":log-group:")[0] + ":log-group:*",
        },
    )
