"""The workloads' PostgreSQL users on Aurora: IAM login only, each with its own schema, created through the
RDS Data API from a Pulumi dynamic provider.

Why the Data API: it is an AWS control-plane HTTPS endpoint (rds-data), so `pulumi up` reaches it from
anywhere with AWS credentials, in deploy phase foundation, without a network path into the database subnets
and without a Kubernetes Job (which would need the cluster API and an image). It authenticates with the
RDS-managed master secret: the program passes only the secret's ARN, the password never enters the program,
its state or its outputs. https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/data-api.html
(available for Aurora PostgreSQL Serverless v2 and provisioned clusters, 17.4 and higher in most regions:
https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.Aurora_Fea_Regions_DB-eng.Feature.Data_API.html).

Each user gets what IAM database authentication needs and nothing else
(https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/UsingWithRDS.IAMDBAuth.DBAccounts.html):
LOGIN without a password, the `rds_iam` role, CONNECT on the platform database, USAGE and CREATE on its own
schema, and that schema as its search_path. PUBLIC loses CONNECT and TEMPORARY on the database.

Every statement is idempotent and runs on its own (the Data API auto-commits), so a failed `up` is repaired by
the next one. Deleting a user disables its login and takes `rds_iam` away; the role, its schema and its data
stay (dropping data is a decision for a person, not for a refactoring of the program).

The provider runs in the Pulumi engine's Python dynamic-provider host (`python -m pulumi.dynamic`, started in the
project directory, so this module is importable there: dill pickles the provider class by reference, as in
pulumi/pulumi tests/integration/dynamic/python-config-separate-module) with the ambient AWS credentials (the
deploy role), not the stack's aws.Provider; the region is passed explicitly. That identity needs
rds-data:ExecuteStatement on the cluster and secretsmanager:GetSecretValue (with kms:Decrypt) on the master
secret.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.dynamic

from components.errors import InvalidArgumentError

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_RESERVED = frozenset({"public", "postgres", "rdsadmin", "rds_iam", "rds_superuser", "pg_catalog"})
REPLACE_ON = ("cluster_arn", "database", "user")
"""Inputs whose change makes a different user (the old one is retired, a new one created)."""


@dataclass(frozen=True)
class Statement:
    """One SQL statement and its named parameters (Data API `:name` placeholders)."""

    sql: str
    parameters: tuple[tuple[str, str], ...] = ()


def _quoted(identifier: str) -> str:
    if not _IDENTIFIER.match(identifier):
        raise InvalidArgumentError(f"'{identifier}' is not a lower-case PostgreSQL identifier")
    return f'"{identifier}"'


def role_exists_query(user: str) -> Statement:
    """The query that tells whether the role exists already."""
    return Statement("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = :user", (("user", user),))


def grant_statements(user: str, schema: str, database: str, exists: bool) -> list[Statement]:
    """Statements that bring `user` to exactly the access it needs (idempotent)."""
    role, own_schema, db = _quoted(user), _quoted(schema), _quoted(database)
    return [
        Statement(f"ALTER ROLE {role} WITH LOGIN" if exists else f"CREATE ROLE {role} WITH LOGIN"),
        Statement(f"GRANT rds_iam TO {role}"),
        Statement(f"REVOKE CONNECT, TEMPORARY ON DATABASE {db} FROM PUBLIC"),
        Statement(f"GRANT CONNECT ON DATABASE {db} TO {role}"),
        Statement(f"CREATE SCHEMA IF NOT EXISTS {own_schema}"),
        Statement(f"GRANT USAGE, CREATE ON SCHEMA {own_schema} TO {role}"),
        Statement(f"ALTER ROLE {role} SET search_path = {own_schema}"),
    ]


def retire_statements(user: str) -> list[Statement]:
    """Statements that stop `user` from logging in, keeping its role, schema and data."""
    role = _quoted(user)
    return [Statement(f"ALTER ROLE {role} WITH NOLOGIN"), Statement(f"REVOKE rds_iam FROM {role}")]


class DataApi:
    """SQL on one Aurora database through the RDS Data API, as the master user (by secret ARN)."""

    def __init__(self, props: dict[str, Any]) -> None:
        # Imported here: only the dynamic-provider host talks to AWS, so the program (and every offline plan)
        # does not load boto3 and botocore (about 0.15 s of CPU per run).
        import boto3

        self._client = boto3.client("rds-data", region_name=props["region"])
        self._target = {
            "resourceArn": props["cluster_arn"],
            "secretArn": props["secret_arn"],
            "database": props["database"],
        }

    def run(self, statement: Statement) -> list[Any]:
        """Execute one statement; its records (empty for DDL)."""
        parameters = [{"name": name, "value": {"stringValue": value}} for name, value in statement.parameters]
        response = self._client.execute_statement(**self._target, sql=statement.sql, parameters=parameters)
        records: list[Any] = response.get("records") or []
        return records

    def ensure_user(self, user: str, schema: str, database: str) -> None:
        """Create or repair the user's role, grants and schema."""
        exists = bool(self.run(role_exists_query(user)))
        for statement in grant_statements(user, schema, database, exists):
            self.run(statement)

    def retire_user(self, user: str) -> None:
        """Disable the user's login (no-op when the database is already gone)."""
        try:
            for statement in retire_statements(user):
                self.run(statement)
        except self._client.exceptions.DatabaseNotFoundException:
            pulumi.log.warn(f"database of user {user} not found; nothing to retire")


class DatabaseUserProvider(pulumi.dynamic.ResourceProvider):
    """CRUD of one IAM-authenticated PostgreSQL user through the Data API."""

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        DataApi(props).ensure_user(props["user"], props["schema"], props["database"])
        return pulumi.dynamic.CreateResult(id_=f"{props['cluster_arn']}/{props['database']}/{props['user']}",
                                           outs=_outputs(props))  # fmt: skip

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.DiffResult:
        changed = [key for key in (*REPLACE_ON, "schema", "secret_arn", "region") if olds.get(key) != news.get(key)]
        replaces = [key for key in changed if key in REPLACE_ON]
        return pulumi.dynamic.DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.UpdateResult:
        DataApi(news).ensure_user(news["user"], news["schema"], news["database"])
        return pulumi.dynamic.UpdateResult(outs=_outputs(news))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        DataApi(props).retire_user(props["user"])


def _outputs(props: dict[str, Any]) -> dict[str, Any]:
    """What the state keeps: names and ARNs only (never a credential)."""
    return {key: props[key] for key in ("cluster_arn", "secret_arn", "database", "user", "schema", "region")}


class DatabaseUser(pulumi.dynamic.Resource, module="aurora", name="DatabaseUser"):
    """One PostgreSQL user that logs in with IAM (rds_iam) and owns nothing but the use of its schema."""

    user: pulumi.Output[str]
    schema: pulumi.Output[str]

    def __init__(
        self, name: str, props: dict[str, pulumi.Input[str]], opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(DatabaseUserProvider(), name, props, opts)


@dataclass(frozen=True)
class DatabaseUsersArgs:
    """Arguments of DatabaseUsers."""

    cluster_arn: pulumi.Input[str]
    """ARN of the Aurora cluster (its Data API must be enabled). Required."""
    master_secret_arn: pulumi.Input[str]
    """ARN of the RDS-managed master secret the Data API authenticates with. Required."""
    database_name: str
    """Database the users connect to. Required."""
    region: str
    """Region of the cluster. Required."""
    users: tuple[str, ...]
    """PostgreSQL users, one schema of the same name each. Required."""
    depends_on: Sequence[pulumi.Resource] = ()
    """What must exist first: the cluster's writer instance (the Data API needs one). Default: none."""

    def __post_init__(self) -> None:
        if not self.users:
            raise InvalidArgumentError("users: at least one user is required")
        for name in (*self.users, self.database_name):
            if not _IDENTIFIER.match(name) or name in _RESERVED:
                raise InvalidArgumentError(
                    f"users/database_name: '{name}' is not a lower-case PostgreSQL identifier of our own "
                    "([a-z_][a-z0-9_]*, at most 63 characters, not a reserved role or schema)"
                )
        if len(set(self.users)) != len(self.users):
            raise InvalidArgumentError(f"users: {list(self.users)} lists a user twice")


class DatabaseUsers(pulumi.ComponentResource):
    """One DatabaseUser per workload user."""

    users: dict[str, DatabaseUser]

    def __init__(self, name: str, args: DatabaseUsersArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fintech:aurora:DatabaseUsers", name, None, opts)
        target: dict[str, pulumi.Input[str]] = {
            "cluster_arn": args.cluster_arn,
            "secret_arn": args.master_secret_arn,
            "database": args.database_name,
            "region": args.region,
        }
        self.users = {
            user: DatabaseUser(
                f"{name}-{user.replace('_', '-')}",
                {**target, "user": user, "schema": user},
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
            )
            for user in args.users
        }
        self.register_outputs({})
