"""The live side of the evidence bundle: `python -m ops audit --stack S --evidence DIR [--since D] [--until D]`.

What it reads (each also a check of the report):
- config-rule-compliance: every AWS Config rule's compliance now (DescribeComplianceByConfigRule) and its
  evaluation results recorded within the period (GetComplianceDetailsByConfigRule, ResultRecordedTime in
  [since, until]); fails on a NON_COMPLIANT rule. Config keeps only the latest result per resource and rule; the
  full history of a period lives in the configuration items of type AWS::Config::ResourceCompliance (AWS Config
  Developer Guide, "Viewing compliance history") delivered to the stack's Config bucket, which the bundle names.
- securityhub-pci-controls: the status of each control of the PCI DSS v4.0.1 standard, from the active findings
  associated with it (GetFindings, ComplianceAssociatedStandardsId = standards/pci-dss/v/4.0.1) with AWS's own
  related requirements; fails on a FAILED control.
- cloudtrail-log-file-validation: the stack's trail (or organizationTrail) has log file validation on and
  delivers digest files without error (GetTrailStatus LatestDigestDeliveryError). Validating the digests
  themselves is `aws cloudtrail validate-logs`, a client-side walk of the bucket, named in the bundle.
- kms-key-rotation-status: every KMS key tagged as the stack's rotates (GetKeyRotationStatus).
Plus the live audit's checks (ops/live_audit.py). The bundle is written by offline/evidence.py's writer: new
directory, atomically, with a SHA-256 manifest.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from components.continuous_compliance import PCI_STANDARD
from offline.evidence import provenance, write_bundle
from ops.common import Clients, Report
from ops.live_audit import tagged_resources
from stacks.config import StackConfig
from stacks.names import resource_prefix


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Items of a NextToken-paginated call (Config's calls have no boto3 paginator for every operation)."""
    token = None
    while True:
        page = getattr(client, operation)(**kwargs, **({"NextToken": token} if token else {}))
        yield from page.get(key, [])
        token = page.get("NextToken")
        if not token:
            return


def config_rule_compliance(report: Report, clients: Clients, since: dt.datetime, until: dt.datetime) -> dict[str, Any]:
    """Compliance of every Config rule now, and the evaluations recorded in the period."""
    config = clients("config")
    rules: list[dict[str, Any]] = []
    for item in _pages(config, "describe_compliance_by_config_rule", "ComplianceByConfigRules"):
        name = item["ConfigRuleName"]
        status = item.get("Compliance", {}).get("ComplianceType", "INSUFFICIENT_DATA")
        evaluations = [
            {"resourceType": e["EvaluationResultIdentifier"]["EvaluationResultQualifier"].get("ResourceType"),
             "resourceId": e["EvaluationResultIdentifier"]["EvaluationResultQualifier"].get("ResourceId"),
             "compliance": e.get("ComplianceType"), "recorded": e["ResultRecordedTime"].isoformat()}
            for e in _pages(config, "get_compliance_details_by_config_rule", "EvaluationResults", ConfigRuleName=name)
            if since <= e["ResultRecordedTime"] <= until
        ]  # fmt: skip
        rules.append({"rule": name, "compliance": status, "evaluationsInPeriod": evaluations})
    failing = [r["rule"] for r in rules if r["compliance"] == "NON_COMPLIANT"]
    detail = f"{len(rules)} Config rules, {len(failing)} non-compliant" + (f": {', '.join(failing)}" if failing else "")
    report.add("config-rule-compliance", bool(rules) and not failing, detail if rules else "no AWS Config rule found")
    return {"period": {"since": since.isoformat(), "until": until.isoformat()}, "rules": rules}


def securityhub_pci_controls(report: Report, clients: Clients) -> dict[str, Any]:
    """Status of each PCI DSS v4.0.1 control from its active findings, with AWS's related requirements."""
    hub = clients("securityhub")
    filters = {"ComplianceAssociatedStandardsId": [{"Value": PCI_STANDARD, "Comparison": "EQUALS"}],
               "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}]}  # fmt: skip
    controls: dict[str, dict[str, Any]] = {}
    for finding in _pages(hub, "get_findings", "Findings", Filters=filters, MaxResults=100):
        compliance = finding.get("Compliance", {})
        control = compliance.get("SecurityControlId") or finding.get("GeneratorId", "unknown")
        entry = controls.setdefault(control, {"control": control, "status": "PASSED", "failedResources": [],
                                              "relatedRequirements": sorted(set(compliance.get(
                                                  "RelatedRequirements", [])))})  # fmt: skip
        if compliance.get("Status") == "FAILED":
            entry["status"] = "FAILED"
            entry["failedResources"] += [r.get("Id") for r in finding.get("Resources", [])]
        elif compliance.get("Status") in ("WARNING", "NOT_AVAILABLE") and entry["status"] == "PASSED":
            entry["status"] = compliance["Status"]
    failed = sorted(c for c, e in controls.items() if e["status"] == "FAILED")
    detail = f"{len(controls)} PCI DSS v4.0.1 controls with findings, {len(failed)} failed" + (
        f": {', '.join(failed)}" if failed else ""
    )
    report.add("securityhub-pci-controls", bool(controls) and not failed,
               detail if controls else "no finding of the PCI DSS v4.0.1 standard (is it subscribed?)")  # fmt: skip
    return {"standard": PCI_STANDARD, "controls": [controls[c] for c in sorted(controls)]}


def trail_validation(report: Report, clients: Clients, stack: str, config: StackConfig) -> dict[str, Any]:
    """Log file validation of the stack's trail (or the organization trail) and its digest delivery."""
    name = config.organization_trail or f"{resource_prefix(stack)}-audit"
    cloudtrail = clients("cloudtrail")
    trails = cloudtrail.describe_trails(trailNameList=[name], includeShadowTrails=True).get("trailList", [])
    if not trails:
        report.add("cloudtrail-log-file-validation", False, f"trail {name} not found", name)
        return {"trail": name, "found": False}
    trail = trails[0]
    status = cloudtrail.get_trail_status(Name=trail.get("TrailARN", name))
    error = status.get("LatestDigestDeliveryError", "")
    enabled = bool(trail.get("LogFileValidationEnabled"))
    latest = status.get("LatestDigestDeliveryTime")
    report.add("cloudtrail-log-file-validation", enabled and not error,
               f"log file validation {'on' if enabled else 'OFF'}, latest digest {latest or 'none yet'}"
               + (f", digest delivery error {error}" if error else ""), name)  # fmt: skip
    return {"trail": trail.get("TrailARN", name), "logFileValidationEnabled": enabled,
            "latestDigestDelivery": latest.isoformat() if isinstance(latest, dt.datetime) else latest,
            "latestDigestDeliveryError": error, "bucket": trail.get("S3BucketName"),
            "validateWith": f"aws cloudtrail validate-logs --trail-arn {trail.get('TrailARN', name)} "
                            "--start-time <period start>"}  # fmt: skip


def key_rotation(report: Report, clients: Clients, arns: list[str]) -> dict[str, Any]:
    """Rotation status of each KMS key tagged as the stack's."""
    kms = clients("kms")
    keys = []
    for arn in (a for a in arns if ":kms:" in a and ":key/" in a):
        try:
            status = kms.get_key_rotation_status(KeyId=arn)
        except ClientError as err:
            report.add("kms-key-rotation-status", False, f"rotation status unreadable: {err.response['Error']['Code']}",
                       arn)  # fmt: skip
            continue
        enabled = bool(status.get("KeyRotationEnabled"))
        period = status.get("RotationPeriodInDays")
        report.add("kms-key-rotation-status", enabled, f"rotation {'on' if enabled else 'OFF'}"
                   + (f", every {period} days" if period else ""), arn)  # fmt: skip
        next_date = status.get("NextRotationDate")
        upcoming = next_date.isoformat() if isinstance(next_date, dt.datetime) else next_date
        keys.append({"key": arn, "rotationEnabled": enabled, "rotationPeriodInDays": period, "nextRotation": upcoming})
    if not keys:
        report.add("kms-key-rotation-status", False, "no KMS key tagged as the stack's was found")
    return {"keys": keys}


def live_evidence(
    report: Report, stack: str, config: StackConfig, clients: Clients, since: dt.datetime, until: dt.datetime
) -> dict[str, bytes]:
    """The live files of the bundle; their checks are added to `report` (the live audit's report)."""

    def dump(value: Any) -> bytes:
        return (json.dumps(value, indent=2, sort_keys=True, default=str) + "\n").encode()

    arns = tagged_resources(stack, clients)
    return {
        "config-rule-compliance.json": dump(config_rule_compliance(report, clients, since, until)),
        "securityhub-pci-controls.json": dump(securityhub_pci_controls(report, clients)),
        "cloudtrail-log-file-validation.json": dump(trail_validation(report, clients, stack, config)),
        "kms-key-rotation.json": dump(key_rotation(report, clients, arns)),
    }


def write_live_bundle(report: Report, target: Path, files: dict[str, bytes], stack: str, config: StackConfig,
                      since: dt.datetime, until: dt.datetime) -> None:  # fmt: skip
    """Write the live bundle: its files, the live audit's findings, provenance, and the manifest."""
    findings = json.loads(report.json())
    period = {"since": since.isoformat(), "until": until.isoformat()}
    write_bundle(target, {
        **files,
        "live-audit.json": (json.dumps(findings, indent=2) + "\n").encode(),
        "provenance.json": (json.dumps(provenance(stack, {"account": config.account_id, "region": config.region,
                                                          "period": period}), indent=2) + "\n").encode(),
    })  # fmt: skip
