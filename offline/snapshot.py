"""Everything a PR diff compares, for one stack of the working tree: the plan and the policy results.

    python -m offline.snapshot dev > snapshot.json

offline.diff runs this command inside a checkout of the base revision, so it must stay stable.
Exit status: 0 (a configuration error of the program is part of the snapshot); 2 on a usage error or a
broken stack file or policy config, printed as one `error:` line.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Any

from offline.audit import audit_stack, summary
from offline.cli import CommandError, run
from offline.engine import known_stacks
from offline.plan import summarize


def snapshot(stack: str) -> dict[str, Any]:
    """The stack's plan and policy results (or the configuration error)."""
    run, results = audit_stack(stack)
    if run.error:
        return {"stack": stack, "error": run.error}
    return {
        "stack": stack,
        "plan": summarize(run),
        "policy": {"summary": summary(results), "rules": {r.name: asdict(r) for r in results}},
    }


def _main(argv: list[str] | None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1 or args[0] not in known_stacks():
        raise CommandError(f"usage: python -m offline.snapshot {{{','.join(known_stacks())}}}")
    print(json.dumps(snapshot(args[0]), sort_keys=True))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m offline.snapshot STACK` (exit status: see offline/cli.py)."""
    return run(_main, argv)


if __name__ == "__main__":
    sys.exit(main())
