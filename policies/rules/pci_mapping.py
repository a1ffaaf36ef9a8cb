"""The v4.0.1 re-mapping of the pack (issue 19): where a rule evidences more requirements than the one its module
cites first, or where v4.0's first citation was not the best fit. Kept in one table so the rule modules stay as they
were written and a new rule (which cites its v4.0.1 ID in its own `Rule(...)`) needs no entry here.

Every ID is checked against the catalogue (policies/pci.py) by tests/test_compliance.py.
"""

from __future__ import annotations

from dataclasses import replace

from policies.rules.base import Rule

PRIMARY: dict[str, str] = {
    "secrets-cmk": "8.3.2",  # the secrets are credentials: authentication factors unreadable in storage
    "instance-classes-in-tier": "2.2.1",  # an approved list of instance classes is part of the configuration standard
    "alb-request-hygiene": "6.4.2",  # header validation and desync mitigation are an automated web-attack control
}
"""Rules whose first citation changes (v4.0 cited 3.6.1, 12.5.1 and 6.2.4 respectively)."""

ALSO: dict[str, tuple[str, ...]] = {
    "secrets-cmk": ("3.6.1",),
    "alb-request-hygiene": ("6.2.4",),
    "default-security-group-closed": ("1.3.1", "2.2.2"),  # the default group is the VPC's vendor default
    "default-security-group-managed": ("1.3.1", "2.2.2"),
    "eks-endpoint-private": ("1.3.1", "1.4.2", "2.2.7"),  # admin API reached privately, over TLS
    "subnets-no-public-ip": ("1.4.4",),
    "internet-ports-only-on-alb": ("1.4.2", "1.2.1"),
    "no-world-ingress": ("1.4.2", "1.2.1"),
    "network-policies-enforced": ("1.3.2", "2.2.3"),  # namespaces isolated from each other, egress narrowed
    "workload-network-narrow": ("1.3.2",),
    "imdsv2-required": ("2.2.6",),
    "namespace-pod-security-restricted": ("2.2.3", "2.2.6"),
    "workload-runs-as-non-root": ("2.2.6",),
    "codebuild-runner-hardened": ("2.2.6", "6.5.3"),  # the deploy runner builds unprivileged, per stack
    "cache-users-iam-auth": ("2.2.2",),  # the engine's default user is disabled
    "kms-admins-cannot-use": ("7.2.2", "3.7.7"),  # admins cannot substitute or use keys without a condition
    "kms-key-rotation": ("12.3.3",),
    "https-listener-tls12": ("12.3.3", "4.2.1.1"),  # the TLS policy in use is pinned and the certificate named
    "aurora-ca-current": ("4.2.1.1",),
    "eks-standard-support-only": ("12.3.4",),
    "eks-version-supported": ("12.3.4",),
    "aurora-engine-supported": ("12.3.4",),
    "alb-has-waf": ("6.4.1",),
    "waf-managed-rule-groups": ("6.4.1", "6.2.4"),
    "ecr-images-immutable-scanned": ("11.3.1",),  # scan on push: internal vulnerability scanning of images
    "eks-api-access": ("8.3.1", "7.3.1"),
    "irsa-trust-one-service-account": ("7.2.5", "8.6.1"),
    "cache-users-least-privilege": ("7.2.5", "7.2.6", "7.3.2"),
    "msk-deny-by-default": ("7.3.1", "7.3.2"),
    "aurora-iam-auth": ("7.2.6",),  # database users are IAM-mapped, per workload
    "generated-credentials-long": ("8.6.3",),
    "no-plaintext-db-password": ("8.3.2",),
    "aurora-audit-logging": ("10.2.1.1", "10.2.1.2", "10.2.1.4", "10.2.1.7"),
    "eks-control-plane-logs": ("10.2.1.2", "10.2.1.4", "10.2.2"),
    "cloudtrail-multi-region": ("10.2.1.2", "10.2.1.4", "10.2.1.5", "10.2.1.6", "10.2.1.7", "10.2.2", "10.3.3"),
    "account-audit-trail": ("10.2.1.2", "10.2.1.5", "10.2.1.6", "10.3.3"),
    "aurora-log-export": ("10.3.3",),
    "msk-broker-logs": ("10.3.3",),
    "cloudtrail-cloudwatch-logs": ("10.3.3", "10.4.1"),
    "log-bucket-data-events": ("10.3.1",),
    "s3-public-access-blocked": ("10.3.1",),
    "cloudtrail-cmk": ("10.3.1",),  # reading the logs needs kms:Decrypt on the logs key
    "audit-event-alarms": ("10.4.1", "10.7.2", "10.2.1.6"),
    "guardduty-findings-routed": ("10.4.1", "12.10.5"),
    "alarms-notify": ("12.10.5",),
    "required-tags": ("12.5.1",),
}
"""Further requirements per rule."""


def remapped(rules: list[Rule]) -> list[Rule]:
    """The rules with their v4.0.1 citations."""
    return [
        replace(
            rule,
            pci_requirement=PRIMARY.get(rule.name, rule.pci_requirement),
            pci_also=(*rule.pci_also, *ALSO.get(rule.name, ())),
        )
        for rule in rules
    ]
