"""CI keys: the in-VPC CodeBuild runner's GitHub connection and repository, and the roles the deploy and
pull-request workflows assume."""

from __future__ import annotations

import re

from pydantic import field_validator
from pydantic.alias_generators import to_snake

from stacks.aws_limits import ROLE_ARN_PATTERN
from stacks.config.base import ConfigBase, ns_key

_CONNECTION_PATTERN = re.compile(
    r"^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:(?P<account>\d{12}):connection/[0-9a-f-]{36}$"
)
_REPOSITORY_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")


class CiConfig(ConfigBase):
    """The CI runner and the CI roles' access to the cluster."""

    ci_github_connection_arn: str = ""
    """CodeConnections (CodeStar) connection to GitHub of the in-VPC CI runner; empty: no runner. Default: empty."""
    ci_repository: str = ""
    """GitHub repository (owner/name) whose workflow jobs the runner takes. Default: empty."""
    ci_deploy_role_arn: str = ""
    """Role the deploy workflow assumes for `pulumi up`: cluster-admin access entry. Default: empty."""
    ci_preview_role_arn: str = ""
    """Role the pull-request workflow assumes for `pulumi preview`: read-only access entry. Default: empty."""

    @field_validator("ci_github_connection_arn")
    @classmethod
    def _connection_arn(cls, value: str) -> str:
        if value and not _CONNECTION_PATTERN.match(value):
            raise ValueError(
                "must be a CodeConnections connection ARN (arn:aws:codeconnections:<region>:<account>:connection/"
                "<uuid>), or empty"
            )
        return value

    @field_validator("ci_repository")
    @classmethod
    def _repository(cls, value: str) -> str:
        if value and not _REPOSITORY_PATTERN.match(value):
            raise ValueError("must be a GitHub repository as owner/name, or empty")
        if value and value.split("/")[1] in (".", ".."):
            raise ValueError("names the repository '.' or '..', which GitHub does not allow; use owner/name")
        return value

    @field_validator("ci_deploy_role_arn", "ci_preview_role_arn")
    @classmethod
    def _role_arn(cls, value: str) -> str:
        if value and not ROLE_ARN_PATTERN.fullmatch(value):
            raise ValueError("is not an IAM role ARN (arn:aws:iam::<account>:role/<name>), or empty")
        return value

    def _check_ci_runner(self, admin_role_arns: tuple[str, ...]) -> None:
        """Connection and repository together; no role named twice among the admin roles (eksAdminRoleArns,
        passed in) and the CI roles, since EKS allows one access entry per role."""
        if bool(self.ci_github_connection_arn) != bool(self.ci_repository):
            raise ValueError(
                f"{ns_key('ciGithubConnectionArn')} and {ns_key('ciRepository')} go together: the in-VPC CI runner "
                "needs both (set both, or neither for no runner)"
            )
        # Another partition's ARN fails only at deploy time, in a component after dozens of resources (an
        # access entry or a CodeBuild project in another partition does not exist): refused here, by key.
        for key in ("ciDeployRoleArn", "ciPreviewRoleArn", "ciGithubConnectionArn"):
            arn = getattr(self, to_snake(key))
            if arn and arn.split(":")[1] != self.partition:
                raise ValueError(
                    f"{ns_key(key)} = {self._v(key)}: partition '{arn.split(':')[1]}', but region {self.region} is in "
                    f"partition '{self.partition}'; use an ARN starting arn:{self.partition}:"
                )
        principals = [*admin_role_arns, self.ci_deploy_role_arn, self.ci_preview_role_arn]
        principals = [arn for arn in principals if arn]
        duplicates = sorted({arn for arn in principals if principals.count(arn) > 1})
        if duplicates:
            raise ValueError(
                f"{ns_key('eksAdminRoleArns')}, {ns_key('ciDeployRoleArn')} and {ns_key('ciPreviewRoleArn')} name "
                f"{duplicates} more than once: EKS allows one access entry per role"
            )
