"""PCI DSS v4.0.1 coverage: the pack reports v4.0.1, every citation is a defined requirement, every requirement in
scope is proved by code or explained, and docs/pci-coverage.md is what offline/compliance.py generates."""

from __future__ import annotations

from dataclasses import replace

from components.conformance_pack import MANAGED_RULES
from offline.compliance import DOCUMENT, OPS_CHECKS, counts, coverage, render
from offline.engine import PROJECT_DIR
from policies.pci import BY_ID, PCI_DSS_VERSION, REQUIREMENTS
from policies.rules import ALL_RULES


def test_the_pack_reports_pci_dss_4_0_1_with_every_requirement_of_each_rule() -> None:
    assert PCI_DSS_VERSION == "4.0.1"
    for rule in ALL_RULES:
        framework = rule.to_policy().framework
        assert framework is not None and framework.name == "PCI DSS" and framework.version == "4.0.1"
        assert framework.reference == ", ".join(rule.pci_requirements)


def test_every_citation_is_a_defined_requirement_in_scope() -> None:
    unknown = {(rule.name, r) for rule in ALL_RULES for r in rule.pci_requirements if r not in BY_ID}
    unknown |= {(m.name, r) for m in MANAGED_RULES for r in m.pci if r not in BY_ID}
    unknown |= {(check, r) for check, ids in OPS_CHECKS.items() for r in ids if r not in BY_ID}
    assert unknown == set()


def test_the_catalogue_is_the_210_defined_requirements_in_scope() -> None:
    ids = [r.id for r in REQUIREMENTS]
    assert len(ids) == len(set(ids)) == 210  # 250 defined requirements less 12 of Req. 5 and 28 of Req. 9
    assert {r.principal for r in REQUIREMENTS} == {1, 2, 3, 4, 6, 7, 8, 10, 11, 12}


def test_every_requirement_is_proved_or_explained() -> None:
    rows = coverage()
    assert [row.id for row in rows if row.status == "procedural" and not row.reason] == []
    assert all(row.rules for row in rows if row.status == "plan")
    assert all(row.live and not row.rules for row in rows if row.status == "live")


def test_the_matrix_follows_the_rules_metadata() -> None:
    rules = [replace(rule, pci_also=()) if rule.name == "kms-key-rotation" else rule for rule in ALL_RULES]
    rules = [rule for rule in rules if rule.name != "kms-key-rotation"]
    row = next(row for row in coverage(rules) if row.id == "3.7.4")
    assert row.status == "live" and row.live == [
        "config:cmk-backing-key-rotation-enabled",
        "ops:kms-key-rotation-status",
    ]
    assert "kms-key-rotation" in next(row for row in coverage() if row.id == "3.7.4").rules


def test_the_coverage_document_is_current() -> None:
    rows = coverage()
    assert DOCUMENT.read_text() == render(rows), "run `python -m offline.compliance --write`"
    total = counts(rows)
    assert sum(total.values()) == 210 and total["plan"] > 50


def test_every_live_check_of_the_matrix_is_a_check_of_ops_audit() -> None:
    sources = "".join((PROJECT_DIR / "ops" / name).read_text() for name in ("live_audit.py", "evidence.py"))
    assert [check for check in OPS_CHECKS if f'"{check}"' not in sources] == []
