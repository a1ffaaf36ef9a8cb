"""Secrets, the alarm topic, cross-region backup and Pulumi protection across both stacks."""

from __future__ import annotations

import json
from collections import Counter

import pulumi
import pytest
from pulumi.runtime import rpc

from components.errors import InvalidArgumentError
from components.secrets import AppSecrets, AppSecretsArgs, GeneratedSecret, ProvidedSecret
from offline.engine import OfflineRun, Registration, run_program, run_stack
from tests.helpers import key_arn, one

STATEFUL_LEAVES = {
    "aws:rds/cluster:Cluster": 1, "aws:elasticache/replicationGroup:ReplicationGroup": 1, "aws:msk/cluster:Cluster": 1,
    "aws:kms/key:Key": 9, "aws:backup/vault:Vault": 2, "aws:s3/bucket:Bucket": 1, "aws:msk/topic:Topic": 3,
    "aws:rds/globalCluster:GlobalCluster": 1, "aws:secretsmanager/secret:Secret": 1, "aws:amp/workspace:Workspace": 1,
}  # fmt: skip
"""What prod protects outside the EKS components: data stores, the global database, keys (5 + the metrics key + the
X-Ray traces key + the two DR-region keys of backup copies and secret replicas), the Prometheus workspace, vaults,
the log bucket, the master credential and the Kafka topics (deleting one deletes its records)."""
EKS_COMPONENTS = ("fintech:eks:", "fintech:addons:")
"""Components whose protection engineer h1 owns (EKS cluster and add-ons)."""
KEY = "arn:aws:kms:us-east-1:123456789012:key/k"


def _generated_secret_run(**changes: object) -> OfflineRun:
    def program() -> None:
        AppSecrets(
            "unit",
            AppSecretsArgs(
                kms_key_arn=KEY, account_id="123456789012", generated={"api-key": GeneratedSecret("x")},
                recovery_window_days=7, **changes,  # type: ignore[arg-type]
            ),
        )  # fmt: skip

    run = run_program(program, "unit", "unit")
    assert run.error is None, run.error
    return run


def test_secrets_use_the_secrets_key_the_recovery_window_and_a_name_prefix() -> None:
    """A fixed name is held for the recovery window after deletion: destroy + up would fail."""
    secret = one(_generated_secret_run(), "aws:secretsmanager/secret:Secret")
    assert secret.inputs["kmsKeyId"] == KEY
    assert secret.inputs["recoveryWindowInDays"] == 7
    assert "name" not in secret.inputs and secret.inputs["namePrefix"] == "unit/api-key-"
    assert secret.protect is False
    assert one(_generated_secret_run(protect=True), "aws:secretsmanager/secret:Secret").protect is True


def test_secret_policy_denies_other_accounts_and_blocks_public_policies() -> None:
    policy = one(_generated_secret_run(), "aws:secretsmanager/secretPolicy:SecretPolicy").inputs
    assert policy["blockPublicPolicy"] is True
    (statement,) = json.loads(policy["policy"])["Statement"]
    assert statement["Effect"] == "Deny" and statement["Principal"] == "*"
    assert statement["Condition"] == {"StringNotEquals": {"aws:PrincipalAccount": "123456789012"}}


def test_the_only_generated_secret_is_the_global_primarys_master_credential(stack_run: OfflineRun) -> None:
    """The cache authenticates with IAM: no static credential is generated (issue 13.5). The one generated secret is
    the Aurora master credential of a global database primary (RDS cannot manage it there, issue 14), replicated to
    drRegion under a key of that region."""
    passwords = stack_run.of_type("random:index/randomPassword:RandomPassword")
    if stack_run.stack == "dev":
        assert passwords == [] and stack_run.outputs["secretArns"] == {}
        return
    assert [p.name for p in passwords] == ["fintech-prod-aurora-master"]
    assert list(stack_run.outputs["secretArns"]) == ["aurora-master"]
    (secret,) = stack_run.of_type("aws:secretsmanager/secret:Secret")
    (replica,) = secret.inputs["replicas"]
    replica_key = one(stack_run, "aws:kms/key:Key", "fintech-prod-dr-secret-replicas").outputs["arn"]
    assert (replica["region"], replica["kmsKeyId"]) == ("us-west-2", replica_key)


def test_alarm_topic_is_encrypted_tls_only_and_every_alarm_notifies_it(stack_run: OfflineRun) -> None:
    topic = one(stack_run, "aws:sns/topic:Topic", "-alarms")
    assert topic.inputs["kmsMasterKeyId"] == key_arn(stack_run, "alerts")
    statements = {s["Sid"]: s for s in json.loads(one(stack_run, "aws:sns/topicPolicy:TopicPolicy").inputs["policy"])[
        "Statement"]}  # fmt: skip
    assert statements["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statements["CloudWatchAlarmsOfThisAccount"]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    alarms = stack_run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert len(alarms) >= 10
    arn = topic.outputs["arn"]
    assert all(a.inputs["alarmActions"] == [arn] and a.inputs["okActions"] == [arn] for a in alarms)


def test_alarm_email_subscription_when_configured(prod_run: OfflineRun, dev_run: OfflineRun) -> None:
    subscription = one(prod_run, "aws:sns/topicSubscription:TopicSubscription").inputs
    assert (subscription["protocol"], subscription["endpoint"]) == ("email", "platform-oncall@example.com")
    assert dev_run.of_type("aws:sns/topicSubscription:TopicSubscription") == []
    assert any("no alarm e-mail configured" in w for w in dev_run.warnings)


def _outside_eks(run: OfflineRun) -> list[Registration]:
    by_urn = {r.urn: r for r in run.resources}

    def inside(resource: Registration) -> bool:
        while resource.parent in by_urn:
            resource = by_urn[resource.parent]
            if resource.type.startswith(EKS_COMPONENTS):
                return True
        return False

    return [r for r in run.resources if not r.type.startswith(EKS_COMPONENTS) and not inside(r)]


def test_prod_protects_exactly_the_stateful_leaves_and_dev_nothing(stack_run: OfflineRun) -> None:
    """Protect on a component or a role/security group/parameter group makes routine replacements fail."""
    protected = Counter(r.type for r in _outside_eks(stack_run) if r.protect)
    if stack_run.stack == "dev":
        assert not any(r.protect for r in stack_run.resources)
        return
    assert protected == STATEFUL_LEAVES
    components = [r for r in stack_run.resources if not r.custom and r.type.startswith("fintech:")]
    assert components and not any(r.protect for r in components)


def test_prod_backs_up_aurora_daily_with_a_copy_in_the_dr_region(prod_run: OfflineRun) -> None:
    vault = one(prod_run, "aws:backup/vault:Vault", "prod-vault")
    dr_vault = one(prod_run, "aws:backup/vault:Vault", "dr-vault")
    assert vault.inputs["kmsKeyArn"] == key_arn(prod_run, "data")
    dr_key = one(prod_run, "aws:kms/key:Key", "fintech-prod-dr-backup")
    assert dr_vault.inputs["kmsKeyArn"] == dr_key.outputs["arn"]
    assert ":us-west-2:" in dr_key.outputs["arn"]
    (rule,) = one(prod_run, "aws:backup/plan:Plan").inputs["rules"]
    assert rule["targetVaultName"] == vault.inputs["name"]
    assert rule["copyActions"][0]["destinationVaultArn"] == dr_vault.outputs["arn"]
    assert rule["lifecycle"]["deleteAfter"] >= 14
    selection = one(prod_run, "aws:backup/selection:Selection").inputs
    assert selection["resources"] == [one(prod_run, "aws:rds/cluster:Cluster").outputs["arn"]]
    locks = prod_run.of_type("aws:backup/vaultLockConfiguration:VaultLockConfiguration")
    assert sorted(lock.inputs["backupVaultName"] for lock in locks) == sorted(
        [vault.inputs["name"], dr_vault.inputs["name"]]
    )


def test_dev_has_no_backup_plan(dev_run: OfflineRun) -> None:
    assert dev_run.of_type("aws:backup/plan:Plan") == []


def test_a_config_provided_secret_stays_secret_into_secrets_manager() -> None:
    def program() -> None:
        AppSecrets(
            "unit",
            AppSecretsArgs(
                kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/k",
                account_id="123456789012",
                provided={"processor-api-key": ProvidedSecret("card processor", pulumi.Config().require_secret("k"))},
            ),
        )

    run = run_program(program, "unit", "unit", {"unit:k": "sk_live_123"}, ["unit:k"])
    assert run.error is None
    version = one(run, "aws:secretsmanager/secretVersion:SecretVersion")
    assert rpc.is_rpc_secret(version.inputs["secretString"])
    assert rpc.unwrap_rpc_secret(version.inputs["secretString"]) == "sk_live_123"


def test_a_plain_string_is_refused_as_a_provided_secret() -> None:
    with pytest.raises(InvalidArgumentError, match=r"provided\['key'\].value: must be a secret Output"):
        AppSecretsArgs(
            kms_key_arn="k", account_id="123456789012",
            provided={"key": ProvidedSecret("x", "plain-text")},  # type: ignore[arg-type]
        )  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"recovery_window_days": 3}, "recovery_window_days: 3 is outside 7-30"),
        ({"generated": {"short": GeneratedSecret("x", length=8)}}, r"generated\['short'\].length: 8 is outside"),
    ],
)
def test_bad_secret_arguments_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        AppSecretsArgs(kms_key_arn="k", account_id="123456789012", **changes)  # type: ignore[arg-type]


def test_protect_off_lets_a_prod_shaped_stack_be_destroyed() -> None:
    run = run_stack("prod", {"fintech-platform:protectStateful": "false"})
    assert run.error is None
    assert not any(r.protect for r in run.resources)
