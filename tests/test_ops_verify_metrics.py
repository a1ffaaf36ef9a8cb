"""`ops verify`, metrics part (ops/verify_metrics.py): workspace, collectors and the EKS collector's access entry,
rule groups, Alertmanager and every scrape job `up`.

moto 5.2.5 implements neither AMP scrapers nor EKS access entries, so the AMP and EKS calls run against botocore's
Stubber with the real service models (a wrong parameter or response shape fails the test); the workspace query is a
function given to the check, and the SigV4 signing of the real one is tested against a local HTTP server."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.parse
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from components.prometheus_config import SCRAPED_METRICS
from ops.common import Clients, Report
from ops.verify_metrics import (
    UP_QUERY,
    check_metrics,
    expected_rule_groups,
    preflight_trace_encryption,
    query_workspace,
)
from tests.helpers import PROD_ACCOUNT

WORKSPACE = "ws-11111111-2222-3333-4444-555555555555"
ENDPOINT = f"https://aps-workspaces.us-east-1.amazonaws.com/workspaces/{WORKSPACE}/"
ROLE = (f"arn:aws:iam::{PROD_ACCOUNT}:role/aws-service-role/scraper.aps.amazonaws.com/"
        "AWSServiceRoleForAmazonPrometheusScraper_1234abcd-56ef")  # fmt: skip
NOW = "2026-12-05T12:00:00Z"


def _status(code: str) -> dict[str, str]:
    return {"statusCode": code}


TRACE_KEY = f"arn:aws:kms:us-east-1:{PROD_ACCOUNT}:key/7e1a0c52-0000-4000-8000-000000000001"
OTHER_KEY = f"arn:aws:kms:us-east-1:{PROD_ACCOUNT}:key/7e1a0c52-0000-4000-8000-000000000002"


def _key(arn: str, manager: str = "CUSTOMER") -> dict[str, Any]:
    return {"KeyMetadata": {"KeyId": arn.rsplit("/", 1)[-1], "Arn": arn, "KeyManager": manager}}


def stub_trace_encryption(clients: Clients, xray_key: str = TRACE_KEY, kind: str = "KMS", status: str = "ACTIVE",
                          manager: str = "CUSTOMER", owned: bool = True,
                          destination: str = "XRay") -> None:  # fmt: skip
    """X-Ray's segment destination and encryption setting as X-Ray answers them, and the key look-ups the check
    makes."""
    xray = Stubber(clients("xray"))
    xray.add_response("get_trace_segment_destination", {"Destination": destination, "Status": "ACTIVE"}, {})
    if destination != "XRay":
        xray.activate()
        return
    setting = {"Type": kind, "Status": status, **({"KeyId": xray_key} if kind == "KMS" else {})}
    xray.add_response("get_encryption_config", {"EncryptionConfig": setting}, {})
    xray.activate()
    if kind != "KMS":
        return
    kms = Stubber(clients("kms"))
    kms.add_response("describe_key", _key(xray_key, manager), {"KeyId": xray_key})
    if owned and manager == "CUSTOMER":
        kms.add_response("describe_key", _key(TRACE_KEY), {"KeyId": "alias/fintech-prod-traces-xray"})
    kms.activate()


def stubbed_clients(
    scraper_state: str = "ACTIVE",
    access_entry: bool = True,
    missing_group: str = "",
    alertmanager: str = "ACTIVE",
    **traces: Any,
) -> Clients:
    """Clients whose AMP, EKS, X-Ray and KMS calls answer as a deployed prod stack (with the given faults)."""
    clients = Clients("us-east-1", session=boto3.session.Session(aws_access_key_id="a", aws_secret_access_key="b"))
    stub_trace_encryption(clients, **traces)
    amp = Stubber(clients("amp"))
    ws = {"workspaceId": WORKSPACE, "alias": "fintech-prod-metrics", "status": _status("ACTIVE"), "createdAt": NOW,
          "arn": f"arn:aws:aps:us-east-1:1:workspace/{WORKSPACE}"}  # fmt: skip
    other = {**ws, "workspaceId": "ws-x", "alias": "fintech-prod-metricsx"}
    amp.add_response("list_workspaces", {"workspaces": [ws, other]}, {"alias": "fintech-prod-metrics"})
    amp.add_response("describe_workspace", {"workspace": {**ws, "prometheusEndpoint": ENDPOINT,
                                                          "kmsKeyArn": "arn:aws:kms:us-east-1:1:key/k"}},
                     {"workspaceId": WORKSPACE})  # fmt: skip
    for source in ("eks", "msk"):
        alias = f"fintech-prod-metrics-{source}"
        scraper = {"alias": alias, "scraperId": f"s-{source}", "arn": f"arn:aws:aps:us-east-1:1:scraper/s-{source}",
                   "roleArn": ROLE, "status": _status(scraper_state if source == "eks" else "ACTIVE"),
                   "createdAt": NOW, "lastModifiedAt": NOW,
                   "source": {"vpcConfiguration": {"securityGroupIds": ["sg-1"], "subnetIds": ["s-1", "s-2"]}},
                   "destination": {"ampConfiguration": {"workspaceArn": ws["arn"]}}}  # fmt: skip
        amp.add_response("list_scrapers", {"scrapers": [scraper]}, {"filters": {"alias": [alias]}})
        if source == "eks":
            eks = Stubber(clients("eks"))
            principal = f"arn:aws:iam::{PROD_ACCOUNT}:role/AWSServiceRoleForAmazonPrometheusScraper_1234abcd-56ef"
            entries = [f"arn:aws:iam::{PROD_ACCOUNT}:role/admin", *([principal] if access_entry else [])]
            eks.add_response("list_access_entries", {"accessEntries": entries}, {"clusterName": "fintech-prod"})
            eks.activate()
    groups = [{"name": name, "arn": f"arn:aws:aps:us-east-1:1:rulegroupsnamespace/{WORKSPACE}/{name}",
               "status": _status("ACTIVE"), "createdAt": NOW, "modifiedAt": NOW}
              for name in expected_rule_groups() if name != missing_group]  # fmt: skip
    amp.add_response("list_rule_groups_namespaces", {"ruleGroupsNamespaces": groups}, {"workspaceId": WORKSPACE})
    amp.add_response("describe_alert_manager_definition", {"alertManagerDefinition": {
        "status": {"statusCode": alertmanager, **({"statusReason": "bad YAML"} if alertmanager != "ACTIVE" else {})},
        "data": b"x", "createdAt": NOW, "modifiedAt": NOW}}, {"workspaceId": WORKSPACE})  # fmt: skip
    amp.activate()
    return clients


def up_answer(down: str = "", absent: str = "") -> Any:
    """A query function answering `min by (job) (up)` with every job up, but `down` (0) and `absent`."""

    def query(clients: Clients, endpoint: str, promql: str) -> dict[str, Any]:
        assert endpoint == ENDPOINT and promql == UP_QUERY
        result = [{"metric": {"job": job}, "value": [1733400000, "0" if job == down else "1"]}
                  for job in SCRAPED_METRICS if job != absent]  # fmt: skip
        return {"status": "success", "data": {"resultType": "vector", "result": result}}

    return query


def _findings(report: Report) -> dict[str, str]:
    return {f.check: f.status for f in report.findings}


def test_a_working_workspace_passes_every_check() -> None:
    report = Report("verify", "prod")
    check_metrics(report, stubbed_clients(), "fintech-prod", up_answer())
    findings = _findings(report)
    assert not report.failed, report.text()
    assert {"trace-encryption", "metrics-workspace", "metrics-workspace-cmk", "collector-eks", "collector-msk",
            "collector-access-entry", "alertmanager", *(f"rule-group-{g}" for g in expected_rule_groups()),
            *(f"scrape-job-{job}" for job in SCRAPED_METRICS)} == set(findings)  # fmt: skip


@pytest.mark.parametrize(
    ("faults", "down", "absent", "failed"),
    [
        ({"scraper_state": "CREATING"}, "", "", {"collector-eks"}),
        ({"access_entry": False}, "", "", {"collector-access-entry"}),
        ({"missing_group": "slo-alerts"}, "", "", {"rule-group-slo-alerts"}),
        ({"alertmanager": "CREATION_FAILED"}, "", "", {"alertmanager"}),
        ({}, "msk-jmx", "workloads", {"scrape-job-msk-jmx", "scrape-job-workloads"}),
        ({"kind": "NONE"}, "", "", {"trace-encryption"}),
        ({"xray_key": OTHER_KEY}, "", "", {"trace-encryption"}),
        ({"xray_key": OTHER_KEY, "manager": "AWS"}, "", "", {"trace-encryption"}),
        ({"status": "UPDATING"}, "", "", {"trace-encryption"}),
        ({"destination": "CloudWatchLogs"}, "", "", {"trace-encryption"}),
    ],
)
def test_each_failure_is_named(faults: dict[str, Any], down: str, absent: str, failed: set[str]) -> None:
    report = Report("verify", "prod")
    check_metrics(report, stubbed_clients(**faults), "fintech-prod", up_answer(down, absent))
    assert {f.check for f in report.findings if f.status == "fail"} == failed


def test_a_stack_that_does_not_own_x_ray_encryption_still_needs_a_customer_managed_key() -> None:
    """traceEncryption false: another stack's key passes, X-Ray's default or the AWS managed key does not."""
    cases: list[tuple[dict[str, Any], bool]] = [({"xray_key": OTHER_KEY}, True), ({"kind": "NONE"}, False),
                                                ({"xray_key": OTHER_KEY, "manager": "AWS"}, False)]  # fmt: skip
    for faults, ok in cases:
        report = Report("verify", "prod")
        check_metrics(report, stubbed_clients(owned=False, **faults), "fintech-prod", up_answer(),
                      trace_encryption=False)  # fmt: skip
        assert _findings(report)["trace-encryption"] == ("pass" if ok else "fail"), (faults, report.text())


def test_no_workspace_fails_at_once() -> None:
    clients = Clients("us-east-1")
    stub_trace_encryption(clients)
    amp = Stubber(clients("amp"))
    amp.add_response("list_workspaces", {"workspaces": []}, {"alias": "fintech-prod-metrics"})
    amp.activate()
    report = Report("verify", "prod")
    check_metrics(report, clients, "fintech-prod", up_answer())
    assert [(f.check, f.status) for f in report.findings] == [
        ("trace-encryption", "pass"),
        ("metrics-workspace", "fail"),
    ]


@pytest.fixture
def query_server() -> Iterator[tuple[str, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
            body = json.dumps({"status": "success", "data": {"resultType": "vector", "result": []}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            return

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/workspaces/{WORKSPACE}/", seen
    server.shutdown()
    thread.join()


def test_the_workspace_query_is_sigv4_signed_for_aps(query_server: tuple[str, list[dict[str, str]]]) -> None:
    endpoint, seen = query_server
    clients = Clients("us-east-1", session=boto3.session.Session(aws_access_key_id="AKIDEXAMPLE",
                                                                 aws_secret_access_key="secret"))  # fmt: skip
    answer = query_workspace(clients, endpoint, UP_QUERY)
    assert answer["status"] == "success"
    (request,) = seen
    assert request["path"] == f"/workspaces/{WORKSPACE}/api/v1/query?" + urllib.parse.urlencode({"query": UP_QUERY})
    assert request["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/us-east-1/aps/aws4_request" in request["authorization"]


def _preflight_clients(kind: str, xray_key: str = "", ours: str | None = TRACE_KEY, manager: str = "CUSTOMER",
                       readable: bool = True) -> Clients:  # fmt: skip
    clients = Clients("us-east-1", session=boto3.session.Session(aws_access_key_id="a", aws_secret_access_key="b"))
    xray = Stubber(clients("xray"))
    if not readable:
        xray.add_client_error("get_encryption_config", "AccessDeniedException", http_status_code=403)
    else:
        setting = {"Type": kind, "Status": "ACTIVE", **({"KeyId": xray_key} if xray_key else {})}
        xray.add_response("get_encryption_config", {"EncryptionConfig": setting}, {})
    xray.activate()
    if kind == "KMS" and readable:
        kms = Stubber(clients("kms"))
        kms.add_response("describe_key", _key(xray_key, manager), {"KeyId": xray_key})
        alias = {"KeyId": "alias/fintech-prod-traces-xray"}
        if ours:
            kms.add_response("describe_key", _key(ours), alias)
        else:
            kms.add_client_error("describe_key", "NotFoundException", expected_params=alias)
        kms.activate()
    return clients


@pytest.mark.parametrize(
    ("owned", "setting", "status"),
    [
        (True, {"kind": "NONE"}, "pass"),
        (True, {"kind": "KMS", "xray_key": TRACE_KEY}, "pass"),
        (True, {"kind": "KMS", "xray_key": OTHER_KEY}, "fail"),
        (True, {"kind": "KMS", "xray_key": OTHER_KEY, "ours": None}, "fail"),
        (False, {"kind": "KMS", "xray_key": OTHER_KEY, "ours": None}, "pass"),
        (False, {"kind": "KMS", "xray_key": OTHER_KEY, "manager": "AWS", "ours": None}, "fail"),
        (False, {"kind": "NONE"}, "fail"),
        (True, {"kind": "NONE", "readable": False}, "warn"),
    ],
)
def test_preflight_refuses_to_take_x_ray_encryption_from_another_owner(
    owned: bool, setting: dict[str, Any], status: str
) -> None:
    """X-Ray's setting is one per account and region: a stack that owns it must not find another key there; one that
    does not must find a customer-managed key set by the owner."""
    report = Report("preflight", "prod")
    preflight_trace_encryption(report, _preflight_clients(**setting), "fintech-prod", owned)
    assert [(f.check, f.status) for f in report.findings] == [("trace-encryption-owner", status)], report.text()


def test_a_client_side_error_is_a_named_finding_not_a_lost_report(monkeypatch: pytest.MonkeyPatch) -> None:
    """No endpoint, a read timeout: botocore's own errors are this check's failure, like an API error."""
    from botocore.exceptions import EndpointConnectionError

    from ops.verify_metrics import check_trace_encryption

    clients = Clients("us-east-1", session=boto3.session.Session(aws_access_key_id="a", aws_secret_access_key="b"))

    def unreachable(**_: object) -> None:
        raise EndpointConnectionError(endpoint_url="https://xray.us-east-1.amazonaws.com")

    monkeypatch.setattr(clients("xray"), "get_trace_segment_destination", unreachable)
    report = Report("verify", "prod")
    check_trace_encryption(report, clients, "fintech-prod")
    ((check, status),) = [(f.check, f.status) for f in report.findings]
    assert (check, status) == ("trace-encryption", "fail") and "Could not connect to the endpoint URL" in report.text()
