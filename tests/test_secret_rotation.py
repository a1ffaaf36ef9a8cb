"""Rotation of the Aurora master credential (issue 20.8, components/secret_rotation.py and the rotated credential of
components/secrets.py), on the stacks' offline plans: what the rotation function reads, the network path, the create
order, what Pulumi leaves to rotation, and the alarms. The rotation itself runs only in AWS (see docs/day2.md)."""

from __future__ import annotations

import json
import shlex
import string
import urllib.parse
from typing import Any

import pulumi
import pytest
from pulumi.runtime import rpc

from components.errors import InvalidArgumentError
from components.secret_rotation import (
    PASSWORD_EXCLUDED_CHARACTERS,
    ROTATION_APPLICATION_VERSION,
    DatabaseSecretRotationArgs,
    rotation_application_id,
    rotation_failed_pattern,
    rotation_function_arn,
)
from components.secrets import CONNECTION_KEYS, ROTATED_STAGE, AppSecrets, AppSecretsArgs, GeneratedCredential
from offline.engine import OfflineRun, Registration, run_program
from tests.conftest import offline_run

CLUSTER = "aws:rds/cluster:Cluster"
VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
APPLICATION = "aws:serverlessrepository/cloudFormationStack:CloudFormationStack"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"


def _named(run: OfflineRun, type_token: str, name: str) -> Registration:
    (found,) = [r for r in run.of_type(type_token) if r.name == name]
    return found


def _urn(run: OfflineRun, type_token: str, name: str) -> str:
    return _named(run, type_token, name).urn


def test_the_first_version_holds_what_the_rotation_function_connects_with() -> None:
    run = offline_run("prod")
    version = _named(run, VERSION, "fintech-prod-aurora-master-first")
    assert rpc.is_rpc_secret(version.inputs["secretString"])
    document = json.loads(rpc.unwrap_rpc_secret(version.inputs["secretString"]))
    cluster = _named(run, CLUSTER, "fintech-prod-cluster")
    assert document == {
        "engine": "postgres",
        "host": cluster.outputs["endpoint"],  # this cluster's writer endpoint, reachable from the function's VPC
        "port": 5432,
        "dbname": "platform",
        "ssl": True,  # TLS with the host name verified, no fallback to plaintext
        "username": "platform_admin",
        "password": rpc.unwrap_rpc_secret(cluster.inputs["masterPasswordWo"]),
    }
    assert set(document) == {"username", "password", *CONNECTION_KEYS}
    # the value comes after the cluster it describes; the password it holds is the cluster's first one
    assert cluster.urn in version.property_dependencies["secretString"]


def test_pulumi_leaves_the_value_to_rotation_and_keeps_its_own_version() -> None:
    run = offline_run("prod")
    version = _named(run, VERSION, "fintech-prod-aurora-master-first")
    assert set(version.ignore_changes) == {"secretString", "versionStages"}
    assert version.inputs["versionStages"] == ["AWSCURRENT", ROTATED_STAGE]
    # the write-only input stays the first password: sent on create only
    cluster = _named(run, CLUSTER, "fintech-prod-cluster")
    assert cluster.inputs["masterPasswordWoVersion"] == 1


def test_the_function_is_awss_pinned_application_in_the_private_subnets() -> None:
    run = offline_run("prod")
    application = _named(run, APPLICATION, "fintech-prod-rotation")
    assert application.inputs["applicationId"] == rotation_application_id()
    assert application.inputs["applicationId"].endswith(":applications/SecretsManagerRDSPostgreSQLRotationSingleUser")
    assert application.inputs["semanticVersion"] == ROTATION_APPLICATION_VERSION
    assert set(application.inputs["capabilities"]) == {"CAPABILITY_IAM", "CAPABILITY_RESOURCE_POLICY"}
    parameters = application.inputs["parameters"]
    private = sorted(r.id for r in run.of_type("aws:ec2/subnet:Subnet") if "-private-" in r.name)
    assert sorted(parameters["vpcSubnetIds"].split(",")) == private and len(private) == 3
    group = _named(run, "aws:ec2/securityGroup:SecurityGroup", "fintech-prod-rotation")
    assert parameters["vpcSecurityGroupIds"] == group.id
    secret = _named(run, "aws:secretsmanager/secret:Secret", "fintech-prod-aurora-master")
    assert parameters["kmsKeyArn"] == secret.inputs["kmsKeyId"]  # the function may decrypt the secret's key
    assert parameters["endpoint"] == "https://secretsmanager.us-east-1.amazonaws.com"
    assert parameters["functionName"] == "fintech-prod-master-rotation"
    # its log group exists first, with the logs key and the stack's retention (Lambda would make one without either)
    logs = _named(run, "aws:cloudwatch/logGroup:LogGroup", "fintech-prod-rotation-logs")
    assert logs.inputs["name"] == "/aws/lambda/fintech-prod-master-rotation"
    assert logs.inputs["kmsKeyId"].startswith("arn:aws:kms:us-east-1:") and logs.inputs["retentionInDays"] == 365
    assert logs.urn in application.dependencies


def test_the_network_path_to_the_database_and_to_secrets_manager() -> None:
    run = offline_run("prod")
    group = _urn(run, "aws:ec2/securityGroup:SecurityGroup", "fintech-prod-rotation")
    database = _urn(run, "aws:ec2/securityGroup:SecurityGroup", "fintech-prod-db")
    admitted = _named(run, INGRESS, "fintech-prod-db-from-rotation")
    assert (admitted.inputs["fromPort"], admitted.inputs["toPort"], admitted.inputs["ipProtocol"]) == (
        5432,
        5432,
        "tcp",
    )
    assert admitted.property_dependencies["securityGroupId"] == [database]
    assert admitted.property_dependencies["referencedSecurityGroupId"] == [group]
    to_db = _named(run, EGRESS, "fintech-prod-rotation-to-db")
    assert to_db.inputs["fromPort"] == 5432 and to_db.property_dependencies["referencedSecurityGroupId"] == [database]
    https = _named(run, EGRESS, "fintech-prod-rotation-to-secretsmanager")
    assert (https.inputs["fromPort"], https.inputs["cidrIpv4"]) == (443, "10.40.0.0/16")  # the VPC: its endpoint
    endpoints = {r.inputs["serviceName"] for r in run.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")}
    assert "com.amazonaws.us-east-1.secretsmanager" in endpoints


def test_rotation_is_configured_last_on_the_schedule() -> None:
    run = offline_run("prod")
    rotation = _named(run, ROTATION, "fintech-prod-master")
    assert rotation.inputs["rotationRules"] == {"automaticallyAfterDays": 30}
    assert rotation.inputs["rotateImmediately"] is True
    secret = _urn(run, "aws:secretsmanager/secret:Secret", "fintech-prod-aurora-master")
    assert rotation.property_dependencies["secretId"] == [secret]
    waits_for = set(rotation.dependencies)
    for type_token, name in [(APPLICATION, "fintech-prod-rotation"), (INGRESS, "fintech-prod-db-from-rotation"),
                             # the function's group has no egress until its two rules exist
                             (EGRESS, "fintech-prod-rotation-to-db"),
                             (EGRESS, "fintech-prod-rotation-to-secretsmanager"),
                             # https_cidr is the VPC: Secrets Manager is reachable only through its endpoint
                             ("aws:ec2/vpcEndpoint:VpcEndpoint", "fintech-prod-secretsmanager"),
                             (VERSION, "fintech-prod-aurora-master-first"),
                             # the writer instance (depends_on the database component waits for its children)
                             ("aws:rds/clusterInstance:ClusterInstance", "fintech-prod-0")]:  # fmt: skip
        assert _urn(run, type_token, name) in waits_for, name
    users = _named(run, "fintech:aurora:DatabaseUsers", "fintech-prod")
    user_urns = {r.urn for r in run.resources if r.parent == users.urn}
    assert user_urns and user_urns <= waits_for  # the Data API users are made before the first rotation
    # the Data API users read the credential: they wait for its first version too
    user = next(r for r in run.resources if r.parent == users.urn)
    assert _urn(run, VERSION, "fintech-prod-aurora-master-first") in user.dependencies


def test_the_function_arn_is_read_strictly() -> None:
    arn = "arn:aws:lambda:us-east-1:111122223333:function:fintech-prod-master-rotation"
    assert rotation_function_arn({"RotationLambdaARN": arn}) == arn
    for outputs in ({}, None, {"RotationLambdaARN": ""}, {"Other": arn}):
        with pytest.raises(InvalidArgumentError, match="no output 'RotationLambdaARN'"):
            rotation_function_arn(outputs)


def test_rotated_passwords_keep_the_first_passwords_quoting_free_alphabet() -> None:
    """AWS's function would otherwise put any punctuation but :/@"'\\ into the password after the first rotation."""
    parameters = _named(offline_run("prod"), APPLICATION, "fintech-prod-rotation").inputs["parameters"]
    assert parameters["excludeCharacters"] == PASSWORD_EXCLUDED_CHARACTERS
    # CloudFormation trims edge whitespace from parameter values on read-back (a perpetual diff): none here
    assert not any(c.isspace() for c in PASSWORD_EXCLUDED_CHARACTERS)
    allowed = {chr(c) for c in range(33, 127)} - set(PASSWORD_EXCLUDED_CHARACTERS)
    assert allowed == set(string.ascii_letters + string.digits + "-._")
    for character in allowed:  # unreserved in a URL, no quoting in a shell
        assert urllib.parse.quote(character, safe="") == character and shlex.quote(character) == character


def test_failed_rotations_reach_the_alarm_topic() -> None:
    run = offline_run("prod")
    rule = _named(run, "aws:cloudwatch/eventRule:EventRule", "fintech-prod-rotation-failed")
    assert json.loads(rule.inputs["eventPattern"]) == rotation_failed_pattern()
    assert rotation_failed_pattern()["detail"] == {"eventSource": ["secretsmanager.amazonaws.com"],
                                                    "eventName": ["RotationFailed"]}  # fmt: skip
    topic = _named(run, "aws:sns/topic:Topic", "fintech-prod-alarms")
    target = _named(run, "aws:cloudwatch/eventTarget:EventTarget", "fintech-prod-rotation-failed")
    assert target.inputs["arn"] == topic.outputs["arn"]
    assert rule.name.startswith("fintech-prod-")  # auto-named from it: the topic policy admits the stack's rules so
    alarm = _named(run, "aws:cloudwatch/metricAlarm:MetricAlarm", "fintech-prod-master-rotation-errors")
    assert (alarm.inputs["namespace"], alarm.inputs["metricName"]) == ("AWS/Lambda", "Errors")
    assert alarm.inputs["dimensions"] == {"FunctionName": "fintech-prod-master-rotation"}
    assert alarm.inputs["alarmActions"] == [topic.outputs["arn"]]
    assert run.outputs["auroraMasterRotationFunction"] == "fintech-prod-master-rotation"


def test_only_the_primary_rotates_with_a_function() -> None:
    """dev's cluster keeps an RDS-managed secret (RDS rotates it); prod-dr's secondary has no master user and its
    copy of the credential is a replica, which follows the primary."""
    dev, standby = offline_run("dev"), offline_run("prod-dr")
    assert not dev.of_type(ROTATION) and not standby.of_type(ROTATION) and not standby.of_type(APPLICATION)
    assert _named(dev, CLUSTER, "fintech-dev-cluster").inputs["manageMasterUserPassword"] is True
    assert "auroraMasterRotationFunction" not in dev.outputs


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rotation_days": 0}, "rotation_days: 0 is outside 1-90"),
        ({"rotation_days": 91}, "rotation_days: 91 is outside 1-90"),
        ({"function_name": "has space"}, "function_name: 'has space' is not 1-64"),
        ({"port": 0}, "port: 0 is not a TCP port"),
        ({"partition": "aws-cn"}, "partition: 'aws-cn' is not supported"),
    ],
)
def test_bad_rotation_arguments_are_refused(changes: dict[str, Any], message: str) -> None:
    values: dict[str, Any] = {"secret_arn": "arn", "secret_kms_key_arn": "key", "vpc_id": "vpc", "subnet_ids": ["s"],
                              "database_security_group_id": "sg", "function_name": "f", "region": "us-east-1",
                              "https_cidr": "10.0.0.0/16", **changes}  # fmt: skip
    with pytest.raises(InvalidArgumentError, match=message):
        DatabaseSecretRotationArgs(**values)


def test_connect_is_for_a_rotated_credential_once() -> None:
    errors: list[str] = []

    def program() -> None:
        credentials = {"plain": GeneratedCredential("p", "admin"),
                       "rotated": GeneratedCredential("r", "admin", rotated=True)}  # fmt: skip
        key = "arn:aws:kms:us-east-1:111122223333:key/k"
        secrets = AppSecrets("s", AppSecretsArgs(kms_key_arn=key, account_id="111122223333", credentials=credentials))
        assert secrets.pending_credentials == ("rotated",)
        secrets.connect("rotated", "postgres", pulumi.Output.from_input("h"), 5432, "db")
        for name in ("rotated", "plain"):
            try:
                secrets.connect(name, "postgres", "h", 5432, "db")
            except InvalidArgumentError as err:
                errors.append(str(err))

    run = run_program(program, "unit", "unit", {}, [])
    assert run.error is None, run.error
    assert errors == [f"secret_name: '{name}' is not a rotated credential waiting for its connection (none)"
                      for name in ("rotated", "plain")]  # fmt: skip
    # a rotated credential's only version is the connected one; the plain one keeps its own
    assert sorted(r.name for r in run.of_type(VERSION)) == ["s-plain", "s-rotated-first"]
