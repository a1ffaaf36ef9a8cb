"""Application secrets in Secrets Manager, encrypted with the secrets key and closed to other accounts.

A value comes either from pulumi-random (generated, never seen by a person) or from a Pulumi secret
(`pulumi config set --secret`); there is no way to pass a plain string. Each secret gets a resource
policy that denies every principal outside the account, with public policies blocked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components.errors import InvalidArgumentError
from components.iam import policy_document


@dataclass(frozen=True)
class GeneratedSecret:
    """A secret whose value pulumi-random generates."""

    description: str
    """What the secret is for."""
    length: int = 64
    """Characters in the value (32-128). Default: 64."""
    special: bool = False
    """Whether punctuation may appear (off: many clients, like ElastiCache AUTH, refuse some). Default: False."""


@dataclass(frozen=True)
class ProvidedSecret:
    """A secret whose value comes from stack config set with --secret."""

    description: str
    """What the secret is for."""
    value: pulumi.Output[str]
    """The value; must be a Pulumi secret Output (pulumi.Config().require_secret)."""


@dataclass(frozen=True)
class AppSecretsArgs:
    """Arguments of AppSecrets."""

    kms_key_arn: pulumi.Input[str]
    """Key that encrypts every secret (the KMS 'secrets' domain). Required."""
    account_id: str
    """The only account whose principals may use the secrets. Required."""
    generated: dict[str, GeneratedSecret] = field(default_factory=dict)
    """Generated secrets by name. Default: none."""
    provided: dict[str, ProvidedSecret] = field(default_factory=dict)
    """Config-provided secrets by name. Default: none."""
    recovery_window_days: int = 30
    """Days a deleted secret can be restored (7-30). Default: 30."""
    protect: bool = False
    """Register the secrets with protect=True. Default: False."""

    def __post_init__(self) -> None:
        if not 7 <= self.recovery_window_days <= 30:
            raise InvalidArgumentError(f"recovery_window_days: {self.recovery_window_days} is outside 7-30")
        both = sorted(set(self.generated) & set(self.provided))
        if both:
            raise InvalidArgumentError(f"generated/provided: {both} named in both")
        for name, spec in self.generated.items():
            if not 32 <= spec.length <= 128:
                raise InvalidArgumentError(f"generated['{name}'].length: {spec.length} is outside 32-128")
        for name, provided in self.provided.items():
            if not isinstance(provided.value, pulumi.Output):
                raise InvalidArgumentError(
                    f"provided['{name}'].value: must be a secret Output from config set with --secret, "
                    "not a plain string"
                )


class AppSecrets(pulumi.ComponentResource):
    """Secrets Manager secrets with their values, key and resource policy."""

    arns: dict[str, pulumi.Output[str]]
    """ARN of each secret, by name."""

    def __init__(self, name: str, args: AppSecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:secrets:AppSecrets", name, None, opts)
        self._values: dict[str, pulumi.Output[str]] = {}
        self.arns = {}
        for secret_name, generated in args.generated.items():
            password = random.RandomPassword(
                f"{name}-{secret_name}",
                length=generated.length,
                special=generated.special,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self._store(name, secret_name, generated.description, pulumi.Output.secret(password.result), args)
        for secret_name, provided in args.provided.items():
            self._store(name, secret_name, provided.description, pulumi.Output.secret(provided.value), args)
        self.register_outputs({"arns": self.arns})

    def _store(
        self, name: str, secret_name: str, description: str, value: pulumi.Output[str], args: AppSecretsArgs
    ) -> None:
        child = pulumi.ResourceOptions(parent=self)
        secret = aws.secretsmanager.Secret(
            f"{name}-{secret_name}",
            # A prefix, not a fixed name: a deleted secret keeps its name for the recovery window, so a stack
            # destroyed and created again within it would fail with "already scheduled for deletion"
            # (Secrets Manager DeleteSecret, https://docs.aws.amazon.com/secretsmanager/latest/apireference/
            # API_DeleteSecret.html). Workloads find a secret by the ARN they are given, never by name.
            name_prefix=f"{name}/{secret_name}-",
            description=description,
            kms_key_id=args.kms_key_arn,
            recovery_window_in_days=args.recovery_window_days,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        aws.secretsmanager.SecretVersion(f"{name}-{secret_name}", secret_id=secret.id, secret_string=value, opts=child)
        aws.secretsmanager.SecretPolicy(
            f"{name}-{secret_name}",
            secret_arn=secret.arn,
            block_public_policy=True,
            policy=secret.arn.apply(lambda arn: _same_account_only(arn, args.account_id)),
            opts=child,
        )
        self._values[secret_name] = value
        self.arns[secret_name] = secret.arn

    def value(self, secret_name: str) -> pulumi.Output[str]:
        """The secret's value, as a secret Output (for a resource that needs it, such as an AUTH token)."""
        if secret_name not in self._values:
            raise InvalidArgumentError(f"secret_name: '{secret_name}' is not one of {sorted(self._values)}")
        return self._values[secret_name]


def _same_account_only(secret_arn: str, account_id: str) -> str:
    """Deny every principal outside the account, whatever IAM elsewhere allows."""
    return policy_document(
        {
            "Sid": "DenyOtherAccounts",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "secretsmanager:*",
            "Resource": secret_arn,
            "Condition": {"StringNotEquals": {"aws:PrincipalAccount": account_id}},
        }
    )
