"""Application secrets in Secrets Manager, encrypted with the secrets key and closed to other accounts.

A value comes either from pulumi-random (generated, never seen by a person) or from a Pulumi secret
(`pulumi config set --secret`); there is no way to pass a plain string. Each secret gets a resource
policy that denies every principal outside the account, with public policies blocked.

A generated database credential is stored as the JSON document {"username": ..., "password": ...}: the keys Secrets
Manager's database rotation functions and the RDS Data API read (Secrets Manager User Guide, "JSON structure of AWS
Secrets Manager secrets", Amazon RDS and Aurora credentials,
https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_secret_json_structure.html). A rotated
credential also holds engine, host, port and dbname, and its value belongs to Secrets Manager rotation after the
first version (GeneratedCredential.rotated, ROTATED_STAGE). Its password is also handed to the caller as a secret
Output, for a database resource that takes it (Aurora's write-only `master_password_wo`). The generated value is in
the Pulumi state, encrypted by the stack's secrets provider, three times: the RandomPassword's result, the
SecretVersion's secret_string, and the cluster's write-only input (pulumi/pulumi-terraform-bridge#3201);
docs/day2.md, "What is in state".

Replicas: with `replica_region` set, every secret is replicated by Secrets Manager to that region under the same
name, encrypted there with `replica_kms_key_arn` (a key of that region; KMS keys are regional). A replica is
read-only and follows the primary's value ("Replicate AWS Secrets Manager secrets across Regions",
https://docs.aws.amazon.com/secretsmanager/latest/userguide/create-manage-multi-region-secrets.html); the standby
region can still read it when the primary region is down, and `PromoteSecretReplica` makes it standalone.
"""

from __future__ import annotations

import re
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
class GeneratedCredential:
    """A database credential: a username and a generated password, stored as JSON {"username", "password"}."""

    description: str
    """What the credential is for."""
    username: str
    """Database user name: 1-16 letters, digits or underscores, starting with a letter (the RDS CreateDBCluster
    MasterUsername rule, the strictest consumer)."""
    length: int = 40
    """Characters in the password (32-41). RDS CreateDBCluster accepts a MasterUserPassword of 8 to 41 characters
    (RDS API Reference, CreateDBCluster), so a longer one fails at deploy time. Default: 40."""
    rotated: bool = False
    """Secrets Manager rotation owns the value after its first version: the JSON also holds the connection the
    rotation function needs (engine, host, port, dbname; given with AppSecrets.connect() once the database exists,
    which also creates the first version), and the program never writes the value again (ignore_changes, see
    ROTATED_STAGE). Default: False."""


_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,15}$")
"""RDS CreateDBCluster MasterUsername: 1 to 16 letters or numbers, first character a letter (RDS API Reference,
CreateDBCluster); underscores are accepted by Aurora PostgreSQL (the platform's 'platform_admin')."""
ROTATED_STAGE = "PULUMI_FIRST"
"""A custom staging label on the program's own version of a rotated credential. Without it, two rotations strip every
label from that version, Secrets Manager deletes it, and the next `pulumi up` would create it again with the first
password as AWSCURRENT - a password the database no longer has (terraform-aws-modules/terraform-aws-secrets-manager
#24 and #26; hashicorp/terraform-provider-aws#37302: a deleted version leaves the state). The label keeps the version,
which holds only the first, rotated-away password."""
CONNECTION_KEYS = ("engine", "host", "port", "dbname", "ssl")
"""What a rotated credential's JSON holds besides username and password: the keys AWS's RDS rotation functions read
(Secrets Manager User Guide, "JSON structure of AWS Secrets Manager secrets", Amazon RDS PostgreSQL: engine
'postgres', host, username, password, dbname, port), and `ssl` true: the PostgreSQL function then connects with
sslmode verify-full only; without the key it falls back to an unencrypted connection when TLS fails
(aws-samples/aws-secrets-manager-rotation-lambdas, SecretsManagerRDSPostgreSQLRotationSingleUser get_ssl_config; the
fallback is discussed in its pull request #173). The cluster refuses plaintext anyway (rds.force_ssl)."""
CREDENTIAL_LENGTH = (32, 41)
"""Password length range of a generated credential: 32 characters at least (about 190 bits from 62 symbols),
41 at most (RDS CreateDBCluster MasterUserPassword)."""


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
    credentials: dict[str, GeneratedCredential] = field(default_factory=dict)
    """Generated database credentials by name, stored as JSON {"username", "password"}. Default: none."""
    replica_region: str = ""
    """Region every secret is replicated to (with replica_kms_key_arn); "" replicates nothing. Default: ""."""
    replica_kms_key_arn: pulumi.Input[str] | None = None
    """Key of replica_region that encrypts the replicas (with replica_region). Default: None."""
    recovery_window_days: int = 30
    """Days a deleted secret can be restored (7-30). Default: 30."""
    protect: bool = False
    """Register the secrets with protect=True. Default: False."""

    def __post_init__(self) -> None:
        if not 7 <= self.recovery_window_days <= 30:
            raise InvalidArgumentError(f"recovery_window_days: {self.recovery_window_days} is outside 7-30")
        named = {"generated": set(self.generated), "provided": set(self.provided), "credentials": set(self.credentials)}
        for first, second in (("generated", "provided"), ("generated", "credentials"), ("provided", "credentials")):
            both = sorted(named[first] & named[second])
            if both:
                raise InvalidArgumentError(f"{first}/{second}: {both} named in both")
        if bool(self.replica_region) != (self.replica_kms_key_arn is not None):
            raise InvalidArgumentError(
                "replica_region/replica_kms_key_arn: set both (a replica needs a key of its own region) or neither"
            )
        if self.replica_region and not _REGION.match(self.replica_region):
            raise InvalidArgumentError(f"replica_region: '{self.replica_region}' is not an AWS region (e.g. us-west-2)")
        for name, credential in self.credentials.items():
            if not _USERNAME.match(credential.username):
                raise InvalidArgumentError(
                    f"credentials['{name}'].username: '{credential.username}' is not 1-16 letters, digits or "
                    "underscores starting with a letter"
                )
            low, high = CREDENTIAL_LENGTH
            if not low <= credential.length <= high:
                raise InvalidArgumentError(
                    f"credentials['{name}'].length: {credential.length} is outside {low}-{high} (RDS accepts a "
                    f"master password of at most {high} characters)"
                )
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
    credential_passwords: dict[str, pulumi.Output[str]]
    """Password of each generated credential, by name, as a secret Output (e.g. for Aurora's master_password_wo)."""

    def __init__(self, name: str, args: AppSecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:secrets:AppSecrets", name, None, opts)
        self._name = name
        self._values: dict[str, pulumi.Output[str]] = {}
        self._secrets: dict[str, aws.secretsmanager.Secret] = {}
        self._pending: dict[str, dict[str, object]] = {}
        self.arns = {}
        self.credential_passwords = {}
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
        for secret_name, credential in args.credentials.items():
            # No punctuation: RDS refuses '/', '"', '@' and space in a master password (CreateDBCluster), and a
            # password that needs no quoting survives connection strings and shells. A rotated credential's later
            # passwords come from AWS's rotation function, which allows letters, digits and '-._' only
            # (components/secret_rotation.py PASSWORD_EXCLUDED_CHARACTERS): still nothing to quote.
            password = random.RandomPassword(
                f"{name}-{secret_name}",
                length=credential.length,
                special=False,
                opts=pulumi.ResourceOptions(parent=self),
            )
            secret_password: pulumi.Output[str] = pulumi.Output.secret(password.result)
            fields: dict[str, object] = {"username": credential.username, "password": secret_password}
            if credential.rotated:
                self._secrets[secret_name] = self._secret(name, secret_name, credential.description, args)
                self._pending[secret_name] = fields
            else:
                document: pulumi.Output[str] = pulumi.Output.secret(pulumi.Output.json_dumps(fields))
                self._store(name, secret_name, credential.description, document, args)
            self.credential_passwords[secret_name] = secret_password
        self.register_outputs({"arns": self.arns})

    @property
    def pending_credentials(self) -> tuple[str, ...]:
        """Rotated credentials whose first version waits for connect()."""
        return tuple(self._pending)

    def connect(
        self, secret_name: str, engine: str, host: pulumi.Input[str], port: int, dbname: str
    ) -> aws.secretsmanager.SecretVersion:
        """Write the first version of a rotated credential, with the connection its rotation function reads. Called
        once the database exists (its endpoint is the host), so the version comes after the cluster that the
        password was given to. Returns the version: what reads the credential (the Data API users, the rotation)
        depends on it."""
        if secret_name not in self._pending:
            raise InvalidArgumentError(
                f"secret_name: '{secret_name}' is not a rotated credential waiting for its connection "
                f"({sorted(self._pending) or 'none'})"
            )
        fields = {**self._pending.pop(secret_name), "engine": engine, "host": host, "port": port, "dbname": dbname,
                  "ssl": True}  # fmt: skip
        document: pulumi.Output[str] = pulumi.Output.secret(pulumi.Output.json_dumps(fields))
        version = aws.secretsmanager.SecretVersion(
            # Not the name of an unrotated credential's version: a stack deployed before rotation holds
            # {"username", "password"} there, and ignore_changes would never add the connection to it. A new name
            # creates this version (AWSCURRENT moves to it, same password) before the old one is deleted.
            f"{self._name}-{secret_name}-first",
            secret_id=self._secrets[secret_name].id,
            secret_string=document,
            version_stages=["AWSCURRENT", ROTATED_STAGE],
            # Secrets Manager rotation (the rotation function's createSecret/finishSecret) owns the value and the
            # AWSCURRENT/AWSPREVIOUS/AWSPENDING labels from the first rotation on; the program writes only this first
            # version. Without ignore_changes, every `pulumi up` after a rotation would put the first password back
            # as AWSCURRENT, which the database no longer accepts.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["secretString", "versionStages"]),
        )
        self._values[secret_name] = document
        return version

    def _store(
        self, name: str, secret_name: str, description: str, value: pulumi.Output[str], args: AppSecretsArgs
    ) -> None:
        secret = self._secret(name, secret_name, description, args)
        aws.secretsmanager.SecretVersion(
            f"{name}-{secret_name}", secret_id=secret.id, secret_string=value, opts=pulumi.ResourceOptions(parent=self)
        )
        self._values[secret_name] = value

    def _secret(self, name: str, secret_name: str, description: str, args: AppSecretsArgs) -> aws.secretsmanager.Secret:
        """The secret with its resource policy, without a value."""
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
            # A replica has the primary's name in replica_region; Secrets Manager refuses to create it when a
            # secret of that name already exists there unless ForceOverwriteReplicaSecret, which is left off so
            # a name clash fails loudly instead of replacing another secret (ReplicateSecretToRegions,
            # https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ReplicateSecretToRegions.html).
            replicas=[
                aws.secretsmanager.SecretReplicaArgs(region=args.replica_region, kms_key_id=args.replica_kms_key_arn)
            ]
            if args.replica_region
            else None,
            force_overwrite_replica_secret=False if args.replica_region else None,
            # The region pair's Region switch plan owns the replica during a failover: its custom action promotes
            # it to a standalone secret (so the replica leaves `replicas`) and puts it back on failback
            # (lambdas/region_switch/handler.py). A `pulumi up` in between must not re-add it: it would fail on the
            # name clash, or, forced, overwrite the credential the standby runs on.
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect, ignore_changes=["replicas"] if args.replica_region else None
            ),
        )
        aws.secretsmanager.SecretPolicy(
            f"{name}-{secret_name}",
            secret_arn=secret.arn,
            block_public_policy=True,
            policy=secret.arn.apply(lambda arn: _same_account_only(arn, args.account_id)),
            opts=child,
        )
        self.arns[secret_name] = secret.arn
        return secret

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
