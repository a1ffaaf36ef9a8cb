"""The platform's alarm topic: an SNS topic encrypted with a customer-managed key, TLS-only."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.errors import InvalidArgumentError
from components.iam import policy_document


@dataclass(frozen=True)
class AlarmTopicArgs:
    """Arguments of AlarmTopic."""

    kms_key_arn: pulumi.Input[str]
    """Key that encrypts the topic; it must admit cloudwatch.amazonaws.com and events.amazonaws.com (the KMS
    'alerts' domain). Required."""
    account_id: str
    """Account whose CloudWatch alarms may publish. Required."""
    email: str = ""
    """Address subscribed to the topic (it must confirm the subscription); empty for none. Default: empty."""
    prometheus_workspace_arn: pulumi.Input[str] | None = None
    """The stack's Prometheus workspace, whose Alertmanager may publish (pinned by aws:SourceArn); its key must
    admit the same workspace. None admits no workspace. Default: None."""

    def __post_init__(self) -> None:
        if self.email and ("@" not in self.email or " " in self.email):
            raise InvalidArgumentError(f"email: '{self.email}' is not an e-mail address")


class AlarmTopic(pulumi.ComponentResource):
    """Encrypted SNS topic that every platform alarm notifies."""

    topic_arn: pulumi.Output[str]

    def __init__(self, name: str, args: AlarmTopicArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:alerts:AlarmTopic", name, None, opts)
        topic = aws.sns.Topic(
            f"{name}-alarms",
            name=f"{name}-alarms",
            kms_master_key_id=args.kms_key_arn,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.sns.TopicPolicy(
            f"{name}-alarms",
            arn=topic.arn,
            policy=pulumi.Output.all(topic.arn, args.prometheus_workspace_arn).apply(
                lambda values: _topic_policy(values[0], args.account_id, name, values[1])
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        if args.email:
            aws.sns.TopicSubscription(
                f"{name}-alarms-email",
                topic=topic.arn,
                protocol="email",
                endpoint=args.email,
                opts=pulumi.ResourceOptions(parent=self),
            )
        else:
            pulumi.log.warn(f"{name}: no alarm e-mail configured; alarms reach the SNS topic but no person", self)
        self.topic_arn = topic.arn
        self.register_outputs({"topic_arn": self.topic_arn})


def _topic_policy(topic_arn: str, account_id: str, rule_prefix: str, workspace_arn: str | None = None) -> str:
    """CloudWatch alarms of this account, EventBridge rules of this stack and the stack's Prometheus workspace (when
    given) may publish; nothing may use the topic without TLS.

    Prometheus: "Permissions to send alert messages to your Amazon SNS topic" (AMP User Guide,
    AMP-alertmanager-receiver-AMPpermission): sns:Publish and sns:GetTopicAttributes for aps.amazonaws.com, pinned
    here by aws:SourceArn to the one workspace and aws:SourceAccount to this account.

    EventBridge publishes to an SNS target through the topic's resource policy, not a role ("Permissions for
    Amazon SNS", EventBridge User Guide); aws:SourceArn pins it to the rules of this stack, whose names Pulumi derives
    from their resource names `<rule_prefix>-...` (GuardDuty findings, Security Hub findings, Config
    non-compliance), so another rule of the account cannot publish alarms here.
    """
    partition = topic_arn.split(":")[1]
    prometheus = (
        [
            {
                "Sid": "PrometheusAlertmanagerOfThisStack",
                "Effect": "Allow",
                "Principal": {"Service": "aps.amazonaws.com"},
                "Action": ["sns:Publish", "sns:GetTopicAttributes"],
                "Resource": topic_arn,
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnEquals": {"aws:SourceArn": workspace_arn},
                },
            }
        ]
        if workspace_arn
        else []
    )
    return policy_document(
        *prometheus,
        {
            "Sid": "CloudWatchAlarmsOfThisAccount",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        },
        {
            "Sid": "EventBridgeRulesOfThisAccount",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account_id},
                "ArnLike": {"aws:SourceArn": f"arn:{partition}:events:*:{account_id}:rule/{rule_prefix}-*"},
            },
        },
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sns:*",
            "Resource": topic_arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    )
