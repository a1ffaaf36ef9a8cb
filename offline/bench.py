"""Benchmark: how much longer the offline plan of a stack takes than importing the Pulumi SDK modules it uses.

    .venv/bin/python -m offline.bench prod              # 5 rounds, prints the ratio
    .venv/bin/python -m offline.bench dev --rounds 9

A plan cannot be faster than loading the SDK classes the program registers (pulumi_aws alone is ~940 modules
for prod), so the benchmark divides the time of the whole command `python -m offline.plan STACK` by the time
of a fresh Python that imports exactly the SDK modules that plan imports (packages `pulumi` and `pulumi_*`,
in the order the plan loaded them). Everything else - the project's own modules, pydantic, reading the stack
and price files, registering the resources under the mock engine, pricing and printing - is the overhead
the ratio shows; 1.0 would be a plan that costs nothing but its imports.

Each round starts both as new processes (no warm module cache inside Python; the OS file cache is warm after
the first round) and measures CPU time (user + system, from the kernel's accounting of the child) and wall
time. The machine is shared, so wall time varies with load; CPU time does much less. The medians of the
rounds are printed; the ratio of CPU times is the figure to compare. Nothing here is asserted by a unit test:
figures of speed live in this benchmark, not as wall-clock bounds in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

from offline.cli import CommandError, run
from offline.engine import PROJECT_DIR, known_stacks

SDK_PACKAGES = ("pulumi",)
"""Top-level packages counted as the SDK: `pulumi` and every `pulumi_*` provider SDK."""

_LIST_MODULES = """
import contextlib, io, json, sys
from offline import plan
with contextlib.redirect_stdout(io.StringIO()):
    status = plan.main([sys.argv[1]])
names = [name for name, module in sys.modules.items() if (name.split(".")[0] == "pulumi" or name.startswith("pulumi_"))
         and type(module).__name__ != "_LazyModule"]  # a lazily registered module the plan never touched
print(json.dumps({"status": status, "modules": names}))
"""

_IMPORT_MODULES = """
import gc, importlib, json, sys
if sys.argv[1:] == ["--collector-paused"]:
    gc.disable()
wanted = json.loads(sys.stdin.read())
for name in wanted:
    module = sys.modules.get(name)
    if module is None:
        importlib.import_module(name)
    else:
        # The provider SDKs register their submodules lazily (pulumi._utils.lazy_import): any attribute
        # access runs the module's code, once. (Importing such a name again would load it a second time.)
        getattr(module, "_offline_bench_probe", None)
loaded = [name for name, module in sys.modules.items() if (name.split(".")[0] == "pulumi" or name.startswith("pulumi_"))
          and type(module).__name__ != "_LazyModule"]
sys.stderr.write(json.dumps(sorted(set(loaded) ^ set(wanted))))
"""


@dataclass(frozen=True)
class Sample:
    """CPU (user + system) and wall seconds of one child process."""

    cpu: float
    wall: float


def _timed(command: list[str], stdin: str | None = None) -> tuple[Sample, str]:
    """Run a child process with its output discarded; raise when it fails. Returns its sample and stderr."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, cwd=PROJECT_DIR, input=stdin, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, check=False)  # fmt: skip
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise CommandError(f"{' '.join(command)} failed (exit {result.returncode}): {result.stderr.strip()}", 1)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Sample(cpu=cpu, wall=wall), result.stderr


def sdk_modules(stack: str) -> list[str]:
    """The SDK modules the plan of `stack` imports, in the order it imported them."""
    result = subprocess.run([sys.executable, "-c", _LIST_MODULES, stack], cwd=PROJECT_DIR, capture_output=True,
                            text=True, check=False)  # fmt: skip
    if result.returncode != 0:
        raise CommandError(f"the plan of {stack} failed: {result.stderr.strip()}", 1)
    found = json.loads(result.stdout.strip().splitlines()[-1])
    if found["status"] != 0:
        raise CommandError(f"the plan of {stack} exited {found['status']}", 1)
    modules: list[str] = found["modules"]
    return modules


def _imports(payload: str, collector_paused: bool) -> Sample:
    command = [sys.executable, "-c", _IMPORT_MODULES, *(["--collector-paused"] if collector_paused else [])]
    sample, differences = _timed(command, stdin=payload)
    if json.loads(differences):
        raise CommandError(f"the import benchmark loaded other SDK modules than the plan: {differences}", 1)
    return sample


def measure(stack: str, rounds: int) -> tuple[dict[str, list[Sample]], int]:
    """`rounds` interleaved samples of: the SDK imports, the same with the garbage collector paused, and the
    plan; and the number of SDK modules."""
    modules = sdk_modules(stack)
    payload = json.dumps(modules)
    samples: dict[str, list[Sample]] = {"imports": [], "imports, collector paused": [], "plan": []}
    for _ in range(rounds):
        samples["imports"].append(_imports(payload, collector_paused=False))
        samples["imports, collector paused"].append(_imports(payload, collector_paused=True))
        samples["plan"].append(_timed([sys.executable, "-m", "offline.plan", stack])[0])
    return samples, len(modules)


def _median(samples: list[Sample], field: str) -> float:
    return float(statistics.median(getattr(sample, field) for sample in samples))


def report(stack: str, samples: dict[str, list[Sample]], module_count: int) -> str:
    """The medians and ratios as text."""
    plan, imports, paused = samples["plan"], samples["imports"], samples["imports, collector paused"]
    rows = [
        f"Offline plan of {stack} against importing the {module_count} SDK modules it uses "
        f"(median of {len(plan)} rounds, new processes each):",
        f"  {'':<40}{'cpu (user+sys)':>16}{'wall':>10}",
    ]
    for label, series in (("SDK imports", imports), ("SDK imports, garbage collector paused", paused),
                          ("plan (python -m offline.plan)", plan)):  # fmt: skip
        rows.append(f"  {label:<40}{_median(series, 'cpu'):>14.2f} s{_median(series, 'wall'):>8.2f} s")
    for label, series in (("ratio plan / imports", imports), ("ratio plan / imports, collector paused", paused)):
        cpu = _median(plan, "cpu") / _median(series, "cpu")
        wall = _median(plan, "wall") / _median(series, "wall")
        rows.append(f"  {label:<40}{cpu:>16.2f}{wall:>10.2f}")
    rows += [
        "The plan pauses Python's garbage collector while it runs (offline.cli.collector_paused), and most SDK",
        "modules load during that pause: the second ratio compares like with like (the stricter figure).",
        f"Load average at the end: {' '.join(f'{load:.2f}' for load in os.getloadavg())} on {os.cpu_count()} "
        "CPUs (wall time is only comparable on an idle machine; compare CPU time).",
    ]
    return "\n".join(rows)


def _main(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("stack", nargs="?", default="prod", choices=known_stacks(), help="stack to plan (prod)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of both measurements; medians (5)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        raise CommandError(f"--rounds {args.rounds}: give 1 or more")
    samples, count = measure(args.stack, args.rounds)
    print(report(args.stack, samples, count))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m offline.bench` (exit status: see offline/cli.py)."""
    return run(_main, argv)


if __name__ == "__main__":
    sys.exit(main())
