"""AppSecrets for a region pair: every secret replicated to the standby region under the standby's key, and a
generated database credential stored as the JSON document RDS and Secrets Manager rotation expect, whose password
stays a Pulumi secret all the way to the caller."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest
from pulumi.runtime import rpc

from components.errors import InvalidArgumentError
from components.secrets import AppSecrets, AppSecretsArgs, GeneratedCredential, GeneratedSecret, ProvidedSecret
from offline.engine import OfflineRun, run_program
from tests.helpers import one

KEY = "arn:aws:kms:us-east-1:111122223333:key/primary"
DR_KEY = "arn:aws:kms:us-west-2:111122223333:key/standby"
SECRET = "aws:secretsmanager/secret:Secret"
VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
PASSWORD = "random:index/randomPassword:RandomPassword"


def _args(**changes: Any) -> AppSecretsArgs:
    values: dict[str, Any] = {"kms_key_arn": KEY, "account_id": "111122223333", **changes}
    return AppSecretsArgs(**values)


def _run(with_provided: bool = False, **changes: Any) -> OfflineRun:
    def program() -> None:
        provided = (
            {"partner-key": ProvidedSecret("partner", pulumi.Config().require_secret("k"))} if with_provided else {}
        )
        secrets = AppSecrets("fintech-prod", _args(provided=provided, **changes))
        for name, password in secrets.credential_passwords.items():
            pulumi.export(f"password-{name}", password)

    run = run_program(program, "unit", "unit", {"unit:k": "partner-value"}, ["unit:k"])
    assert run.error is None, run.error
    return run


def test_every_secret_is_replicated_to_the_standby_region_with_the_standby_key() -> None:
    run = _run(
        with_provided=True,
        generated={"api-key": GeneratedSecret("x")},
        credentials={"aurora-master": GeneratedCredential("Aurora master", "platform_admin")},
        replica_region="us-west-2",
        replica_kms_key_arn=DR_KEY,
    )
    secrets = run.of_type(SECRET)
    assert len(secrets) == 3
    for secret in secrets:
        assert secret.inputs["kmsKeyId"] == KEY
        assert secret.inputs["replicas"] == [{"region": "us-west-2", "kmsKeyId": DR_KEY}]
        assert secret.inputs["forceOverwriteReplicaSecret"] is False


def test_without_a_replica_region_nothing_is_replicated() -> None:
    secret = one(_run(generated={"api-key": GeneratedSecret("x")}), SECRET)
    assert "replicas" not in secret.inputs and "forceOverwriteReplicaSecret" not in secret.inputs


def test_a_credential_is_stored_as_username_password_json_and_stays_secret() -> None:
    run = _run(credentials={"aurora-master": GeneratedCredential("Aurora master", "platform_admin")})
    password = one(run, PASSWORD, "-aurora-master")
    assert (password.inputs["length"], password.inputs["special"]) == (40, False)
    secret = one(run, SECRET, "-aurora-master")
    assert secret.inputs["description"] == "Aurora master"
    version = one(run, VERSION, "-aurora-master").inputs["secretString"]
    assert rpc.is_rpc_secret(version)
    assert json.loads(rpc.unwrap_rpc_secret(version)) == {
        "username": "platform_admin",
        "password": password.outputs["result"],
    }
    exported = run.outputs["password-aurora-master"]
    assert rpc.is_rpc_secret(exported), "the password Output handed to the caller must be a Pulumi secret"
    assert rpc.unwrap_rpc_secret(exported) == password.outputs["result"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"replica_region": "us-west-2"}, "replica_region/replica_kms_key_arn: set both"),
        ({"replica_kms_key_arn": DR_KEY}, "replica_region/replica_kms_key_arn: set both"),
        ({"replica_region": "west", "replica_kms_key_arn": DR_KEY}, "replica_region: 'west' is not an AWS region"),
        (
            {"generated": {"db": GeneratedSecret("x")}, "credentials": {"db": GeneratedCredential("y", "admin")}},
            r"generated/credentials: \['db'\] named in both",
        ),
        (
            {
                "credentials": {"db": GeneratedCredential("y", "admin")},
                "provided": {"db": ProvidedSecret("x", pulumi.Output.secret("v"))},
            },
            r"provided/credentials: \['db'\] named in both",
        ),
        ({"credentials": {"db": GeneratedCredential("y", "1admin")}}, r"credentials\['db'\].username: '1admin'"),
        ({"credentials": {"db": GeneratedCredential("y", "a" * 17)}}, r"credentials\['db'\].username"),
        ({"credentials": {"db": GeneratedCredential("y", "ad-min")}}, r"credentials\['db'\].username: 'ad-min'"),
        ({"credentials": {"db": GeneratedCredential("y", "admin", length=64)}}, r"credentials\['db'\].length: 64"),
        ({"credentials": {"db": GeneratedCredential("y", "admin", length=16)}}, r"credentials\['db'\].length: 16"),
    ],
)
def test_bad_credential_and_replica_arguments_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        _args(**changes)
