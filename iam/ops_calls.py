"""Which AWS operations each `python -m ops` command calls, read from the code of ops/ without running it.

How (a static walk of the syntax trees, so a new call is found the moment it is written, whether or not a test
exercises it):

1. Entry points: the `commands` mapping in `ops.__main__.run`, command name -> the function its lambda calls.
2. Reachable functions: from an entry, every ops function it calls or names (a callback passed as an argument or
   a default counts as reached), resolved through each module's own definitions and its `from ops... import`.
3. Services: every `x("<service>")` call with a boto3 service name (the `Clients` helper, `regional(...)(...)`).
4. Operations: every attribute call and every string constant (`get_paginator("list_detectors")`,
   `_pages(client, "describe_alarms", ...)`, `getattr(client, name)`) that is an operation of one of the command's
   services in botocore's service models. A name several of those services have goes to the services of the same
   function, else of the same module, else to all of them (more, never fewer).
5. Requests signed by hand (SigV4Auth, RequestSigner) are not boto3 operations: each function that signs one must
   be in SIGNED_REQUESTS with the IAM actions its request needs, or the walk fails.

Limits, said plainly: only ops/ is walked (the modules it imports from stacks/, components/, policies/ and offline/
make no AWS call: they check dicts the commands read); a client passed in from outside ops/ would not be seen.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import botocore.session
from botocore import xform_name

OPS_DIR = Path(__file__).resolve().parent.parent / "ops"
ENTRY_MODULE = "ops.__main__"
SIGNED_REQUESTS: dict[str, tuple[str, ...]] = {
    # `aws eks get-token`'s presigned STS GetCallerIdentity URL: GetCallerIdentity needs no permission (STS API
    # reference, GetCallerIdentity: "No permissions are required"); the cluster authorizes the identity by its EKS
    # access entry, not by IAM.
    "ops.verify.eks_token": (),
    # The workspace's Prometheus query API (AMP User Guide, "Query using the Prometheus HTTP API": aps:QueryMetrics).
    "ops.verify_metrics.query_workspace": ("aps:QueryMetrics",),
}
"""Functions that sign an HTTP request themselves -> the IAM actions that request needs."""
SIGNERS = frozenset({"SigV4Auth", "RequestSigner"})


@dataclass(frozen=True)
class Function:
    """One top-level function of an ops module (nested functions and lambdas belong to it)."""

    qualname: str
    module: str
    node: ast.FunctionDef | ast.AsyncFunctionDef


@functools.cache
def _modules() -> dict[str, ast.Module]:
    found = {}
    for path in sorted(OPS_DIR.glob("*.py")):
        name = "ops" if path.stem == "__init__" else f"ops.{path.stem}"
        found[name] = ast.parse(path.read_text(), filename=str(path))
    return found


@functools.cache
def _functions() -> dict[str, Function]:
    return {
        f"{module}.{node.name}": Function(f"{module}.{node.name}", module, node)
        for module, tree in _modules().items()
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }


@functools.cache
def _scope(module: str) -> dict[str, str]:
    """Names visible in a module -> qualified function or module names (its own functions and its ops imports)."""
    names = {qualname.rsplit(".", 1)[1]: qualname for qualname, f in _functions().items() if f.module == module}
    for node in _modules()[module].body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "ops":
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


@functools.cache
def _tables(module: str) -> dict[str, set[str]]:
    """Module-level variables -> the functions their value names (a dispatch table such as live_audit.CHECKS)."""
    scope = _scope(module)
    found: dict[str, set[str]] = {}
    for node in _modules()[module].body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            named = {scope[n.id] for n in ast.walk(node.value) if isinstance(n, ast.Name) and n.id in scope}
            for target in targets:
                if isinstance(target, ast.Name) and named:
                    found[target.id] = named
    return found


def _referenced(function: Function) -> set[str]:
    """Qualified names of the ops functions a function calls or names (also through a module-level table)."""
    scope = _scope(function.module)
    tables = _tables(function.module)
    found: set[str] = set()
    for node in ast.walk(function.node):
        if isinstance(node, ast.Name) and node.id in tables:
            found |= tables[node.id]
        if isinstance(node, ast.Name) and node.id in scope:
            found.add(scope[node.id])
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in scope:
            found.add(f"{scope[node.value.id]}.{node.attr}")  # `common.caller_account`
    return {name for name in found if name in _functions()}


def entry_points() -> dict[str, str]:
    """Command -> the function its lambda in `ops.__main__.run` calls."""
    run = _functions()[f"{ENTRY_MODULE}.run"].node
    scope = _scope(ENTRY_MODULE)
    for node in ast.walk(run):
        if isinstance(node, ast.Dict) and node.keys and all(isinstance(k, ast.Constant) for k in node.keys):
            entries = {}
            for key, value in zip(node.keys, node.values, strict=True):
                assert isinstance(key, ast.Constant)
                if isinstance(value, ast.Lambda) and isinstance(value.body, ast.Call):
                    func = value.body.func
                    if isinstance(func, ast.Name) and func.id in scope:
                        entries[str(key.value)] = scope[func.id]
            if entries:
                return entries
    raise RuntimeError("no command mapping found in ops.__main__.run")


def reachable(entry: str) -> list[Function]:
    """Every ops function reachable from `entry` (run() itself only builds clients and calls the entry)."""
    seen: set[str] = set()
    todo = [entry]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(_referenced(_functions()[name]))
    return [_functions()[name] for name in sorted(seen)]


@functools.cache
def _botocore() -> botocore.session.Session:
    return botocore.session.get_session()


@functools.cache
def boto_services() -> frozenset[str]:
    """The service names boto3 knows."""
    return frozenset(_botocore().get_available_services())


@functools.cache
def operations(service: str) -> dict[str, str]:
    """A service's operations: boto3 method name -> API operation name."""
    names = _botocore().get_service_model(service).operation_names
    return {xform_name(name): name for name in names}


def _constants(function: Function) -> Iterator[str]:
    for node in ast.walk(function.node):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            yield node.func.attr


def _services(function: Function) -> set[str]:
    found = set()
    for node in ast.walk(function.node):
        if isinstance(node, ast.Call) and len(node.args) == 1 and isinstance(node.args[0], ast.Constant):
            value = node.args[0].value
            if isinstance(value, str) and value in boto_services():
                found.add(value)
    return found


def _signs(function: Function) -> bool:
    return any(isinstance(node, ast.Name) and node.id in SIGNERS for node in ast.walk(function.node))


@dataclass(frozen=True)
class CommandCalls:
    """What one command calls: boto3 (service, operation) pairs and the actions of hand-signed requests."""

    command: str
    calls: frozenset[tuple[str, str]]
    signed: frozenset[str]


def command_calls(command: str) -> CommandCalls:
    """The AWS calls of one command (see the module docstring)."""
    functions = reachable(entry_points()[command])
    unsigned = [f.qualname for f in functions if _signs(f) and f.qualname not in SIGNED_REQUESTS]
    if unsigned:
        raise RuntimeError(f"{unsigned} sign requests by hand: add their IAM actions to SIGNED_REQUESTS")
    by_function = {f.qualname: _services(f) for f in functions}
    services = set().union(*by_function.values())
    by_module: dict[str, set[str]] = {}
    for f in functions:
        by_module.setdefault(f.module, set()).update(by_function[f.qualname])
    calls: set[tuple[str, str]] = set()
    for f in functions:
        # The command's own name is its label (Report("verify", ...)), not an operation: without this, a command that
        # also calls KMS would be given kms:Verify (KMS has an operation of that name) through the fallback below.
        for name in set(_constants(f)) - {command}:
            having = {s for s in services if name in operations(s)}
            chosen = (having & by_function[f.qualname]) or (having & by_module[f.module]) or having
            calls |= {(s, operations(s)[name]) for s in chosen}
    signed = {a for f in functions for a in SIGNED_REQUESTS.get(f.qualname, ())}
    return CommandCalls(command, frozenset(calls), frozenset(signed))


IAM_PREFIX = {"resourcegroupstaggingapi": "tag", "cloudwatch": "cloudwatch"}
"""boto3 services whose IAM prefix is not their signing name (tagging -> tag, monitoring -> cloudwatch)."""
OPERATION_ACTIONS: dict[tuple[str, str], tuple[str, ...]] = {
    # S3's IAM actions are not named like its API operations (S3 User Guide, "Amazon S3 API operations and the
    # permissions they need").
    ("s3", "GetBucketEncryption"): ("s3:GetEncryptionConfiguration",),
    ("s3", "GetPublicAccessBlock"): ("s3:GetBucketPublicAccessBlock",),
}
"""API operations whose IAM action has another name."""
ALSO_NEEDS: dict[str, tuple[str, ...]] = {
    # The Data API reads the secret named in the request with the caller's permissions (RDS User Guide, "Authorizing
    # access to the Amazon RDS Data API": secretsmanager:GetSecretValue on the secret), and Secrets Manager decrypts
    # it with the secret's customer-managed key (kms:Decrypt).
    "rds-data:ExecuteStatement": ("secretsmanager:GetSecretValue", "kms:Decrypt"),
    # A restore with Tags needs rds:AddTagsToResource (RDS User Guide, "Tagging Amazon RDS resources": tag on create),
    # and of an encrypted cluster the key grant RDS makes with the caller's permissions (kms:CreateGrant,
    # kms:DescribeKey; RDS User Guide, "Restoring a DB cluster to a specified time", encrypted clusters).
    "rds:RestoreDBClusterToPointInTime": ("rds:AddTagsToResource", "kms:CreateGrant", "kms:DescribeKey"),
}
"""Actions an operation authorizes on the caller beyond its own (the service authorization reference lists them
for few operations)."""


def iam_prefix(service: str) -> str:
    """The IAM service prefix of a boto3 service."""
    return IAM_PREFIX.get(service) or str(_botocore().get_service_model(service).signing_name)


def command_actions(command: str) -> list[str]:
    """The sorted IAM actions one ops command needs; RuntimeError names an operation without a known action."""
    from iam.scoping import details

    calls = command_calls(command)
    wanted = set(calls.signed)
    for service, operation in calls.calls:
        wanted |= set(OPERATION_ACTIONS.get((service, operation), (f"{iam_prefix(service)}:{operation}",)))
    wanted |= {extra for action in list(wanted) for extra in ALSO_NEEDS.get(action, ())}
    unknown = sorted(a for a in wanted if not details(a))
    if unknown:
        raise RuntimeError(f"ops {command}: {unknown} are no IAM actions: map them in iam/ops_calls.OPERATION_ACTIONS")
    return sorted(wanted)
