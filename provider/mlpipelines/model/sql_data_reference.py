"""SqlDataReference: rows of a SQL datastore (a query, a table or a stored procedure), the
source of a DataTransferStep that writes them to a file datastore."""

from __future__ import annotations

from typing import Any

from mlpipelines.datastore_kinds import SqlDatabaseKind, datastore_kind
from mlpipelines.errors import UserErrorException
from mlpipelines.records.datastore import CONNECTION_KIND
from mlpipelines.records.engines import SqlSource


class SqlDataReference:
    """``SqlDataReference(datastore, data_reference_name, sql_table=, sql_query=,
    sql_stored_procedure=)``: exactly one of the three says which rows."""

    def __init__(
        self,
        datastore: Any,
        data_reference_name: str | None = None,
        sql_table: str | None = None,
        sql_query: str | None = None,
        sql_stored_procedure: str | None = None,
        sql_stored_procedure_params: Any = None,
    ) -> None:
        name = data_reference_name or f"{getattr(datastore, 'name', 'sql')}_rows"
        given = [v for v in (sql_table, sql_query, sql_stored_procedure) if v]
        if len(given) != 1:
            raise UserErrorException(
                f"SqlDataReference '{name}': give exactly one of sql_table, sql_query or "
                "sql_stored_procedure"
            )
        if sql_stored_procedure_params:
            raise UserErrorException(
                f"SqlDataReference '{name}': sql_stored_procedure_params are not supported; "
                "use sql_query with the procedure's values written in the query"
            )
        kind = datastore.spec.kind
        if kind != CONNECTION_KIND and not issubclass(datastore_kind(kind), SqlDatabaseKind):
            raise UserErrorException(
                f"SqlDataReference '{name}': datastore '{datastore.name}' is a "
                f"{datastore.datastore_type} datastore, not a SQL database (register one with "
                "Datastore.register_azure_sql_database, register_azure_postgre_sql or "
                "register_azure_my_sql)"
            )
        if sql_table is not None and kind != CONNECTION_KIND:
            datastore_kind(kind).quote_table(sql_table)  # type: ignore[attr-defined]
        self.datastore = datastore
        self.data_reference_name = name
        self.sql_table = sql_table
        self.sql_query = sql_query
        self.sql_stored_procedure = sql_stored_procedure

    @property
    def name(self) -> str:
        return self.data_reference_name

    def source(self) -> SqlSource:
        """The record a transfer's settings carry."""
        return SqlSource(
            self.datastore.spec, self.sql_query, self.sql_table, self.sql_stored_procedure
        )

    def __repr__(self) -> str:
        return f"SqlDataReference(name={self.name!r}, datastore={self.datastore.name!r})"
