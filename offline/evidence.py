"""The evidence bundle an assessor files: written whole into a new directory, with a manifest of SHA-256 hashes.

`python -m offline.audit STACK --evidence DIR` writes the plan-time side (plan_time_files below);
`python -m ops audit --stack S --evidence DIR` writes the live side (ops/evidence.py) with the same writer.

The directory must not exist or be empty (anything else is refused with exit 2: an assessor's earlier bundle is
never overwritten). The files are written into a temporary directory next to it and renamed into place in one
step, so an interrupted run leaves no half-written bundle under DIR. manifest.json lists every other file with its
SHA-256 and size; `verify_bundle(DIR)` recomputes them (an assessor can do the same with `sha256sum`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from offline.cli import CommandError
from offline.engine import PROJECT_DIR
from policies.pci import PCI_DSS_VERSION

if TYPE_CHECKING:
    from offline.audit import Audit

MANIFEST = "manifest.json"


def check_evidence_target(target: Path) -> None:
    """Refuse (CommandError, exit 2) a target that exists and is not an empty directory, or whose parent is missing."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        kind = "is not empty" if target.is_dir() else "exists and is not a directory"
        raise CommandError(f"--evidence {str(target)!r} {kind}; give a new (or empty) directory, an evidence bundle "
                           "is never overwritten")  # fmt: skip
    if not target.parent.is_dir():
        raise CommandError(f"--evidence {str(target)!r}: its parent directory {str(target.parent)!r} does not exist")


def sha256(data: bytes) -> str:
    """Hex SHA-256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def write_bundle(target: Path, files: Mapping[str, bytes]) -> dict[str, Any]:
    """Write `files` and their manifest into `target`, atomically (temporary directory, then one rename)."""
    check_evidence_target(target)
    manifest = {
        "generatedAt": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "algorithm": "SHA-256",
        "files": {name: {"sha256": sha256(data), "bytes": len(data)} for name, data in sorted(files.items())},
    }
    temporary = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        temporary.chmod(0o755)  # mkdtemp makes it private; the bundle is for others to read
        for name, data in files.items():
            (temporary / name).write_bytes(data)
        (temporary / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        if target.exists():
            target.rmdir()  # empty (checked above); rename cannot replace a directory on every platform
        os.replace(temporary, target)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return manifest


def verify_bundle(directory: Path) -> list[str]:
    """Problems of a bundle: files whose SHA-256 differs from the manifest, missing or unlisted files."""
    manifest = json.loads((directory / MANIFEST).read_text())
    listed = manifest["files"]
    problems = [f"{name}: missing" for name in listed if not (directory / name).is_file()]
    for name, entry in listed.items():
        path = directory / name
        if path.is_file() and sha256(path.read_bytes()) != entry["sha256"]:
            problems.append(f"{name}: SHA-256 differs from the manifest")
    problems += [f"{path.name}: not in the manifest" for path in directory.iterdir()
                 if path.name not in listed and path.name != MANIFEST]  # fmt: skip
    return problems


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, default=str) + "\n").encode()


def provenance(stack: str, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Commit of the working tree (and whether it has uncommitted changes), pack name and version, PCI DSS version."""

    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", *args], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=30,
                                  check=False)  # fmt: skip
        except OSError:
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""

    pack = yaml.safe_load((PROJECT_DIR / "policies" / "PulumiPolicy.yaml").read_text()) or {}
    return {
        "stack": stack,
        "commit": git("rev-parse", "HEAD") or "unknown (not a git checkout)",
        "uncommittedChanges": bool(git("status", "--porcelain")),
        "policyPack": {"name": "fintech-platform-baseline", "version": str(pack.get("version", ""))},
        "pciDssVersion": PCI_DSS_VERSION,
        **(extra or {}),
    }


def _shown(path: Path | None) -> str:
    """A path relative to the project when inside it (bundles do not carry the machine's directories)."""
    if path is None:
        return ""
    resolved = path.resolve()
    return str(resolved.relative_to(PROJECT_DIR)) if resolved.is_relative_to(PROJECT_DIR) else str(path)


def plan_time_files(done: Audit) -> dict[str, bytes]:
    """The plan-time side of the bundle: plan and its digest, rule results with requirement IDs, coverage matrix,
    waivers in force, provenance."""
    from offline.audit import report_json
    from offline.compliance import as_json, coverage, render
    from offline.plan import summarize

    plan = _json(summarize(done.run))
    inputs = {"policyConfig": _shown(done.policy_config_path), "waiverRegister": _shown(Path(done.register.source))}
    rows = coverage()
    report = report_json(done)
    return {
        "plan.json": plan,
        "plan-digest.json": _json(
            {"stack": done.stack, "sha256": sha256(plan), "of": "plan.json", "resources": len(done.run.resources)}
        ),
        "rule-results.json": _json({k: v for k, v in report.items() if k != "waivers"}),
        "coverage-matrix.json": _json(as_json(rows)),
        "coverage-matrix.md": render(rows).encode(),
        "waivers.json": _json(report["waivers"]),
        "provenance.json": _json(provenance(done.stack, inputs)),
    }
