"""Trace storage encrypted with the stack's own customer-managed key: AWS X-Ray's encryption setting.

The workloads send OTLP spans to the CloudWatch agent (amazon-cloudwatch-observability add-on, components/eks.py),
which exports them to AWS X-Ray (stacks/builders.py TRACE_COLLECTOR). X-Ray always encrypts traces at rest, by
default with an AWS-owned key; `PutEncryptionConfig` (type KMS, KeyId) makes it use a customer-managed key (X-Ray
Developer Guide, "Data protection in AWS X-Ray", https://docs.aws.amazon.com/xray/latest/devguide/
xray-console-encryption.html; API Reference, PutEncryptionConfig).

Why X-Ray's own storage and not the alternative:
- X-Ray Transaction Search sends spans to the CloudWatch Logs group `aws/spans` instead (encryptable with the logs
  key), switched by another account-and-region setting (UpdateTraceSegmentDestination, in pulumi-aws as
  `aws.xray.TraceSegmentDestination`); it changes how traces are billed (ingested span logs) and X-Ray's encryption
  setting does not cover those spans. So the component also pins that setting to `XRay`: a person who turns
  Transaction Search on in the console is put back by the next `pulumi up`, and `ops verify` names it meanwhile.
- A key per stack with X-Ray's own setting is what the X-Ray guide documents, and pulumi-aws manages it
  (`aws.xray.EncryptionConfig`).

The setting is one per account and region (there is no per-group or per-service key): two stacks in one account
and region would overwrite each other's key on every `pulumi up`. The stacks of this project each deploy to their
own account and region (dev, prod in us-east-1, prod-dr in us-west-2), so each owns it; the config key
`traceEncryption` (default true, not a tier choice) turns it off in a stack that shares an account and region with
the owner, together with the policy config `trace-export-encrypted.required`.

Life cycle (walked for `pulumi up` and `destroy`):
- Create: after the key (the provider passes its ARN); X-Ray "spends some time generating and propagating data keys"
  and may encrypt with old and new settings meanwhile; existing traces are not re-encrypted (same guide).
- Permissions: the principal that sets the key needs kms:CreateGrant and kms:DescribeKey on it, readers of traces
  kms:Decrypt (X-Ray guide, "User permissions for encryption"). The key admits account principals only through
  X-Ray (kms:ViaService xray.<region>) and grants only for AWS resources (kms:GrantIsForAWSResource), as every
  PlatformKeys domain does.
- Update: a new key ARN is an in-place PutEncryptionConfig.
- Delete: "Removing this resource from the provider has no effect to the encryption configuration within X-Ray"
  (pulumi-aws xray.EncryptionConfig docs): after `pulumi destroy` X-Ray still names the key, which is then pending
  deletion, so traces sent afterwards cannot be encrypted with it (how X-Ray treats them is not documented).
  Whoever destroys a stack for good runs `aws xray put-encryption-config --type NONE` in that account and region
  (docs/observability.md); re-creating the stack sets the new key again. The segment destination is left as it is
  on delete too ("Removing this resource ... has no effect", pulumi-aws xray.TraceSegmentDestination docs): `XRay`,
  X-Ray's default.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

TRACE_DESTINATION = "XRay"
"""Where X-Ray stores trace segments: its own storage, which the encryption setting covers (not CloudWatchLogs)."""


@dataclass(frozen=True)
class TraceEncryptionArgs:
    """Arguments of TraceEncryption."""

    kms_key_arn: pulumi.Input[str]
    """Symmetric customer-managed key that X-Ray encrypts traces with (its policy admits xray via kms:ViaService).
    Required."""


class TraceEncryption(pulumi.ComponentResource):
    """AWS X-Ray's account-and-region encryption setting, pointing at the stack's key, and its segment destination
    pinned to X-Ray's own (encrypted) storage."""

    key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: TraceEncryptionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:traces:TraceEncryption", name, None, opts)
        config = aws.xray.EncryptionConfig(
            f"{name}-xray-encryption",
            type="KMS",
            key_id=args.kms_key_arn,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.xray.TraceSegmentDestination(
            f"{name}-xray-destination", destination=TRACE_DESTINATION, opts=pulumi.ResourceOptions(parent=self)
        )
        self.key_arn = config.key_id.apply(lambda key: key or "")
        self.register_outputs({"key_arn": self.key_arn})
