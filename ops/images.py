"""Preflight: every workload's pinned image (tag or sha256 digest) is in its ECR repository.

A Deployment whose image does not exist waits for the Kubernetes provider's timeout (10 minutes) and
fails the update, so images are pushed after the foundation phase created the repositories and before
the complete phase deploys the workloads. For each missing image the finding carries the exact
commands that push it.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from ops.common import Clients, Report
from stacks.config import StackConfig
from stacks.names import primary_prefix, repository_name
from stacks.workload_specs import WORKLOADS


def registry_host(account: str, region: str) -> str:
    """The account's private registry in a region, as in the repository URIs ECR returns."""
    domain = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"{account}.dkr.ecr.{region}.{domain}"


def push_commands(workload: str, image: str, repository_uri: str, region: str) -> str:
    """Shell commands that push the local build of `workload` as `image` (a tag or sha256 digest)."""
    registry = repository_uri.split("/", 1)[0]
    login = f"aws ecr get-login-password --region {region} | docker login --username AWS --password-stdin {registry}"
    if image.startswith("sha256:"):
        return "\n".join((
            f"# the pin is a digest: push the build whose manifest digest is {image}; `docker push` prints it",
            login,
            f"docker tag {workload}:candidate {repository_uri}:candidate",
            f"docker push {repository_uri}:candidate",
        ))  # fmt: skip
    return "\n".join((login, f"docker tag {workload}:{image} {repository_uri}:{image}",
                      f"docker push {repository_uri}:{image}"))  # fmt: skip


def check_images(
    report: Report, stack: str, config: StackConfig, clients: Clients, account: str, required: bool = True
) -> None:
    """One finding per workload: its pinned image exists in its repository, or the commands to push it.
    `required`: a missing image fails (default True); False makes it a warning (foundation phase)."""
    ecr = clients("ecr")
    # A standby's repositories carry its primary's names (ECR replication keeps the name).
    prefix = primary_prefix(stack, config.standby_for)
    for spec in WORKLOADS:
        repository = repository_name(prefix, spec.name)
        image = config.image_tag(spec.name)
        image_id = {"imageDigest": image} if image.startswith("sha256:") else {"imageTag": image}
        uri = f"{registry_host(account, config.region)}/{repository}"
        check = f"image-{spec.name}"
        try:
            ecr.describe_images(repositoryName=repository, imageIds=[image_id])
        except ClientError as err:
            code = err.response["Error"]["Code"]
            if code == "RepositoryNotFoundException":
                detail = (f"repository {repository} does not exist yet: create it with the foundation phase "
                          "(deployPhase=foundation), then push")  # fmt: skip
            elif code == "ImageNotFoundException":
                detail = f"{image} is not in {repository}"
            else:
                raise
            if config.standby_for:
                # A standby receives its images by ECR replication from its primary: push there, not here.
                detail += (f"; images reach {config.region} by replication from stack {config.standby_for}: push "
                           f"to {config.standby_for}'s repository (ops preflight --stack {config.standby_for}) and "
                           "wait for the copy")  # fmt: skip
                report.add(check, False, detail, uri, warn_only=not required)
                continue
            report.add(check, False, detail, uri, warn_only=not required,
                       remedy=push_commands(spec.name, image, uri, config.region))  # fmt: skip
            continue
        report.add(check, True, f"{image} is in {repository}", uri)
