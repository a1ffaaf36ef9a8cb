"""Weakening the program's hardened settings one at a time, to prove the policy pack notices each.

The list of hardened settings is derived from the offline plan, not written by hand: every property of
every registration of a stack is classified by its name (and its value), and each security-relevant one
gets a weakening - a flag flipped, a key removed, a port opened to 0.0.0.0/0, a retention halved, a
version downgraded, a TLS policy or mode downgraded, a policy document widened. Each mutated plan is audited
with the stack's own policy config; a mutation is killed when a mandatory rule fails. A setting the pack
deliberately does not guard is in ALLOWLIST with the reason.

The EKS cluster is audited in both shapes the pack sees: the pulumi-eks component's inputs (offline plan)
and the `aws:eks/cluster:Cluster` child a real preview shows (derived here the way pulumi-eks builds it).

    .venv/bin/python -m tests.mutations          # counts per stack and kind, and any survivor
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from offline.audit import _evaluate_rule, evaluate, load_policy_config, views
from offline.engine import PROJECT_DIR, OfflineRun, Registration
from offline.values import convert
from policies.pack_config import PackConfig
from policies.rules import ALL_RULES
from policies.rules.edge_rules import admits_internet
from stacks.config import parse_stack_config

Path_ = tuple[Any, ...]
JSON = "<json>"
"""Path step into a property that holds a JSON object as text (parsed, mutated and dumped again)."""
PROPS = "<properties>"
"""Path step into a property that holds Java properties text (key=value lines)."""
PROTECT = "<protect>"
"""Pseudo-property: the resource option protect."""
REMOVE = object()
"""Weakening that deletes the property (or list element) instead of setting it."""

# Property names classified as security-relevant, by kind. A property is looked up by its own name, or for
# list elements by the name of the list.
FLAG_TRUE = {
    "encryption": re.compile(r"encrypt", re.I),
    "exposure": re.compile(r"^(block|ignore|restrict)Public|^endpointPrivateAccess$"),
    "identity": re.compile(r"^(iamDatabaseAuthenticationEnabled|manageMasterUserPassword|iam)$"),
    "logging": re.compile(
        r"^(cloudwatchMetricsEnabled|sampledRequestsEnabled|enableLogFileValidation|"
        r"isMultiRegionTrail|includeGlobalServiceEvents|includeManagementEvents|enableLogging|"
        r"allSupported|includeGlobalResourceTypes|isEnabled)$"
    ),
    "threat-detection": re.compile(r"^enable$"),
    "edge": re.compile(r"^dropInvalidHeaderFields$"),
    "recovery": re.compile(
        r"^(deletionProtection|enableDeletionProtection|enableKeyRotation|automaticFailoverEnabled|multiAzEnabled|"
        r"objectLockEnabled)$"
    ),
    "versions": re.compile(r"^autoMinorVersionUpgrade$"),
    "registry": re.compile(r"^scanOnPush$"),
}
"""Booleans whose hardened value is true (weakening: false)."""
FLAG_FALSE = {
    "exposure": re.compile(r"^(publiclyAccessible|endpointPublicAccess|mapPublicIpOnLaunch)$"),
    "identity": re.compile(r"^(unauthenticated|scram|privilegedMode|insecureSsl)$"),
    "recovery": re.compile(r"^(skipFinalSnapshot|forceDestroy)$"),
    "edge": re.compile(r"^enableWafFailOpen$"),
}
"""Booleans whose hardened value is false (weakening: true)."""
KEY_REFERENCE = re.compile(r"kms|KeyArn$|^encryptionKey$", re.I)
"""Customer-managed key references (weakening: removed)."""
CIDR_LISTS = {"cidrIpv4", "cidrIpv6", "cidrBlocks", "ipv6CidrBlocks", "publicAccessCidrs", "albSourceCidrs",
              "awsApiCidrs", "cidrs"}  # fmt: skip
"""Properties that admit peers by CIDR (weakening: 0.0.0.0/0)."""
RETENTION = {"retentionInDays", "backupRetentionPeriod", "snapshotRetentionLimit", "recoveryWindowInDays",
             "deletionWindowInDays", "minRetentionDays", "deleteAfter"}  # fmt: skip
"""Day counts where more is safer (weakening: halved)."""
DOWNGRADES = {
    "transitEncryptionMode": "preferred", "clientBroker": "TLS_PLAINTEXT", "encryptionType": "AES256",
    "sseAlgorithm": "AES256", "sslPolicy": "ELBSecurityPolicy-2016-08", "caCertIdentifier": "rds-ca-2019",
    "httpTokens": "optional", "trafficType": "REJECT", "supportType": "EXTENDED", "imageTagMutability": "MUTABLE",
    "desyncMitigationMode": "monitor", "authenticationMode": "API_AND_CONFIG_MAP", "objectOwnership": "ObjectWriter",
    "pod-security.kubernetes.io/enforce": "privileged", "enableNetworkPolicy": "false", "REDIS_TLS": "false",
    "DB_SSLMODE": "disable", "DB_IAM_AUTH": "false", "KAFKA_SECURITY": "PLAINTEXT",
    "allow.everyone.if.no.acl.found": "true", "unclean.leader.election.enable": "true", "readWriteType": "WriteOnly",
    "findingPublishingFrequency": "SIX_HOURS",
}  # fmt: skip
"""Settings with a named weaker value (the weakening sets it unless the value is already that)."""
NO_WEAKER = {"sseAlgorithm": {"AES256"}, "encryptionType": {"AES256"}}
"""Values that already are the weakest choice of their setting (S3 and ECR always encrypt at least so)."""
DB_PARAMETERS = {"rds.force_ssl": "0", "ssl_min_protocol_version": "TLSv1", "log_connections": "0",
                 "log_disconnections": "0", "log_statement": "none", "pgaudit.log": "none",
                 "shared_preload_libraries": "pg_stat_statements"}  # fmt: skip
"""Parameter-group entries (by parameter name) and their weakened values."""
POLICY_DOCUMENTS = {"policy", "assumeRolePolicy", "policyDocument"}
NOT_SECURITY_DOCUMENTS = {"aws:ecr/lifecyclePolicy:LifecyclePolicy"}
"""Types whose `policy` is housekeeping, not access control (ECR image expiry)."""
OTHER_ACCOUNT = "444455556666"
"""An account that is not the stack's (the weakened destination of registry replication)."""
FAILOVER_SWAP = {"PRIMARY": "SECONDARY", "SECONDARY": "PRIMARY"}
"""A Route 53 failover record's role swapped: the pair would have two records of one role and none of the other."""
REGION_SWITCH_PLAN = "aws:arcregionswitch/plan:Plan"
XRAY_ENCRYPTION = "aws:xray/encryptionConfig:EncryptionConfig"
XRAY_DESTINATION = "aws:xray/traceSegmentDestination:TraceSegmentDestination"
EKS_COMPONENT = "eks:index:Cluster"
EKS_CHILD = "aws:eks/cluster:Cluster"
VPC_CONFIG_KEYS = ("endpointPublicAccess", "endpointPrivateAccess", "publicAccessCidrs")
VERSION_KEYS = ("engineVersion", "kafkaVersion", "kafkaVersions")

STACKS = ("dev", "prod", "prod-dr")
"""Every stack: the standby of the region pair has its own policy config and its own settings."""

ALLOWLIST: dict[tuple[str, str], str] = {
    ("aws:elasticache/replicationGroup:ReplicationGroup", "engineVersion"):
        "every ElastiCache Valkey version offered (7.2, 8.0, 8.1) is in standard support; patches apply "
        "automatically (rule cache-minor-upgrades)",
    ("aws:msk/cluster:Cluster", "kafkaVersion"):
        "MSK version support dates are not encoded in the pack (not verifiable offline); known gap",
    ("aws:msk/configuration:Configuration", "kafkaVersions"):
        "the configuration's compatible versions follow the cluster's kafkaVersion (see above)",
    ("kubernetes:helm.sh/v4:Chart", "values.networkPolicy.awsApiCidrs"):
        "egress to the AWS APIs: without interface endpoints (a tier choice) pods reach them through NAT, "
        "i.e. 0.0.0.0/0 on 443; the data-store and ALB CIDRs are guarded (workload-network-narrow)",
    ("aws:s3/bucket:Bucket", PROTECT):
        "log buckets are kept by Object Lock and versioning (rules log-bucket-object-lock, log-bucket-versioning); "
        "Pulumi protect on a bucket is extra (the prod ALB log bucket has it, the trail bucket does not)",
    ("aws:lambda/function:Function", "environment.variables.PEER_KMS_KEY"):
        "the key the Region switch custom action names when it replicates the credential back (failback); without "
        "it ReplicateSecretToRegions fails, nothing is left unencrypted (secret-replicas-cmk judges the Secret's "
        "own replicas)",
    ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "referencedSecurityGroupId"):
        "egress of the ALB's group and of the master secret's rotation function (to the database's group): the pack "
        "judges inbound exposure (PCI DSS 1.3.1), not outbound destinations; known gap",
    ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "cidrIpv4"):
        "egress of the master secret's rotation function on 443 to the Secrets Manager API: the VPC CIDR (interface "
        "endpoint) or, without endpoints (a tier choice), 0.0.0.0/0 through NAT; the pack judges inbound exposure "
        "(PCI DSS 1.3.1), not outbound destinations; known gap",
    ("aws:serverlessrepository/cloudFormationStack:CloudFormationStack", "parameters.kmsKeyArn"):
        "the key the rotation function is granted (kms:Decrypt/GenerateDataKey) to read and write the master secret: "
        "without it rotation fails loudly (RotationFailed rule, Errors alarm, ops verify); nothing is stored "
        "without the CMK (secrets-cmk judges the secret itself)",
}  # fmt: skip
"""(type, dotted property path without list indices) -> why the setting is security-relevant but not guarded."""


@dataclass(frozen=True)
class Setting:
    """One security-relevant property of one registration."""

    stack: str
    urn: str
    type: str
    path: Path_
    value: Any
    kind: str

    @property
    def name(self) -> str:
        """Dotted path without list indices and markers (the allowlist key)."""
        return ".".join(str(p) for p in self.path if isinstance(p, str) and p not in (JSON, PROPS))

    def __str__(self) -> str:
        return f"{self.stack}:{self.urn.split('::')[-1]}({self.type.split(':')[-1]}).{self.name}={self.value!r}"


@dataclass(frozen=True)
class Mutation:
    """A weakening of one setting: a new registration that replaces the original in the plan."""

    setting: Setting
    weakening: str
    registration: Registration


@dataclass
class Outcome:
    """A mutation and the mandatory rules that failed on it."""

    mutation: Mutation
    failed_rules: list[str]

    @property
    def killed(self) -> bool:
        return bool(self.failed_rules)


def plain(registration: Registration) -> dict[str, Any]:
    """The inputs with secrets unwrapped and unknowns as None (rules read the same through the auditor)."""
    result: dict[str, Any] = convert(registration.inputs, lambda content: content, None)
    return result


def _leaves(value: Any, path: Path_) -> Iterator[tuple[Path_, Any]]:
    """(path, value) of every scalar, empty container, policy document and embedded document."""
    key = path[-1] if path else None
    if isinstance(value, dict) and value:
        for k, item in value.items():
            yield from _leaves(item, (*path, k))
    elif isinstance(value, list) and value:
        for i, item in enumerate(value):
            yield from _leaves(item, (*path, i))
    elif isinstance(value, str) and key in POLICY_DOCUMENTS:
        yield path, value
    elif isinstance(value, str) and key == "serverProperties":
        for line in value.splitlines():
            if "=" in line:
                name, text = line.split("=", 1)
                yield (*path, PROPS, name.strip()), text.strip()
    elif isinstance(value, str) and value.startswith("{"):
        try:
            document = json.loads(value)
        except ValueError:
            document = None
        if isinstance(document, dict):
            yield from _leaves(document, (*path, JSON))
        else:
            yield path, value
    else:
        yield path, value


def _get(root: Any, path: Path_) -> Any:
    for step in path:
        if step == PROPS:
            return None
        root = json.loads(root) if step == JSON else root[step]
    return root


def _set(root: Any, path: Path_, value: Any) -> Any:
    """A copy of `root` with the value at `path` replaced (REMOVE deletes it)."""
    if not path:
        return value
    step, rest = path[0], path[1:]
    if step == JSON:
        return json.dumps(_set(json.loads(root), rest, value))
    if step == PROPS:
        name = rest[0]
        lines = [line for line in root.splitlines()
                 if not (line.split("=", 1)[0].strip() == name and value is REMOVE)]  # fmt: skip
        return "\n".join(f"{name}={value}" if line.split("=", 1)[0].strip() == name else line for line in lines)
    result = copy.copy(root)
    if not rest and value is REMOVE:
        del result[step]
    else:
        result[step] = _set(root[step], rest, value)
    return result


def _key(path: Path_) -> str:
    """The property name that decides the classification (the list's name for list elements)."""
    names = [p for p in path if isinstance(p, str) and p not in (JSON, PROPS)]
    return names[-1] if names else ""


def _is_true(value: Any) -> bool:
    return value is True or value == "true"


def _is_false(value: Any) -> bool:
    return value is False or value == "false"


def _flipped(value: Any) -> Any:
    return {True: False, False: True, "true": "false", "false": "true"}[value]


def _downgraded_version(value: str) -> str | None:
    """A version out of support: Kubernetes minor - 4 (1.35 -> 1.31), else major - 4 (17.7 -> 13.7)."""
    parts = str(value).split(".")
    if len(parts) < 2 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    if parts[0] == "1":
        return f"1.{int(parts[1]) - 4}"
    return ".".join([str(int(parts[0]) - 4), *parts[1:]])


def _document_weakenings(type_token: str, text: str) -> list[tuple[str, str]]:
    """(description, weakened document) of a policy document: access widened (identity policies), Deny
    statements dropped (resource policies), conditions dropped (trust, key and service resource policies)."""
    if type_token in NOT_SECURITY_DOCUMENTS or not text:
        return []
    document = json.loads(text)
    statements = document.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    found: list[tuple[str, str]] = []
    if type_token in ("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy"):
        widened = [{**s, "Action": "*", "Resource": "*"} if s.get("Effect") == "Allow" else s for s in statements]
        return [("Allow * on *", json.dumps({**document, "Statement": widened}))]
    kept = [s for s in statements if s.get("Effect") != "Deny"]
    if len(kept) != len(statements):
        found.append(("Deny statements dropped", json.dumps({**document, "Statement": kept})))
    if type_token in ("aws:s3/bucketPolicy:BucketPolicy", "aws:secretsmanager/secretPolicy:SecretPolicy"):
        return found
    unconditioned = [{k: v for k, v in s.items() if k != "Condition"} for s in kept]
    if unconditioned != kept:
        found.append(("conditions dropped", json.dumps({**document, "Statement": unconditioned})))
    return found


def weakenings(
    type_token: str, path: Path_, value: Any, inputs: dict[str, Any]
) -> tuple[str, list[tuple[str, Path_, Any]]]:
    """The kind of a property and its weakenings: (kind, [(description, path, new value or REMOVE)]).
    Kind '' means not security-relevant."""
    key = _key(path)
    parent = _get(inputs, path[:-1]) if path else None
    if key in POLICY_DOCUMENTS and isinstance(value, str):
        documents = _document_weakenings(type_token, value)
        return ("identity", [(what, path, text) for what, text in documents]) if documents else ("", [])
    if isinstance(parent, dict) and key == "value" and parent.get("name") in DB_PARAMETERS:
        new = DB_PARAMETERS[parent["name"]]
        return "database-parameters", [] if value == new else [(f"{parent['name']}={new}", path, new)]
    for kind, pattern in FLAG_TRUE.items():
        subject = ".".join(map(str, path)) if kind == "encryption" else key  # encryptionInTransit.inCluster
        if pattern.search(subject) and (_is_true(value) or _is_false(value)):
            return kind, [("flipped to false", path, _flipped(value))] if _is_true(value) else []
    for kind, pattern in FLAG_FALSE.items():
        if pattern.search(key) and (_is_true(value) or _is_false(value)):
            return kind, [("flipped to true", path, _flipped(value))] if _is_false(value) else []
    if key in DOWNGRADES:
        weaker = DOWNGRADES[key]
        done = value == weaker or value in NO_WEAKER.get(key, set())
        return "downgrade", [] if done else [(f"set to {weaker}", path, weaker)]
    if key == "type" and "publicAccess" in path:
        return "exposure", [] if value != "DISABLED" else [("public brokers", path, "SERVICE_PROVIDED_EIPS")]
    if key == "status" and (
        any("versioning" in str(p).lower() or str(p) == "logsConfig" for p in path)
        or type_token.startswith("aws:guardduty/")
    ):
        status = {"Enabled": "Suspended", "ENABLED": "DISABLED"}.get(value)
        return "recovery-and-detection", [(f"set to {status}", path, status)] if status else []
    if key == "mode" and "defaultRetention" in path:
        return "retention", [] if value != "COMPLIANCE" else [("object lock GOVERNANCE", path, "GOVERNANCE")]
    if key in ("days", "years") and "defaultRetention" in path and isinstance(value, int):
        return "retention", [(f"halved to {value // 2}", path, value // 2)]
    if key == "type" and "authenticationMode" in path:
        return "identity", [] if value != "iam" else [("password authentication", path, "password")]
    if key == "accessString" and isinstance(value, str):
        return "identity", [] if value.startswith("on ~* +@all") else [("full access", path, "on ~* +@all")]
    if key == "type" and "dataResources" in path:
        return "logging", [(f"{value} data events removed", path[: path.index("dataResources") + 2], REMOVE)]
    if key == "cloudWatchLogsGroupArn":
        return "logging", [("CloudWatch Logs delivery removed", path, REMOVE)]
    if key == "pattern" and type_token == "aws:cloudwatch/logMetricFilter:LogMetricFilter":
        return "logging", [("pattern matches nothing", path, '{ $.eventName = "NoSuchEvent" }')]
    if key == "numeric" and "severity" in path and isinstance(value, (int, float)):
        return "threat-detection", [(f"minimum severity raised to {value + 4}", path, value + 4)]
    if key == "referencedSecurityGroupId" and len(path) == 1:
        opened = {k: v for k, v in inputs.items() if k != key} | {"cidrIpv4": "0.0.0.0/0"}
        return "exposure", [("peer group replaced by 0.0.0.0/0", (), opened)]
    if key == "policyArn" and type_token == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
        return "identity", [("AdministratorAccess attached", path, "arn:aws:iam::aws:policy/AdministratorAccess")]
    if key == "protocol" and value == "HTTPS":
        return "encryption-in-transit", [("HTTPS -> HTTP", path, "HTTP")]
    if key == "registryId" and "destinations" in path and isinstance(value, str):
        # ECR registry replication (issue 14): images copied to another account would leave the platform's control
        where = path[: path.index("destinations") + 2]
        return "replication", [("replicated to another account", path, OTHER_ACCOUNT),
                               ("destination removed", where, REMOVE)]  # fmt: skip
    if key == "standardsArn" and isinstance(value, str):
        # Security Hub (issue 19): a subscription moved to the retired PCI DSS v3.2.1 or to another standard
        weaker = value.replace("pci-dss/v/4.0.1", "pci-dss/v/3.2.1").replace(
            "aws-foundational-security-best-practices/v/1.0.0", "aws-resource-tagging-standard/v/1.0.0"
        )
        return "compliance", [] if weaker == value else [("another standard subscribed", path, weaker)]
    if key == "templateBody" and type_token == "aws:cfg/conformancePack:ConformancePack":
        return "compliance", [("conformance pack emptied", path, "Resources: {}\n")]
    if key == "healthCheckId" and type_token == "aws:route53/record:Record":
        return "replication", [("failover health check removed", path, REMOVE)]
    if key == "type" and "failoverRoutingPolicies" in path and value in FAILOVER_SWAP:
        return "replication", [(f"failover role {FAILOVER_SWAP[value]}", path, FAILOVER_SWAP[value])]
    if key == "globalClusterIdentifier" and type_token == "aws:rds/cluster:Cluster":
        return "replication", [("left the global database", path, REMOVE)]
    if key == "region" and "replicas" in path and type_token == "aws:secretsmanager/secret:Secret":
        return "replication", [("replica removed", path[: path.index("replicas") + 2], REMOVE)]
    if type_token == REGION_SWITCH_PLAN:
        # Issue 24: the plan of both regions, its role, its objective, its workflows and its evidence.
        if key == "recoveryTimeObjectiveMinutes" and isinstance(value, int):
            return "recovery-plan", [(f"RTO raised to {value * 2} min", path, value * 2)]
        if key == "executionRole":
            return "recovery-plan", [("execution role removed", path, REMOVE)]
        if key == "regions" and len(path) == 2:
            return "recovery-plan", [(f"region {value} removed", path, REMOVE)]
        if key == "workflowTargetRegion":
            return "recovery-plan", [(f"workflow activating {value} removed", path[:2], REMOVE)]
        if key == "bucketPath":
            return "recovery-plan", [("execution reports removed", path[:1], REMOVE)]
    if type_token == XRAY_DESTINATION and key == "destination" and value == "XRay":
        # Transaction Search: spans in CloudWatch Logs (aws/spans), outside X-Ray's encryption setting.
        return "encryption", [("segments to CloudWatch Logs", path, "CloudWatchLogs")]
    if type_token == XRAY_ENCRYPTION and key in ("type", "keyId"):
        # X-Ray's account-and-region encryption setting (issue 18): back to X-Ray's default key, or to the AWS managed
        # key aws/xray, or the key dropped.
        if key == "type":
            return "encryption", [] if value != "KMS" else [("X-Ray default encryption", path, "NONE")]
        return "encryption", [("key removed", path, REMOVE), ("AWS managed key", path, "alias/aws/xray")]
    if key == "certificateArn" or key == "authToken" or (key == "finalSnapshotIdentifier" and value):
        return "credentials-and-recovery", [("removed", path, REMOVE)]
    if KEY_REFERENCE.search(key) and isinstance(value, str) and value:
        return "encryption", [("key removed", path, REMOVE)]
    if key in CIDR_LISTS and isinstance(value, str):
        return "exposure", [] if admits_internet([value]) else [("opened to 0.0.0.0/0", path, "0.0.0.0/0")]
    if key in RETENTION and isinstance(value, int):
        return "retention", [(f"halved to {value // 2}", path, value // 2)]
    if key == "days" and "expiration" in path:
        return "retention", [(f"halved to {value // 2}", path, value // 2)]
    if key == "automaticallyAfterDays" and "rotationRules" in path and isinstance(value, int):
        # Issue 20.8: the master secret's rotation schedule stretched past PCI DSS 8.3.9's 90 days, or its function
        return "rotation", [("lengthened to 365 days", path, 365)]
    if key == "rotationLambdaArn" and type_token == "aws:secretsmanager/secretRotation:SecretRotation":
        return "rotation", [("rotation function removed", path, REMOVE)]
    if key == "rotationPeriodInDays" and isinstance(value, int):
        return "retention", [(f"lengthened to {value * 2}", path, value * 2)]
    if key == "httpPutResponseHopLimit" and isinstance(value, int):
        return "identity", [(f"raised to {value + 1}", path, value + 1)]
    if key == "length" and type_token == "random:index/randomPassword:RandomPassword":
        return "identity", [(f"shortened to {value // 2}", path, value // 2)]
    if key == "limit" and "rateBasedStatement" in path:
        return "waf", [(f"raised to {value * 10}", path, value * 10)]
    if key == "none" and "overrideAction" in path:
        return "waf", [("override to count", path[:-1], {"count": {}})]
    if key == "block" and "action" in path:
        return "waf", [("action count", path[:-1], {"count": {}})]
    if key == "name" and "managedRuleGroupStatement" in path:
        return "waf", [(f"rule group {value} removed", path[: path.index("rules") + 2], REMOVE)]
    if key == "name" and "singleHeader" in path and "redactedFields" in path:
        return "logging", [(f"redaction of {value} removed", path[: path.index("redactedFields") + 2], REMOVE)]
    if key in ("enabledClusterLogTypes", "enabledCloudwatchLogsExports"):
        return "logging", [(f"{value} removed", path, REMOVE)]
    if key == "logType" and "logDeliveryConfigurations" in path:
        return "logging", [(f"{value} delivery removed", path[:-1], REMOVE)]
    if key == "enabled" and any("log" in str(p).lower() for p in path[:-1]):
        return "logging", [("flipped to false", path, False)] if value is True else []
    if key == "alarmActions":
        return "logging", [("alarm actions removed", path[:-1], REMOVE)]
    if key in ("ingress", "egress") and value == [] and type_token.endswith("DefaultSecurityGroup"):
        allow_all = [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}]
        return "exposure", [("allow all", path, allow_all)]
    if key == "uid" and "securityContext" in path:
        return "identity", [] if value == 0 else [("run as root", path, 0)]
    if (key == "version" and type_token in (EKS_COMPONENT, EKS_CHILD)) or key in VERSION_KEYS:
        downgraded = _downgraded_version(value)
        return "versions", [(f"downgraded to {downgraded}", path, downgraded)] if downgraded else []
    return "", []


def settings_and_mutations(run: OfflineRun, stack: str) -> tuple[list[Setting], list[Mutation]]:
    """Every security-relevant setting of the run and the mutations that weaken them."""
    found: list[Setting] = []
    mutations: list[Mutation] = []
    for registration in run.resources:
        if registration.type.startswith(("pulumi:providers:", "fintech:")):
            continue
        inputs = plain(registration)
        if registration.protect:
            setting = Setting(stack, registration.urn, registration.type, (PROTECT,), True, "recovery")
            found.append(setting)
            mutations.append(Mutation(setting, "protect off", dataclasses.replace(registration, protect=False)))
        for path, value in _leaves(inputs, ()):
            kind, changes = weakenings(registration.type, path, value, inputs)
            if not kind:
                continue
            setting = Setting(stack, registration.urn, registration.type, path, value, kind)
            found.append(setting)
            for description, where, new in changes:
                mutated = _set(inputs, where, new)
                mutations.append(Mutation(setting, description, dataclasses.replace(registration, inputs=mutated)))
        mutations += _move_internet_ingress(run, registration, inputs, stack, found)
    return found, mutations


def _move_internet_ingress(run: OfflineRun, registration: Registration, inputs: dict[str, Any], stack: str,
                           found: list[Setting]) -> list[Mutation]:  # fmt: skip
    """An ingress rule open to the internet moved onto another security group of the plan."""
    if registration.type != "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        return []
    if not admits_internet([c for c in (inputs.get("cidrIpv4"), inputs.get("cidrIpv6")) if c]):
        return []
    own = set(registration.property_dependencies.get("securityGroupId", []))
    others = [g for g in run.of_type("aws:ec2/securityGroup:SecurityGroup") if g.urn not in own]
    if not others:
        return []
    other = others[0]
    setting = Setting(stack, registration.urn, registration.type, ("securityGroupId",), inputs["securityGroupId"],
                      "exposure")  # fmt: skip
    found.append(setting)
    moved = dataclasses.replace(
        registration,
        inputs={**inputs, "securityGroupId": other.outputs.get("id", other.id)},
        property_dependencies={**registration.property_dependencies, "securityGroupId": [other.urn]},
    )
    return [Mutation(setting, f"moved onto {other.name}", moved)]


def eks_child_shape(component: Registration, provider: str, protected: bool = False) -> Registration:
    """The `aws:eks/cluster:Cluster` that pulumi-eks creates from the component's inputs (the shape a real
    preview shows): vpcConfig, accessConfig and encryptionConfig as the AWS provider names them."""
    inputs = plain(component)
    child: dict[str, Any] = {
        "name": inputs.get("name"),
        "version": inputs.get("version"),
        "vpcConfig": {key: inputs[key] for key in VPC_CONFIG_KEYS if key in inputs},
        "accessConfig": {"authenticationMode": inputs.get("authenticationMode")},
        "enabledClusterLogTypes": inputs.get("enabledClusterLogTypes"),
        "upgradePolicy": inputs.get("upgradePolicy"),
        "deletionProtection": inputs.get("deletionProtection"),
        "bootstrapSelfManagedAddons": inputs.get("bootstrapSelfManagedAddons"),
    }
    if inputs.get("encryptionConfigKeyArn"):
        child["encryptionConfig"] = {"provider": {"keyArn": inputs["encryptionConfigKeyArn"]}, "resources": ["secrets"]}
    child = {k: v for k, v in child.items() if v is not None}
    urn = component.urn.replace(f"::{EKS_COMPONENT}::", f"::{EKS_COMPONENT}${EKS_CHILD}::")
    return dataclasses.replace(
        component, type=EKS_CHILD, urn=urn, inputs=child, custom=True, provider=provider, protect=protected
    )


def with_eks_child_shape(run: OfflineRun) -> OfflineRun:
    """The run as a real preview would show the cluster: the child resource (created with the stack's AWS
    provider, which the program passes to the component) in place of the component's inputs."""
    provider = next(r.provider for r in run.resources if r.type.startswith("aws:") and r.provider)
    # The program protects the control plane through a transform (components/eks.protect_control_plane) exactly
    # when the stack protects its stateful resources; the mock engine does not create the child to show it.
    config = {key.split(":", 1)[1]: value for key, value in run.config.items() if key.startswith("fintech-platform:")}
    protected = parse_stack_config(config).protect_stateful
    resources = [eks_child_shape(r, provider, protected) if r.type == EKS_COMPONENT else r for r in run.resources]
    return dataclasses.replace(run, resources=resources)


def policy_config(stack: str) -> PackConfig:
    """The stack's policy pack config (policies/config/<stack>.json)."""
    path = PROJECT_DIR / "policies" / "config" / f"{stack}.json"
    return load_policy_config(path if path.exists() else None)


def mandatory_failures(run: OfflineRun, config: PackConfig) -> list[str]:
    """Names of the mandatory rules that fail on the run."""
    return [r.name for r in evaluate(run, config) if r.status == "fail" and r.enforcement == "mandatory"]


def run_mutations(run: OfflineRun, mutations: list[Mutation], config: PackConfig) -> list[Outcome]:
    """Each mutation applied alone to the run, audited with `config` by the auditor's own rule evaluation.

    The unmutated run passes every mandatory rule, so a resource rule can only newly fail on the mutated
    resource: resource rules see that resource, stack rules see the whole plan with it swapped in.
    """
    base = views(run)
    index = {r.urn: i for i, r in enumerate(run.resources)}
    providers = [r for r in run.resources if r.type.startswith("pulumi:providers:")]
    outcomes = []
    for mutation in mutations:
        view = views(dataclasses.replace(run, resources=[*providers, mutation.registration]))[-1]
        resources = list(base)
        resources[index[mutation.setting.urn]] = view
        results = [_evaluate_rule(rule, resources if rule.stack_check else [view], config) for rule in ALL_RULES]
        outcomes.append(
            Outcome(mutation, [r.name for r in results if r.status == "fail" and r.enforcement == "mandatory"])
        )
    return outcomes


def allowlisted(setting: Setting) -> str | None:
    """The reason a setting is deliberately not guarded, if it is allowlisted."""
    return ALLOWLIST.get((setting.type, setting.name))


def audit_mutations(runs: dict[str, OfflineRun]) -> tuple[list[Setting], list[Outcome]]:
    """Settings and outcomes of every mutation of every stack, in both EKS shapes (allowlisted settings skipped)."""
    settings: list[Setting] = []
    outcomes: list[Outcome] = []
    for stack, run in runs.items():
        config = policy_config(stack)
        for shaped in (run, with_eks_child_shape(run)):
            found, mutations = settings_and_mutations(shaped, stack)
            if shaped is not run:  # the child shape adds only the cluster's own settings
                found = [s for s in found if s.type == EKS_CHILD]
                mutations = [m for m in mutations if m.setting.type == EKS_CHILD]
            settings += found
            outcomes += run_mutations(shaped, [m for m in mutations if not allowlisted(m.setting)], config)
    return settings, outcomes


def _main() -> None:
    from collections import Counter

    from offline.engine import run_stack

    runs = {stack: run_stack(stack) for stack in STACKS}
    settings, outcomes = audit_mutations(runs)
    killed = sum(o.killed for o in outcomes)
    print(f"{len(settings)} security-relevant settings, {len(outcomes)} mutations, {killed} killed, "
          f"{sum(bool(allowlisted(s)) for s in settings)} allowlisted")  # fmt: skip
    for (stack, kind), count in sorted(Counter((o.mutation.setting.stack, o.mutation.setting.kind)
                                               for o in outcomes).items()):  # fmt: skip
        print(f"  {stack:7} {kind:26} {count}")
    for outcome in outcomes:
        if not outcome.killed:
            print(f"SURVIVED {outcome.mutation.setting} ({outcome.mutation.weakening})")


if __name__ == "__main__":
    _main()
