"""X-Ray's encryption setting on the offline plans (components/traces.py): the stack's own key, admitting account
principals through X-Ray only; and a stack that leaves the setting to another stack of its account and region."""

from __future__ import annotations

import json

from offline.audit import views
from offline.engine import OfflineRun
from policies.rules.observability import RULES
from tests.helpers import one

XRAY = "aws:xray/encryptionConfig:EncryptionConfig"


def test_x_ray_encrypts_traces_with_the_stacks_own_key(stack_run: OfflineRun) -> None:
    setting = one(stack_run, XRAY).inputs
    alias = one(stack_run, "aws:kms/alias:Alias", "-traces-xray")
    assert alias.inputs["name"] == f"alias/fintech-{stack_run.stack}-traces-xray"
    key = next(k for k in stack_run.of_type("aws:kms/key:Key") if k.outputs.get("keyId") == alias.inputs["targetKeyId"])
    assert setting == {"type": "KMS", "keyId": key.outputs["arn"]}
    assert stack_run.outputs["traceEncryptionKeyArn"] == key.outputs["arn"]
    assert key.inputs["enableKeyRotation"] is True and key.protect is (stack_run.stack == "prod")
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    region = key.outputs["arn"].split(":")[3]
    for sid in ("UseThroughDomainServices", "GrantsForDomainServiceResources"):
        assert statements[sid]["Condition"]["StringEquals"]["kms:ViaService"] == [f"xray.{region}.amazonaws.com"]
    assert statements["GrantsForDomainServiceResources"]["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    assert set(statements) == {"AccountAdministration", "UseThroughDomainServices", "GrantsForDomainServiceResources"}


def test_a_stack_that_does_not_own_x_ray_encryption_sets_none_and_the_pack_says_so() -> None:
    from offline.engine import run_stack

    run = run_stack("dev", {"fintech-platform:traceEncryption": "false"})
    assert run.error is None, run.error
    assert run.of_type(XRAY) == [] and "traceEncryptionKeyArn" not in run.outputs
    assert not [k for k in run.of_type("aws:kms/alias:Alias") if k.name.endswith("-traces-xray")]
    rule = next(rule for rule in RULES if rule.name == "trace-export-encrypted")
    (violation,) = rule.evaluate_stack(views(run), {})
    assert "exports traces to X-Ray, but the stack sets no X-Ray encryption" in violation[1]
    assert rule.evaluate_stack(views(run), {"required": False}) == []
