"""`ops verify`: nodes per zone, target health, topics, alarm wiring and database users, against moto.

moto 5.2.5 implements EKS clusters and node groups, Auto Scaling, EC2 zones, ELBv2 target health, SNS,
CloudWatch alarms, RDS and the RDS Data API (with canned results). It does not implement the MSK topic
API (kafka ListTopics) nor arc-region-switch, so the topic checks and the Region switch plan's evaluation run
against botocore's Stubber with the real service model (only those two clients are stubbed).
The Kubernetes node list is read from a TLS server on 127.0.0.1 with its own CA, as from a cluster.
"""

from __future__ import annotations

import base64
import datetime
import http.server
import ipaddress
import json
import ssl
import threading
import time
import urllib.error
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from moto.rdsdata.models import QueryResults, rdsdata_backends
from moto.secretsmanager.models import FakeSecret, secretsmanager_backends

from ops.common import Clients, OpsError, Report, load_config
from ops.verify import USERS_SQL, NodeStatus, _kubernetes_readiness, kubernetes_nodes, verify
from ops.verify_metrics import check_metrics
from stacks.config import StackConfig
from tests import test_ops_verify_metrics as verify_metrics_cases
from tests.helpers import PROD_ACCOUNT

ACCOUNT = PROD_ACCOUNT
TAGS = [{"Key": "environment", "Value": "prod"}, {"Key": "project", "Value": "fintech-platform"}]
ZONES = {"use1-az1": "us-east-1b", "use1-az2": "us-east-1c", "use1-az4": "us-east-1d"}
"""moto's names of the prod stack's pinned zone IDs."""
TOPICS = ("ledger.posted", "payments.initiated", "transactions.validated")


def _nodes(skip_zone: str = "") -> None:
    """The cluster, one node group per zone, and each group's Auto Scaling group with one instance."""
    ec2, eks = boto3.client("ec2"), boto3.client("eks")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnets = {
        zone: ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.40.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for i, zone in enumerate(ZONES.values())
    }
    role = f"arn:aws:iam::{ACCOUNT}:role/eks"
    eks.create_cluster(name="fintech-prod", roleArn=role, resourcesVpcConfig={"subnetIds": list(subnets.values())})
    data = {"ImageId": "ami-12c6146b", "InstanceType": "m7g.large"}
    template = ec2.create_launch_template(LaunchTemplateName="nodes", LaunchTemplateData=data)
    for zone, subnet in subnets.items():
        group = eks.create_nodegroup(
            clusterName="fintech-prod", nodegroupName=f"fintech-prod-{zone}", nodeRole=role, subnets=[subnet],
            scalingConfig={"minSize": 1, "maxSize": 3, "desiredSize": 1},
        )  # fmt: skip
        (asg,) = group["nodegroup"]["resources"]["autoScalingGroups"]
        size = 0 if zone == skip_zone else 1
        boto3.client("autoscaling").create_auto_scaling_group(
            AutoScalingGroupName=asg["name"], MinSize=size, MaxSize=3, DesiredCapacity=size, VPCZoneIdentifier=subnet,
            LaunchTemplate={"LaunchTemplateId": template["LaunchTemplate"]["LaunchTemplateId"], "Version": "$Latest"},
        )  # fmt: skip


def _targets(healthy: bool = True) -> None:
    ec2, elbv2 = boto3.client("ec2"), boto3.client("elbv2")
    vpc = ec2.describe_vpcs()["Vpcs"][-1]["VpcId"]
    for workload in ("validator", "payments"):
        tags = [*TAGS, {"Key": "workload", "Value": workload}]
        group = elbv2.create_target_group(
            Name=f"fintech-prod-{workload}", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip", Tags=tags
        )
        if healthy or workload == "validator":
            elbv2.register_targets(TargetGroupArn=group["TargetGroups"][0]["TargetGroupArn"],
                                   Targets=[{"Id": "10.40.1.10", "Port": 8080}])  # fmt: skip
    # A target group of another stack with the same workload tag is not this stack's
    tags = [{"Key": "environment", "Value": "dev"}, {"Key": "workload", "Value": "payments"}]
    elbv2.create_target_group(
        Name="fintech-dev-payments", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip", Tags=tags
    )


def _alarms(wired: bool = True) -> str:
    topic: str = boto3.client("sns").create_topic(Name="fintech-prod-alarms", Tags=TAGS)["TopicArn"]
    other = boto3.client("sns").create_topic(Name="somebody-else")["TopicArn"]
    cloudwatch = boto3.client("cloudwatch")
    for suffix, actions in (("db-cpu-1a2b3c4", [topic]), ("cache-memory-5d6e7f8", [topic] if wired else [other])):
        cloudwatch.put_metric_alarm(
            AlarmName=f"fintech-prod-{suffix}", Namespace="AWS/RDS", MetricName="CPUUtilization", Statistic="Average",
            Period=300, EvaluationPeriods=3, Threshold=80, ComparisonOperator="GreaterThanThreshold",
            AlarmActions=actions, OKActions=actions, Tags=TAGS,
        )  # fmt: skip
    return topic


def _database(users: dict[str, tuple[bool, bool, bool]]) -> None:
    # moto models the Data API only on Aurora Serverless v1 (engine mode serverless, PostgreSQL 10.x); AWS offers
    # it on Serverless v2 and provisioned Aurora PostgreSQL too (https://docs.aws.amazon.com/AmazonRDS/latest/
    # AuroraUserGuide/data-api.html), so this cluster's shape only serves to switch moto's HttpEndpointEnabled on.
    boto3.client("rds").create_db_cluster(
        DBClusterIdentifier="fintech-prod", Engine="aurora-postgresql", EngineMode="serverless", EngineVersion="10.14",
        MasterUsername="platform_admin", MasterUserPassword="x" * 40, EnableHttpEndpoint=True,
        DatabaseName="payments", Tags=TAGS,
    )  # fmt: skip
    # prod is a global database primary: its master credential is the generated secret (components/secrets.py).
    boto3.client("secretsmanager").create_secret(Name="fintech-prod/aurora-master-20261123", SecretString="{}")
    # ... rotated 3 days ago on a 30-day schedule: moto's RotateSecret needs a runnable Lambda function, so the
    # rotation state is set on moto's model (the rotation check's cases are in tests/test_ops_verify_rotation.py).
    secret = secretsmanager_backends[ACCOUNT]["us-east-1"].secrets["fintech-prod/aurora-master-20261123"]
    assert isinstance(secret, FakeSecret)
    secret.rotation_requested, secret.rotation_enabled, secret.auto_rotate_after_days = True, True, 30
    secret.last_rotation_date = int(time.time()) - 3 * 86400
    records: list[list[dict[str, Any]]] = [
        [{"stringValue": name}, {"booleanValue": login}, {"booleanValue": iam}, {"booleanValue": connect}]
        for name, (login, iam, connect) in users.items()
    ]
    rdsdata_backends[ACCOUNT]["us-east-1"].results_queue.append(QueryResults(records=records))


def _kafka(clients: Clients, topics: tuple[str, ...] = TOPICS) -> Stubber:
    arn = f"arn:aws:kafka:us-east-1:{ACCOUNT}:cluster/fintech-prod/6a3e0f1b-1111-2222-3333-444455556666-2"
    stubber = Stubber(clients("kafka"))
    stubber.add_response("list_clusters_v2", {"ClusterInfoList": [
        {"ClusterName": "fintech-prod-x", "ClusterArn": arn + "x", "State": "ACTIVE"},
        {"ClusterName": "fintech-prod", "ClusterArn": arn, "State": "ACTIVE"},
    ]}, {"ClusterNameFilter": "fintech-prod"})  # fmt: skip
    stubber.add_response("list_topics", {"Topics": [{"TopicName": topic, "TopicArn": f"{arn}/{topic}"}
                                                    for topic in topics]}, {"ClusterArn": arn})  # fmt: skip
    stubber.activate()
    return stubber


def _arc(clients: Clients) -> Stubber:
    """prod's plan, evaluated and passed (tests/test_ops_verify_region_switch.py covers the failing cases)."""
    from tests.test_ops_verify_region_switch import passing_plan

    return passing_plan(clients("arc-region-switch"))


def _ready_nodes(ready: bool = True) -> Any:
    def read(endpoint: str, ca_pem: str, token: str) -> list[NodeStatus]:
        assert endpoint.startswith("https://") and token.startswith("k8s-aws-v1.")
        return [NodeStatus(f"node-{zone}", zone, ready or zone != "us-east-1d") for zone in ZONES.values()]

    return read


ALL_USERS = {"payments_app": (True, True, True), "ledger_app": (True, True, True)}


def _run(config: StackConfig | None = None, topics: tuple[str, ...] = TOPICS, **kwargs: Any) -> Report:
    clients = Clients("us-east-1")
    _kafka(clients, topics)
    config = config or load_config("prod")
    paired = config.region_pair_role != "none"
    if paired:
        _arc(clients)
    lines: list[str] = []
    kwargs.setdefault("metrics", _working_metrics)
    report = verify("prod", config, clients, progress=lines.append, **kwargs)
    last = "[8/8] region switch plan:" if paired else "[7/7] database users:"
    assert lines[0] == f"[1/{7 + paired}] checking nodes of fintech-prod ..." and lines[-1].startswith(last)
    return report


def _working_metrics(report: Report, clients: Clients, prefix: str, trace_encryption: bool) -> None:
    """The metrics step against a deployed workspace (tests/test_ops_verify_metrics.py: moto has no AMP scrapers nor
    X-Ray encryption settings)."""
    assert prefix == "fintech-prod" and trace_encryption
    check_metrics(report, verify_metrics_cases.stubbed_clients(), prefix, verify_metrics_cases.up_answer())


def _statuses(report: Report) -> dict[str, str]:
    return {finding.check: finding.status for finding in report.findings}


def test_a_working_platform_passes_every_check(aws: None) -> None:
    _nodes()
    _targets()
    topic = _alarms()
    _database(ALL_USERS)
    report = _run(read_nodes=_ready_nodes())
    assert not report.failed, report.text()
    statuses = _statuses(report)
    assert {"nodes-use1-az1", "nodes-use1-az2", "nodes-use1-az4", "kubernetes-nodes-ready", "kubernetes-ready-zones",
            "targets-validator", "targets-payments", "topic-transactions.validated", "topic-payments.initiated",
            "topic-ledger.posted", "alarms-wired", "database-user-payments_app", "master-secret-rotation",
            "database-user-ledger_app", "metrics-workspace", "collector-eks"} <= set(statuses)  # fmt: skip
    assert set(statuses.values()) == {"pass"}
    assert "region-switch-evaluation" in statuses
    assert next(f.resource for f in report.findings if f.check == "alarm-topic") == topic
    assert "targets-ledger" not in statuses  # the ledger is internal: no target group
    assert "a login as this IAM user needs a network path" in report.text()


def test_every_failure_is_reported_and_fails_the_run(aws: None) -> None:
    _nodes(skip_zone="us-east-1d")
    _targets(healthy=False)
    _alarms(wired=False)
    _database({"payments_app": (True, False, True)})
    report = _run(topics=("transactions.validated",), read_nodes=_ready_nodes(ready=False))
    statuses = _statuses(report)
    assert report.failed
    failing = {check for check, status in statuses.items() if status == "fail"}
    assert failing == {"node-group-fintech-prod-us-east-1d", "nodes-use1-az4", "kubernetes-nodes-ready",
                       "kubernetes-ready-zones", "targets-payments", "topic-payments.initiated", "topic-ledger.posted",
                       "alarm-fintech-prod-cache-memory-5d6e7f8", "database-user-payments_app",
                       "database-user-ledger_app"}  # fmt: skip
    text = report.text()
    assert "0 in-service node(s) in us-east-1d" in text
    assert "not Ready: node-us-east-1d" in text
    assert "targets by state: none registered" in text
    assert "exists: True, can log in: True, rds_iam: False" in text
    assert "exists: False" in text


def test_dev_tolerates_an_empty_zone_but_says_so(aws: None) -> None:
    _nodes(skip_zone="us-east-1d")
    _targets()
    _alarms()
    _database(ALL_USERS)
    config = load_config("dev")
    report = _run(config.model_copy(update={"account_id": ACCOUNT}), read_nodes=_ready_nodes())
    statuses = _statuses(report)
    assert statuses["nodes-use1-az4"] == "warn" and statuses["nodes-use1-az1"] == "pass"


def test_an_unreachable_kubernetes_api_is_a_warning_that_names_it(aws: None) -> None:
    _nodes()
    _targets()
    _alarms()
    _database(ALL_USERS)

    def unreachable(endpoint: str, ca_pem: str, token: str) -> list[NodeStatus]:
        raise OSError("timed out")

    report = _run(read_nodes=unreachable)
    finding = next(f for f in report.findings if f.check == "kubernetes-nodes-ready")
    assert finding.status == "warn"
    assert "is not reachable from here (timed out); the node Ready condition was not checked" in finding.detail
    assert not report.failed


def test_nothing_deployed_fails_clearly(aws: None) -> None:
    clients = Clients("us-east-1")
    stubber = Stubber(clients("kafka"))
    stubber.add_response("list_clusters_v2", {"ClusterInfoList": []})
    stubber.activate()
    arc = Stubber(clients("arc-region-switch"))
    arc.add_response("list_plans_in_region", {"plans": []})
    arc.activate()
    report = verify("prod", load_config("prod"), clients, progress=lambda _: None)
    statuses = _statuses(report)
    assert statuses["region-switch-plan"] == "fail"
    assert statuses["eks-cluster"] == "fail" and statuses["kafka-cluster"] == "fail"
    assert statuses["database"] == "fail" and statuses["alarm-topic"] == "fail"
    assert statuses["targets-validator"] == "fail"
    assert "cluster fintech-prod not found" in report.text()
    assert statuses["trace-encryption"] == "fail" and "cannot read X-Ray's encryption" in report.text()


def test_a_database_without_the_data_api_is_not_checked_and_says_so(aws: None) -> None:
    boto3.client("rds").create_db_cluster(DBClusterIdentifier="fintech-prod", Engine="aurora-postgresql",
                                          MasterUsername="platform_admin", ManageMasterUserPassword=True)  # fmt: skip
    report = Report("verify", "prod")
    from ops.verify import check_database_users

    check_database_users(report, Clients("us-east-1"), "fintech-prod")
    finding = next(f for f in report.findings if f.check == "database-users")
    assert finding.status == "warn" and "RDS Data API is off" in finding.detail


def test_the_users_query_names_the_workload_users_as_parameters() -> None:
    sql = USERS_SQL.format(names=":u0, :u1")
    assert "pg_has_role(r.rolname, 'rds_iam', 'MEMBER')" in sql and "IN (:u0, :u1)" in sql


def test_verify_refuses_another_account(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "999988887777")
    with pytest.raises(OpsError, match=r"pinned to account 111122223333.*belong to account 999988887777"):
        verify("prod", load_config("prod"), Clients("us-east-1"), progress=lambda _: None)


# --- the Kubernetes API over TLS ---------------------------------------------------------------------------


def _certificate(directory: Path) -> tuple[str, Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(1).not_valid_before(now - datetime.timedelta(minutes=1))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))  # fmt: skip
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    (directory / "cert.pem").write_text(pem)
    (directory / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return pem, directory / "cert.pem", directory / "key.pem"


def _other_ca(tmp_path: Path) -> str:
    (tmp_path / "other").mkdir()
    return _certificate(tmp_path / "other")[0]


NODES = {"kind": "NodeList", "items": [
    {"metadata": {"name": "ip-10-40-1-10", "labels": {"topology.kubernetes.io/zone": "us-east-1b"}},
     "status": {"conditions": [{"type": "MemoryPressure", "status": "False"}, {"type": "Ready", "status": "True"}]}},
    {"metadata": {"name": "ip-10-40-2-10", "labels": {"topology.kubernetes.io/zone": "us-east-1c"}},
     "status": {"conditions": [{"type": "Ready", "status": "Unknown"}]}},
]}  # fmt: skip


@pytest.fixture
def api_server(tmp_path: Path) -> Iterator[tuple[str, str, list[str]]]:
    """An HTTPS server on 127.0.0.1 answering GET /api/v1/nodes; yields its URL, its CA and the auth headers seen."""
    pem, cert, key = _certificate(tmp_path)
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("Authorization", ""))
            body = json.dumps(NODES).encode() if self.path == "/api/v1/nodes" else b"{}"
            self.send_response(200 if self.path == "/api/v1/nodes" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", pem, seen
    finally:
        server.shutdown()
        server.server_close()


def test_kubernetes_nodes_are_read_over_tls_with_the_clusters_ca(api_server: tuple[str, str, list[str]]) -> None:
    url, ca_pem, seen = api_server
    nodes = kubernetes_nodes(url, ca_pem, "k8s-aws-v1.token")
    assert nodes == [NodeStatus("ip-10-40-1-10", "us-east-1b", True), NodeStatus("ip-10-40-2-10", "us-east-1c", False)]
    assert seen == ["Bearer k8s-aws-v1.token"]


def test_kubernetes_api_with_another_ca_is_refused(api_server: tuple[str, str, list[str]], tmp_path: Path) -> None:
    url, _, seen = api_server
    other_ca = _other_ca(tmp_path)
    with pytest.raises(urllib.error.URLError) as refused:
        kubernetes_nodes(url, other_ca, "k8s-aws-v1.token")
    assert isinstance(refused.value.reason, ssl.SSLCertVerificationError)
    assert seen == []  # no token was sent to a server the cluster's CA does not vouch for


def test_verify_fails_when_the_api_certificate_is_not_the_clusters(
    api_server: tuple[str, str, list[str]], aws: None, tmp_path: Path
) -> None:
    url = api_server[0]
    other_ca = base64.b64encode(_other_ca(tmp_path).encode()).decode()
    report = Report("verify", "prod")
    _kubernetes_readiness(report, Clients("us-east-1"), "fintech-prod",
                          {"endpoint": url, "certificateAuthority": {"data": other_ca}},
                          dict(ZONES), kubernetes_nodes, high_availability=True)  # fmt: skip
    (finding,) = report.findings
    assert finding.status == "fail" and "does not present a certificate of the cluster's CA" in finding.detail
