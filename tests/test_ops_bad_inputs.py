"""Bad input and faults for every `ops` command: each ends in one clear message and the documented exit
code (2: the command cannot or must not run; 1: a check failed), never in a traceback.

Each case runs `python -m ops` in-process (an exception escaping main() fails the test as a traceback
would); the credential and endpoint cases also run as a real process.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from moto.core import set_initial_no_auth_action_count

from offline.engine import PROJECT_DIR
from ops import common
from ops.__main__ import main
from tests.helpers import isolate_aws_credentials

COMMANDS = ("preflight", "audit", "dr-drill", "verify")
PINNED = "111122223333"
"""The prod stack's pinned account (Pulumi.prod.yaml)."""


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Case:
    """One bad input: the arguments after the command, the environment, the exit code and the words expected."""

    name: str
    args: tuple[str, ...]
    exit_code: int
    words: tuple[str, ...]
    setup: str = "moto"
    """moto: a moto account (MOTO_ACCOUNT_ID from `account`); none: no AWS at all; iam: moto enforcing IAM."""
    account: str = PINNED
    env: dict[str, str] = field(default_factory=dict)
    commands: tuple[str, ...] = COMMANDS


CLOSED = _closed_port()
CASES = (
    Case("unknown stack", ("--stack", "staging-x"), 2, ("invalid choice: 'staging-x'", "choose from")),
    Case("missing stack", (), 2, ("the following arguments are required: --stack",)),
    Case("broken stack file", ("--stack", "broken"), 2, ("Pulumi.broken.yaml cannot be read", "while parsing")),
    Case("stack file of the wrong shape", ("--stack", "listy"), 2, ("Pulumi.listy.yaml is not a stack file",)),
    Case("invalid value in the stack file", ("--stack", "badregion"), 2, ("fintech-platform:region", "'mars-1'")),
    Case("unknown key in the stack file", ("--stack", "typo"), 2, ("fintech-platform:nodeMaxx", "nodeMax")),
    Case("no AWS credentials", ("--stack", "prod"), 2, ("no usable AWS credentials", "AWS_PROFILE"), setup="none"),
    Case("unreachable endpoint", ("--stack", "prod", "--endpoint-url", f"http://127.0.0.1:{CLOSED}"), 2,
         (f"cannot reach http://127.0.0.1:{CLOSED}",), setup="none", env={"AWS_ACCESS_KEY_ID": "testing",
                                                                         "AWS_SECRET_ACCESS_KEY": "testing"}),
    Case("malformed endpoint", ("--stack", "prod", "--endpoint-url", "not a url"), 2,
         ("--endpoint-url 'not a url'", "Invalid endpoint"), setup="none",
         env={"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}),
    Case("another account than the pinned one", ("--stack", "prod"), 2,
         ("pinned to account 111122223333", "belong to account 999988887777", "fintech-platform:accountId"),
         account="999988887777"),
    Case("access denied", ("--stack", "prod"), 2, ("access denied: the credentials in use may not call",),
         setup="iam", commands=("preflight", "audit", "dr-drill")),
    # Under IAM enforcement moto refuses the signature of EKS's REST calls before it judges the permission
    Case("access denied", ("--stack", "prod"), 2, ("AWS rejected the credentials in use (SignatureDoesNotMatch",),
         setup="iam", commands=("verify",)),
    Case("credentials AWS does not know", ("--stack", "prod"), 2, ("AWS rejected the credentials in use",),
         setup="iam-unknown-key"),
    Case("dr-drill of a stack that pins no account", ("--stack", "dev"), 2,
         ("stack 'dev' pins no account", "fintech-platform:accountId is empty", "123456789012"),
         account="123456789012", commands=("dr-drill",)),
    Case("broken policy config", ("--stack", "policytypo"), 2, ("policy config policytypo.json cannot be read",),
         commands=("audit",)),
    Case("policy config of the wrong shape", ("--stack", "policylist"), 2,
         ("policy config policylist.json cannot be read", "must be an object"), commands=("audit",)),
    Case("dr-drill timeout that is not a number", ("--stack", "prod", "--timeout", "soon"), 2,
         ("argument --timeout: 'soon' is not a number of seconds",), commands=("dr-drill",)),
)  # fmt: skip
STACK_FILES = {
    "broken": "config:\n  fintech-platform:tier: [dev\n",
    "listy": "- just\n- a list\n",
    "badregion": "config:\n  fintech-platform:region: mars-1\n",
    "typo": "config:\n  fintech-platform:nodeMaxx: 4\n",
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the project's stack files plus the broken ones, as the directory ops reads."""
    for path in PROJECT_DIR.glob("Pulumi*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    for stack, text in STACK_FILES.items():
        (tmp_path / f"Pulumi.{stack}.yaml").write_text(text)
    (tmp_path / "policies" / "config").mkdir(parents=True)
    for stack, text in {"policytypo": '{"log-retention": {"minDays": 30,}}', "policylist": '["log-retention"]'}.items():
        # a copy of dev: a copy of prod would name prod-dr as its standby, which pairs with prod only (issue 23)
        shutil.copy(PROJECT_DIR / "Pulumi.dev.yaml", tmp_path / f"Pulumi.{stack}.yaml")
        (tmp_path / "policies" / "config" / f"{stack}.json").write_text(text)
    monkeypatch.setattr(common, "PROJECT_DIR", tmp_path)
    return tmp_path


def _with_aws(case: Case, monkeypatch: pytest.MonkeyPatch, run: Callable[[], int]) -> int:
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    if case.setup == "none":
        return run()
    monkeypatch.setenv("MOTO_ACCOUNT_ID", case.account)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        if case.setup == "moto":
            return run()
        if case.setup == "iam-unknown-key":
            return int(set_initial_no_auth_action_count(0)(run)())

        @set_initial_no_auth_action_count(3)
        def as_a_reader_of_nothing() -> int:
            iam = boto3.client("iam", region_name="us-east-1")
            iam.create_user(UserName="intern")
            iam.put_user_policy(UserName="intern", PolicyName="whoami", PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}]}))  # fmt: skip
            key = iam.create_access_key(UserName="intern")["AccessKey"]
            monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
            monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
            return run()

        return as_a_reader_of_nothing()


PARAMS = [pytest.param(case, command, id=f"{command}: {case.name}") for case in CASES for command in case.commands]


@pytest.mark.parametrize(("case", "command"), PARAMS)
def test_bad_input_ends_in_one_message_and_the_documented_exit_code(
    case: Case, command: str, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    isolate_aws_credentials(monkeypatch, tmp_path)

    def run() -> int:
        try:
            return main([command, *case.args])
        except SystemExit as exit_:  # argparse's usage errors
            return int(exit_.code or 0)

    code = _with_aws(case, monkeypatch, run)
    out, err = capsys.readouterr()
    assert code == case.exit_code, out + err
    assert "Traceback" not in out + err
    for word in case.words:
        assert word in err, err
    messages = [line for line in err.splitlines() if line.startswith(f"ops {command} ") or ": error: " in line]
    assert len(messages) == 1, err  # one message (argparse adds its usage lines)


def test_json_output_of_a_refusal_is_json(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    isolate_aws_credentials(monkeypatch, tmp_path)
    case = Case("wrong account", (), 2, (), account="999988887777")
    code = _with_aws(case, monkeypatch, lambda: main(["audit", "--stack", "prod", "--json"]))
    out, _ = capsys.readouterr()
    assert code == 2
    document = json.loads(out)
    assert document["exitCode"] == 2 and "belong to account 999988887777" in document["error"]


def test_a_dry_run_of_an_unpinned_stack_may_read(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    """The control of the dr-drill refusal: --dry-run changes nothing, so an unpinned stack may be read."""
    isolate_aws_credentials(monkeypatch, tmp_path)
    case = Case("dry run", (), 1, (), account="123456789012")
    code = _with_aws(case, monkeypatch, lambda: main(["dr-drill", "--stack", "dev", "--dry-run"]))
    out, _ = capsys.readouterr()
    assert code == 1 and "fintech-dev not found" in out  # ran, and found no cluster in the empty account


@pytest.fixture
def clean_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment |= {"AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_CONFIG_FILE": str(tmp_path / "none"),
                    "AWS_EC2_METADATA_DISABLED": "true"}  # fmt: skip
    yield environment


@pytest.mark.parametrize(("extra", "words"), [
    ({}, "no usable AWS credentials"),
    ({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}, f"cannot reach http://127.0.0.1:{CLOSED}"),
], ids=["no credentials", "closed port"])  # fmt: skip
def test_a_real_process_prints_no_traceback(clean_env: dict[str, str], extra: dict[str, str], words: str) -> None:
    command = [sys.executable, "-m", "ops", "verify", "--stack", "prod", "--endpoint-url", f"http://127.0.0.1:{CLOSED}"]
    result = subprocess.run(command, cwd=PROJECT_DIR, env=clean_env | extra, capture_output=True, text=True,
                            timeout=120)  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert words in result.stderr


@pytest.mark.parametrize(("code", "status", "exit_code", "words"), [
    ("AccessDeniedException", 403, 2, "access denied: the credentials in use may not call DescribeCluster"),
    ("ExpiredTokenException", 403, 2, "AWS rejected the credentials in use (ExpiredTokenException"),
    ("ThrottlingException", 400, 1, "AWS refused DescribeCluster: ThrottlingException"),
    ("404", 404, 2, "the AWS endpoint answered DescribeCluster with HTTP 404 and no AWS error"),
    ("403", 403, 2, "access denied: the credentials in use may not call DescribeCluster (AccessDenied: no)"),
])  # fmt: skip
def test_aws_errors_are_explained(code: str, status: int, exit_code: int, words: str) -> None:
    from botocore.exceptions import ClientError

    from ops.__main__ import explain

    message = {"404": "", "403": "<Error><Code>AccessDenied</Code><Message>no</Message></Error>"}.get(code, "no")
    error = ClientError({"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
                        "DescribeCluster")  # fmt: skip
    problem = explain(error, None)
    assert problem.exit_code == exit_code and words in str(problem)


def test_an_endpoint_that_is_not_aws_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    import functools
    import http.server
    import threading

    isolate_aws_credentials(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)  # answers every POST with 501
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        code = main(["audit", "--stack", "prod", "--endpoint-url", endpoint])
    finally:
        server.shutdown()
        server.server_close()
    _, err = capsys.readouterr()
    assert code == 2
    assert f"{endpoint} did not answer as AWS does (Unable to parse response" in err
    assert "Traceback" not in err
