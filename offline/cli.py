"""The one error boundary of the project's commands (plan, audit, snapshot, diff, pricing.report).

Exit status, the same for every command:

    0  success
    1  a finding or a failed check (a mandatory policy violation, a stack over budget, a base that fails to plan)
    2  a usage or configuration error (bad argument, broken stack file, policy config or price table,
       unwritable output path, unknown revision): one line `error: ...` on stderr, no traceback
  130  interrupted (Ctrl-C); 141 the reader of the output went away (`... | head`), as a shell reports SIGPIPE

A loader that finds a problem raises `CommandError` with a message naming the file or option, the bad
value and what is allowed; `run` prints it. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

USAGE_OR_CONFIG_ERROR = 2
FINDING = 1
OUTPUT_CLOSED = 141


def exit_status_help(finding: str = "", errors: str = "bad argument, broken stack file, policy config or price "
                     "table, unwritable output path") -> str:  # fmt: skip
    """The exit-status epilog of a command's --help: `finding` is what exits 1 (none for the plan)."""
    one = f"; 1 {finding}" if finding else ""
    return (f"exit status: 0 success{one}; 2 a usage or configuration error ({errors}), printed as one 'error:' "
            "line without a traceback")  # fmt: skip


class CommandError(Exception):
    """An expected failure of a command: its message is for the user, `status` is the exit status."""

    def __init__(self, message: str, status: int = USAGE_OR_CONFIG_ERROR) -> None:
        super().__init__(message)
        self.status = status


def run(main: Callable[[list[str] | None], int], argv: list[str] | None = None) -> int:
    """Call a command's `main` and turn an expected failure into one message and its exit status.

    A command that runs the mock engine as `python -m ...` (exit_on_interrupt is watching) ends right here with
    os._exit once its output is flushed: the interpreter's teardown of ~900 SDK modules and gRPC threads takes long
    enough that a Ctrl-C arriving during it was lost (the watcher thread cannot run after finalization starts, and
    the process exited 0), and that teardown was where the SIGSEGVs came from."""
    status = _run(main, argv)
    if _watching:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(status)
    return status


def _run(main: Callable[[list[str] | None], int], argv: list[str] | None) -> int:
    try:
        with collector_paused():
            return main(argv)
    except CommandError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.status
    except OSError as err:
        # A file the command reads or writes (a directory, a missing parent, no permission, a full disk).
        if isinstance(err, BrokenPipeError):
            # The reader went away (`... | head`): https://docs.python.org/3/library/signal.html#note-on-sigpipe
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return OUTPUT_CLOSED
        where = f"{err.filename}: " if err.filename else ""
        print(f"error: {where}{err.strerror or err}", file=sys.stderr)
        return USAGE_OR_CONFIG_ERROR
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return INTERRUPTED


INTERRUPTED = 130
"""Exit status after Ctrl-C (128 + SIGINT), as a shell reports it."""
ENGINE_COMMANDS = frozenset({"offline.plan", "offline.audit", "offline.snapshot", "pricing.report"})
"""The commands that run the mock engine in-process (`python -m <name>`)."""
_watching = False


def exit_on_interrupt() -> None:
    """Make Ctrl-C end a command that runs the mock engine in-process with exit 130, always.

    A KeyboardInterrupt is raised in the main thread only when it next runs Python code; during an offline plan
    the main thread waits on the SDK's asyncio loop, which waits on the mock monitor's gRPC threads, so the
    interrupt was sometimes lost (the plan ran on and exited 0), hung the loop, or met a half-torn-down gRPC
    runtime at interpreter exit (SIGSEGV). Instead SIGINT is blocked in every thread (threads started later
    inherit the mask) and one watcher thread takes it with sigwait(), flushes stdout, says so on stderr and
    ends the process with os._exit(130): no interpreter teardown, no traceback, whatever the other threads do
    (https://docs.python.org/3/library/signal.html#signal.pthread_sigmask, signal.sigwait). It is installed
    when this module is first imported by one of ENGINE_COMMANDS run as `python -m ...` (before the SDK and
    gRPC are imported, so Ctrl-C while they load is covered too); a test or another importer keeps its own
    Ctrl-C. A report being written to --output may be left incomplete; nothing else is half-done by a plan.
    """
    global _watching
    if _watching or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "sigwait"):
        return
    _watching = True
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})

    def watch() -> None:
        signal.sigwait({signal.SIGINT})
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
        os.write(2, b"error: interrupted\n")
        os._exit(INTERRUPTED)

    threading.Thread(target=watch, name="exit-on-interrupt", daemon=True).start()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for the duration of a command or a program run, then restored.

    A plan loads ~900 SDK modules and allocates tens of thousands of container objects (classes, futures,
    tasks, Outputs, protobuf messages); each full collection these allocations trigger walks the whole,
    growing heap again, which cost about a fifth of a plan's CPU time (`python -m offline.bench`). Reference
    counting still frees everything that is not in a cycle, and few cycles are left (a `gc.collect()` after a
    plan of prod finds a handful of objects; its peak memory is 226 MB paused, 234 MB not); they are collected
    by the first collection after the pause, so a process that runs many commands in turn (the tests) stays
    bounded.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def output_path(path: str, option: str) -> Path:
    """A path the command will write to, checked before any work is done (the plan takes seconds)."""
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    problem = ""
    if not path.strip():
        problem = "is empty"
    elif target.is_dir():
        problem = "is a directory"
    elif not parent.is_dir():
        problem = f"is in a directory that does not exist ({parent})"
    elif target.exists() and not os.access(target, os.W_OK):
        problem = "is not writable (permission denied)"
    elif not target.exists() and not os.access(parent, os.W_OK | os.X_OK):
        problem = f"cannot be created: permission denied on {parent}"
    if problem:
        raise CommandError(f"{option} {path!r} {problem}; give a file path in a writable directory")
    return target


def write_output(target: Path, text: str, option: str) -> None:
    """Write a report to a path checked by `output_path` (a failure now still becomes one message)."""
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as err:
        raise CommandError(f"{option} {str(target)!r}: cannot write: {err.strerror or err}") from err


if getattr(getattr(sys.modules.get("__main__"), "__spec__", None), "name", None) in ENGINE_COMMANDS:
    exit_on_interrupt()
