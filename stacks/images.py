"""The images the workload releases pull must exist before the releases are registered.

A Deployment whose image does not exist never becomes ready: the Kubernetes provider waits for it (10 minutes
by default) and then fails the update. So in deploy phase complete the program looks every configured image up
in its ECR repository first (ecr:DescribeImages through `aws.ecr.get_image`, which fails when the repository
or the image does not exist: https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html)
and stops the preview or update at once, naming the repository, the tag and how to push it. The look-up runs in
preview too, so a pull-request preview already shows a missing image.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from stacks.config import CONFIG_NAMESPACE, ConfigError, StackConfig
from stacks.names import repository_name


class MissingImageError(ConfigError):
    """A configured image is not in its ECR repository."""


def require_images(
    config: StackConfig, prefix: str, workloads: Sequence[str], provider: aws.Provider, account_id: str
) -> None:
    """Raise MissingImageError naming every configured image that its repository does not hold."""
    missing = []
    for workload in workloads:
        repository = repository_name(prefix, workload)
        image = config.image_tag(workload)
        digest = image.startswith("sha256:")
        try:
            aws.ecr.get_image(
                repository_name=repository,
                image_digest=image if digest else None,
                image_tag=None if digest else image,
                opts=pulumi.InvokeOptions(provider=provider),
            )
        except Exception as err:  # noqa: BLE001 - the SDK raises a plain Exception for a failed invoke
            # (RepositoryNotFoundException, ImageNotFoundException, or no permission to look: all mean "not usable")
            missing.append((workload, repository, image, str(err).splitlines()[0]))
    if missing:
        raise MissingImageError(_message(config, account_id, missing))


def _message(config: StackConfig, account_id: str, missing: list[tuple[str, str, str, str]]) -> str:
    registry = f"{account_id}.dkr.ecr.{config.region}.amazonaws.com"
    lines = [f"{len(missing)} workload image(s) are not in ECR, so their releases could never become ready:"]
    for workload, repository, image, reason in missing:
        reference = f"{registry}/{repository}{'@' if image.startswith('sha256:') else ':'}{image}"
        lines.append(f"  {CONFIG_NAMESPACE}:{workload}ImageTag = '{image}': {reference} not found ({reason})")
    lines += [
        "Push them (a brand-new stack gets its repositories from `pulumi up` with deployPhase foundation first):",
        f"  aws ecr get-login-password --region {config.region} | docker login --username AWS --password-stdin "
        f"{registry}",
    ]
    lines += [
        f"  docker push {registry}/{repository}:{image}"
        for _, repository, image, _ in missing
        if not image.startswith("sha256:")
    ]
    lines.append("or set the *ImageTag keys to images that exist, then run the update again.")
    return "\n".join(lines)
