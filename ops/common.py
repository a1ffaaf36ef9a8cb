"""What every operations command shares: the stack's config, AWS clients and the findings report."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import boto3

from offline.engine import stack_config
from stacks.config import CONFIG_NAMESPACE, StackConfig, parse_stack_config

Status = Literal["pass", "fail", "warn"]


def load_config(stack: str) -> StackConfig:
    """The stack's validated config, read from Pulumi.<stack>.yaml as the program reads it."""
    raw, _ = stack_config(stack)
    prefix = f"{CONFIG_NAMESPACE}:"
    return parse_stack_config({key[len(prefix) :]: value for key, value in raw.items() if key.startswith(prefix)})


@dataclass
class Clients:
    """boto3 clients of one region; `endpoint_url` points them at a test server (moto)."""

    region: str
    endpoint_url: str | None = None
    _cache: dict[str, Any] = field(default_factory=dict)

    def __call__(self, service: str) -> Any:
        if service not in self._cache:
            self._cache[service] = boto3.client(service, region_name=self.region, endpoint_url=self.endpoint_url)
        return self._cache[service]


@dataclass(frozen=True)
class Finding:
    """The result of one check."""

    check: str
    status: Status
    detail: str
    resource: str = ""


@dataclass
class Report:
    """Findings of one command run."""

    command: str
    stack: str
    findings: list[Finding] = field(default_factory=list)

    def add(self, check: str, ok: bool, detail: str, resource: str = "", warn_only: bool = False) -> None:
        """Record a check: pass when ok, else fail (or warn)."""
        status: Status = "pass" if ok else ("warn" if warn_only else "fail")
        self.findings.append(Finding(check, status, detail, resource))

    @property
    def failed(self) -> bool:
        """Whether any check failed."""
        return any(f.status == "fail" for f in self.findings)

    def text(self) -> str:
        """The report for a terminal."""
        marks = {"pass": "PASS", "fail": "FAIL", "warn": "WARN"}
        lines = [f"{self.command} of stack '{self.stack}':"]
        lines += [f"  {marks[f.status]} {f.check}: {f.detail}" + (f" [{f.resource}]" if f.resource else "")
                  for f in self.findings]  # fmt: skip
        failures = sum(f.status == "fail" for f in self.findings)
        lines.append(f"{len(self.findings)} checks, {failures} failed")
        return "\n".join(lines)

    def json(self) -> str:
        """The report for machines."""
        return json.dumps({"command": self.command, "stack": self.stack, "failed": self.failed,
                           "findings": [asdict(f) for f in self.findings]}, indent=2)  # fmt: skip
