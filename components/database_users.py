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

Region pair (issue 20.7a): in an Aurora global database only the current writer accepts DDL, and the writer moves
with every switchover or failover while the stack's config does not. With `global_database` set, every operation
first asks RDS which member is the writer (DescribeGlobalClusters, GlobalClusterMembers[].IsWriter), then runs
the SQL through the Data API of the writer's region, authenticated with the master secret's replica in that region
(a replica keeps the primary secret's name and ARN suffix; only the Region differs: Secrets Manager User Guide,
"Replicate secrets across Regions"). The writer's cluster must have the Data API enabled (both members do,
components/aurora.py). The resource ID stays the one of the cluster it was created through.

Refresh (`read`): the provider reads the role back from the writer - whether it exists, can log in and holds
rds_iam. A dropped role reads back as gone (empty ID: the engine removes it from the state, the next `up` creates
it again); a role that lost its login or rds_iam reads back as drifted (`login`/`rds_iam` false), which the next
diff reports and the next `up` repairs.

The provider runs in the Pulumi engine's Python dynamic-provider host (`python -m pulumi.dynamic`, started in the
project directory, so this module is importable there: dill pickles the provider class by reference, as in
pulumi/pulumi tests/integration/dynamic/python-config-separate-module) with the ambient AWS credentials (the
deploy role), not the stack's aws.Provider; the region is passed explicitly. That identity needs
rds:DescribeGlobalClusters, rds-data:ExecuteStatement on both members' clusters and secretsmanager:GetSecretValue
(with kms:Decrypt through Secrets Manager) on the master secret and its replica (iam/deploy-role.json).
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
UPDATE_ON = ("schema", "secret_arn", "region", "global_database")
"""Inputs whose change is applied in place (the grants are applied again)."""
READ_BACK = ("login", "rds_iam")
"""What `read` reports about the live role, each True when as wanted."""


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


def role_state_query(user: str) -> Statement:
    """The role's login flag and its rds_iam membership; no record when the role does not exist."""
    return Statement(
        "SELECT r.rolcanlogin, pg_catalog.pg_has_role(r.rolname, 'rds_iam', 'MEMBER') "
        "FROM pg_catalog.pg_roles r WHERE r.rolname = :user",
        (("user", user),),
    )


def with_region(arn: str, region: str) -> str:
    """The same ARN in another region (a secret replica's ARN, the Data API endpoint of a cluster)."""
    parts = arn.split(":")
    return ":".join([*parts[:3], region, *parts[4:]])


def global_writer(global_database: str, region: str) -> str:
    """ARN of the global database's current writer cluster, asked in `region` (any member region answers)."""
    import boto3  # in the provider host only, as in DataApi

    rds = boto3.client("rds", region_name=region)
    (cluster,) = rds.describe_global_clusters(GlobalClusterIdentifier=global_database)["GlobalClusters"]
    writers = [m["DBClusterArn"] for m in cluster.get("GlobalClusterMembers", []) if m.get("IsWriter")]
    if len(writers) != 1:
        raise RuntimeError(f"global database {global_database} has {len(writers)} writers (a failover in progress?)")
    return str(writers[0])


def writer_target(props: dict[str, Any]) -> dict[str, Any]:
    """The props to run SQL with: the stack's own cluster, or the global database's current writer, its region and
    the master secret's replica there."""
    if not props.get("global_database"):
        return props
    writer = global_writer(props["global_database"], props["region"])
    region = writer.split(":")[3]
    return {**props, "cluster_arn": writer, "region": region, "secret_arn": with_region(props["secret_arn"], region)}


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

    def role_state(self, user: str) -> dict[str, bool] | None:
        """The live role: {'login': ..., 'rds_iam': ...}, or None when it does not exist."""
        records = self.run(role_state_query(user))
        if not records:
            return None
        login, member = (field.get("booleanValue") is True for field in records[0][:2])
        return {"login": login, "rds_iam": member}

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
        DataApi(writer_target(props)).ensure_user(props["user"], props["schema"], props["database"])
        return pulumi.dynamic.CreateResult(id_=f"{props['cluster_arn']}/{props['database']}/{props['user']}",
                                           outs=_outputs(props))  # fmt: skip

    def read(self, id_: str, props: dict[str, Any]) -> pulumi.dynamic.ReadResult:
        """The live role on the current writer: gone (empty ID) when dropped, else its login and rds_iam state."""
        state = DataApi(writer_target(props)).role_state(props["user"])
        if state is None:
            return pulumi.dynamic.ReadResult("", {})
        return pulumi.dynamic.ReadResult(id_, {**_outputs(props), **state})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.DiffResult:
        changed = [key for key in (*REPLACE_ON, *UPDATE_ON) if (olds.get(key) or "") != (news.get(key) or "")]
        changed += [key for key in READ_BACK if olds.get(key) is False]  # drift a refresh found
        replaces = [key for key in changed if key in REPLACE_ON]
        return pulumi.dynamic.DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.UpdateResult:
        DataApi(writer_target(news)).ensure_user(news["user"], news["schema"], news["database"])
        return pulumi.dynamic.UpdateResult(outs=_outputs(news))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        DataApi(writer_target(props)).retire_user(props["user"])


def _outputs(props: dict[str, Any]) -> dict[str, Any]:
    """What the state keeps: names and ARNs only (never a credential), and the role as wanted."""
    keys = ("cluster_arn", "secret_arn", "database", "user", "schema", "region", "global_database")
    return {key: props.get(key, "") for key in keys} | {key: True for key in READ_BACK}


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
    global_database: str = ""
    """Global database the cluster belongs to: the SQL then goes to its current writer. Default: none (regional)."""

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
            "global_database": args.global_database,
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
