"""The in-VPC CI runner (CodeBuild): unprivileged builds, logs kept, artifacts under a customer-managed key."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from policies.rules.base import ResourceView, Rule

AREA = "identity"


def _runner_hardened(r: ResourceView, _: Mapping[str, Any]) -> Iterable[str]:
    # A privileged build can start a Docker daemon and reach the host; the runner only runs pulumi and kubectl
    # (components/ci_runner.py). https://docs.aws.amazon.com/codebuild/latest/APIReference/API_ProjectEnvironment.html
    if (r.get("environment") or {}).get("privilegedMode") is True:
        yield "privilegedMode is on: build containers get the host's Docker daemon"
    logs = ((r.get("logsConfig") or {}).get("cloudwatchLogs") or {}).get("status")
    if logs != "ENABLED":
        yield f"CloudWatch build logs are {logs or 'not configured'}: every deploy must leave a log"
    if not r.get("encryptionKey"):
        yield "no encryptionKey: build output is encrypted with the AWS managed key, not a platform key"


RULES = [
    Rule("codebuild-runner-hardened", AREA, "The CI runner builds unprivileged, logs every build to CloudWatch "
         "and encrypts with a customer-managed key.", Severity.HIGH, "10.2.1",
         "Set environment.privilegedMode=false, logsConfig.cloudwatchLogs.status=ENABLED and encryptionKey.",
         ("aws:codebuild/project:Project",), _runner_hardened),
]  # fmt: skip
