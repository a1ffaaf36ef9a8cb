"""Threat detection: a GuardDuty detector with EKS protection, its findings routed to the alarm topic.

- Detector features (pulumi-aws 7.51.1 `guardduty.DetectorFeature`, names from the GuardDuty API
  DetectorFeatureConfiguration): EKS_AUDIT_LOGS (EKS Protection: the cluster's audit log, read by GuardDuty
  from the control plane, no cluster logging needed) and RUNTIME_MONITORING with EKS_ADDON_MANAGEMENT
  (GuardDuty installs and updates its security agent as the `aws-guardduty-agent` EKS add-on and creates
  a VPC endpoint for it). Only one of RUNTIME_MONITORING and the older EKS_RUNTIME_MONITORING may be set.
  The features are separate resources, so the detector's deprecated `datasources` block is not used.
- One detector per account and region: creating a second fails. Where GuardDuty is managed by an
  organization's delegated administrator, turn this component off (config key `guardDuty`).
- Findings: GuardDuty publishes every finding, and updates of it, to the default EventBridge bus
  ("Processing GuardDuty findings with Amazon EventBridge", GuardDuty User Guide); a rule forwards findings
  of at least `min_severity` to the alarm topic. The topic's policy (components/alerts.py) and its key
  (components/kms.py, 'alerts' domain) admit events.amazonaws.com.
- Delete: disabling RUNTIME_MONITORING makes GuardDuty remove its add-on and VPC endpoint asynchronously;
  a VPC deleted in the same `pulumi destroy` may fail while that endpoint still exists (rerun the destroy).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.errors import InvalidArgumentError

FINDING_FREQUENCIES = ("FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS")
"""How often GuardDuty publishes updates of existing findings."""


@dataclass(frozen=True)
class ThreatDetectionArgs:
    """Arguments of ThreatDetection."""

    alarm_topic_arn: pulumi.Input[str]
    """Topic GuardDuty findings are sent to. Required."""
    min_severity: float = 4.0
    """Lowest finding severity forwarded (GuardDuty: 1-3.9 low, 4-6.9 medium, 7-8.9 high, 9-10 critical).
    Default: 4.0 (medium and above)."""
    finding_frequency: str = "FIFTEEN_MINUTES"
    """How often updates of existing findings are published, one of FINDING_FREQUENCIES. Default: FIFTEEN_MINUTES."""
    eks_runtime_monitoring: bool = True
    """GuardDuty Runtime Monitoring of the EKS nodes with its managed agent add-on. Default: True."""

    def __post_init__(self) -> None:
        if not 1 <= self.min_severity <= 10:
            raise InvalidArgumentError(f"min_severity: {self.min_severity} is outside GuardDuty's 1-10")
        if self.finding_frequency not in FINDING_FREQUENCIES:
            raise InvalidArgumentError(
                f"finding_frequency: '{self.finding_frequency}' is not one of {', '.join(FINDING_FREQUENCIES)}"
            )


class ThreatDetection(pulumi.ComponentResource):
    """GuardDuty detector, EKS protection features, and an EventBridge rule to the alarm topic."""

    detector_id: pulumi.Output[str]

    def __init__(self, name: str, args: ThreatDetectionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:threat_detection:ThreatDetection", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        detector = aws.guardduty.Detector(
            f"{name}-guardduty", enable=True, finding_publishing_frequency=args.finding_frequency, opts=child
        )
        aws.guardduty.DetectorFeature(
            f"{name}-eks-audit-logs", detector_id=detector.id, name="EKS_AUDIT_LOGS", status="ENABLED", opts=child
        )
        if args.eks_runtime_monitoring:
            aws.guardduty.DetectorFeature(
                f"{name}-runtime-monitoring",
                detector_id=detector.id,
                name="RUNTIME_MONITORING",
                status="ENABLED",
                additional_configurations=[
                    aws.guardduty.DetectorFeatureAdditionalConfigurationArgs(
                        name="EKS_ADDON_MANAGEMENT", status="ENABLED"
                    )
                ],
                opts=child,
            )
        rule = aws.cloudwatch.EventRule(
            f"{name}-guardduty-findings",
            description=f"{name}: GuardDuty findings of severity {args.min_severity:g} or more to the alarm topic",
            event_pattern=json.dumps(finding_pattern(args.min_severity)),
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-guardduty-findings", rule=rule.name, arn=args.alarm_topic_arn, target_id="alarm-topic", opts=child
        )
        self.detector_id = detector.id
        self.register_outputs({"detector_id": self.detector_id})


def detector_problems(
    detector_ids: list[str], builds_detector: bool, required: bool, stack_detector_id: str = ""
) -> list[str]:
    """What `ops preflight` must report about GuardDuty before `pulumi up`, from boto3's
    `guardduty.list_detectors()["DetectorIds"]` in the stack's region, whether the stack builds a detector
    (config `guardDuty`), whether its tier requires one (prod) and the stack output `guardDutyDetectorId`
    (empty before the first deployment). GuardDuty allows one detector per account and region."""
    others = [d for d in detector_ids if d != stack_detector_id]
    if builds_detector and others:
        return [
            f"GuardDuty detector {others[0]} already exists in this region and is not this stack's: creating "
            "another fails; set guardDuty=false (the existing detector, e.g. an organization's, covers the account)"
        ]
    if required and not builds_detector and not detector_ids:
        return ["guardDuty=false but no GuardDuty detector covers this region; this tier requires one"]
    return []


def finding_pattern(min_severity: float) -> dict[str, object]:
    """EventBridge pattern matching GuardDuty findings of at least `min_severity`."""
    return {
        "source": ["aws.guardduty"],
        "detail-type": ["GuardDuty Finding"],
        "detail": {"severity": [{"numeric": [">=", min_severity]}]},
    }
