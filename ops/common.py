"""What every operations command shares: the stack's config, AWS clients, the account guard and the
findings report."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import boto3
import yaml
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from offline.engine import PROJECT_DIR as PROJECT_DIR  # re-exported: the directory of the stack files
from offline.engine import stack_config
from stacks.config import CONFIG_NAMESPACE, StackConfig, parse_stack_config
from stacks.config.pair_files import check_named_standby, check_region_pair

Status = Literal["pass", "fail", "warn"]
Progress = Callable[[str], None]

USAGE_EXIT = 2
"""Exit code when a command cannot run: usage, stack config, credentials, account, endpoint, permissions."""
FAILED_EXIT = 1
"""Exit code when a command ran and a check failed."""


class OpsError(Exception):
    """A command cannot run (or must not): one clear message, no traceback, and an exit code."""

    def __init__(self, message: str, exit_code: int = USAGE_EXIT) -> None:
        super().__init__(message)
        self.exit_code = exit_code


INTERRUPTED_EXIT = 130
"""Exit code after Ctrl-C (128 + SIGINT), as a shell reports it."""


class OpsInterruptedError(OpsError):
    """Ctrl-C during a command: which check was running, and the report of the checks done before it."""

    def __init__(self, message: str, report: Report | None = None) -> None:
        super().__init__(message, INTERRUPTED_EXIT)
        self.report = report


def seconds(text: str) -> float:
    """An argparse type for --timeout: a finite number of seconds above 0 (nan, inf, 0 and negative values
    would start a restore or a switchover with a wait that can only fail)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a finite number of seconds above 0, such as 1800")
    return value


def stderr_progress(message: str) -> None:
    """Progress lines go to stderr, so that --json output on stdout stays parseable."""
    print(message, file=sys.stderr, flush=True)


def load_config(stack: str) -> StackConfig:
    """The stack's validated config, read from Pulumi.<stack>.yaml as the program reads it.

    A missing, unreadable or wrongly shaped stack file, or an invalid value, raises ConfigError or
    OpsError with one message that names the file or the key."""
    try:
        raw, _ = stack_config(stack, project_dir=PROJECT_DIR)
    except (OSError, yaml.YAMLError) as err:
        raise OpsError(f"Pulumi.{stack}.yaml cannot be read: {_first_line(err)}") from None
    except (AttributeError, TypeError, ValueError) as err:
        raise OpsError(
            f"Pulumi.{stack}.yaml is not a stack file (a mapping with a 'config' mapping): {_first_line(err)}"
        ) from None
    prefix = f"{CONFIG_NAMESPACE}:"
    values = {key[len(prefix) :]: value for key, value in raw.items() if key.startswith(prefix)}
    # The same region pair check as the program's (stacks/config/pair_files.py), on the same stack files.
    check_named_standby(stack, values, Path(PROJECT_DIR))
    config = parse_stack_config(values)
    check_region_pair(stack, config, Path(PROJECT_DIR))
    return config


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


CLIENT_CONFIG = Config(connect_timeout=10, read_timeout=60, retries={"mode": "standard", "max_attempts": 3})
"""Bounded waits: an unreachable endpoint is reported after a few attempts instead of hanging."""


@dataclass
class Clients:
    """boto3 clients of one region; `endpoint_url` points them at a test server (moto)."""

    region: str
    endpoint_url: str | None = None
    session: boto3.session.Session = field(default_factory=boto3.session.Session)
    """One session per run: credentials are resolved from the environment of this run."""
    _cache: dict[str, Any] = field(default_factory=dict)

    def __call__(self, service: str) -> Any:
        if service not in self._cache:
            try:
                self._cache[service] = self.session.client(
                    service, region_name=self.region, endpoint_url=self.endpoint_url, config=CLIENT_CONFIG
                )
            except ValueError as err:
                raise OpsError(f"--endpoint-url {self.endpoint_url!r}: {err}") from None
        return self._cache[service]


def caller_account(clients: Clients) -> str:
    """The account of the credentials in use (STS GetCallerIdentity needs no permission)."""
    account: str = clients("sts").get_caller_identity()["Account"]
    return account


def require_pinned_account(stack: str, config: StackConfig, clients: Clients, destructive: bool = False) -> str:
    """The caller's account, when the command may act on it; else OpsError (exit 2) naming both accounts.

    A stack pinned to an account (`accountId`) is only read or changed with that account's credentials;
    a destructive command also refuses a stack that pins no account at all."""
    account = caller_account(clients)
    key = f"{CONFIG_NAMESPACE}:accountId"
    if config.account_id and account != config.account_id:
        raise OpsError(
            f"stack '{stack}' is pinned to account {config.account_id} ({key}), but the credentials in use "
            f"belong to account {account}; refusing to act or report on another account"
        )
    if destructive and not config.account_id:
        raise OpsError(
            f"stack '{stack}' pins no account ({key} is empty) and this command changes resources; set {key} "
            f"to the stack's account (the credentials in use belong to {account}) before running it"
        )
    return account


@dataclass(frozen=True)
class Finding:
    """The result of one check; `remedy` says what to do about a failure (commands to run)."""

    check: str
    status: Status
    detail: str
    resource: str = ""
    remedy: str = ""


@dataclass
class Report:
    """Findings of one command run."""

    command: str
    stack: str
    findings: list[Finding] = field(default_factory=list)

    def add(
        self, check: str, ok: bool, detail: str, resource: str = "", warn_only: bool = False, remedy: str = ""
    ) -> None:
        """Record a check: pass when ok, else fail (or warn)."""
        status: Status = "pass" if ok else ("warn" if warn_only else "fail")
        self.findings.append(Finding(check, status, detail, resource, remedy))

    @property
    def failed(self) -> bool:
        """Whether any check failed."""
        return any(f.status == "fail" for f in self.findings)

    def text(self) -> str:
        """The report for a terminal."""
        lines = [f"{self.command} of stack '{self.stack}':"]
        for finding in self.findings:
            lines.append(_line(finding))
            lines += [f"      {line}" for line in finding.remedy.splitlines()]
        counts = {status: sum(f.status == status for f in self.findings) for status in ("pass", "fail", "warn")}
        lines.append(
            f"{len(self.findings)} checks: {counts['pass']} passed, {counts['fail']} failed, {counts['warn']} warnings"
        )
        return "\n".join(lines)

    def json(self) -> str:
        """The report for machines."""
        return json.dumps({"command": self.command, "stack": self.stack, "failed": self.failed,
                           "findings": [asdict(f) for f in self.findings]}, indent=2)  # fmt: skip


def _line(finding: Finding) -> str:
    marks = {"pass": "PASS", "fail": "FAIL", "warn": "WARN"}
    suffix = f" [{finding.resource}]" if finding.resource else ""
    return f"  {marks[finding.status]} {finding.check}: {finding.detail}{suffix}"


def error_code(err: ClientError) -> str:
    """The API error's code ('ResourceNotFoundException', ...; empty when the response has none)."""
    return str(err.response.get("Error", {}).get("Code", ""))


def describe_error(err: ClientError | BotoCoreError) -> str:
    """An AWS error as a finding shows it: '<code>: <message>' for an API error (AccessDeniedException,
    ThrottlingException after botocore's retries, ...), botocore's own text for a client-side one (no endpoint,
    a read timeout)."""
    if isinstance(err, ClientError):
        return f"{error_code(err)}: {err.response.get('Error', {}).get('Message', '')}"
    return str(err)
