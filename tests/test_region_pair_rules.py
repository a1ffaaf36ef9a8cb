"""Cases of the region-pair rules (policies/rules/region_pair.py) and of the rules issue 14 taught about global
databases: each passes, fails explicitly and fails by default; tests/test_policy_rules.py runs them with every
other rule's cases. Here also: the role of a stack comes from the pack config, the primary's replication stays
in its own account, and the standby's relaxations are exactly the ones docs/auditors.md lists."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from offline.audit import evaluate, load_policy_config
from offline.engine import PROJECT_DIR, OfflineRun
from policies.rules import ALL_RULES
from policies.rules.base import ResourceView
from stacks.tiers import STANDBY_RELAXED
from tests.conftest import offline_run
from tests.helpers import view

RULES = {rule.name: rule for rule in ALL_RULES}
ACCOUNT = "111122223333"
EAST_KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234"
WEST_KEY = f"arn:aws:kms:us-west-2:{ACCOUNT}:key/5678"
EAST = {"region": "us-east-1", "allowedAccountIds": json.dumps([ACCOUNT])}
WEST = {"region": "us-west-2", "allowedAccountIds": json.dumps([ACCOUNT])}
GLOBAL = "aws:rds/globalCluster:GlobalCluster"
CLUSTER = "aws:rds/cluster:Cluster"
SECRET = "aws:secretsmanager/secret:Secret"
SECONDARY = {"globalClusterIdentifier": "fintech-prod-global", "storageEncrypted": True, "kmsKeyId": WEST_KEY}
PASSWORD = "random:index/randomPassword:RandomPassword"


def _r(type_token: str, name: str, props: dict[str, Any] | None = None, deps: dict[str, list[str]] | None = None,
       provider: dict[str, Any] | None = None) -> ResourceView:  # fmt: skip
    """A view whose provider is in us-east-1 unless `provider` says otherwise."""
    return view(type_token, name, props, deps, provider=provider or EAST)


# rule: (type, passing props, failing props, unset props) - the resource provider is us-east-1 (a secondary's
# key is checked against its own region in test_a_secondary_needs_a_key_of_its_own_region)
RESOURCE_CASES: dict[str, tuple[str, dict[str, Any], dict[str, Any], dict[str, Any] | None]] = {
    "aurora-global-encrypted": (GLOBAL, {"storageEncrypted": True}, {"storageEncrypted": False}, {}),
    "secret-replicas-cmk": (SECRET, {"replicas": [{"region": "us-west-2", "kmsKeyId": WEST_KEY}]},
                            {"replicas": [{"region": "us-west-2", "kmsKeyId": "alias/aws/secretsmanager"}]},
                            {"replicas": [{"region": "us-west-2"}]}),
}  # fmt: skip

# --- region-pair-replication: a primary (us-east-1) and a standby (us-west-2) --------------------------------------
GLOBAL_DB = _r(GLOBAL, "global", {"globalClusterIdentifier": "fintech-prod-global", "storageEncrypted": True})
WRITER = _r(CLUSTER, "db", {"globalClusterIdentifier": "fintech-prod-global", "masterUsername": "admin",
                            "storageEncrypted": True, "kmsKeyId": EAST_KEY},
            {"globalClusterIdentifier": [GLOBAL_DB.urn]})  # fmt: skip
HEALTH = _r("aws:route53/healthCheck:HealthCheck", "health", {"type": "CLOUDWATCH_METRIC"})


def _replication(account: str = ACCOUNT, region: str = "us-west-2") -> ResourceView:
    rules = [{"repositoryFilters": [{"filterType": "PREFIX_MATCH", "filter": "fintech-prod/"}],
              "destinations": [{"registryId": account, "region": region}]}]  # fmt: skip
    return _r("aws:ecr/replicationConfiguration:ReplicationConfiguration", "replication",
              {"replicationConfiguration": {"rules": rules}})  # fmt: skip


def _record(kind: str, health: bool = True, provider: dict[str, Any] | None = None) -> ResourceView:
    props: dict[str, Any] = {"failoverRoutingPolicies": [{"type": kind}], "name": "api.example.com"}
    if health:
        props["healthCheckId"] = "hc-1"
    return _r("aws:route53/record:Record", "record", props, {"healthCheckId": [HEALTH.urn]} if health else {},
              provider)  # fmt: skip


def _secret(replicated: bool = True) -> ResourceView:
    replicas = [{"region": "us-west-2", "kmsKeyId": WEST_KEY}] if replicated else []
    return _r(SECRET, "master", {"kmsKeyId": EAST_KEY, "replicas": replicas})


def _primary(**changed: ResourceView | None) -> list[ResourceView]:
    parts: dict[str, ResourceView | None] = {
        "global": GLOBAL_DB,
        "writer": WRITER,
        "replication": _replication(),
        "secret": _secret(),
        "health": HEALTH,
        "record": _record("PRIMARY"),
    }
    parts.update(changed)
    return [part for part in parts.values() if part is not None]


STANDBY = [_r(CLUSTER, "db", SECONDARY, provider=WEST), HEALTH, _record("SECONDARY", provider=WEST)]

STACK_CASES: dict[str, tuple[list[ResourceView], list[ResourceView], list[ResourceView]]] = {
    # default role: primary (fails closed)
    "region-pair-replication": (_primary(), _primary(replication=_replication(account="444455556666")),
                                [WRITER, _secret(replicated=False)]),
    "generated-credentials-long": (
        [_r(PASSWORD, "api", {"length": 64}), _r(PASSWORD, "master", {"length": 40}),
         _r(CLUSTER, "db", {"masterPasswordWo": "x"}, {"masterPasswordWo": [_r(PASSWORD, "master").urn]})],
        [_r(PASSWORD, "api", {"length": 40})], [_r(PASSWORD, "api")]),
}  # fmt: skip


def _messages(resources: list[ResourceView], role: str = "primary") -> list[str]:
    return [message for _, message in RULES["region-pair-replication"].evaluate_stack(resources, {"role": role})]


def test_a_primary_needs_each_replication() -> None:
    assert _messages(_primary()) == []
    assert "no Aurora global database" in _messages(_primary(**{"global": None}))[0]
    assert "writer of the global database" in _messages(_primary(writer=None))[0]
    assert "no ECR ReplicationConfiguration" in _messages(_primary(replication=None))[0]
    assert "not replicated to another region" in _messages(_primary(secret=_secret(replicated=False)))[0]
    assert "no Route 53 PRIMARY failover record" in _messages(_primary(record=_record("SECONDARY")))[0]
    assert "has no health check" in _messages(_primary(record=_record("PRIMARY", health=False)))[0]


def test_images_never_leave_the_account_nor_stay_in_the_region() -> None:
    assert "to account 444455556666, outside" in _messages(_primary(replication=_replication("444455556666")))[0]
    assert "within us-east-1" in _messages(_primary(replication=_replication(region="us-east-1")))[0]
    unpinned = _replication()
    unpinned = ResourceView(unpinned.type, unpinned.name, unpinned.urn, unpinned.props, provider_props={})
    assert "account is unknown" in _messages(_primary(replication=unpinned))[0]


def test_a_standby_needs_the_secondary_and_the_secondary_record() -> None:
    assert _messages(STANDBY, "standby") == []
    assert "no Aurora cluster joined" in _messages(STANDBY[1:], "standby")[0]
    assert "no Route 53 SECONDARY" in _messages(STANDBY[:2], "standby")[0]
    assert "has no health check" in _messages([*STANDBY[:2], _record("SECONDARY", health=False)], "standby")[0]
    assert _messages(STANDBY, "primary")  # a standby judged as a primary fails
    assert _messages([], "none") == []


def test_a_health_check_computed_at_deploy_time_counts_as_set() -> None:
    """In a real preview the record's healthCheckId is the health check's id, unknown until it exists."""
    record = _record("PRIMARY")
    unknown = ResourceView(record.type, record.name, record.urn,
                           unknown_checking_proxy({**record.props, "healthCheckId": UNKNOWN_STRING_VALUE}),
                           provider_props=EAST, property_dependencies=record.property_dependencies)  # fmt: skip
    assert _messages(_primary(record=unknown)) == []


def test_a_secondary_needs_a_key_of_its_own_region() -> None:
    rule = RULES["aurora-global-encrypted"]
    assert rule.evaluate(_r(CLUSTER, "db", SECONDARY, provider=WEST), {}) == []
    for key, problem in ((EAST_KEY, "a key of us-east-1, not of us-west-2"), ("alias/aws/rds", "not a customer"),
                         ("", "names no KMS key")):  # fmt: skip
        messages = rule.evaluate(_r(CLUSTER, "db", {**SECONDARY, "kmsKeyId": key}, provider=WEST), {})
        assert messages and problem in messages[0], messages
    assert rule.evaluate(_r(CLUSTER, "db", {k: v for k, v in SECONDARY.items() if k != "kmsKeyId"}), {})
    # a regional cluster and a global writer are judged by aurora-storage-encrypted-cmk, not here
    assert rule.evaluate(WRITER, {}) == []
    # a global database made from an encrypted cluster inherits its encryption
    assert rule.evaluate(_r(GLOBAL, "g", {"sourceDbClusterIdentifier": "arn:aws:rds:c"}), {}) == []


def test_a_replica_key_must_be_of_the_replica_region() -> None:
    messages = RULES["secret-replicas-cmk"].evaluate(
        _r(SECRET, "s", {"replicas": [{"region": "us-west-2", "kmsKeyId": EAST_KEY}]}), {}
    )
    assert messages == ["the replica in us-west-2 names a key of us-east-1, not of us-west-2"]


def test_the_global_database_members_take_their_password_as_aws_allows() -> None:
    rule = RULES["no-plaintext-db-password"]
    writer = {"globalClusterIdentifier": "g", "masterUsername": "admin", "masterPasswordWo": "x"}
    assert rule.evaluate(_r(CLUSTER, "db", writer), {}) == []
    assert rule.evaluate(_r(CLUSTER, "db", SECONDARY), {}) == []
    assert rule.evaluate(_r(CLUSTER, "db", {**writer, "globalClusterIdentifier": ""}), {})  # regional: RDS manages
    assert rule.evaluate(_r(CLUSTER, "db", {**writer, "masterPassword": "x"}), {})  # kept in state
    assert rule.evaluate(_r(CLUSTER, "db", {"globalClusterIdentifier": "g", "masterUsername": "admin"}), {})


def test_a_secondary_leaves_final_snapshot_and_backup_copies_to_the_primary() -> None:
    secondary = _r(CLUSTER, "db", SECONDARY, provider=WEST)
    assert RULES["aurora-final-snapshot"].evaluate(secondary, {}) == []
    assert RULES["aurora-cross-region-backup"].evaluate_stack([secondary], {}) == []
    writer = _r(CLUSTER, "db", {**SECONDARY, "masterUsername": "admin"})
    assert RULES["aurora-final-snapshot"].evaluate(writer, {})
    assert RULES["aurora-cross-region-backup"].evaluate_stack([writer], {})


def test_the_global_database_is_protected_and_patched_like_its_clusters() -> None:
    assert RULES["deletion-protection"].evaluate(_r(GLOBAL, "g", {"deletionProtection": False}), {})
    assert RULES["deletion-protection"].evaluate(_r(GLOBAL, "g", {}), {"required": False}) == []
    assert RULES["stateful-resources-protected"].evaluate_stack([GLOBAL_DB], {})
    old = _r(GLOBAL, "g", {"engine": "aurora-postgresql", "engineVersion": "13.7"})
    assert RULES["aurora-engine-supported"].evaluate(old, {})


def test_a_single_region_trail_is_accepted_only_where_another_stack_records_the_region() -> None:
    trail = _r("aws:cloudtrail/trail:Trail", "t", {"isMultiRegionTrail": False})
    covered = {"multiRegionTrailStack": "prod"}
    assert RULES["cloudtrail-multi-region"].evaluate(trail, {})
    assert RULES["cloudtrail-multi-region"].evaluate(trail, covered) == []
    assert RULES["account-audit-trail"].evaluate_stack([trail], {})
    assert RULES["account-audit-trail"].evaluate_stack([trail], covered) == []
    assert RULES["account-audit-trail"].evaluate_stack([], covered)  # the stack still keeps its own trail


# --- the stacks ---------------------------------------------------------------------------------------------------

STANDBY_RULES = {
    "natStrategy": "nat-per-az", "cacheNodes": "cache-multi-az", "kafkaZones": "msk-multi-az",
    "auroraInstances": "aurora-multi-az",
}  # fmt: skip
"""The rule each high-availability relaxation of a standby (stacks/tiers.py STANDBY_RELAXED) loosens."""
SIZE_RULES = {"hpa-minimum-replicas"}
"""Size, not redundancy: the standby runs one pod per workload until ops failover scales it. Its smaller classes are
not listed: the advisory instance-classes-in-tier flags them, as the program warns (issue 21, tests/test_tiers.py)."""
TRAIL_RULES = {"cloudtrail-multi-region", "account-audit-trail"}
"""prod's multi-region trail records us-west-2; prod-dr's own trail records its region only (docs/auditors.md)."""
GLOBAL_TYPE_RULES = {"config-recorder-all-types"}
"""prod's AWS Config recorder records IAM and the other global types for the account; prod-dr's does not (issue 19)."""


def test_the_standby_config_relaxes_only_what_the_standby_is_allowed_to() -> None:
    config = json.loads((PROJECT_DIR / "policies" / "config" / "prod-dr.json").read_text())
    assert set(STANDBY_RULES) == set(STANDBY_RELAXED)
    assert set(config) == {*STANDBY_RULES.values(), *SIZE_RULES, *TRAIL_RULES, *GLOBAL_TYPE_RULES,
                           "region-pair-replication"}  # fmt: skip
    assert config["region-pair-replication"] == {"role": "standby"}
    assert config["config-recorder-all-types"] == {"recordGlobalTypes": False}
    assert {name: config[name] for name in TRAIL_RULES} == {name: {"multiRegionTrailStack": "prod"}
                                                            for name in TRAIL_RULES}  # fmt: skip
    relaxed_security = {
        name
        for name in config
        if RULES[name].area
        in {"encryption-at-rest", "encryption-in-transit", "identity", "exposure", "waf", "tagging", "patching"}
    }
    assert relaxed_security == set()
    for entry in config.values():
        assert "enforcementLevel" not in entry


def test_the_roles_of_the_committed_configs() -> None:
    roles = {stack: json.loads((PROJECT_DIR / "policies" / "config" / f"{stack}.json").read_text())
             ["region-pair-replication"]["role"] for stack in ("dev", "prod", "prod-dr")}  # fmt: skip
    assert roles == {"dev": "none", "prod": "primary", "prod-dr": "standby"}
    assert RULES["region-pair-replication"].defaults() == {"role": "primary"}


@pytest.fixture(scope="module")
def prod_dr_run() -> OfflineRun:
    return offline_run("prod-dr")


def test_the_standby_fails_the_prod_baseline_only_where_it_is_relaxed(prod_dr_run: OfflineRun) -> None:
    results = evaluate(prod_dr_run, load_policy_config(PROJECT_DIR / "policies" / "config" / "prod.json"))
    failed = {r.name for r in results if r.status == "fail"}
    assert failed == {*STANDBY_RULES.values(), *SIZE_RULES, *TRAIL_RULES, *GLOBAL_TYPE_RULES, "region-pair-replication",
                      "instance-classes-in-tier"}  # fmt: skip


def test_the_pair_fails_when_each_plays_the_other_role(prod_run: OfflineRun, prod_dr_run: OfflineRun) -> None:
    for run, role in ((prod_run, "standby"), (prod_dr_run, "primary")):
        results = {r.name: r for r in evaluate(run, {"region-pair-replication": {"role": role}})}
        assert results["region-pair-replication"].status == "fail"
