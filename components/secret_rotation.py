"""Automatic rotation of a database master credential: AWS's single-user PostgreSQL rotation function, the Secrets
Manager rotation schedule, the network path between them, and alarms on failed rotations.

Why this engine: RDS-managed master passwords (`manage_master_user_password`, rotated by RDS itself) are not
available to Aurora global database members ("Limitations for Secrets Manager integration with Aurora",
https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-secrets-manager.html), and Secrets Manager's
"managed rotation" exists only for secrets another service owns. So the credential is rotated by Secrets Manager
with AWS's own function, not a hand-written one: the Serverless Application Repository application
`SecretsManagerRDSPostgreSQLRotationSingleUser`, deployed as a CloudFormation stack in this account
(`aws.serverlessrepository.CloudFormationStack`), pinned to the version AWS CDK pins for the same application
(aws-cdk-lib `SecretRotationApplication.POSTGRES_ROTATION_SINGLE_USER`, 1.1.671). Its template creates the
function, its role (Secrets Manager actions conditioned on `secretsmanager:resource/AllowRotationLambdaArn`, and
kms:Decrypt/GenerateDataKey on `kmsKeyArn`) and the permission for secretsmanager.amazonaws.com to invoke it, and
outputs `RotationLambdaARN` (the parameters and output AWS CDK's `SecretRotation` passes and reads).

How a rotation runs (Secrets Manager User Guide, "How rotation works"): createSecret puts a new password under
AWSPENDING, setSecret connects to `host` with the secret's JSON (engine, host, port, username, password, dbname) and
runs ALTER USER, testSecret logs in with it, finishSecret moves AWSCURRENT. A failure in any step leaves AWSCURRENT,
and the database, on the previous password. The new version replicates to the secret's replicas
("Replicate secrets across Regions": a replica follows its primary; rotation is configured on the primary only).
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.errors import InvalidArgumentError
from components.shared import AlarmSpec, create_alarms, encrypted_log_group

ROTATION_APPLICATION = "SecretsManagerRDSPostgreSQLRotationSingleUser"
"""AWS's single-user PostgreSQL rotation application in the Serverless Application Repository."""
ROTATION_APPLICATION_OWNER = "297356227824"
"""The AWS account that publishes the Secrets Manager rotation applications in the aws partition (from us-east-1;
aws-cdk-lib `SecretRotationApplication.applicationArnForPartition`)."""
ROTATION_APPLICATION_VERSION = "1.1.671"
"""The version aws-cdk-lib pins for POSTGRES_ROTATION_SINGLE_USER (aws-secretsmanager/lib/secret-rotation.ts)."""
ROTATION_CAPABILITIES = ("CAPABILITY_IAM", "CAPABILITY_RESOURCE_POLICY")
"""What the application's template creates: an IAM role (CAPABILITY_IAM) and the function's resource policy for
Secrets Manager (CAPABILITY_RESOURCE_POLICY); CreateCloudFormationChangeSet refuses it without them
(pulumi-aws serverlessrepository.CloudFormationStack, `capabilities`)."""
HTTPS_PORT = 443
ROTATION_OUTPUT = "RotationLambdaARN"
"""The application's output holding the function's ARN (aws-cdk-lib secret-rotation.ts reads the same output)."""
PASSWORD_ALLOWED_PUNCTUATION = "-._"
"""The only punctuation rotated passwords may hold: unreserved in URLs (RFC 3986 section 2.3) and plain in shells."""
PASSWORD_EXCLUDED_CHARACTERS = "".join(c for c in string.punctuation if c not in PASSWORD_ALLOWED_PUNCTUATION)
"""The application's `excludeCharacters` parameter: every other ASCII punctuation character. AWS's function generates
32-character passwords with GetRandomPassword, by default excluding only the separators :/@"'\\ (the application's
template; aws-cdk-lib secret-rotation.ts passes `excludeCharacters` the same way), so without it the rotated passwords
would need quoting in connection strings and shells, unlike the first one (components/secrets.py: letters and
digits). A few punctuation characters stay allowed: GetRandomPassword requires one character of each included type
by default (RequireEachIncludedType), which an empty punctuation set could not satisfy."""
_FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def rotation_application_id(partition: str = "aws") -> str:
    """ARN of the rotation application (aws partition only: the other partitions publish other versions)."""
    if partition != "aws":
        raise InvalidArgumentError(f"partition: '{partition}' is not supported (pinned version is for 'aws')")
    return f"arn:aws:serverlessrepo:us-east-1:{ROTATION_APPLICATION_OWNER}:applications/{ROTATION_APPLICATION}"


def rotation_failed_pattern() -> dict[str, object]:
    """EventBridge pattern of a failed rotation in this region: Secrets Manager records `RotationFailed` as a service
    event in CloudTrail ("Logging AWS Secrets Manager events with AWS CloudTrail": RotationFailed, "Secret rotation
    failed"; service events reach EventBridge as "AWS Service Event via CloudTrail"). Every secret of the region
    matches: a failed rotation of any secret is on-call's business, the RDS-managed ones included."""
    return {
        "source": ["aws.secretsmanager"],
        "detail-type": ["AWS Service Event via CloudTrail"],
        "detail": {"eventSource": ["secretsmanager.amazonaws.com"], "eventName": ["RotationFailed"]},
    }


@dataclass(frozen=True)
class DatabaseSecretRotationArgs:
    """Arguments of DatabaseSecretRotation."""

    secret_arn: pulumi.Input[str]
    """The secret to rotate; its JSON holds engine, host, port, username, password and dbname. Required."""
    secret_kms_key_arn: pulumi.Input[str]
    """The key that encrypts the secret: the function decrypts and encrypts versions with it. Required."""
    vpc_id: pulumi.Input[str]
    """VPC of the database. Required."""
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Private subnets the function runs in (routes to the database subnets, and to Secrets Manager through the
    interface endpoint or a NAT gateway). Required."""
    database_security_group_id: pulumi.Input[str]
    """The database's security group: it admits the function on `port`. Required."""
    function_name: str
    """Name of the rotation function (1-64 letters, digits, '-' or '_'). Required."""
    region: str
    """Region of the secret and the function (the Secrets Manager endpoint the function calls). Required."""
    https_cidr: str
    """Where the function reaches the Secrets Manager API on 443: the VPC CIDR when the VPC has a secretsmanager
    interface endpoint, else 0.0.0.0/0 (through the NAT gateways). Required."""
    logs_kms_key_arn: pulumi.Input[str] | None = None
    """Key of the function's log group (created here, before the function, so Lambda does not create it without a
    key or a retention); None leaves the log group to Lambda. Default: None."""
    log_retention_days: int = 365
    """Days the function's log group keeps its logs. Default: 365."""
    port: int = 5432
    """Database port. Default: 5432."""
    rotation_days: int = 30
    """Days between rotations, 1-90 (PCI DSS 8.3.9 asks for at most 90). Default: 30."""
    rotate_immediately: bool = True
    """Rotate once when rotation is configured (then on the schedule), so a broken chain shows at deploy time and
    LastRotatedDate is set from the first day. Default: True."""
    alarm_topic_arn: pulumi.Input[str] | None = None
    """Topic the failed-rotation alarms notify; None creates none. Default: None."""
    partition: str = "aws"
    """AWS partition. Default: aws."""
    depends_on: tuple[pulumi.Resource, ...] = ()
    """What must exist before the first rotation: the database's writer instance and the secret's value (the first
    rotation runs at once and connects to the database). Default: none."""

    def __post_init__(self) -> None:
        if not 1 <= self.rotation_days <= 90:
            raise InvalidArgumentError(f"rotation_days: {self.rotation_days} is outside 1-90 (PCI DSS 8.3.9)")
        if not _FUNCTION_NAME.match(self.function_name):
            raise InvalidArgumentError(
                f"function_name: '{self.function_name}' is not 1-64 letters, digits, '-' or '_' (Lambda function name)"
            )
        if not 1 <= self.port <= 65535:
            raise InvalidArgumentError(f"port: {self.port} is not a TCP port")
        rotation_application_id(self.partition)


class DatabaseSecretRotation(pulumi.ComponentResource):
    """AWS's rotation function in the VPC, admitted to the database, rotating the secret on a schedule."""

    function_arn: pulumi.Output[str]
    """ARN of the rotation function."""
    function_name: str
    """Name of the rotation function (the Errors alarm's dimension)."""
    security_group_id: pulumi.Output[str]
    """The function's security group."""

    def __init__(self, name: str, args: DatabaseSecretRotationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:secret_rotation:DatabaseSecretRotation", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        group = aws.ec2.SecurityGroup(
            f"{name}-rotation",
            vpc_id=args.vpc_id,
            description=f"{name}: master secret rotation function, to the database and Secrets Manager only",
            tags={"Name": f"{name}-rotation"},
            opts=child,
        )
        # Standalone rules only, on both groups: the database group is built the same way (components/shared.py
        # service_security_group), so no inline rule list of either group claims these rules back.
        to_db = aws.vpc.SecurityGroupEgressRule(
            f"{name}-rotation-to-db",
            security_group_id=group.id,
            referenced_security_group_id=args.database_security_group_id,
            ip_protocol="tcp",
            from_port=args.port,
            to_port=args.port,
            description="PostgreSQL to the database (setSecret/testSecret)",
            opts=child,
        )
        to_secrets_manager = aws.vpc.SecurityGroupEgressRule(
            f"{name}-rotation-to-secretsmanager",
            security_group_id=group.id,
            cidr_ipv4=args.https_cidr,
            ip_protocol="tcp",
            from_port=HTTPS_PORT,
            to_port=HTTPS_PORT,
            description="HTTPS to the Secrets Manager API (endpoint in the VPC, or NAT)",
            opts=child,
        )
        admitted = aws.vpc.SecurityGroupIngressRule(
            f"{name}-db-from-rotation",
            security_group_id=args.database_security_group_id,
            referenced_security_group_id=group.id,
            ip_protocol="tcp",
            from_port=args.port,
            to_port=args.port,
            description="PostgreSQL from the master secret rotation function",
            opts=child,
        )
        # Lambda writes to /aws/lambda/<function name> and creates that group on first use, without a customer-managed
        # key and without expiry ("Working with Lambda function logs", Lambda Developer Guide); made here first, the
        # function finds it with the logs key and the stack's retention.
        log_group = (
            encrypted_log_group(f"{name}-rotation-logs", f"/aws/lambda/{args.function_name}", args.log_retention_days,
                                args.logs_kms_key_arn, parent=self)
            if args.logs_kms_key_arn is not None
            else None
        )  # fmt: skip
        application = aws.serverlessrepository.CloudFormationStack(
            f"{name}-rotation",
            # The CloudFormation stack's name; the function is named by the functionName parameter.
            name=f"{name}-master-rotation",
            application_id=rotation_application_id(args.partition),
            semantic_version=ROTATION_APPLICATION_VERSION,
            capabilities=list(ROTATION_CAPABILITIES),
            parameters={
                # With private DNS on the interface endpoint, the regional name resolves to it inside the VPC
                # (aws-cdk-lib SecretRotationProps.endpoint: "you don't need to specify an endpoint").
                "endpoint": f"https://secretsmanager.{args.region}.amazonaws.com",
                "functionName": args.function_name,
                "vpcSubnetIds": pulumi.Output.from_input(args.subnet_ids).apply(
                    lambda ids: ",".join(str(i) for i in ids)
                ),
                "vpcSecurityGroupIds": group.id,
                "kmsKeyArn": args.secret_kms_key_arn,
                "excludeCharacters": PASSWORD_EXCLUDED_CHARACTERS,
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group] if log_group else None),
        )
        function_arn = application.outputs.apply(rotation_function_arn)
        # Create order: the function (and its invoke permission, in the same CloudFormation stack), its path to the
        # database and to Secrets Manager (the group's two egress rules: the provider removes the allow-all egress
        # rule AWS adds to a new VPC group - terraform-provider-aws docs r/security_group - so the group has none until
        # they exist; the Secrets Manager endpoint comes with `depends_on`), the secret's value and the writer
        # instance exist before rotation is configured, because rotate_immediately starts the first rotation right
        # away (RotateSecret, asynchronous). Destroy runs in reverse: rotation is cancelled (CancelRotateSecret) before
        # the function's stack is deleted.
        aws.secretsmanager.SecretRotation(
            f"{name}-master",
            secret_id=args.secret_arn,
            rotation_lambda_arn=function_arn,
            rotation_rules=aws.secretsmanager.SecretRotationRotationRulesArgs(
                automatically_after_days=args.rotation_days
            ),
            rotate_immediately=args.rotate_immediately,
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[application, admitted, to_db, to_secrets_manager, *args.depends_on]
            ),
        )
        if args.alarm_topic_arn is not None:
            rule = aws.cloudwatch.EventRule(
                f"{name}-rotation-failed",
                description=f"{name}: Secrets Manager rotations that failed, to the alarm topic",
                event_pattern=json.dumps(rotation_failed_pattern()),
                opts=child,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-rotation-failed", rule=rule.name, arn=args.alarm_topic_arn, target_id="alarm-topic",
                opts=child,
            )  # fmt: skip
        create_alarms(name, _alarms(args.function_name), args.alarm_topic_arn, parent=self)
        self.function_arn = function_arn
        self.function_name = args.function_name
        self.security_group_id = group.id
        self.register_outputs({"function_arn": self.function_arn, "security_group_id": self.security_group_id})


def rotation_function_arn(outputs: object) -> str:
    """The function's ARN from the application stack's outputs; a clear error when the output is missing or empty
    (another application version, or a stack that did not finish), instead of configuring rotation with ''."""
    found = outputs.get(ROTATION_OUTPUT) if isinstance(outputs, dict) else None
    if not isinstance(found, str) or not found:
        keys = sorted(outputs) if isinstance(outputs, dict) else []
        raise InvalidArgumentError(
            f"the rotation application's stack has no output '{ROTATION_OUTPUT}' (outputs: {keys}); the pinned "
            f"version {ROTATION_APPLICATION_VERSION} of {ROTATION_APPLICATION} outputs it"
        )
    return found


def _alarms(function_name: str) -> list[AlarmSpec]:
    """The function's Errors metric: each rotation step is one invocation, and a step that fails raises, so an
    error is a rotation that did not finish (AWS/Lambda Errors, "Using invocation metrics", Lambda Developer Guide).
    Complements the RotationFailed rule: that one also sees a function Secrets Manager could not invoke."""
    return [
        AlarmSpec("master-rotation-errors", "AWS/Lambda", "Errors", {"FunctionName": function_name},
                  "GreaterThanThreshold", 0,
                  "The Aurora master secret's rotation function failed: the password did not rotate (the previous "
                  "one stays valid); see docs/day2.md section 8", statistic="Sum", period_seconds=300,
                  evaluation_periods=1, treat_missing_data="notBreaching"),
    ]  # fmt: skip
