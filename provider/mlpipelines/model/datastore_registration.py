"""``Datastore.register_*`` for ADLS Gen2, SQL databases and retired stores, and storing a
registration.

Part of the Azure-ML-named facade: storing a registration reaches the client (the Airflow
REST API) and storage (a reachability check), both imported inside the functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlpipelines.datastore_kinds import (
    AdlsGen2Kind,
    DbfsKind,
    MySqlKind,
    PostgresKind,
    SqlDatabaseKind,
    SqlServerKind,
    kind_of_conn_type,
)
from mlpipelines.errors import UserErrorException
from mlpipelines.records.datastore import DatastoreSpec

if TYPE_CHECKING:
    from mlpipelines.model.workspace import Workspace


class DatastoreRegistrations:
    """The registrations of Data Lake Gen2, of stores that hold tables, and of stores that no
    longer exist."""

    @classmethod
    def register_azure_sql_database(
        cls,
        workspace: Workspace,
        datastore_name: str,
        server_name: str,
        database_name: str,
        tenant_id: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        resource_url: str | None = None,
        authority_url: str | None = None,
        endpoint: str | None = None,
        overwrite: bool = False,
        username: str | None = None,
        password: str | None = None,
        port_number: int | None = None,
        **_: Any,
    ) -> Any:
        """An Azure SQL Database as an Airflow ``mssql`` connection (SQL authentication)."""
        if username is None or password is None:
            raise UserErrorException(
                f"datastore '{datastore_name}': register_azure_sql_database needs username "
                "and password here (service-principal access to SQL Server is not supported)"
            )
        return cls._register_sql(
            workspace, SqlServerKind, datastore_name, server_name, database_name,
            username, password, port_number, endpoint or "database.windows.net", overwrite,
        )  # fmt: skip

    @classmethod
    def register_azure_postgre_sql(
        cls,
        workspace: Workspace,
        datastore_name: str,
        server_name: str,
        database_name: str,
        user_id: str,
        user_password: str,
        port_number: int | str | None = None,
        endpoint: str | None = None,
        overwrite: bool = False,
        **_: Any,
    ) -> Any:
        """An Azure Database for PostgreSQL as an Airflow ``postgres`` connection."""
        return cls._register_sql(
            workspace, PostgresKind, datastore_name, server_name, database_name, user_id,
            user_password, port_number, endpoint or "postgres.database.azure.com", overwrite,
        )  # fmt: skip

    @classmethod
    def register_azure_my_sql(
        cls,
        workspace: Workspace,
        datastore_name: str,
        server_name: str,
        database_name: str,
        user_id: str,
        user_password: str,
        port_number: int | str | None = None,
        endpoint: str | None = None,
        overwrite: bool = False,
        **_: Any,
    ) -> Any:
        """An Azure Database for MySQL as an Airflow ``mysql`` connection."""
        return cls._register_sql(
            workspace, MySqlKind, datastore_name, server_name, database_name, user_id,
            user_password, port_number, endpoint or "mysql.database.azure.com", overwrite,
        )  # fmt: skip

    @classmethod
    def register_azure_data_lake_gen2(
        cls,
        workspace: Workspace,
        datastore_name: str,
        filesystem: str,
        account_name: str | None = None,
        tenant_id: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        resource_url: str | None = None,
        authority_url: str | None = None,
        protocol: str | None = None,
        endpoint: str | None = None,
        overwrite: bool = False,
        skip_validation: bool = False,
        connection_string: str | None = None,
        prefix: str | None = None,
        **_: Any,
    ) -> Any:
        """An ADLS Gen2 filesystem as a datastore; the service principal's secret (or a
        connection string) is kept in the Airflow connection only."""
        from mlpipelines.storage.registration import registration_body

        body = registration_body(
            AdlsGen2Kind.name,
            datastore_name,
            filesystem=filesystem,
            account_name=account_name,
            tenant_id=tenant_id,
            client_id=client_id,
            client_secret=client_secret,
            connection_string=connection_string,
            endpoint=endpoint,
            protocol=protocol,
            prefix=prefix,
        )
        store_registration(workspace, body, overwrite, skip_validation)
        return cls(workspace, datastore_name)  # type: ignore[call-arg]

    @classmethod
    def register_dbfs(cls, workspace: Workspace, datastore_name: str, **_: Any) -> Any:
        """The Databricks File System as a datastore: only a DatabricksStep may use it, and
        its data reach the job as ``dbfs:/`` paths."""
        from mlpipelines.storage.registration import registration_body

        body = registration_body(DbfsKind.name, datastore_name)
        store_registration(workspace, body, overwrite=True, skip_validation=True)
        return cls(workspace, datastore_name)  # type: ignore[call-arg]

    @classmethod
    def register_azure_data_lake(
        cls, workspace: Workspace, datastore_name: str, store_name: str, **_: Any
    ) -> Any:
        """Azure Data Lake Storage Gen1 was retired in February 2024: always an error."""
        raise UserErrorException(
            f"datastore '{datastore_name}': Azure Data Lake Storage Gen1 (store "
            f"'{store_name}') was retired by Microsoft in February 2024. Move the data to "
            "Data Lake Storage Gen2 and register it with "
            "Datastore.register_azure_data_lake_gen2(workspace, datastore_name, filesystem, "
            "account_name, tenant_id, client_id, client_secret)"
        )

    @classmethod
    def _register_sql(
        cls,
        workspace: Workspace,
        kind: type[SqlDatabaseKind],
        name: str,
        server_name: str,
        database_name: str,
        user: str,
        password: str,
        port: int | str | None,
        endpoint: str,
        overwrite: bool,
    ) -> Any:
        from mlpipelines.storage.registration import registration_body

        if port is not None and not str(port).isdigit():
            raise UserErrorException(f"datastore '{name}': port_number must be a whole number")
        body = registration_body(
            kind.name,
            name,
            host=_server_host(server_name, endpoint),
            database=database_name,
            user_id=user,
            user_password=password,
            port=int(port) if port is not None else None,
        )
        store_registration(workspace, body, overwrite, skip_validation=True)
        return cls(workspace, name)  # type: ignore[call-arg]


def _server_host(server_name: str, endpoint: str) -> str:
    """Azure's ``<server>.<endpoint>``; a name that is already a host (has a dot, or is
    ``localhost``) is kept as it is."""
    if not server_name:
        raise UserErrorException("server_name is required")
    if "." in server_name or server_name == "localhost":
        return server_name
    return f"{server_name}.{endpoint}"


def store_registration(
    workspace: Workspace, body: dict[str, Any], overwrite: bool, skip_validation: bool
) -> None:
    """Check a file datastore can be reached, store the connection in Airflow (through the
    REST API when the workspace names one), and remember it for this process."""
    from types import SimpleNamespace

    from mlpipelines.storage.connections import location_from_connection

    name = body["connection_id"]
    kind = kind_of_conn_type(body["conn_type"])
    if not skip_validation and kind.holds_files:
        location_from_connection(name, SimpleNamespace(**body)).check()
    if workspace.airflow_url:
        from mlpipelines.client.connections import store_connection

        store_connection(workspace, body, overwrite)
    workspace.registered_connections[name] = body
    workspace.datastore_specs[name] = DatastoreSpec(name, kind.name, None)


def forget_registration(workspace: Workspace, name: str) -> None:
    """Remove a datastore's connection from Airflow and from this process."""
    if workspace.airflow_url:
        from mlpipelines.client.connections import delete_connection

        delete_connection(workspace, name)
    workspace.registered_connections.pop(name, None)
    workspace.datastore_specs.pop(name, None)
