"""The AML registrations of ADLS Gen2, SQL databases and the retired Gen1 lake: what each
connection holds, where its secret goes, and the errors that name the store."""

from __future__ import annotations

import json

import pytest

from mlpipelines.azureml.core import Datastore, Workspace
from mlpipelines.azureml.data.sql_data_reference import SqlDataReference
from mlpipelines.azureml.exceptions import UserErrorException
from mlpipelines.datastore_kinds import MySqlKind, PostgresKind, SqlServerKind
from mlpipelines.storage.registration import environment_value


@pytest.fixture
def ws(tmp_path) -> Workspace:
    return Workspace(home=str(tmp_path / "home"))


def test_sql_databases_become_their_providers_connections(ws):
    pg = Datastore.register_azure_postgre_sql(ws, "pg", "salesdb", "sales", "reader", "pw-1")
    my = Datastore.register_azure_my_sql(
        ws, "my", "10.0.0.4", "sales", "reader", "pw-2", port_number="3307"
    )
    ms = Datastore.register_azure_sql_database(
        ws, "ms", "salesdb", "sales", username="reader", password="pw-3"
    )
    bodies = ws.registered_connections
    assert (bodies["pg"]["conn_type"], bodies["pg"]["host"]) == (
        "postgres", "salesdb.postgres.database.azure.com")  # fmt: skip
    assert (bodies["my"]["conn_type"], bodies["my"]["host"], bodies["my"]["port"]) == (
        "mysql", "10.0.0.4", 3307)  # fmt: skip
    assert (bodies["ms"]["conn_type"], bodies["ms"]["host"]) == (
        "mssql", "salesdb.database.windows.net")  # fmt: skip
    assert all(b["schema"] == "sales" for b in bodies.values())
    assert json.loads(environment_value(bodies["ms"]))["password"] == "pw-3"
    assert [d.datastore_type for d in (pg, my, ms)] == [
        "AzurePostgreSql", "AzureMySql", "AzureSqlDatabase"]  # fmt: skip


def test_the_providers_hooks_read_the_sql_connections(ws, monkeypatch):
    from airflow.sdk import BaseHook

    Datastore.register_azure_postgre_sql(ws, "pg_hook", "127.0.0.1", "sales", "u", "pw", 5433)
    Datastore.register_azure_sql_database(ws, "ms_hook", "sql.local", "sales", username="u",
                                          password="pw")  # fmt: skip
    for name in ("pg_hook", "ms_hook"):
        body = ws.registered_connections[name]
        monkeypatch.setenv(f"AIRFLOW_CONN_{name.upper()}", environment_value(body))
    assert type(BaseHook.get_connection("pg_hook").get_hook()).__name__ == "PostgresHook"
    ms = BaseHook.get_connection("ms_hook")
    assert type(ms.get_hook()).__name__ == "MsSqlHook"
    assert (ms.host, ms.schema, ms.login) == ("sql.local", "sales", "u")


def test_bad_sql_registrations_and_retired_lakes_fail_naming_the_store(ws):
    with pytest.raises(UserErrorException, match=r"'ms_sp'.*needs username and password"):
        Datastore.register_azure_sql_database(ws, "ms_sp", "s", "db", tenant_id="t",
                                              client_id="c", client_secret="x")  # fmt: skip
    with pytest.raises(UserErrorException, match="port_number must be a whole number"):
        Datastore.register_azure_postgre_sql(ws, "pg_bad", "s", "db", "u", "p", "54x")
    with pytest.raises(UserErrorException) as gen1:
        Datastore.register_azure_data_lake(
            ws, "old_lake", store_name="adlsgen1", tenant_id="t", client_id="c", client_secret="s"
        )
    assert "retired" in str(gen1.value)
    assert "register_azure_data_lake_gen2" in str(gen1.value)


def test_table_and_procedure_names_are_checked_and_quoted_never_formatted():
    assert PostgresKind.quote_table("public.orders") == '"public"."orders"'
    assert MySqlKind.quote_table("sales.orders") == "`sales`.`orders`"
    assert SqlServerKind.procedure_query("dbo.top_orders") == "EXEC [dbo].[top_orders]"
    assert PostgresKind.procedure_query("north") == 'SELECT * FROM "north"()'
    for bad in ('orders"; DROP TABLE x', "a b", "1abc", "a.b.c.d", ""):
        with pytest.raises(UserErrorException, match="is not a table name"):
            PostgresKind.quote_table(bad)


def test_a_sql_reference_names_exactly_one_source(ws):
    db = Datastore.register_azure_postgre_sql(ws, "pg", "h.example", "db", "u", "p")
    ref = SqlDataReference(db, "rows", sql_query="SELECT 1")
    assert (ref.name, ref.source().query, ref.source().datastore.kind) == ("rows", "SELECT 1",
                                                                          "postgres")  # fmt: skip
    with pytest.raises(UserErrorException, match="exactly one of"):
        SqlDataReference(db, "none")
    with pytest.raises(UserErrorException, match="sql_stored_procedure_params"):
        SqlDataReference(db, "p", sql_stored_procedure="f", sql_stored_procedure_params=[1])


def test_data_lake_gen2_keeps_the_principal_in_the_connection(ws):
    lake = Datastore.register_azure_data_lake_gen2(
        ws, "lake", filesystem="raw", account_name="mylake", tenant_id="t-1", client_id="c-1",
        client_secret="sp-secret-value", skip_validation=True,
    )  # fmt: skip
    body = ws.registered_connections["lake"]
    assert (body["conn_type"], body["login"], body["password"]) == (
        "mlpipelines_adls_gen2", "mylake", "sp-secret-value")  # fmt: skip
    assert json.loads(body["extra"]) == {
        "filesystem": "raw",
        "tenant_id": "t-1",
        "client_id": "c-1",
    }
    location = lake.location
    assert location.uri("a/b.csv") == "abfs://raw/a/b.csv"
    assert "sp-secret-value" not in repr(location)
    kind = location.datastore_kind
    assert kind.spark_uri("raw/a", dict(location.options)) == (
        "abfss://raw@mylake.dfs.core.windows.net/a")  # fmt: skip
    with pytest.raises(UserErrorException, match=r"'half'.*missing client_secret"):
        Datastore.register_azure_data_lake_gen2(ws, "half", "raw", "mylake", "t", "c",
                                                skip_validation=True)  # fmt: skip
