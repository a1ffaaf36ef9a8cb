"""Operations commands for platform engineers and auditors.

    python -m ops preflight --stack prod        # before pulumi up: account, zones, certificate, quotas,
                                                # add-ons, images in ECR, Helm chart versions
    python -m ops audit --stack prod            # live resources against the policy baseline
    python -m ops audit --stack prod --evidence DIR [--since 2026-10-01] [--until 2026-12-31]
                                                # plus the live evidence bundle: Config rule compliance in the
                                                # period, PCI DSS v4.0.1 controls, trail validation, key rotation
    python -m ops dr-drill --stack prod [--dry-run]   # RPO and a timed restore of Aurora (RTO); in a region
                                                # pair, a practice switchover and failback through ARC
    python -m ops verify --stack prod           # after pulumi up: nodes, targets, topics, alarms, DB users, plan
    python -m ops failover --stack prod --to prod-dr [--mode switchover|failover] [--dry-run]
                                                # runs the pair's ARC Region switch plan in the standby's
                                                # region and follows it step by step
    python -m ops failback --stack prod --from prod-dr [--dry-run]   # the reverse, once the region is back

Credentials come from the usual AWS chain (AWS_PROFILE, environment, SSO). Every command first checks
that the credentials belong to the stack's pinned account (accountId) and refuses otherwise; dr-drill
(without --dry-run), failover and failback also refuse a stack that pins no account. failover/failback
--dry-run print the plan's workflow from the stack files alone: no AWS call, no credentials needed (CI can print
it). Every command prints text or JSON
(--json). Exit codes: 0 all checks passed; 1 a check failed (or AWS refused a call a check needed);
2 the command could not or must not run (usage, stack file or config, credentials, another account,
unreachable endpoint, access denied); 130 interrupted (Ctrl-C) while following a Region switch execution.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    CredentialRetrievalError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
    TokenRetrievalError,
)
from botocore.parsers import ResponseParserError

from offline.cli import CommandError
from offline.engine import known_stacks
from offline.evidence import check_evidence_target
from ops import common
from ops.common import (
    FAILED_EXIT,
    INTERRUPTED_EXIT,
    USAGE_EXIT,
    Clients,
    OpsError,
    OpsInterruptedError,
    Report,
    load_config,
)
from ops.dr_drill import dr_drill
from ops.evidence import live_evidence, write_live_bundle
from ops.failover import FollowInterruptedError, Mode, check_timeout, pair_stacks, run_switch
from ops.live_audit import live_audit
from ops.preflight import preflight, read_stack_outputs, refuse_live_stack
from ops.verify import verify
from stacks.config import ConfigError, StackConfig

COMMANDS = {
    "preflight": "check the account, region, images and chart versions before pulumi up",
    "audit": "check the live resources of a stack against the policy baseline",
    "dr-drill": "measure RPO and RTO of the Aurora cluster by a real restore",
    "verify": "check after pulumi up that the platform works: nodes, targets, topics, alarms, DB users, switch plan",
    "failover": "run the pair's ARC Region switch plan to make the standby stack's region active",
    "failback": "run the pair's ARC Region switch plan to make the primary stack's region active again",
}
DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
          "AuthorizationErrorException", "UnauthorizedException", "ForbiddenException"}  # fmt: skip
"""Error codes with which AWS services refuse a call the credentials may not make."""
REJECTED = {"ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException",
            "SignatureDoesNotMatch", "InvalidSignatureException", "IncompleteSignature"}  # fmt: skip
"""Error codes with which AWS refuses the credentials themselves."""


def parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m ops", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)  # fmt: skip
    commands = parser.add_subparsers(dest="command", required=True)
    for name, summary in COMMANDS.items():
        command = commands.add_parser(name, help=summary, description=summary)
        command.add_argument("--stack", required=True, choices=known_stacks(common.PROJECT_DIR))
        command.add_argument("--json", action="store_true", help="print the report as JSON")
        command.add_argument("--endpoint-url", help="send every AWS call to this endpoint (a test server)")
        if name == "audit":
            command.add_argument("--evidence", type=Path, help="write the live evidence bundle into this new directory")
            command.add_argument("--since", type=_day, help="start of the period (YYYY-MM-DD, UTC; default: 90 days "
                                 "before --until)")  # fmt: skip
            command.add_argument("--until", type=_day, help="end of the period (YYYY-MM-DD, UTC, inclusive; default: "
                                 "today)")  # fmt: skip
        if name == "preflight":
            command.add_argument("--phase", choices=("foundation", "complete"), default="complete",
                                 help="the deploy phase about to run (default complete); foundation: missing images "
                                 "only warn")  # fmt: skip
            command.add_argument("--stack-outputs", metavar="FILE",
                                 help="`pulumi stack output --json` of the stack ('{}' when new); with --phase "
                                 "foundation, refuse (exit 2) a stack whose deployPhase is complete")  # fmt: skip
        if name == "dr-drill":
            command.add_argument("--dry-run", action="store_true", help="only report; restore nothing")
            command.add_argument("--timeout", type=common.seconds, default=3600, help="seconds to wait for the restore "
                                 "and, in a region pair, for each Region switch execution")  # fmt: skip
        if name in ("failover", "failback"):
            other = "--to" if name == "failover" else "--from"
            command.add_argument(other, dest="standby", required=True, choices=known_stacks(common.PROJECT_DIR),
                                 help="the standby stack (the primary's drStack)")  # fmt: skip
            if name == "failover":
                command.add_argument("--mode", choices=("switchover", "failover"), default="switchover",
                                     help="switchover (default): both regions answer, no data loss; failover: the "
                                     "primary region is gone, loses up to the replication lag - never chosen "
                                     "automatically")  # fmt: skip
            command.add_argument("--dry-run", action="store_true", help="print the plan with expected durations; "
                                 "calls nothing and needs no AWS credentials")  # fmt: skip
            command.add_argument("--timeout", type=common.seconds, default=3600,
                                 help="seconds to follow the execution (ARC goes on after it)")  # fmt: skip
    return parser


def run(args: argparse.Namespace) -> Report:
    """Run one command; errors it cannot turn into findings are raised."""
    if getattr(args, "timeout", None) is not None:
        check_timeout(args.timeout)
    config = load_config(args.stack)
    clients = Clients(config.region, args.endpoint_url)
    commands: dict[str, Callable[[], Report]] = {
        "preflight": lambda: _preflight(args, config, clients),
        "audit": lambda: _audit(args, config, clients),
        "dr-drill": lambda: dr_drill(args.stack, config, clients, dry_run=args.dry_run, timeout_seconds=args.timeout),
        "verify": lambda: verify(args.stack, config, clients),
        "failover": lambda: _runbook(args, config, clients),
        "failback": lambda: _runbook(args, config, clients),
    }
    return commands[args.command]()


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _audit(args: argparse.Namespace, config: StackConfig, clients: Clients) -> Report:
    """The live audit, and with --evidence the live evidence bundle (its target checked before any AWS call)."""
    evidence: Path | None = getattr(args, "evidence", None)
    until_day: dt.date = getattr(args, "until", None) or dt.datetime.now(dt.UTC).date()
    since_day: dt.date = getattr(args, "since", None) or until_day - dt.timedelta(days=90)
    if since_day > until_day:
        raise OpsError(f"--since {since_day} is after --until {until_day}")
    if evidence is not None:
        try:
            check_evidence_target(evidence)
        except CommandError as err:
            raise OpsError(str(err)) from None
    report = live_audit(args.stack, config, clients)
    if evidence is None:
        return report
    since = dt.datetime.combine(since_day, dt.time.min, dt.UTC)
    until = dt.datetime.combine(until_day, dt.time.max, dt.UTC)
    files = live_evidence(report, args.stack, config, clients, since, until)
    write_live_bundle(report, evidence, files, args.stack, config, since, until)
    return report


def _preflight(args: argparse.Namespace, config: StackConfig, clients: Clients) -> Report:
    """preflight; in the foundation phase with --stack-outputs, first refuse a stack that runs its Kubernetes layer."""
    if args.stack_outputs:
        if args.phase != "foundation":
            raise OpsError("--stack-outputs is read only with --phase foundation (the bootstrap workflow)")
        refuse_live_stack(args.stack, read_stack_outputs(args.stack_outputs))
    return preflight(args.stack, config, clients, phase=args.phase)


def _runbook(args: argparse.Namespace, config: StackConfig, clients: Clients) -> Report:
    """failover or failback of the pair (--stack, --to/--from)."""
    if args.standby == args.stack:
        flag = "--to" if args.command == "failover" else "--from"
        raise OpsError(f"{flag} {args.standby} is the stack itself; name its standby stack (its drStack)")
    pair = pair_stacks(args.stack, config, args.standby, load_config(args.standby))
    mode: Mode = getattr(args, "mode", "switchover")
    return run_switch(pair, args.command, clients, mode=mode, dry_run=args.dry_run, timeout_seconds=args.timeout)


def explain(err: Exception, endpoint_url: str | None) -> OpsError:
    """One message and the exit code for an error the commands do not handle themselves."""
    if isinstance(err, OpsError):
        return err
    if isinstance(err, ConfigError):
        return OpsError(str(err))
    if isinstance(err, (NoCredentialsError, PartialCredentialsError, CredentialRetrievalError, TokenRetrievalError,
                        ProfileNotFound)):  # fmt: skip
        return OpsError(f"no usable AWS credentials ({err}); set AWS_PROFILE or sign in (aws sso login) first")
    if isinstance(err, (ConnectionError, HTTPClientError)):
        where = endpoint_url or "the AWS endpoint"
        return OpsError(f"cannot reach {where}: {err}")
    if isinstance(err, ClientError):
        code, message = _error_of(err)
        if code in DENIED or (code == "403" and not message):
            return OpsError(f"access denied: the credentials in use may not call {err.operation_name} ({code}: "
                            f"{message}); use a role with the command's generated policy (iam/ops-auditor-role.json, "
                            "ops-verifier-role.json or ops-operator-role.json; docs/day2.md section 10)")  # fmt: skip
        if code.isdigit():
            return OpsError(f"{endpoint_url or 'the AWS endpoint'} answered {err.operation_name} with HTTP {code} and "
                            "no AWS error: is it an AWS endpoint?")  # fmt: skip
        if code in REJECTED:
            return OpsError(f"AWS rejected the credentials in use ({code}: {message}); refresh them and try again")
        return OpsError(f"AWS refused {err.operation_name}: {code}: {message}", FAILED_EXIT)
    if isinstance(err, ResponseParserError):
        first = str(err).splitlines()[0]
        return OpsError(f"{endpoint_url or 'the AWS endpoint'} did not answer as AWS does ({first})")
    if isinstance(err, BotoCoreError):
        return OpsError(f"AWS SDK error: {err}")
    raise err


def _error_of(err: ClientError) -> tuple[str, str]:
    """The error code and message, also when an endpoint answered a JSON protocol with an XML error body."""
    error = err.response.get("Error", {})
    code, message = str(error.get("Code", "")), str(error.get("Message", ""))
    if code.isdigit():  # botocore puts the HTTP status and the raw body there when it cannot parse the body
        found = re.search(r"<Code>([^<]+)</Code>", message)
        text = re.search(r"<Message>([^<]*)</Message>", message)
        return (found.group(1), text.group(1) if text else "") if found else (code, "")
    return code, message


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m ops`."""
    args = parser().parse_args(argv)
    where = f"ops {args.command} --stack {args.stack}"
    try:
        report = run(args)
    except FollowInterruptedError as stop:
        print(stop.report.json() if args.json else stop.report.text())
        print(f"{where}: {stop.message()}", file=sys.stderr)
        return INTERRUPTED_EXIT
    except KeyboardInterrupt:
        print(f"{where}: interrupted", file=sys.stderr)
        return INTERRUPTED_EXIT
    except (OpsError, ConfigError, BotoCoreError, ClientError, ResponseParserError) as err:
        problem = explain(err, args.endpoint_url)
        partial = problem.report if isinstance(problem, OpsInterruptedError) else None
        if partial is not None and not _emit(partial.json() if args.json else partial.text(), where):
            return USAGE_EXIT
        print(f"{where}: {problem}", file=sys.stderr)
        if args.json and partial is None:
            document = {"command": args.command, "stack": args.stack, "error": str(problem),
                        "exitCode": problem.exit_code}  # fmt: skip
            if not _emit(json.dumps(document, indent=2), where):
                return USAGE_EXIT
        return problem.exit_code
    if not _emit(report.json() if args.json else report.text(), where):
        return USAGE_EXIT
    return FAILED_EXIT if report.failed else 0


def _emit(text: str, where: str) -> bool:
    """Print the report; False (after one message on stderr) when stdout cannot take it: a full device
    (ENOSPC on /dev/full), a closed pipe. Stdout is then pointed at /dev/null so that the interpreter's
    final flush does not fail a second time with a traceback."""
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except OSError as err:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        print(f"{where}: cannot write the report to standard output: {err.strerror or err}", file=sys.stderr)
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
