"""Cross-region replication of the platform's ECR repositories to the standby region, in the same account.

Registry-level, one per account and region. ECR keeps replication in the registry's settings, not on a
repository: "Replication is configured for a private registry separately for each Region", and
PutReplicationConfiguration replaces the whole configuration of the registry in that region (ECR User Guide,
"Private image replication", https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication.html; ECR API
Reference, PutReplicationConfiguration). So exactly one stack per account and region may own this resource:
only the primary stack of a pair creates it; a second stack creating one in the same region would overwrite the
first one's rules on every `pulumi up`, and its destroy would delete them.

What it does. Every image pushed to a repository whose name starts with `repository_prefix` (e.g.
`fintech-prod/`) in this region is copied to `destination_region` in the same account, under the same repository
name ("The repository name will remain the same across Regions and accounts when replication has occurred";
"Only repository content pushed to a repository after replication is configured is replicated. Any preexisting
content in a repository isn't replicated", same page). Images pushed before this resource exists are not
copied: re-push (or re-tag) them once after the first deploy. The first PutReplicationConfiguration creates the
service-linked role AWSServiceRoleForECRReplication (ecr:CreateRepository, ecr:ReplicateImage; "Amazon ECR
service-linked role for replication", https://docs.aws.amazon.com/AmazonECR/latest/userguide/
slr-replication.html), so the deploying principal needs iam:CreateServiceLinkedRole the first time.

Consequence for the destination repositories (the lead wires it in the standby stack). When the destination
repository does not exist, ECR creates it; with no repository creation template matching its prefix, "Amazon
ECR uses the default settings for the new repository. These default settings include turning off tag
immutability, using AES-256 encryption, and not applying any repository or lifecycle policies" (ECR User
Guide, "Templates to control repositories created during a pull through cache or replication action",
https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates.html). That is, without a
customer-managed key, mutable tags and no scan/lifecycle settings, against the platform's rules. So the standby
stack pre-creates each destination repository (`fintech-<primary>/<workload>`) itself, encrypted with the
standby region's own data key, and replication then writes into the existing repository, which keeps its own
settings (default settings and templates apply "only during repository creation", same page). The images are
then encrypted under the repository's key through the grant ECR took on it when the repository was created
(ECR User Guide, "Encryption at rest", https://docs.aws.amazon.com/AmazonECR/latest/userguide/
encryption-at-rest.html); this is the part to confirm in the first real deploy (push, then describe-images in
the standby region). A repository creation template
(`aws.ecr.RepositoryCreationTemplate`, applied_for REPLICATION) would be the alternative; it applies only to
repositories ECR creates, not to existing ones, and it needs a custom role with kms:CreateGrant for a KMS key
(https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates-create.html): pre-creating
keeps the repositories under the standby stack's state (and its protection), which a template does not.

Ordering. Deploy the standby stack's foundation (its KMS data key and ECR repositories) before the first image
is pushed to a replicated primary repository. Otherwise ECR auto-creates the destination repository first (AES-256,
outside Pulumi), and the standby's `aws.ecr.Repository` create then fails with RepositoryAlreadyExistsException:
the auto-created repository has to be deleted (or imported and replaced) before the standby can own it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.errors import InvalidArgumentError

_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_ACCOUNT = re.compile(r"^\d{12}$")
_PREFIX = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*/$")
"""An ECR repository name (lowercase letters, digits, '.', '_', '-' between alphanumerics, '/' between parts)
followed by '/': the namespace of the replicated repositories."""
_FILTER_LIMIT = 256
"""Characters in a repository filter (ECR API Reference, RepositoryFilter)."""


@dataclass(frozen=True)
class RegistryReplicationArgs:
    """Arguments of RegistryReplication."""

    account_id: str
    """Account of the registry; also the destination registry (same-account, cross-region). Required."""
    source_region: str
    """Region of the registry being replicated (the provider's region); checked against destination_region.
    Required."""
    destination_region: str
    """Region the images are copied to (the standby stack's region). Required."""
    repository_prefix: str
    """Namespace of the replicated repositories, ending with '/' (e.g. 'fintech-prod/'). Required."""

    def __post_init__(self) -> None:
        if not _ACCOUNT.match(self.account_id):
            raise InvalidArgumentError(f"account_id: '{self.account_id}' is not a 12-digit AWS account id")
        for label, region in (("source_region", self.source_region), ("destination_region", self.destination_region)):
            if not _REGION.match(region):
                raise InvalidArgumentError(f"{label}: '{region}' is not an AWS region (e.g. us-west-2)")
        if self.destination_region == self.source_region:
            raise InvalidArgumentError(
                f"destination_region: '{self.destination_region}' is the registry's own region; "
                "cross-region replication needs another region"
            )
        if not self.repository_prefix.endswith("/"):
            raise InvalidArgumentError(
                f"repository_prefix: '{self.repository_prefix}' must end with '/' (a namespace such as "
                "'fintech-prod/'), or it would also match 'fintech-prod-dr/...' repositories"
            )
        if not _PREFIX.match(self.repository_prefix) or len(self.repository_prefix) > _FILTER_LIMIT:
            raise InvalidArgumentError(
                f"repository_prefix: '{self.repository_prefix}' is not a lowercase ECR repository namespace "
                f"(letters, digits, '.', '_', '-', '/' separated parts; at most {_FILTER_LIMIT} characters)"
            )


class RegistryReplication(pulumi.ComponentResource):
    """The registry's replication configuration: one rule, `repository_prefix` to `destination_region`."""

    registry_id: pulumi.Output[str]
    """Registry (account) whose replication this configures."""

    def __init__(self, name: str, args: RegistryReplicationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:ecr:RegistryReplication", name, None, opts)
        configuration = aws.ecr.ReplicationConfiguration(
            f"{name}-replication",
            replication_configuration=aws.ecr.ReplicationConfigurationReplicationConfigurationArgs(
                rules=[
                    aws.ecr.ReplicationConfigurationReplicationConfigurationRuleArgs(
                        destinations=[
                            aws.ecr.ReplicationConfigurationReplicationConfigurationRuleDestinationArgs(
                                region=args.destination_region, registry_id=args.account_id
                            )
                        ],
                        # PREFIX_MATCH is the only filter type ECR supports (ECR API Reference, RepositoryFilter).
                        repository_filters=[
                            aws.ecr.ReplicationConfigurationReplicationConfigurationRuleRepositoryFilterArgs(
                                filter=args.repository_prefix, filter_type="PREFIX_MATCH"
                            )
                        ],
                    )
                ]
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.registry_id = configuration.registry_id
        self.register_outputs({"registry_id": self.registry_id})
