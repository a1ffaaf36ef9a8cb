"""The offline plan command, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pulumi.runtime import rpc

from offline.engine import PROJECT_DIR, OfflineRun, stack_config
from offline.plan import main, redact, summarize


def _plan(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m offline.plan ARGS` in a new process: the boundary (exit status, stderr, no traceback)."""
    return subprocess.run(
        [sys.executable, "-m", "offline.plan", *args], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120
    )


def _plan_here(capsys: pytest.CaptureFixture[str], *args: str) -> subprocess.CompletedProcess[str]:
    """The same command's `main` in this process (the SDK is imported once per test session, not per case)."""
    status = main(list(args))
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(["offline.plan", *args], status, captured.out, captured.err)


def test_text_plan_groups_resources_by_component(capsys: pytest.CaptureFixture[str]) -> None:
    result = _plan_here(capsys, "dev", "--resources")
    assert result.returncode == 0, result.stderr
    assert "Offline plan of stack 'dev' (project fintech-platform): tier dev, region us-east-1" in result.stdout
    assert "fintech:network:Network fintech-dev (39 resources)" in result.stdout
    assert "fintech:kms:PlatformKeys fintech-dev (10 resources)" in result.stdout
    assert "fintech:aurora:AuroraPostgres fintech-dev" in result.stdout
    assert "fintech:cache:Cache fintech-dev" in result.stdout
    assert "fintech:kafka:KafkaCluster fintech-dev" in result.stdout
    assert "aws:ec2/natGateway:NatGateway x1" in result.stdout
    assert "enableKeyRotation=true" in result.stdout


def test_json_plan_counts_match_the_run(tmp_path: Path, prod_run: OfflineRun,
                                       capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    target = tmp_path / "plan.json"
    result = _plan_here(capsys, "prod", "--json", str(target))
    assert result.returncode == 0, result.stderr
    plan = json.loads(target.read_text())
    assert plan["counts"]["resources"] == len(prod_run.resources)
    assert plan["counts"]["byType"]["aws:ec2/natGateway:NatGateway"] == 3
    assert {c["type"] for c in plan["components"]} == {
        "(stack)", "fintech:kms:PlatformKeys", "fintech:network:Network", "fintech:alerts:AlarmTopic",
        "fintech:continuous_compliance:ContinuousCompliance",
        "fintech:aurora:AuroraPostgres", "fintech:cache:Cache",
        "fintech:kafka:KafkaCluster", "fintech:backup:BackupPlan", "fintech:eks:EksCluster", "fintech:edge:Edge",
        "fintech:addons:ClusterAddons", "fintech:workload:Workload", "fintech:audit_trail:AuditTrail",
        "fintech:threat_detection:ThreatDetection", "fintech:kafka:KafkaTopics", "fintech:aurora:DatabaseUsers",
        "fintech:ci:CiRunner", "fintech:cert_manager:CertManager", "fintech:secrets:AppSecrets",
        "fintech:dns:FailoverRecord", "fintech:ecr:RegistryReplication", "fintech:region-switch:RegionSwitchPlan",
        "fintech:region-switch:RegionSwitchActions",
        "fintech:metrics:MetricsWorkspace",
        "fintech:metrics:MetricsCollection", "fintech:secret_rotation:DatabaseSecretRotation",
        "fintech:traces:TraceEncryption",
    }  # fmt: skip


def test_config_error_prints_the_message_without_a_traceback() -> None:
    result = _plan("prod", "--config", "natStrategy=single")
    assert result.returncode == 2
    assert "fintech-platform:natStrategy = 'single' is not allowed for tier 'prod'" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""


def test_unknown_stack_is_refused_by_the_command() -> None:
    result = _plan("staging")
    assert result.returncode == 2
    assert "invalid choice: 'staging'" in result.stderr


def test_secrets_and_unknowns_never_reach_the_plan() -> None:
    value = {"password": rpc.wrap_rpc_secret("hunter2"), "list": [rpc.wrap_rpc_secret(1)], "later": rpc.UNKNOWN}
    assert redact(value) == {"password": "[secret]", "list": ["[secret]"], "later": "[unknown]"}


def test_encrypted_stack_values_stay_secret_offline(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    (tmp_path / "Pulumi.demo.yaml").write_text(
        "config:\n  fintech-platform:owner:\n    secure: AAABAKDPmHvZ\n  fintech-platform:tier: dev\n"
    )
    config, secret_keys = stack_config("demo", project_dir=tmp_path)
    assert secret_keys == ["fintech-platform:owner"]
    assert "AAABAKDPmHvZ" not in json.dumps(config)


def test_summary_shows_no_secret_placeholder(stack_run: OfflineRun) -> None:
    assert "offline-placeholder-secret" not in json.dumps(summarize(stack_run))


def test_the_program_also_runs_in_preview_mode() -> None:
    from offline.engine import run_stack

    for stack in ("dev", "prod"):
        run = run_stack(stack, preview=True)
        assert run.error is None, run.error
        assert len(run.resources) > 150


def test_json_plan_carries_the_cost_against_budget(capsys: pytest.CaptureFixture[str]) -> None:
    result = _plan_here(capsys, "dev", "--json", "-")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["cost"]["budget"] == 400
    assert 0 < plan["cost"]["baseline"] <= plan["cost"]["peak"]
    assert plan["cost"]["overBudget"] is (plan["cost"]["baseline"] > 400)
