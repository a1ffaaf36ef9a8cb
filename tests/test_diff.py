"""The PR diff: added, removed and changed resources, cost delta, policy delta, architecture diagram."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from offline.diagram import mermaid
from offline.diff import compare, diff_plans
from offline.engine import PROJECT_DIR, OfflineRun
from offline.plan import summarize


def _plan(resources: list[dict[str, Any]]) -> dict[str, Any]:
    component = {"type": "fintech:network:Network", "name": "fintech-dev", "resources": resources}
    return {"stack": "dev", "tier": "dev", "outputs": {}, "components": [component]}


def _nat(name: str, subnet: str = "s1") -> dict[str, Any]:
    return {"type": "aws:ec2/natGateway:NatGateway", "name": name, "urn": f"urn::{name}", "id": name,
            "inputs": {"subnetId": subnet}}  # fmt: skip


def test_diff_finds_added_removed_and_changed_with_cost_delta() -> None:
    base = _plan([_nat("a"), _nat("b")])
    head = _plan([_nat("a", "s2"), _nat("c")])
    added, removed, changed = diff_plans(base, head)
    assert [r["name"] for r in added] == ["c"]
    assert [r["name"] for r in removed] == ["b"]
    assert changed == [{"urn": "urn::a", "type": "aws:ec2/natGateway:NatGateway", "name": "a",
                        "properties": {"subnetId": {"before": "s1", "after": "s2"}}}]  # fmt: skip
    policy = {"summary": {"mandatoryViolations": 0}, "rules": {}}
    diff = compare({"stack": "dev", "plan": base, "policy": policy}, {"stack": "dev", "plan": head, "policy": policy})
    assert diff.cost["baselineDelta"] == 0.0  # one NAT replaced by another
    grown = compare({"stack": "dev", "plan": base, "policy": policy},
                    {"stack": "dev", "plan": _plan([_nat("a"), _nat("b"), _nat("c")]), "policy": policy})  # fmt: skip
    assert grown.cost["baselineDelta"] > 32  # a NAT gateway is 0.045 x 730 a month plus its share of data


def test_diagram_draws_components_and_their_dependencies(prod_run: OfflineRun) -> None:
    diagram = mermaid(summarize(prod_run))
    assert diagram.startswith("flowchart LR")
    for edge in ("internet -->|HTTPS| edge", "network --> aurora", "eks --> aurora", "kms -.-> aurora",
                 "aurora --> workload_payments", "kafka --> workload_ledger", "aurora --> backup"):  # fmt: skip
        assert edge in diagram
    assert "workload_validator[workload:validator]" in diagram


def test_diff_between_two_revisions_of_a_checkout(tmp_path: Path) -> None:
    """A real base revision in a git worktree against a changed working tree."""
    repo = tmp_path / "repo"
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in files.splitlines():
        source = PROJECT_DIR / name
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(source.readlink())
        elif source.exists():
            shutil.copy2(source, target)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    stack_file = repo / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text() + "  fintech-platform:natStrategy: one-per-az\n")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=repo, check=True)
    stack_file.write_text(stack_file.read_text().replace("natStrategy: one-per-az", "natStrategy: single")
                          + "  fintech-platform:interfaceEndpoints: \"true\"\n"
                          + "  fintech-platform:interfaceEndpointZones: \"3\"\n")  # fmt: skip
    command = [sys.executable, "-m", "offline.diff", "--base", "HEAD", "--stack", "dev", "--format", "json"]
    result = subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    (diff,) = json.loads(result.stdout)["stacks"]
    assert {r["type"] for r in diff["removed"]} == {"aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip"}
    assert "aws:ec2/vpcEndpoint:VpcEndpoint" in {r["type"] for r in diff["added"]}
    changed = {r["name"]: r["properties"] for r in diff["changed"]}
    assert "natGatewayId" in changed["fintech-dev-private-1-internet"]
    assert diff["cost"]["components"]["network"]["baselineDelta"] > 0  # 4 endpoints x 3 zones outweigh 2 NATs
    assert diff["policy"]["baseAvailable"] is True


def test_a_stack_the_change_deletes_is_shown_removed_with_its_cost(monkeypatch: Any, capsys: Any) -> None:
    """Issue 23: a PR that deletes Pulumi.prod-dr.yaml lists prod-dr as removed, every resource and its cost."""
    from offline import diff as diff_module

    policy = {"summary": {"mandatoryViolations": 0}, "rules": {}}
    base = {stack: {"stack": stack, "plan": {**_plan([_nat("a"), _nat("b")]), "stack": stack}, "policy": policy}
            for stack in ("dev", "prod-dr")}  # fmt: skip
    monkeypatch.setattr(diff_module, "known_stacks", lambda: ["dev"])
    monkeypatch.setattr(diff_module, "check_stack_file", lambda *_: None)
    monkeypatch.setattr(diff_module, "resolve_base", lambda revision: "0" * 40)
    monkeypatch.setattr(diff_module, "stacks_at", lambda commit: ["dev", "prod-dr"])
    monkeypatch.setattr(diff_module, "base_snapshots", lambda commit, stacks: {s: base[s] for s in stacks})
    monkeypatch.setattr(diff_module, "snapshot", lambda stack: base[stack])
    assert diff_module.main(["--format", "json"]) == 0
    report = {d["stack"]: d for d in json.loads(capsys.readouterr().out)["stacks"]}
    assert report["dev"]["removed"] == [] and not report["dev"]["stack_removed"]
    gone = report["prod-dr"]
    assert gone["stack_removed"] and [r["name"] for r in gone["removed"]] == ["a", "b"]
    assert gone["cost"]["baselineAfter"] == 0 and gone["cost"]["baselineDelta"] < -64
    markdown = diff_module.render_markdown(
        [compare(base["prod-dr"], diff_module.removed_snapshot("prod-dr"))], {"prod-dr": base["prod-dr"]}, "main"
    )
    assert "0 added, 0 changed, 2 removed" in markdown


def test_the_repository_lists_its_stacks_at_a_commit() -> None:
    from offline.diff import stacks_at

    assert {"dev", "prod", "prod-dr"} <= set(stacks_at("HEAD"))


def test_a_base_plan_without_urns_is_diffed_by_type_and_name() -> None:
    """The first commits' plans carry no 'urn' (offline.diff against them crashed with KeyError 'urn')."""
    old = [{k: v for k, v in _nat(name).items() if k != "urn"} for name in ("a", "b")]
    added, removed, _ = diff_plans(_plan(old), _plan([_nat("a")]))
    assert [r["name"] for r in removed] == ["b"] and added == []
