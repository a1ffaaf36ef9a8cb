"""The live side of issue 19: preflight of the stack's own or the organization's AWS Config and Security Hub, and the
live evidence bundle of `ops audit --evidence` (moto for KMS, CloudTrail and the tag inventory; botocore Stubber for
the AWS Config compliance and Security Hub finding APIs, which moto does not implement)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from components.continuous_compliance import recorder_problems, securityhub_problems
from offline.evidence import MANIFEST, verify_bundle
from ops.__main__ import main
from ops.common import Clients, Report, load_config
from ops.evidence import live_evidence, write_live_bundle
from ops.preflight import _continuous_compliance
from stacks.config import StackConfig

SINCE = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
UNTIL = dt.datetime(2026, 12, 31, 23, 59, tzinfo=dt.UTC)
TAGS = [{"TagKey": "environment", "TagValue": "prod"}, {"TagKey": "project", "TagValue": "fintech-platform"}]
PCI = "arn:aws:securityhub:us-east-1::standards/pci-dss/v/4.0.1"
FSBP = "arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0"


def _config(**changes: Any) -> StackConfig:
    return load_config("prod").model_copy(update=changes)


def _checks(report: Report) -> dict[str, str]:
    return {f.check: f.status for f in report.findings}


def test_recorder_problems_for_the_stack_and_for_an_organization() -> None:
    ours = [{"name": "fintech-prod-recorder", "recordingGroup": {"allSupported": True}}]
    theirs = [{"name": "aws-controltower-BaselineConfigRecorder", "recordingGroup": {"allSupported": True}}]
    recording = [{"name": theirs[0]["name"], "recording": True}]
    assert recorder_problems(ours, [], True, "fintech-prod-recorder", "us-east-1") == []
    assert "already exists" in recorder_problems(theirs, recording, True, "fintech-prod-recorder", "us-east-1")[0]
    assert recorder_problems(theirs, recording, False, "fintech-prod-recorder", "us-east-1") == []
    assert "no AWS Config recorder" in recorder_problems([], [], False, "x", "us-east-1")[0]
    partial = [{"name": "org", "recordingGroup": {"allSupported": False}}]
    assert len(recorder_problems(partial, [], False, "x", "us-east-1")) == 2  # not all types, not recording
    assert securityhub_problems(False, [], "us-east-1") == [
        "organizationCompliance=true but Security Hub is not enabled in us-east-1 for this account"]  # fmt: skip
    only_fsbp = [{"StandardsArn": FSBP, "StandardsStatus": "READY"}]
    assert securityhub_problems(True, only_fsbp, "us-east-1") == [
        "Security Hub in us-east-1 is not subscribed to standards/pci-dss/v/4.0.1"]  # fmt: skip


def test_preflight_of_an_organizations_config_and_security_hub(aws: None) -> None:
    clients = Clients("us-east-1")
    config = _config(organization_compliance=True)
    with Stubber(clients("config")) as stub_config, Stubber(clients("securityhub")) as stub_hub:
        stub_config.add_response("describe_configuration_recorders", {"ConfigurationRecorders": []})
        stub_config.add_response("describe_configuration_recorder_status", {"ConfigurationRecordersStatus": []})
        stub_hub.add_client_error("describe_hub", "InvalidAccessException", "Account is not subscribed")
        stub_config.add_response("describe_conformance_packs", {"ConformancePackDetails": []})
        report = Report("preflight", "prod")
        _continuous_compliance(report, "prod", config, clients)
    assert _checks(report) == {"config-recorder": "fail", "conformance-pack": "fail", "security-hub": "fail"}
    service = boto3.client("config", region_name="us-east-1")
    service.put_configuration_recorder(ConfigurationRecorder={
        "name": "org-recorder", "roleARN": "arn:aws:iam::111122223333:role/config",
        "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True}})  # fmt: skip
    service.put_delivery_channel(DeliveryChannel={"name": "org", "s3BucketName": "org-config"})
    service.start_configuration_recorder(ConfigurationRecorderName="org-recorder")
    with Stubber(clients("config")) as stub_config, Stubber(clients("securityhub")) as stub_hub:
        recorders = service.describe_configuration_recorders()
        stub_config.add_response("describe_configuration_recorders", {"ConfigurationRecorders":
                                                                      recorders["ConfigurationRecorders"]})  # fmt: skip
        status = service.describe_configuration_recorder_status()
        stub_config.add_response("describe_configuration_recorder_status",
                                 {"ConfigurationRecordersStatus": status["ConfigurationRecordersStatus"]})  # fmt: skip
        stub_hub.add_response("describe_hub", {"HubArn": "arn:aws:securityhub:us-east-1:111122223333:hub/default"})
        stub_config.add_response("describe_conformance_packs", {"ConformancePackDetails": [{
            "ConformancePackName": "OrgConformsPack-pci", "ConformancePackArn": "arn:aws:config:x",
            "ConformancePackId": "conformance-pack-1"}]})  # fmt: skip
        stub_hub.add_response("get_enabled_standards", {"StandardsSubscriptions": [
            {"StandardsSubscriptionArn": "a", "StandardsArn": PCI, "StandardsInput": {}, "StandardsStatus": "READY"},
            {"StandardsSubscriptionArn": "b", "StandardsArn": FSBP, "StandardsInput": {},
             "StandardsStatus": "READY"}]})  # fmt: skip
        report = Report("preflight", "prod")
        _continuous_compliance(report, "prod", config, clients)
    assert _checks(report) == {"config-recorder": "pass", "conformance-pack": "pass", "security-hub": "pass"}


def _stub_live(clients: Clients, failed_control: bool) -> tuple[Stubber, Stubber]:
    config, hub = Stubber(clients("config")), Stubber(clients("securityhub"))
    config.add_response("describe_compliance_by_config_rule", {"ComplianceByConfigRules": [
        {"ConfigRuleName": "s3-bucket-ssl-requests-only", "Compliance": {"ComplianceType": "COMPLIANT"}}]})  # fmt: skip
    qualifier = {"ConfigRuleName": "s3-bucket-ssl-requests-only", "ResourceType": "AWS::S3::Bucket",
                 "ResourceId": "fintech-prod-alb-logs"}  # fmt: skip
    config.add_response("get_compliance_details_by_config_rule", {"EvaluationResults": [
        {"EvaluationResultIdentifier": {"EvaluationResultQualifier": qualifier},
         "ComplianceType": "COMPLIANT", "ResultRecordedTime": dt.datetime(2026, 11, 2, tzinfo=dt.UTC),
         "ConfigRuleInvokedTime": dt.datetime(2026, 11, 2, tzinfo=dt.UTC)},
        {"EvaluationResultIdentifier": {"EvaluationResultQualifier": {**qualifier, "ResourceId": "old"}},
         "ComplianceType": "COMPLIANT", "ResultRecordedTime": dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
         "ConfigRuleInvokedTime": dt.datetime(2026, 1, 2, tzinfo=dt.UTC)}]},
        {"ConfigRuleName": "s3-bucket-ssl-requests-only"})  # fmt: skip
    findings = [_finding("KMS.4", "PASSED"), _finding("CloudTrail.4", "FAILED" if failed_control else "PASSED")]
    hub.add_response("get_findings", {"Findings": findings})
    config.activate()
    hub.activate()
    return config, hub


def _finding(control: str, status: str) -> dict[str, Any]:
    return {"SchemaVersion": "2018-10-08", "Id": f"f-{control}", "ProductArn": "arn:aws:securityhub:::product/aws",
            "GeneratorId": control, "AwsAccountId": "111122223333", "CreatedAt": "2026-11-01T00:00:00Z",
            "UpdatedAt": "2026-11-01T00:00:00Z", "Title": control, "Description": control,
            "Resources": [{"Type": "AwsAccount", "Id": "AWS::::Account:111122223333"}],
            "Compliance": {"Status": status, "SecurityControlId": control,
                           "RelatedRequirements": ["PCI DSS v4.0.1/10.3.4"]}}  # fmt: skip


def _trail_and_key() -> None:
    boto3.client("s3").create_bucket(Bucket="trail-logs")
    boto3.client("cloudtrail").create_trail(Name="fintech-prod-audit", S3BucketName="trail-logs",
                                            EnableLogFileValidation=True)  # fmt: skip
    kms = boto3.client("kms")
    key = kms.create_key(Tags=[{"TagKey": t["TagKey"], "TagValue": t["TagValue"]} for t in TAGS])["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"])
    kms.create_key(Tags=TAGS)  # a second key of the stack without rotation


def test_the_live_evidence_bundle(aws: None, tmp_path: Path) -> None:
    _trail_and_key()
    clients = Clients("us-east-1")
    report = Report("live audit", "prod")
    _stub_live(clients, failed_control=True)
    files = live_evidence(report, "prod", _config(), clients, SINCE, UNTIL)
    checks = [(f.check, f.status) for f in report.findings]
    assert ("config-rule-compliance", "pass") in checks and ("securityhub-pci-controls", "fail") in checks
    assert ("cloudtrail-log-file-validation", "pass") in checks
    assert sorted(s for c, s in checks if c == "kms-key-rotation-status") == ["fail", "pass"]
    rules = json.loads(files["config-rule-compliance.json"])["rules"]
    assert [e["resourceId"] for e in rules[0]["evaluationsInPeriod"]] == ["fintech-prod-alb-logs"]  # January is out
    controls = json.loads(files["securityhub-pci-controls.json"])["controls"]
    assert [(c["control"], c["status"]) for c in controls] == [("CloudTrail.4", "FAILED"), ("KMS.4", "PASSED")]
    target = tmp_path / "live"
    write_live_bundle(report, target, files, "prod", _config(), SINCE, UNTIL)
    assert verify_bundle(target) == []
    manifest = json.loads((target / MANIFEST).read_text())
    assert set(manifest["files"]) == {*files, "live-audit.json", "provenance.json"}
    assert json.loads((target / "provenance.json").read_text())["period"]["since"] == SINCE.isoformat()


def test_audit_refuses_a_non_empty_evidence_directory_before_calling_aws(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "old.json").write_text("{}")
    assert main(["audit", "--stack", "prod", "--evidence", str(tmp_path)]) == 2
    assert "is not empty" in capsys.readouterr().err
    assert main(["audit", "--stack", "prod", "--since", "2026-12-01", "--until", "2026-11-01"]) == 2
    assert "--since 2026-12-01 is after --until 2026-11-01" in capsys.readouterr().err
