"""`ops preflight`: the pinned images are in ECR (moto) and the pinned Helm chart versions are in their
repositories' index.yaml (a fixture index served by http.server on 127.0.0.1)."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import yaml

from ops.charts import ChartPin, chart_pins, check_chart_versions
from ops.common import Clients, Report, load_config
from ops.images import check_images, push_commands
from stacks.config import StackConfig
from stacks.names import repository_name
from tests.helpers import PROD_ACCOUNT

ACCOUNT = PROD_ACCOUNT
DIGEST = "sha256:" + "ab" * 32


def _push(repository: str, tag: str) -> str:
    ecr = boto3.client("ecr")
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"digest": "sha256:" + "0" * 64}, "layers": [], "tag": tag})  # fmt: skip
    image = ecr.put_image(repositoryName=repository, imageManifest=manifest, imageTag=tag)["image"]
    return str(image["imageId"]["imageDigest"])


def _statuses(report: Report) -> dict[str, str]:
    return {finding.check: finding.status for finding in report.findings}


def test_every_pushed_image_passes(aws: None) -> None:
    config = load_config("prod")
    for workload in ("validator", "payments", "ledger"):
        boto3.client("ecr").create_repository(repositoryName=repository_name("fintech-prod", workload))
        _push(repository_name("fintech-prod", workload), config.image_tag(workload))
    report = Report("preflight", "prod")
    check_images(report, "prod", config, Clients("us-east-1"), ACCOUNT)
    assert _statuses(report) == {"image-validator": "pass", "image-payments": "pass", "image-ledger": "pass"}


def test_a_missing_tag_and_a_missing_repository_fail_with_the_push_commands(aws: None) -> None:
    config = load_config("prod")
    ecr = boto3.client("ecr")
    for workload in ("validator", "payments"):
        ecr.create_repository(repositoryName=repository_name("fintech-prod", workload))
    _push("fintech-prod/validator", config.image_tag("validator"))
    _push("fintech-prod/payments", "0.0.1")  # another tag than the pinned 2.0.1
    report = Report("preflight", "prod")
    check_images(report, "prod", config, Clients("us-east-1"), ACCOUNT)
    statuses = _statuses(report)
    assert statuses == {"image-validator": "pass", "image-payments": "fail", "image-ledger": "fail"}
    payments = next(f for f in report.findings if f.check == "image-payments")
    registry = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
    assert payments.remedy.splitlines() == [
        f"aws ecr get-login-password --region us-east-1 | docker login --username AWS --password-stdin {registry}",
        f"docker tag payments:2.0.1 {registry}/fintech-prod/payments:2.0.1",
        f"docker push {registry}/fintech-prod/payments:2.0.1",
    ]
    ledger = next(f for f in report.findings if f.check == "image-ledger")
    assert "repository fintech-prod/ledger does not exist yet" in ledger.detail
    assert "deployPhase=foundation" in ledger.detail
    assert f"docker push {registry}/fintech-prod/ledger:1.9.0" in ledger.remedy
    assert "docker push" in report.text()  # the commands are printed under the finding


def test_an_image_pinned_by_digest_is_looked_up_by_digest(aws: None) -> None:
    boto3.client("ecr").create_repository(repositoryName="fintech-prod/validator")
    digest = _push("fintech-prod/validator", "1.4.2")
    present = load_config("prod").model_copy(update={"validator_image_tag": digest})
    report = Report("preflight", "prod")
    check_images(report, "prod", present, Clients("us-east-1"), ACCOUNT)
    assert _statuses(report)["image-validator"] == "pass"
    absent = present.model_copy(update={"validator_image_tag": DIGEST})
    report = Report("preflight", "prod")
    check_images(report, "prod", absent, Clients("us-east-1"), ACCOUNT)
    finding = next(f for f in report.findings if f.check == "image-validator")
    assert finding.status == "fail" and DIGEST in finding.detail and DIGEST in finding.remedy


def test_push_commands_use_the_partition_domain_of_china_regions() -> None:
    commands = push_commands(
        "ledger", "1.0.0", "111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn/x/ledger", "cn-north-1"
    )
    assert "--password-stdin 111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn\n" in commands


# --- Helm chart versions -------------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Serve without logging each request."""


@pytest.fixture
def chart_repository(tmp_path: Path) -> Iterator[str]:
    """A Helm repository on 127.0.0.1 whose index lists metrics-server 3.13.0 and 3.12.2."""
    index = {"apiVersion": "v1", "entries": {"metrics-server": [
        {"name": "metrics-server", "version": "3.13.0", "urls": ["metrics-server-3.13.0.tgz"]},
        {"name": "metrics-server", "version": "3.12.2", "urls": ["metrics-server-3.12.2.tgz"]},
    ]}}  # fmt: skip
    (tmp_path / "index.yaml").write_text(yaml.safe_dump(index))
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "index.yaml").write_text("apiVersion: v1\nentries: [unclosed\n")
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_pinned_chart_version_in_the_index_passes_and_one_not_in_it_fails(chart_repository: str) -> None:
    report = Report("preflight", "prod")
    check_chart_versions(report, {"metrics-server": ChartPin(chart_repository + "/", "3.13.0")})
    assert _statuses(report) == {"chart-metrics-server": "pass"}
    report = Report("preflight", "prod")
    check_chart_versions(report, {"metrics-server": ChartPin(chart_repository, "3.99.0")})
    (finding,) = report.findings
    assert finding.status == "fail"
    assert "3.99.0 is not in the repository index (listed first: 3.13.0, 3.12.2)" in finding.detail


def test_a_chart_the_index_does_not_list_fails(chart_repository: str) -> None:
    report = Report("preflight", "prod")
    check_chart_versions(report, {"cluster-autoscaler": ChartPin(chart_repository, "9.59.0")})
    assert report.failed and "listed first: none" in report.text()


def test_an_unreachable_or_broken_repository_is_a_failed_check_not_a_traceback(chart_repository: str) -> None:
    closed = f"http://127.0.0.1:{_closed_port()}"
    report = Report("preflight", "prod")
    check_chart_versions(report, {"aws-load-balancer-controller": ChartPin(closed, "1.17.0"),
                                  "metrics-server": ChartPin(chart_repository + "/broken", "3.13.0"),
                                  "cluster-autoscaler": ChartPin(chart_repository + "/missing", "9.59.0"),
                                  "other": ChartPin("oci://registry.example.com/charts", "1.0.0")})  # fmt: skip
    details = {finding.check: (finding.status, finding.detail) for finding in report.findings}
    assert {status for status, _ in details.values()} == {"fail"}
    assert f"cannot read {closed}/index.yaml" in details["chart-aws-load-balancer-controller"][1]
    assert "Connection refused" in details["chart-aws-load-balancer-controller"][1]
    assert "/broken/index.yaml" in details["chart-metrics-server"][1]
    assert "HTTP 404" in details["chart-cluster-autoscaler"][1]
    assert "not an http(s) URL" in details["chart-other"][1]


def test_the_pins_checked_are_the_programs_pins() -> None:
    from components.versions import CHART_PINS

    version = load_config("prod").kubernetes_version
    pins = chart_pins(version)
    assert (
        pins
        and {name: {"repo": pin.repository, "version": pin.version} for name, pin in pins.items()}
        == (CHART_PINS[version])
    )


def test_preflight_reports_images_and_charts(aws: None, chart_repository: str) -> None:
    from botocore.stub import Stubber

    from components.eks import ADDON_VERSIONS
    from ops.preflight import preflight

    config: StackConfig = load_config("prod")
    clients = Clients("us-east-1")
    stubber = Stubber(clients("eks"))
    for addon, version in ADDON_VERSIONS[config.kubernetes_version].items():
        offered = {"addons": [{"addonName": addon, "addonVersions": [{"addonVersion": version}]}]}
        stubber.add_response("describe_addon_versions", offered)
    stubber.activate()
    report = preflight("prod", config, clients, charts={"metrics-server": ChartPin(chart_repository, "3.13.0")})
    statuses = _statuses(report)
    assert statuses["chart-metrics-server"] == "pass"
    assert statuses["image-validator"] == "fail"  # nothing pushed: every image fails, with the commands
    assert report.failed


# --- GuardDuty and the organization trail (components.threat_detection / audit_trail helpers) -------------


def test_a_foreign_guardduty_detector_blocks_a_stack_that_builds_one(aws: None) -> None:
    from ops.preflight import _guardduty

    config = load_config("prod")
    assert config.guard_duty
    report = Report("preflight", "prod")
    _guardduty(report, "prod", config, Clients("us-east-1"))
    assert _statuses(report) == {"guardduty": "pass"}  # none yet: the stack may create its own
    foreign = boto3.client("guardduty").create_detector(Enable=True)["DetectorId"]
    report = Report("preflight", "prod")
    _guardduty(report, "prod", config, Clients("us-east-1"))
    (finding,) = report.findings
    assert finding.status == "fail" and f"GuardDuty detector {foreign} already exists" in finding.detail


def test_the_stacks_own_detector_is_recognised_by_its_tags(aws: None) -> None:
    from ops.preflight import _guardduty

    boto3.client("guardduty").create_detector(Enable=True, Tags={"environment": "prod", "project": "fintech-platform"})
    report = Report("preflight", "prod")
    _guardduty(report, "prod", load_config("prod"), Clients("us-east-1"))
    assert _statuses(report) == {"guardduty": "pass"} and "this stack's" in report.text()


def test_prod_without_its_own_detector_needs_one_in_the_region(aws: None) -> None:
    from ops.preflight import _guardduty

    config = load_config("prod").model_copy(update={"guard_duty": False})
    report = Report("preflight", "prod")
    _guardduty(report, "prod", config, Clients("us-east-1"))
    assert report.failed and "no GuardDuty detector covers this region" in report.text()


def test_the_organization_trail_is_checked_when_it_stands_in(aws: None) -> None:
    from ops.preflight import _organization_trail

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="org-trail-logs")
    key = boto3.client("kms").create_key()["KeyMetadata"]["Arn"]
    cloudtrail = boto3.client("cloudtrail")
    good = cloudtrail.create_trail(
        Name="org",
        S3BucketName="org-trail-logs",
        IsMultiRegionTrail=True,
        EnableLogFileValidation=True,
        KmsKeyId=key,
        IsOrganizationTrail=True,
    )["TrailARN"]
    cloudtrail.start_logging(Name=good)
    bad = cloudtrail.create_trail(Name="local", S3BucketName="org-trail-logs")["TrailARN"]
    config = load_config("prod")
    for arn, expected in ((good, "pass"), (bad, "fail")):
        report = Report("preflight", "prod")
        _organization_trail(report, config.model_copy(update={"organization_trail": arn}), Clients("us-east-1"))
        assert _statuses(report) == {"organization-trail": expected}, report.text()
    assert "the trail is not an organization trail" in report.text() and "the trail is not logging" in report.text()
    report = Report("preflight", "prod")
    _organization_trail(report, config, Clients("us-east-1"))
    assert report.findings == []  # the stack builds its own trail: nothing to check


def test_in_the_foundation_phase_a_missing_image_only_warns(aws: None) -> None:
    """The bootstrap workflow runs preflight before the foundation `pulumi up`, when no repository exists yet."""
    report = Report("preflight", "prod")
    check_images(report, "prod", load_config("prod"), Clients("us-east-1"), ACCOUNT, required=False)
    assert set(_statuses(report).values()) == {"warn"} and not report.failed
    assert all("docker push" in f.remedy for f in report.findings)


def test_the_preflight_pins_include_cert_manager_and_trust_manager() -> None:
    """Issue 20.5: every chart the program installs is checked before `pulumi up`, the CA's charts included."""
    pins = chart_pins(load_config("prod").kubernetes_version)
    assert {"cert-manager", "trust-manager", "aws-load-balancer-controller"} <= set(pins)
    assert pins["cert-manager"].repository == "https://charts.jetstack.io"


@pytest.mark.parametrize(
    ("outputs", "refused"),
    [
        ({}, ""),  # a new stack
        ({"deployPhase": "foundation", "vpcId": "vpc-1"}, ""),  # a second bootstrap run of a foundation stack
        ({"deployPhase": "complete"}, "runs its Kubernetes layer (deployPhase output 'complete')"),
        ({"deployPhase": "bogus"}, "deployPhase output 'bogus' is neither"),
    ],
)
def test_the_bootstrap_refuses_a_stack_that_runs_its_kubernetes_layer(
    outputs: dict[str, str], refused: str, tmp_path: Path
) -> None:
    from ops.__main__ import main

    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    from ops.common import OpsError
    from ops.preflight import read_stack_outputs, refuse_live_stack

    if refused:
        with pytest.raises(OpsError, match=refused.replace("(", r"\(").replace(")", r"\)")):
            refuse_live_stack("prod", read_stack_outputs(str(path)))
        # The command exits 2 before any AWS call (no credentials are set up in this test).
        assert main(["preflight", "--stack", "prod", "--phase", "foundation", "--stack-outputs", str(path)]) == 2
    else:
        refuse_live_stack("prod", read_stack_outputs(str(path)))


def test_stack_outputs_that_are_not_json_are_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ops.__main__ import main

    path = tmp_path / "outputs.json"
    path.write_text("error: no stack named 'x' found")
    assert main(["preflight", "--stack", "prod", "--phase", "foundation", "--stack-outputs", str(path)]) == 2
    assert "not the JSON of `pulumi stack output --json`" in capsys.readouterr().err
    assert main(["preflight", "--stack", "prod", "--stack-outputs", str(path)]) == 2
    assert "--stack-outputs is read only with --phase foundation" in capsys.readouterr().err
