"""Preflight, before `pulumi up`: is this the right account, and can the stack be created here?

Checks: the caller's account is the stack's pinned account (else the command refuses, exit 2); the
region has at least 3 available zones and the pinned ones; the ACM certificate exists and is ISSUED;
the Elastic IP and VPC quotas leave room for the stack's NAT gateways and VPC; the pinned EKS add-on
versions exist for the Kubernetes version; every workload's pinned image is in its ECR repository
(with the push commands for each missing one); and every pinned Helm chart version is in its chart
repository's index; GuardDuty can be created (no foreign detector) or, where the stack builds none,
covers the region when the tier requires it; and an `organizationTrail` standing in for the stack's
own trail exists, is an organization trail, logs the region, is logging, validates and is encrypted; AWS Config
and Security Hub: where the stack builds its own, no other recorder holds the region's single slot (and an already
enabled Security Hub is flagged); where an organization runs them (organizationCompliance), a recorder of all
supported types is recording here, a conformance pack is deployed, and Security Hub is on with the PCI DSS v4.0.1
and FSBP standards (components/continuous_compliance.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from botocore.exceptions import ClientError

from components.audit_trail import organization_trail_problems
from components.continuous_compliance import recorder_problems, securityhub_problems
from components.eks import ADDON_VERSIONS
from components.threat_detection import detector_problems
from ops.charts import ChartPin, chart_pins, check_chart_versions
from ops.common import Clients, OpsError, Report, error_code, require_pinned_account
from ops.images import check_images
from ops.live_audit import thresholds
from ops.verify_metrics import preflight_trace_encryption
from stacks.config import CONFIG_NAMESPACE, StackConfig
from stacks.names import global_database_name, primary_prefix, resource_prefix

Phase = Literal["foundation", "complete"]
"""The deploy phase the preflight prepares: foundation (bootstrap workflow) or complete (deploy workflow)."""

DEFAULT_QUOTAS = {"L-0263D0A3": 5, "L-F678F1CE": 5}
"""AWS default quotas used when Service Quotas cannot be read: EC2-VPC Elastic IPs, VPCs per region."""


def read_stack_outputs(path: str) -> dict[str, Any]:
    """The stack's outputs as `pulumi stack output --json` wrote them to `path` ('{}' for a stack not created yet)."""
    try:
        outputs = json.loads(Path(path).read_text())
    except (OSError, ValueError) as err:
        raise OpsError(f"--stack-outputs {path}: not the JSON of `pulumi stack output --json`: {err}") from None
    if not isinstance(outputs, dict):
        raise OpsError(f"--stack-outputs {path}: expected a JSON object of outputs, got {type(outputs).__name__}")
    return outputs


def refuse_live_stack(stack: str, outputs: Mapping[str, Any]) -> None:
    """Refuse the foundation phase on a stack that already runs its Kubernetes layer (deployPhase output
    `complete`): the foundation phase registers no Kubernetes object, so its `pulumi up` would delete every
    release, the add-ons and the CA of a live cluster (issue 20.5)."""
    phase = outputs.get("deployPhase")
    if phase == "complete":
        raise OpsError(
            f"stack {stack} runs its Kubernetes layer (deployPhase output 'complete'): the foundation phase would "
            "delete every release on it; deploy it with the deploy workflow (deployPhase complete) instead"
        )
    if phase not in (None, "foundation"):
        raise OpsError(f"stack {stack}: deployPhase output {phase!r} is neither 'foundation' nor 'complete'")


def preflight(
    stack: str,
    config: StackConfig,
    clients: Clients,
    charts: Mapping[str, ChartPin] | None = None,
    phase: Phase = "complete",
) -> Report:
    """Every preflight check; the report fails when any check fails. `charts`: the Helm chart pins to
    look up (default: the program's pins for the stack's Kubernetes version, the add-on charts, cert-manager and
    trust-manager). `phase`: in the foundation phase the images are pushed afterwards, so a missing image only
    warns (default: complete, where it fails)."""
    account = require_pinned_account(stack, config, clients)
    report = Report("preflight", stack)
    if config.account_id:
        report.add("account", True, f"credentials are for {account}, the stack's pinned account")
    else:
        report.add("account", False, f"credentials are for {account}; the stack pins no account", warn_only=True)
    _zones(report, config, clients)
    _certificate(report, config, clients)
    _quotas(report, config, clients, stack)
    _addon_versions(report, config, clients)
    check_images(report, stack, config, clients, account, required=phase == "complete")
    _guardduty(report, stack, config, clients)
    preflight_trace_encryption(report, clients, resource_prefix(stack), config.trace_encryption)
    _organization_trail(report, config, clients)
    _continuous_compliance(report, stack, config, clients)
    _global_database(report, stack, config, clients)
    _cluster_creator(report, config, clients)
    _hosted_zone(report, config, clients)
    check_chart_versions(report, chart_pins(config.kubernetes_version) if charts is None else charts)
    return report


def _zones(report: Report, config: StackConfig, clients: Clients) -> None:
    zones = clients("ec2").describe_availability_zones(
        Filters=[
            {"Name": "state", "Values": ["available"]},
            {"Name": "opt-in-status", "Values": ["opt-in-not-required"]},
        ]
    )["AvailabilityZones"]
    ids = {zone["ZoneId"] for zone in zones}
    report.add("availability-zones", len(ids) >= 3, f"{len(ids)} available zones in {config.region} (3 needed)")
    missing = sorted(set(config.availability_zone_ids) - ids)
    report.add("pinned-zones", not missing, f"pinned {list(config.availability_zone_ids)}; not available: {missing}")


def _certificate(report: Report, config: StackConfig, clients: Clients) -> None:
    try:
        certificate = clients("acm").describe_certificate(CertificateArn=config.certificate_arn)["Certificate"]
    except ClientError as err:
        report.add("certificate", False, f"{config.certificate_arn} cannot be read: {err.response['Error']['Code']}")
        return
    status = certificate.get("Status")
    report.add("certificate", status == "ISSUED", f"{certificate.get('DomainName')} is {status}",
               config.certificate_arn)  # fmt: skip


def _quota(clients: Clients, code: str) -> tuple[int, str]:
    try:
        value = clients("service-quotas").get_service_quota(ServiceCode="ec2" if code != "L-F678F1CE" else "vpc",
                                                            QuotaCode=code)["Quota"]["Value"]  # fmt: skip
        return int(value), "account quota"
    except ClientError:
        return DEFAULT_QUOTAS[code], "AWS default (Service Quotas not readable)"


def _quotas(report: Report, config: StackConfig, clients: Clients, stack: str) -> None:
    ec2 = clients("ec2")
    prefix = resource_prefix(stack)
    ours = [a for a in ec2.describe_addresses()["Addresses"]
            if any(t["Key"] == "Name" and t["Value"].startswith(prefix) for t in a.get("Tags", []))]  # fmt: skip
    needed = (3 if config.nat_strategy == "one-per-az" else 1) - len(ours)
    in_use = len(ec2.describe_addresses()["Addresses"]) - len(ours)
    limit, source = _quota(clients, "L-0263D0A3")
    detail = f"{in_use} Elastic IPs in use + {max(needed, 0)} for NAT gateways vs quota {limit} ({source})"
    report.add("elastic-ip-quota", in_use + needed <= limit, detail)
    vpcs = ec2.describe_vpcs()["Vpcs"]
    exists = any(t["Key"] == "Name" and t["Value"] == f"{prefix}-vpc" for v in vpcs for t in v.get("Tags", []))
    vpc_limit, vpc_source = _quota(clients, "L-F678F1CE")
    total = len(vpcs) + (0 if exists else 1)
    report.add(
        "vpc-quota", total <= vpc_limit, f"{len(vpcs)} VPCs + {0 if exists else 1} vs quota {vpc_limit} ({vpc_source})"
    )


def _addon_versions(report: Report, config: StackConfig, clients: Clients) -> None:
    eks = clients("eks")
    for addon, version in ADDON_VERSIONS[config.kubernetes_version].items():
        try:
            found = eks.describe_addon_versions(addonName=addon, kubernetesVersion=config.kubernetes_version)
        except ClientError as err:
            report.add(
                f"addon-{addon}", False, f"cannot list versions: {err.response['Error']['Code']}", warn_only=True
            )
            continue
        versions = {v["addonVersion"] for a in found.get("addons", []) for v in a.get("addonVersions", [])}
        report.add(f"addon-{addon}", version in versions,
                   f"pinned {version} for Kubernetes {config.kubernetes_version}"
                   + ("" if version in versions else f"; available: {sorted(versions)[-3:]}"))  # fmt: skip


def _guardduty(report: Report, stack: str, config: StackConfig, clients: Clients) -> None:
    """One detector per account and region: a foreign one blocks the stack's; none fails a tier that needs one."""
    guardduty = clients("guardduty")
    ids = [d for page in guardduty.get_paginator("list_detectors").paginate() for d in page.get("DetectorIds", [])]
    ours = ""
    for detector in ids:
        tags = guardduty.get_detector(DetectorId=detector).get("Tags", {})
        if tags.get("environment") == stack and tags.get("project") == CONFIG_NAMESPACE:
            ours = detector
    required = bool(thresholds(stack)["guardduty-required"].get("required"))
    problems = detector_problems(ids, config.guard_duty, required, ours)
    detail = "; ".join(problems) or (
        f"{len(ids)} detector(s) in {config.region}" + (f", this stack's: {ours}" if ours else "")
        + f"; the stack {'builds' if config.guard_duty else 'does not build'} one"
    )  # fmt: skip
    report.add("guardduty", not problems, detail)


def _global_database(report: Report, stack: str, config: StackConfig, clients: Clients) -> None:
    """A standby's Aurora secondary joins its primary's global database, which the primary's stack creates: the
    primary must be deployed first (docs/deploying.md, "The region pair"). A primary's first `pulumi up` creates it."""
    if config.region_pair_role == "none":
        return
    identifier = global_database_name(primary_prefix(stack, config.standby_for))
    try:
        found = clients("rds").describe_global_clusters(GlobalClusterIdentifier=identifier)["GlobalClusters"]
    except ClientError as err:
        if err.response["Error"]["Code"] != "GlobalClusterNotFoundFault":
            raise
        found = []
    writers = [m["DBClusterArn"] for g in found for m in g.get("GlobalClusterMembers", []) if m.get("IsWriter")]
    if config.standby_for:
        detail = (
            f"has writer {writers[0]}"
            if writers
            else f"missing or without a writer: deploy stack {config.standby_for} first (it creates {identifier})"
        )
        report.add("global-database", bool(writers), detail, identifier)
    else:
        detail = f"exists, writer {writers[0] if writers else 'none'}" if found else "created by this stack's next up"
        report.add("global-database", True, detail, identifier)


def _organization_trail(report: Report, config: StackConfig, clients: Clients) -> None:
    """The organization trail that stands in for the stack's own (config organizationTrail), when set."""
    arn = config.organization_trail
    if not arn:
        return
    cloudtrail = clients("cloudtrail")
    trails = cloudtrail.describe_trails(trailNameList=[arn], includeShadowTrails=True).get("trailList", [])
    trail = next((t for t in trails if t.get("TrailARN") == arn), None)
    status = None
    if trail is not None:
        try:
            status = cloudtrail.get_trail_status(Name=arn)
        except ClientError as err:
            if err.response["Error"]["Code"] != "TrailNotFoundException":
                raise
    problems = organization_trail_problems(trail, status, config.region)
    report.add("organization-trail", not problems, "; ".join(problems) or "exists, logging, validated, encrypted", arn)


def caller_role_arn(caller_arn: str) -> str:
    """The IAM role ARN behind an STS caller ARN (arn:<p>:sts::<account>:assumed-role/<role>/<session> ->
    arn:<p>:iam::<account>:role/<role>); any other principal's ARN unchanged."""
    parts = caller_arn.split(":", 5)
    if len(parts) == 6 and parts[2] == "sts" and parts[5].startswith("assumed-role/"):
        role = parts[5].split("/")[1]
        return f"arn:{parts[1]}:iam::{parts[4]}:role/{role}"
    return caller_arn


def _cluster_creator(report: Report, config: StackConfig, clients: Clients) -> None:
    """Warn when the caller (who runs `pulumi up` and so creates the cluster) is also named in an explicit access
    entry: pulumi-eks creates the cluster with bootstrapClusterCreatorAdminPermissions=true (pulumi/pulumi-eks#2373),
    EKS gives the creator its own entry, and the stack's second entry for the same role fails with
    ResourceInUseException (https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html)."""
    caller = caller_role_arn(clients("sts").get_caller_identity()["Arn"])
    # a role ARN may carry a path; EKS and STS name the role by its last segment
    named = {arn.rsplit("/", 1)[-1]: key for key, arns in (
        ("ciDeployRoleArn", [config.ci_deploy_role_arn]), ("ciPreviewRoleArn", [config.ci_preview_role_arn]),
        ("eksAdminRoleArns", list(config.eks_admin_role_arns))) for arn in arns if arn}  # fmt: skip
    role = caller.rsplit("/", 1)[-1] if ":role/" in caller else ""
    key = named.get(role)
    report.add("cluster-creator", key is None,
               f"the caller {caller} will create the EKS cluster (and get the creator's access entry)"
               + (f" and is also {CONFIG_NAMESPACE}:{key}: the stack's access entry for it fails with "
                  "ResourceInUseException; run the first `pulumi up` as another role" if key else
                  ", and no explicit access entry names it"),
               warn_only=True)  # fmt: skip


def _hosted_zone(report: Report, config: StackConfig, clients: Clients) -> None:
    """Warn when dnsZoneId names no hosted zone of the account (the failover record would fail with
    NoSuchHostedZone after the rest of the stack is built), or a zone that cannot hold dnsName."""
    if not config.dns_zone_id:
        return
    key = f"{CONFIG_NAMESPACE}:dnsZoneId = {config.dns_zone_id}"
    try:
        zone = clients("route53").get_hosted_zone(Id=config.dns_zone_id)["HostedZone"]
    except ClientError as err:
        code = error_code(err)
        if code not in ("NoSuchHostedZone", "InvalidInput"):
            raise
        report.add("hosted-zone", False, f"{key}: no such hosted zone in this account ({code}); the failover "
                   "record would fail after the rest of the stack is built", warn_only=True)  # fmt: skip
        return
    name = str(zone.get("Name", "")).rstrip(".")
    fits = config.dns_name == name or config.dns_name.endswith(f".{name}")
    private = bool(zone.get("Config", {}).get("PrivateZone"))
    verdict = "belongs to it" if fits else "is not a name of that zone"
    detail = f"{key} is {'private ' if private else ''}zone {name}; dnsName {config.dns_name} {verdict}"
    report.add("hosted-zone", fits and not private, detail, config.dns_zone_id, warn_only=True)


def _continuous_compliance(report: Report, stack: str, config: StackConfig, clients: Clients) -> None:
    """AWS Config and Security Hub: the stack's own can be created, or the organization's cover this account and
    region (config organizationCompliance)."""
    service = clients("config")
    recorders = service.describe_configuration_recorders().get("ConfigurationRecorders", [])
    statuses = service.describe_configuration_recorder_status().get("ConfigurationRecordersStatus", [])
    builds = not config.organization_compliance
    problems = recorder_problems(recorders, statuses, builds, f"{resource_prefix(stack)}-recorder", config.region)
    where = "this stack builds its recorder" if builds else "the organization's recorder covers the region"
    report.add("config-recorder", not problems, "; ".join(problems) or where)
    hub_enabled = True
    try:
        clients("securityhub").describe_hub()
    except ClientError as err:
        if err.response["Error"]["Code"] not in ("InvalidAccessException", "ResourceNotFoundException"):
            raise
        hub_enabled = False
    if builds:
        report.add("security-hub", not hub_enabled, "Security Hub is already enabled in this region: enabling it again "
                   "fails unless this stack enabled it (then ignore); if the organization runs it, set "
                   "organizationCompliance=true" if hub_enabled else "not enabled yet; this stack enables it",
                   warn_only=True)  # fmt: skip
        return
    packs = service.describe_conformance_packs().get("ConformancePackDetails", [])
    names = ", ".join(p["ConformancePackName"] for p in packs)
    missing = f"organizationCompliance=true but no conformance pack is deployed in {config.region}"
    report.add("conformance-pack", bool(packs), f"conformance packs: {names}" if packs else missing)
    standards = clients("securityhub").get_enabled_standards().get("StandardsSubscriptions", []) if hub_enabled else []
    hub_problems = securityhub_problems(hub_enabled, standards, config.region)
    report.add("security-hub", not hub_problems, "; ".join(hub_problems) or "enabled with PCI DSS v4.0.1 and FSBP")
