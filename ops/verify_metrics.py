"""`ops verify`, metrics part: the Prometheus workspace, its collectors, rules and Alertmanager, and every scrape job
reporting `up`.

Everything goes through AMP's control-plane API except the `up` query, which goes to the workspace's own query API
(`<prometheusEndpoint>api/v1/query`, SigV4-signed for service `aps`; AMP User Guide, "Query using the Prometheus
HTTP API") - reachable from anywhere with credentials and aps:QueryMetrics, no VPC path needed.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import BotoCoreError, ClientError

from components.prometheus_config import SCRAPED_METRICS
from components.traces import TRACE_DESTINATION
from ops.common import Clients, Report, describe_error, error_code
from stacks.builders import RULES_DIR

QUERY_TIMEOUT_SECONDS = 10
UP_QUERY = "min by (job) (up)"
"""Per scrape job, its worst target: 1 when every target answered the last scrape, 0 when one did not."""
COLLECTORS = ("eks", "msk")
"""The stack's collectors, by the suffix of their alias ('<prefix>-metrics-<source>')."""

QueryRunner = Callable[[Clients, str, str], dict[str, Any]]
"""(clients, workspace query endpoint, PromQL) -> the query API's JSON answer."""


def query_workspace(clients: Clients, endpoint: str, promql: str) -> dict[str, Any]:
    """An instant query against the workspace, signed with the caller's credentials (SigV4, service aps)."""
    credentials = clients.session.get_credentials()
    if credentials is None:
        raise ValueError("no AWS credentials to sign the workspace query")
    url = f"{endpoint.rstrip('/')}/api/v1/query?{urllib.parse.urlencode({'query': promql})}"
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(credentials, "aps", clients.region).add_auth(request)
    prepared = urllib.request.Request(url, headers=dict(request.headers.items()))
    with urllib.request.urlopen(prepared, timeout=QUERY_TIMEOUT_SECONDS) as response:
        answer: dict[str, Any] = json.load(response)
    return answer


def expected_rule_groups() -> list[str]:
    """The rule group namespaces the program loads: one per rule file, plus the stack's objectives."""
    return sorted([path.stem for path in RULES_DIR.glob("*.yaml")] + ["slo-objectives"])


def check_metrics(
    report: Report, clients: Clients, prefix: str, query: QueryRunner = query_workspace, trace_encryption: bool = True
) -> None:
    """Workspace ACTIVE, both collectors ACTIVE with the EKS one holding its access entry, every rule group ACTIVE,
    the Alertmanager definition ACTIVE, every scrape job's targets `up`, and X-Ray encrypting traces with a
    customer-managed key (the stack's own unless `trace_encryption` is false; default true)."""
    check_trace_encryption(report, clients, prefix, trace_encryption)
    amp = clients("amp")
    alias = f"{prefix}-metrics"
    workspaces = [w for w in amp.list_workspaces(alias=alias).get("workspaces", []) if w.get("alias") == alias]
    if len(workspaces) != 1:
        report.add("metrics-workspace", False, f"expected one Prometheus workspace with alias {alias}, found "
                   f"{len(workspaces)}")  # fmt: skip
        return
    workspace_id = workspaces[0]["workspaceId"]
    described = amp.describe_workspace(workspaceId=workspace_id)["workspace"]
    state = described.get("status", {}).get("statusCode")
    report.add("metrics-workspace", state == "ACTIVE", f"state {state}", workspace_id)
    report.add("metrics-workspace-cmk", bool(described.get("kmsKeyArn")),
               "encrypted with a customer-managed key" if described.get("kmsKeyArn") else "no customer-managed key",
               workspace_id)  # fmt: skip
    _check_collectors(report, clients, prefix)
    _check_rule_groups(report, amp, workspace_id)
    definition = amp.describe_alert_manager_definition(workspaceId=workspace_id)["alertManagerDefinition"]
    am_state = definition.get("status", {}).get("statusCode")
    report.add("alertmanager", am_state == "ACTIVE", f"state {am_state}", workspace_id,
               remedy=definition.get("status", {}).get("statusReason", ""))  # fmt: skip
    _check_targets_up(report, clients, str(described.get("prometheusEndpoint", "")), query)


def trace_key_alias(prefix: str) -> str:
    """The alias of the stack's X-Ray key (stacks/builders.py trace_encryption: PlatformKeys `<prefix>-traces`,
    domain `xray`)."""
    return f"alias/{prefix}-traces-xray"


def check_trace_encryption(report: Report, clients: Clients, prefix: str, owned: bool = True) -> None:
    """X-Ray's encryption setting - one per account and region, so another stack or a person can change it after
    `pulumi up` - is KMS, ACTIVE and, where the stack owns it (`owned`, config traceEncryption; default true),
    the stack's own key. Where another stack owns it, a customer-managed key is still required (not aws/xray)."""
    try:
        _trace_encryption(report, clients, prefix, owned)
    except (ClientError, BotoCoreError) as err:  # AccessDenied, throttling, a missing key or alias, no endpoint
        report.add("trace-encryption", False, f"cannot read X-Ray's encryption or its key: {describe_error(err)}",
                   "xray")  # fmt: skip


def _trace_encryption(report: Report, clients: Clients, prefix: str, owned: bool) -> None:
    destination = clients("xray").get_trace_segment_destination().get("Destination")
    if destination != TRACE_DESTINATION:
        report.add("trace-encryption", False, f"X-Ray stores trace segments in {destination} (Transaction Search: "
                   "the CloudWatch Logs group aws/spans), which X-Ray's encryption setting does not cover", "xray",
                   remedy="pulumi up sets the destination back to XRay (components/traces.py)")  # fmt: skip
        return
    setting = clients("xray").get_encryption_config().get("EncryptionConfig", {})
    kind, status, key = setting.get("Type"), setting.get("Status"), str(setting.get("KeyId") or "")
    if kind != "KMS" or not key:
        report.add("trace-encryption", False, f"X-Ray encrypts traces with its default key (type {kind})", "xray",
                   remedy="pulumi up (traceEncryption true) sets the stack's key again")  # fmt: skip
        return
    kms = clients("kms")
    used = kms.describe_key(KeyId=key)["KeyMetadata"]
    if used.get("KeyManager") != "CUSTOMER":
        report.add("trace-encryption", False, f"X-Ray uses the AWS managed key {key}, not a customer-managed one", key)
        return
    if owned:
        own = kms.describe_key(KeyId=trace_key_alias(prefix))["KeyMetadata"]
        if own.get("KeyId") != used.get("KeyId"):
            report.add("trace-encryption", False, f"X-Ray uses key {key}, not the stack's {trace_key_alias(prefix)} "
                       "(another stack or a person changed the account's setting)", key,
                       remedy="find who else sets X-Ray's encryption here; pulumi up")  # fmt: skip
            return
    report.add(
        "trace-encryption",
        status == "ACTIVE",
        f"X-Ray encrypts traces with {key} (status {status})",
        key,
        remedy="" if status == "ACTIVE" else "X-Ray is still propagating the key: verify again in minutes",
    )


def preflight_trace_encryption(report: Report, clients: Clients, prefix: str, owned: bool = True) -> None:
    """Before `pulumi up`: X-Ray's encryption (one setting per account and region) is not another owner's. With
    `owned` (traceEncryption, default true) the stack will set its own key: a KMS setting naming another key fails (the
    up would take it from its owner, or it is a destroyed stack's leftover). Without it, some customer-managed key must
    already be set, by the owner. Unreadable (no permission): a warning."""
    current: dict[str, Any] = {}
    managed = False
    try:
        setting = clients("xray").get_encryption_config().get("EncryptionConfig", {})
        key = str(setting.get("KeyId") or "")
        kind = setting.get("Type")
        ours = ""
        if kind == "KMS" and key:
            kms = clients("kms")
            current = kms.describe_key(KeyId=key)["KeyMetadata"]
            try:
                ours = kms.describe_key(KeyId=trace_key_alias(prefix))["KeyMetadata"].get("KeyId", "")
            except ClientError as err:
                if error_code(err) != "NotFoundException":
                    raise
            managed = current.get("KeyManager") == "CUSTOMER"
    except (ClientError, BotoCoreError) as err:
        report.add("trace-encryption-owner", False, f"cannot read X-Ray's encryption setting: {describe_error(err)}",
                   "xray", warn_only=True)  # fmt: skip
        return
    if owned and kind == "KMS" and key and current.get("KeyId") != ours:
        report.add("trace-encryption-owner", False, f"X-Ray already encrypts with {key}, not this stack's "
                   f"{trace_key_alias(prefix)}: pulumi up would replace it", key,
                   remedy="another stack of this account and region owns it: set traceEncryption false (and the "
                   "policy config trace-export-encrypted.required false); a destroyed stack's leftover: "
                   "aws xray put-encryption-config --type NONE")  # fmt: skip
    elif not owned and (kind != "KMS" or not managed):
        report.add("trace-encryption-owner", False, f"traceEncryption is false, but X-Ray's setting is {kind} {key}: "
                   "no stack encrypts the traces with a customer-managed key", "xray",
                   remedy="deploy the owning stack first, or set traceEncryption true")  # fmt: skip
    else:
        report.add("trace-encryption-owner", True, f"X-Ray's setting is {kind} {key}".rstrip() + (
            "; pulumi up sets this stack's key" if owned else "; another stack owns it"), "xray")  # fmt: skip


def _check_collectors(report: Report, clients: Clients, prefix: str) -> None:
    amp = clients("amp")
    for source in COLLECTORS:
        alias = f"{prefix}-metrics-{source}"
        listed = amp.list_scrapers(filters={"alias": [alias]}).get("scrapers", [])
        found = [s for s in listed if s.get("alias") == alias]
        if len(found) != 1:
            report.add(f"collector-{source}", False, f"expected one collector with alias {alias}, found {len(found)}")
            continue
        scraper = found[0]
        state = scraper.get("status", {}).get("statusCode")
        report.add(f"collector-{source}", state == "ACTIVE", f"state {state}", scraper.get("arn", ""),
                   remedy=scraper.get("statusReason", ""))  # fmt: skip
        if source == "eks":
            _check_access_entry(report, clients, prefix, str(scraper.get("roleArn", "")))


def _check_access_entry(report: Report, clients: Clients, cluster: str, role_arn: str) -> None:
    """AMP creates the EKS collector's access entry itself (authentication mode API). EKS names the principal by the
    role's ARN without its path (AMP User Guide: '.../role/AWSServiceRoleForAmazonPrometheusScraper_<id>')."""
    account_part, _, name = role_arn.partition(":role/")
    principal = f"{account_part}:role/{name.rsplit('/', 1)[-1]}"
    entries = clients("eks").list_access_entries(clusterName=cluster).get("accessEntries", [])
    report.add("collector-access-entry", principal in entries,
               "the collector's role has an access entry" if principal in entries
               else f"no access entry for {principal}: the collector cannot discover or scrape", cluster)  # fmt: skip


def _check_rule_groups(report: Report, amp: Any, workspace_id: str) -> None:
    namespaces = {
        n["name"]: n.get("status", {}).get("statusCode")
        for n in amp.list_rule_groups_namespaces(workspaceId=workspace_id).get("ruleGroupsNamespaces", [])
    }
    for name in expected_rule_groups():
        state = namespaces.get(name)
        report.add(f"rule-group-{name}", state == "ACTIVE", f"state {state}" if state else "not loaded", workspace_id)


def _check_targets_up(report: Report, clients: Clients, endpoint: str, query: QueryRunner) -> None:
    try:
        answer = query(clients, endpoint, UP_QUERY)
    except Exception as err:  # noqa: BLE001 - any transport or signing failure is this check's finding
        report.add("scrape-jobs-up", False, f"the workspace query failed: {err}", endpoint)
        return
    results = answer.get("data", {}).get("result", []) if answer.get("status") == "success" else []
    worst = {r.get("metric", {}).get("job", ""): float(r.get("value", [0, "0"])[1]) for r in results}
    for job in SCRAPED_METRICS:
        if job not in worst:
            report.add(f"scrape-job-{job}", False, "no target discovered (no `up` series)", endpoint)
        else:
            report.add(f"scrape-job-{job}", worst[job] == 1, "every target up" if worst[job] == 1
                       else "a target does not answer (up == 0)", endpoint)  # fmt: skip
