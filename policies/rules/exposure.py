"""Network exposure: nothing reachable from the internet but the ALB's 80/443."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity

from policies.address_space import covers_public_internet
from policies.rules.base import ResourceView, Rule, of_type
from policies.rules.shapes import eks_public_access

AREA = "exposure"
PUBLIC_CIDRS = ("0.0.0.0/0", "::/0")
DATA_STORE_PORTS = (5432, 6379, 9098)


def _ingress_rules(r: ResourceView) -> list[Mapping[str, Any]]:
    """Ingress permissions of a rule resource or of a security group's inline rules."""
    if r.type == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        cidr = r.get("cidrIpv4") or r.get("cidrIpv6")
        return [{"cidrs": [cidr] if cidr else [], "from": r.get("fromPort"), "to": r.get("toPort"),
                 "protocol": r.get("ipProtocol")}]  # fmt: skip
    if r.type == "aws:ec2/securityGroupRule:SecurityGroupRule":
        if r.get("type") != "ingress":
            return []
        return [{"cidrs": (r.get("cidrBlocks") or []) + (r.get("ipv6CidrBlocks") or []), "from": r.get("fromPort"),
                 "to": r.get("toPort"), "protocol": r.get("protocol")}]  # fmt: skip
    return [
        {"cidrs": (rule.get("cidrBlocks") or []) + (rule.get("ipv6CidrBlocks") or []), "from": rule.get("fromPort"),
         "to": rule.get("toPort"), "protocol": rule.get("protocol")}
        for rule in r.get("ingress") or []
    ]  # fmt: skip


def _ports(rule: Mapping[str, Any]) -> set[int]:
    if str(rule.get("protocol")) in ("-1", "all"):
        return set(range(0, 65536))
    low, high = int(rule.get("from") or 0), int(rule.get("to") or rule.get("from") or 0)
    return set(range(low, high + 1))


def covers_internet(cidrs: Iterable[str]) -> bool:
    """Whether the CIDRs together admit every public IPv4 (or global IPv6) address: 0.0.0.0/1 plus 128.0.0.0/1,
    or blocks around the reserved space, are as open as 0.0.0.0/0 (policies/address_space.py, which the stack
    config's check shares)."""
    return covers_public_internet(cidrs)


def _world_open_ports(rules: Sequence[Mapping[str, Any]], allowed: set[int]) -> list[int]:
    """Ports outside `allowed` on which the CIDRs of `rules`, taken together, admit the whole internet."""
    ports_of = [(_ports(rule) - allowed, rule["cidrs"]) for rule in rules if rule["cidrs"]]
    candidates: set[int] = set().union(*(ports for ports, _ in ports_of)) if ports_of else set()
    open_ports = []
    # Ports admitted by the same set of rules share a verdict: judge one port per distinct rule set.
    verdicts: dict[frozenset[int], bool] = {}
    for port in sorted(candidates):
        members = frozenset(i for i, (ports, _) in enumerate(ports_of) if port in ports)
        if members not in verdicts:
            verdicts[members] = covers_internet(c for i in members for c in ports_of[i][1])
        if verdicts[members]:
            open_ports.append(port)
    return open_ports


def _describe_ports(ports: list[int], allowed: set[int]) -> str:
    shown = f"{ports[0]}-{ports[-1]}" if len(ports) > 3 else ", ".join(map(str, ports))
    return f"ingress from the internet on port(s) {shown}; only {sorted(allowed)} may be public"


def _no_world_ingress(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    allowed = set(config["publicPorts"])
    extra = _world_open_ports(_ingress_rules(r), allowed)
    if extra:
        yield _describe_ports(extra, allowed)


def _no_world_ingress_combined(
    resources: Sequence[ResourceView], config: Mapping[str, Any]
) -> Iterable[tuple[str, str]]:
    """Separate ingress-rule resources of one security group that together admit the whole internet."""
    allowed = set(config["publicPorts"])
    by_group: dict[str, list[ResourceView]] = {}
    for r in of_type(resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                     "aws:ec2/securityGroupRule:SecurityGroupRule"):  # fmt: skip
        groups = sorted(r.depends_on("securityGroupId")) or [str(r.get("securityGroupId") or "")]
        by_group.setdefault(groups[0], []).append(r)
    for group, members in by_group.items():
        if len(members) < 2 or not group:
            continue
        rules = [rule for member in members for rule in _ingress_rules(member)]
        extra = _world_open_ports(rules, allowed)
        if extra:
            names = sorted(member.name for member in members)
            yield members[0].urn, f"{_describe_ports(extra, allowed)} (rules {names} together cover every address)"


def _data_store_ingress_by_group(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    for rule in _ingress_rules(r):
        ports = _ports(rule) & set(DATA_STORE_PORTS)
        if ports and rule["cidrs"]:
            yield f"data-store port(s) {sorted(ports)} admit CIDRs {rule['cidrs']}; admit client security groups only"


def _not_public(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if r.type == "aws:rds/clusterInstance:ClusterInstance" and r.get("publiclyAccessible") is not False:
        yield "the database instance is publicly accessible (or publiclyAccessible is not set to false explicitly)"
    if r.type == "aws:msk/cluster:Cluster":
        access = r.get("brokerNodeGroupInfo.connectivityInfo.publicAccess.type", "DISABLED")
        if access != "DISABLED":
            yield f"brokers have public access {access}"


def _data_stores_in_private_subnets(
    resources: Sequence[ResourceView], _: Mapping[str, Any]
) -> Iterable[tuple[str, str]]:
    """Subnet groups of data stores contain no subnet that maps public IPs or routes to an internet gateway."""
    gateways = {g.urn for g in of_type(resources, "aws:ec2/internetGateway:InternetGateway")}
    routes = of_type(resources, "aws:ec2/route:Route")
    public_tables = {urn for route in routes if route.depends_on("gatewayId") & gateways
                     for urn in route.depends_on("routeTableId")}  # fmt: skip
    public_subnets = {
        s.urn for s in of_type(resources, "aws:ec2/subnet:Subnet") if s.get("mapPublicIpOnLaunch") is True
    }
    for association in of_type(resources, "aws:ec2/routeTableAssociation:RouteTableAssociation"):
        if association.depends_on("routeTableId") & public_tables:
            public_subnets |= association.depends_on("subnetId")
    for group in of_type(resources, "aws:rds/subnetGroup:SubnetGroup", "aws:elasticache/subnetGroup:SubnetGroup"):
        exposed = sorted(group.depends_on("subnetIds") & public_subnets)
        if exposed:
            yield group.urn, f"data-store subnet group includes public subnets {[u.split('::')[-1] for u in exposed]}"


def _subnet_no_public_ip(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if r.get("mapPublicIpOnLaunch") is not False:
        yield "the subnet may give instances public IPs (mapPublicIpOnLaunch must be false, set explicitly)"


def _eks_endpoint(r: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
    public, cidrs = eks_public_access(r)
    if not public:
        return
    if config["requirePrivateEndpoint"]:
        yield "the Kubernetes API has a public endpoint; this tier requires a private endpoint only"
    if covers_internet(cidrs):
        yield f"the public Kubernetes API endpoint is open to {list(cidrs)} (together they cover the internet)"


def _default_sg_closed(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if r.get("ingress") is None or r.get("egress") is None:
        yield "ingress and egress must be set explicitly to empty lists"
    elif r.get("ingress") or r.get("egress"):
        yield "the default security group has rules; it must admit and send nothing"


def _default_sg_managed(resources: Sequence[ResourceView], _: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    groups = of_type(resources, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    managed = set().union(*(g.depends_on("vpcId") for g in groups))
    for vpc in of_type(resources, "aws:ec2/vpc:Vpc"):
        if vpc.urn not in managed:
            yield vpc.urn, "the VPC's default security group is not managed (emptied) by the program"


def _bucket_public_access_blocked(resources: Sequence[ResourceView], _: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    blocked = set().union(*(b.depends_on("bucket")
                            for b in of_type(resources, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
                            if all(b.get(flag) is True for flag in flags)))  # fmt: skip
    for bucket in of_type(resources, "aws:s3/bucket:Bucket"):
        if bucket.urn not in blocked:
            yield bucket.urn, "bucket lacks a public access block with all four settings on"


def _secret_policy(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    if r.get("blockPublicPolicy") is not True:
        yield "the secret policy does not block public policies (blockPublicPolicy must be true)"


RULES = [
    Rule("no-world-ingress", AREA, "No security group admits the internet except on the ALB's 80 and 443.",
         Severity.CRITICAL, "1.3.1", "Replace 0.0.0.0/0 with the client security group or a narrow CIDR.",
         ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:ec2/securityGroupRule:SecurityGroupRule",
          "aws:ec2/securityGroup:SecurityGroup"), _no_world_ingress,
         config={"publicPorts": {"type": "array", "items": {"type": "integer"}, "default": [80, 443]}}),
    Rule("no-world-ingress-combined", AREA, "No security group admits the internet through several rules whose CIDRs "
         "together cover it (0.0.0.0/1 + 128.0.0.0/1), except on the ALB's 80 and 443.", Severity.CRITICAL, "1.3.1",
         "Admit the client security group or narrow CIDRs; split ranges do not make the internet smaller.",
         stack_check=_no_world_ingress_combined,
         config={"publicPorts": {"type": "array", "items": {"type": "integer"}, "default": [80, 443]}}),
    Rule("data-store-ingress-by-security-group", AREA, "Data-store ports admit client security groups, never CIDRs.",
         Severity.HIGH, "1.3.1", "Use referencedSecurityGroupId (the EKS node/pod group) instead of a CIDR.",
         ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:ec2/securityGroupRule:SecurityGroupRule",
          "aws:ec2/securityGroup:SecurityGroup"), _data_store_ingress_by_group),
    Rule("data-stores-not-public", AREA, "Databases and brokers are not publicly accessible.", Severity.CRITICAL,
         "1.4.4", "Set publiclyAccessible=false / publicAccess DISABLED.",
         ("aws:rds/clusterInstance:ClusterInstance", "aws:msk/cluster:Cluster"), _not_public),
    Rule("data-stores-in-private-subnets", AREA, "Data-store subnet groups contain only non-public subnets.",
         Severity.HIGH, "1.4.4", "Build DB and cache subnet groups over the database subnets.",
         stack_check=_data_stores_in_private_subnets),
    Rule("subnets-no-public-ip", AREA, "No subnet assigns public IPs on launch.", Severity.HIGH, "1.3.1",
         "Set mapPublicIpOnLaunch=false; only load balancers and NAT live in public subnets.",
         ("aws:ec2/subnet:Subnet",), _subnet_no_public_ip),
    Rule("eks-endpoint-private", AREA, "The Kubernetes API is private (prod) or limited to listed CIDRs, never open.",
         Severity.CRITICAL, "1.4.1", "Turn endpointPublicAccess off, or list your CIDRs in publicAccessCidrs.",
         ("eks:index:Cluster", "aws:eks/cluster:Cluster"), _eks_endpoint,
         config={"requirePrivateEndpoint": {"type": "boolean", "default": True}}),
    Rule("default-security-group-closed", AREA, "The default security group has no rules.", Severity.MEDIUM,
         "1.3.2", "Manage aws.ec2.DefaultSecurityGroup with empty ingress and egress.",
         ("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",), _default_sg_closed),
    Rule("default-security-group-managed", AREA, "Every VPC's default security group is managed (and emptied).",
         Severity.MEDIUM, "1.3.2", "Add an aws.ec2.DefaultSecurityGroup for the VPC with no rules.",
         stack_check=_default_sg_managed),
    Rule("s3-public-access-blocked", AREA, "Every bucket blocks public access.", Severity.CRITICAL, "1.4.4",
         "Add a BucketPublicAccessBlock with all four settings true.", stack_check=_bucket_public_access_blocked),
    Rule("secret-policy-blocks-public", AREA, "Secret resource policies block public policies.", Severity.HIGH,
         "7.2.1", "Set blockPublicPolicy=true on the SecretPolicy.",
         ("aws:secretsmanager/secretPolicy:SecretPolicy",), _secret_policy),
]  # fmt: skip
