"""Building blocks several components use: encrypted log groups, service security groups, final snapshot
names, alarms."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.errors import InvalidArgumentError

AUTONAME_SUFFIX_LENGTH = 8
"""What Pulumi auto-naming appends to a logical name: '-' and 7 random hex characters (pulumi-aws
`AutoName`); where the name would overflow the property's limit the create fails."""

Comparison = Literal[
    "GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"
]


def autoname_base(prefix: str, label: str, limit: int, argument: str) -> str:
    """A logical name '<prefix>-<label>' whose auto-name fits `limit`, cutting `label` short when needed
    (at least 3 characters are kept; InvalidArgumentError naming `argument` when even that overflows)."""
    room = limit - AUTONAME_SUFFIX_LENGTH - len(prefix) - 1
    if room >= len(label):
        return f"{prefix}-{label}"
    if room < 3:
        raise InvalidArgumentError(
            f"{argument}: '{prefix}' leaves {room} characters for '{label}' within the {limit}-character name limit "
            f"(after Pulumi's {AUTONAME_SUFFIX_LENGTH}-character auto-name suffix)"
        )
    return f"{prefix}-{label[:room].rstrip('-')}"


def encrypted_log_group(
    resource_name: str,
    log_group_name: str,
    retention_days: int,
    kms_key_arn: pulumi.Input[str],
    parent: pulumi.Resource,
) -> aws.cloudwatch.LogGroup:
    """A log group created by the program (not by the service), so it has a CMK and a retention."""
    return aws.cloudwatch.LogGroup(
        resource_name,
        name=log_group_name,
        retention_in_days=retention_days,
        kms_key_id=kms_key_arn,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def service_security_group(
    resource_name: str,
    vpc_id: pulumi.Input[str],
    port: int,
    source_group_ids: Sequence[pulumi.Input[str]],
    description: str,
    parent: pulumi.Resource,
) -> aws.ec2.SecurityGroup:
    """A security group that admits `port` over TCP only from the given security groups.

    No CIDR ingress and no egress rule: data services answer connections, they never open them.
    """
    group = aws.ec2.SecurityGroup(
        resource_name,
        vpc_id=vpc_id,
        description=description,
        tags={"Name": resource_name},
        opts=pulumi.ResourceOptions(parent=parent),
    )
    for index, source in enumerate(source_group_ids):
        aws.vpc.SecurityGroupIngressRule(
            f"{resource_name}-from-{index}",
            security_group_id=group.id,
            referenced_security_group_id=source,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=f"TCP {port} from an allowed client security group",
            opts=pulumi.ResourceOptions(parent=parent),
        )
    return group


def final_snapshot_identifier(identifier: str, resource_name: str, parent: pulumi.Resource) -> pulumi.Output[str]:
    """'<identifier>-final-<8 hex>': the suffix is drawn once when the store is created, so a stack destroyed
    and created again does not collide with the final snapshot of its previous life, which outlives it
    (RDS DeleteDBCluster and ElastiCache DeleteReplicationGroup fail with DBClusterSnapshotAlreadyExists /
    SnapshotAlreadyExistsFault when the final snapshot name is taken)."""
    suffix = random.RandomId(
        f"{resource_name}-final-snapshot", byte_length=4, opts=pulumi.ResourceOptions(parent=parent)
    )
    return suffix.hex.apply(lambda hex_suffix: f"{identifier}-final-{hex_suffix}")


@dataclass(frozen=True)
class AlarmSpec:
    """One CloudWatch metric alarm."""

    suffix: str
    """Resource-name suffix, e.g. 'cpu'."""
    namespace: str
    """CloudWatch namespace, e.g. AWS/RDS."""
    metric: str
    """Metric name."""
    dimensions: Mapping[str, pulumi.Input[str]]
    """Metric dimensions."""
    comparison: Comparison
    """How the statistic is compared with the threshold."""
    threshold: float
    """Threshold value, in the metric's unit."""
    description: str
    """What the alarm means for a person woken by it."""
    statistic: str = "Average"
    """Statistic over each period, or a percentile such as p99. Default: Average."""
    period_seconds: int = 300
    """Period length. Default: 300."""
    evaluation_periods: int = 3
    """Consecutive breaching periods before the alarm fires. Default: 3."""
    treat_missing_data: str = "missing"
    """How missing data counts. Default: missing."""
    extra_tags: dict[str, str] = field(default_factory=dict)
    """Tags beyond the defaults. Default: none."""


def create_alarms(
    name: str, specs: Sequence[AlarmSpec], topic_arn: pulumi.Input[str] | None, parent: pulumi.Resource
) -> list[aws.cloudwatch.MetricAlarm]:
    """Create the alarms, each notifying `topic_arn` on alarm and on recovery; none when topic_arn is None."""
    if topic_arn is None:
        return []
    return [
        aws.cloudwatch.MetricAlarm(
            f"{name}-{spec.suffix}",
            alarm_description=spec.description,
            namespace=spec.namespace,
            metric_name=spec.metric,
            dimensions=dict(spec.dimensions),
            statistic=None if spec.statistic.startswith("p") else spec.statistic,
            extended_statistic=spec.statistic if spec.statistic.startswith("p") else None,
            comparison_operator=spec.comparison,
            threshold=spec.threshold,
            period=spec.period_seconds,
            evaluation_periods=spec.evaluation_periods,
            treat_missing_data=spec.treat_missing_data,
            alarm_actions=[topic_arn],
            ok_actions=[topic_arn],
            tags=spec.extra_tags or None,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for spec in specs
    ]
