"""Operations commands for platform engineers and auditors.

    python -m ops preflight --stack prod        # before pulumi up: account, zones, certificate, quotas, add-ons
    python -m ops audit --stack prod            # live resources against the policy baseline
    python -m ops dr-drill --stack prod [--dry-run]   # RPO and a timed restore of Aurora (RTO)

Credentials come from the usual AWS chain (AWS_PROFILE, environment, SSO). Every command prints text
or JSON (--json) and exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import sys

from offline.engine import known_stacks
from ops.common import Clients, load_config
from ops.dr_drill import dr_drill
from ops.live_audit import live_audit
from ops.preflight import preflight


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m ops`."""
    parser = argparse.ArgumentParser(prog="python -m ops", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)  # fmt: skip
    commands = parser.add_subparsers(dest="command", required=True)
    for name, summary in (("preflight", "check the account and region before pulumi up"),
                          ("audit", "check the live resources of a stack against the policy baseline"),
                          ("dr-drill", "measure RPO and RTO of the Aurora cluster by a real restore")):  # fmt: skip
        command = commands.add_parser(name, help=summary, description=summary)
        command.add_argument("--stack", required=True, choices=known_stacks())
        command.add_argument("--json", action="store_true", help="print the report as JSON")
        command.add_argument("--endpoint-url", help="send every AWS call to this endpoint (a test server)")
        if name == "dr-drill":
            command.add_argument("--dry-run", action="store_true", help="only report; restore nothing")
            command.add_argument("--timeout", type=float, default=3600, help="seconds to wait for the restore")
    args = parser.parse_args(argv)
    config = load_config(args.stack)
    clients = Clients(config.region, args.endpoint_url)
    if args.command == "preflight":
        report = preflight(args.stack, config, clients)
    elif args.command == "audit":
        report = live_audit(args.stack, clients)
    else:
        report = dr_drill(args.stack, clients, dry_run=args.dry_run, timeout_seconds=args.timeout)
    print(report.json() if args.json else report.text())
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
