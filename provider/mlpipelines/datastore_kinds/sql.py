"""SQL databases as datastore kinds: a connection of the matching Airflow provider's type.

AML's SQL datastores hold tables, not files: they are read only as a ``SqlDataReference``
source of a ``DataTransferStep``, through the provider's hook (``conn.get_hook()``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from mlpipelines.datastore_kinds.base import (
    CONNECTION_FIELDS,
    ConnectionForm,
    DatastoreKind,
    check_conn_id,
)
from mlpipelines.errors import UserErrorException


class SqlDatabaseKind(DatastoreKind):
    """A SQL database reached through an Airflow provider's connection type."""

    holds_files = False
    uri_scheme = "sql"
    connection_settings = {
        "host": "host",
        "database": "schema",
        "user_id": "login",
        "user_password": "password",
        "port": "port",
    }
    extra_keys = ()
    secret_fields = frozenset({"password"})
    form = ConnectionForm(fields={})
    provider: ClassVar[str]
    """The pip package whose hook reads the connection."""
    table_quote: ClassVar[tuple[str, str]] = ('"', '"')
    """How the database quotes an identifier."""

    @classmethod
    def body(cls, name: str, **settings: Any) -> dict[str, Any]:
        """The connection: host, database (the connection's schema), user, password, port."""
        check_conn_id(name)
        unknown = sorted(k for k in settings if k not in cls.connection_settings)
        if unknown:
            raise UserErrorException(
                f"datastore '{name}': {cls.name} datastores take no setting(s) "
                f"{', '.join(unknown)} (known: {', '.join(cls.connection_settings)})"
            )
        for required in ("host", "database"):
            if not settings.get(required):
                raise UserErrorException(f"datastore '{name}': {required} is required")
        fields: dict[str, Any] = dict.fromkeys(CONNECTION_FIELDS)
        for keyword, conn_field in cls.connection_settings.items():
            fields[conn_field] = settings.get(keyword)
        return {
            "connection_id": name,
            "conn_type": cls.conn_type,
            **fields,
            "extra": json.dumps({}),
        }

    @classmethod
    def top_and_options(
        cls, name: str, fields: Mapping[str, Any], extra: Mapping[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        raise UserErrorException(
            f"datastore '{name}' is a SQL database ({cls.datastore_type}): it holds tables, not "
            "files. Read it with SqlDataReference(datastore, sql_query=...) as the source of a "
            "DataTransferStep that writes the rows to a file datastore"
        )

    @classmethod
    def quote_table(cls, table: str) -> str:
        """``schema.table`` quoted as the database quotes identifiers (checked first)."""
        parts = table.split(".")
        if not table or len(parts) > 3 or not all(_is_identifier(p) for p in parts):
            raise UserErrorException(
                f"sql_table '{table}' is not a table name (letters, digits, '_' and '$', "
                "optionally schema-qualified)"
            )
        left, right = cls.table_quote
        return ".".join(f"{left}{p}{right}" for p in parts)

    @classmethod
    def procedure_query(cls, procedure: str) -> str:
        """The statement that runs a stored procedure (or set-returning function) for rows."""
        return f"SELECT * FROM {cls.quote_table(procedure)}()"


def _is_identifier(part: str) -> bool:
    return bool(part) and not part[0].isdigit() and all(c.isalnum() or c in "_$" for c in part)


class PostgresKind(SqlDatabaseKind):
    """An Azure Database for PostgreSQL (any PostgreSQL), read with PostgresHook."""

    name = "postgres"
    datastore_type = "AzurePostgreSql"
    conn_type = "postgres"
    hook_name = "Postgres"
    hook_class_name = "PostgresHook"
    provider = "apache-airflow-providers-postgres"


class MySqlKind(SqlDatabaseKind):
    """An Azure Database for MySQL (any MySQL or MariaDB), read with MySqlHook."""

    name = "mysql"
    datastore_type = "AzureMySql"
    conn_type = "mysql"
    hook_name = "MySQL"
    hook_class_name = "MySqlHook"
    provider = "apache-airflow-providers-mysql"
    table_quote = ("`", "`")

    @classmethod
    def procedure_query(cls, procedure: str) -> str:
        return f"CALL {cls.quote_table(procedure)}()"


class SqlServerKind(SqlDatabaseKind):
    """An Azure SQL Database (any SQL Server), read with MsSqlHook (pymssql)."""

    name = "sqlserver"
    datastore_type = "AzureSqlDatabase"
    conn_type = "mssql"
    hook_name = "Microsoft SQL Server"
    hook_class_name = "MsSqlHook"
    provider = "apache-airflow-providers-microsoft-mssql"
    table_quote = ("[", "]")

    @classmethod
    def procedure_query(cls, procedure: str) -> str:
        return f"EXEC {cls.quote_table(procedure)}"
