"""The exceptions register (policies/waivers.py): a waiver suppresses exactly its resources and is listed in every
report; expired, stale and malformed entries are errors; the pack on a real preview drops the same violations; the
evidence bundle's manifest matches its files and a bundle is never written over nor half-written."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from offline import audit as offline_audit
from offline.audit import evaluate, main, render_markdown, render_text, summary
from offline.engine import PROJECT_DIR
from offline.evidence import MANIFEST, verify_bundle, write_bundle
from policies.rules import ALL_RULES
from policies.waivers import WaiverError, WaiverRegister, levels, load_register, register_rules, stack_tiers, waived
from tests.conftest import offline_run

TODAY = dt.date(2027, 1, 15)
TIERS = stack_tiers(PROJECT_DIR)
LEVELS = levels(ALL_RULES)
STRICT_RETENTION = {**json.loads((PROJECT_DIR / "policies" / "config" / "dev.json").read_text()),
                    "log-retention": {"minDays": 400}}  # fmt: skip
"""A policy config under which every log group of dev violates log-retention (dev keeps 30 days)."""


def _entry(**changes: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "id": "W-1", "rule": "log-retention", "stacks": ["dev"], "resources": ["fintech-dev-flow-logs"],
        "reason": "flow logs are copied to the SIEM, which keeps them 13 months", "author": "ana@example.com",
        "approver": "sec-lead@example.com", "ticket": "SEC-42", "expires": "2027-03-31",
    }  # fmt: skip
    entry.update(changes)
    return {key: value for key, value in entry.items() if value is not None}


def _register(tmp_path: Path, *entries: dict[str, object], text: str | None = None) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(text if text is not None else json.dumps({"waivers": list(entries)}))
    return path


def _load(path: Path) -> WaiverRegister:
    return load_register(path, LEVELS, TIERS, today=TODAY)


def test_the_repository_register_is_valid() -> None:
    assert _load(PROJECT_DIR / "policies" / "waivers.yaml").waivers == ()


def test_a_waiver_suppresses_exactly_its_resources_and_is_listed(tmp_path: Path) -> None:
    run = offline_run("dev")
    groups = sorted(r.name for r in run.resources if r.type == "aws:cloudwatch/logGroup:LogGroup")
    waived_names = groups[:2]
    register = _load(_register(tmp_path, _entry(resources=waived_names)))
    assert register.unmatched("dev", (r.name for r in run.resources)) == []
    before = {r.name: r for r in evaluate(run, STRICT_RETENTION)}["log-retention"]
    after = {r.name: r for r in evaluate(run, STRICT_RETENTION, register)}["log-retention"]
    assert sorted(v["urn"].split("::")[-1] for v in before.violations) == groups
    assert sorted(w["urn"].split("::")[-1] for w in after.waived) == waived_names
    assert sorted(v["urn"].split("::")[-1] for v in after.violations) == groups[2:]
    assert {w["waiver"] for w in after.waived} == {"W-1"} and after.status == "fail"
    results = evaluate(run, STRICT_RETENTION, register)
    text = render_text("dev", results, register.for_stack("dev"))
    assert "Waivers in force in 'dev': 1" in text and "W-1: log-retention waived for " + ", ".join(waived_names) in text
    assert "W-1" in render_markdown("dev", results, register.for_stack("dev"))
    assert register.for_stack("prod") == []


def test_a_rule_whose_every_violation_is_waived_does_not_block(tmp_path: Path) -> None:
    run = offline_run("dev")
    groups = [r.name for r in run.resources if r.type == "aws:cloudwatch/logGroup:LogGroup"]
    register = _load(_register(tmp_path, _entry(resources=groups)))
    results = evaluate(run, STRICT_RETENTION, register)
    assert {r.name: r.status for r in results}["log-retention"] == "waived"
    assert summary(results)["mandatoryViolations"] == 0 and summary(results)["waived"] == 1


def test_the_pack_on_a_preview_drops_the_same_violations(tmp_path: Path) -> None:
    run = offline_run("dev")
    register = _load(_register(tmp_path, _entry(resources=["fintech-dev-flow-logs"])))
    rule = next(r for r in ALL_RULES if r.name == "log-retention")
    views = offline_audit.views(run)
    kept = {v.name for v in views if waived(rule, register).evaluate(v, {"minDays": 400})}
    offline = {v["urn"].split("::")[-1] for v in
               {r.name: r for r in evaluate(run, STRICT_RETENTION, register)}["log-retention"].violations}  # fmt: skip
    assert kept == offline and "fintech-dev-flow-logs" not in kept
    stale, in_force = register_rules(_load(_register(tmp_path, _entry(resources=["no-such-resource"]))))
    assert stale.evaluate_stack(views, {}) and "no-such-resource" in stale.evaluate_stack(views, {})[0][1]
    assert in_force.evaluate_stack(views, {})[0][1].startswith("waiver in force: W-1")


@pytest.mark.parametrize(
    ("entry", "text", "message"),
    [
        (None, "waivers: [\n  - id: W-1\n  rule: x", "is not valid YAML at line"),
        (None, "- just a list", "one key `waivers`"),
        (_entry(rule="log-retentoin"), None, "entry 1 (W-1): rule 'log-retentoin' is not a rule of the pack"),
        (_entry(stacks=["staging"]), None, "entry 1 (W-1): stack(s) staging unknown"),
        (_entry(expires="2027-01-14"), None, "entry 1 (W-1): expired on 2027-01-14"),
        (_entry(expires="next week"), None, "entry 1 (W-1): expires 'next week' is not a date"),
        (_entry(reason=None), None, "entry 1 (W-1): missing reason"),
        (_entry(reason="  "), None, "entry 1 (W-1): reason must be a non-empty string"),
        (_entry(resources=[]), None, "entry 1 (W-1): resources must be a non-empty list"),
        (_entry(owner="x"), None, "entry 1 (W-1): unknown field(s) owner"),
        (_entry(stacks=["prod"], approver="Ana@example.com"), None,
         "waives mandatory rule 'log-retention' in a prod-tier stack (prod): the approver must be someone other"),
    ],
)  # fmt: skip
def test_a_bad_register_names_the_entry(tmp_path: Path, entry: dict[str, object] | None, text: str | None,
                                        message: str) -> None:  # fmt: skip
    path = _register(tmp_path, *([entry] if entry else []), text=text)
    with pytest.raises(WaiverError) as caught:
        _load(path)
    assert message in str(caught.value)


def test_a_self_approved_waiver_is_accepted_in_dev_and_for_advisory_rules(tmp_path: Path) -> None:
    assert _load(_register(tmp_path, _entry(approver="ana@example.com"))).waivers
    advisory = _entry(rule="instance-classes-in-tier", stacks=["prod"], approver="ana@example.com")
    assert LEVELS["instance-classes-in-tier"] == "advisory" and _load(_register(tmp_path, advisory)).waivers


def test_an_expired_waiver_fails_the_audit_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expired = _entry(expires=(dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)).isoformat())
    assert main(["dev", "--waivers", str(_register(tmp_path, expired))]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and "entry 1 (W-1): expired on" in error and "Traceback" not in error


def test_a_waiver_naming_a_missing_resource_is_stale(tmp_path: Path) -> None:
    register = _load(_register(tmp_path, _entry(resources=["fintech-dev-flow-logs", "fintech-dev-old-bucket"])))
    problems = register.unmatched("dev", (r.name for r in offline_run("dev").resources))
    assert problems == ["waiver W-1 (log-retention) names resource 'fintech-dev-old-bucket', which stack dev does "
                        "not have: remove the entry or correct the name"]  # fmt: skip


def test_the_evidence_bundle_manifest_matches_and_nothing_is_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "evidence"
    assert main(["dev", "--evidence", str(target), "--output", str(tmp_path / "report.txt")]) == 0
    files = sorted(p.name for p in target.iterdir())
    assert files == sorted(["plan.json", "plan-digest.json", "rule-results.json", "coverage-matrix.json",
                            "coverage-matrix.md", "waivers.json", "provenance.json", MANIFEST])  # fmt: skip
    assert verify_bundle(target) == []
    digest = json.loads((target / "plan-digest.json").read_text())
    assert digest["sha256"] == json.loads((target / MANIFEST).read_text())["files"]["plan.json"]["sha256"]
    results = json.loads((target / "rule-results.json").read_text())
    assert results["pciDssVersion"] == "4.0.1"
    assert all(rule["pci_requirements"] for rule in results["rules"])
    assert json.loads((target / "provenance.json").read_text())["policyPack"]["version"] == "1.1.0"
    (target / "waivers.json").write_text("[]\n ")
    assert verify_bundle(target) == ["waivers.json: SHA-256 differs from the manifest"]
    assert main(["dev", "--evidence", str(target)]) == 2
    assert "is not empty" in capsys.readouterr().err


def test_a_failed_bundle_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "bundle"

    def broken(self: Path, data: bytes) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", broken)
    with pytest.raises(OSError):
        write_bundle(target, {"a.json": b"{}"})
    assert list(tmp_path.iterdir()) == []
