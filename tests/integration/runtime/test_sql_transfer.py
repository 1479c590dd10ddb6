"""DataTransferStep from a SqlDataReference on a real PostgreSQL: a query, a table and a
set-returning function written as Parquet or CSV to a local folder and to Azurite."""

from __future__ import annotations

import uuid

import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from mlpipelines.azureml.core import Datastore, Workspace
from mlpipelines.azureml.data import DataReference
from mlpipelines.azureml.data.sql_data_reference import SqlDataReference
from mlpipelines.azureml.exceptions import UserErrorException
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData
from mlpipelines.azureml.pipeline.steps import DataTransferStep
from mlpipelines.errors import StepRunError
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.runtime.data_transfer import run_data_transfer_step
from mlpipelines.runtime.step_context import StepContext
from mlpipelines.storage import datastores
from mlpipelines.storage.registration import environment_name, environment_value
from support.sql_servers import PG_DATABASE, PG_PASSWORD, PG_USER

pytestmark = pytest.mark.integration
ROWS = 60_003  # more than one batch


@pytest.fixture(scope="module")
def sales(postgres):
    postgres.run_sql(
        "DROP TABLE IF EXISTS orders CASCADE;"
        "CREATE TABLE orders (id int PRIMARY KEY, region text, amount numeric(10,2), day date);"
        "INSERT INTO orders SELECT i, CASE WHEN i % 3 = 0 THEN 'north' ELSE NULL END,"
        " i * 0.5, DATE '2026-01-01' + (i % 30) FROM generate_series(1, 60003) i;"
        f"ALTER TABLE orders OWNER TO {PG_USER};"
        "CREATE OR REPLACE FUNCTION north_orders() RETURNS SETOF orders"
        " AS $$ SELECT * FROM orders WHERE region = 'north' $$ LANGUAGE sql;"
    )
    return postgres


@pytest.fixture
def ws(sales, azurite, monkeypatch, tmp_path):
    workspace = Workspace(home=str(tmp_path / "home"))
    Datastore.register_azure_postgre_sql(
        workspace, "sales_db", "127.0.0.1", PG_DATABASE, PG_USER, PG_PASSWORD, sales.port
    )
    blob = azurite.connection_body("sql_out_blob")
    for body in (workspace.registered_connections["sales_db"], blob):
        monkeypatch.setenv(environment_name(body["connection_id"]), environment_value(body))
    datastores._opened.cache_clear()
    Datastore.register_local_folder(workspace, "exports", str(tmp_path / "exports"))
    yield workspace
    datastores._opened.cache_clear()


def _run(ws, step):
    (task,) = plan_pipeline(Pipeline(ws, [step])).tasks
    assert task.definition.allow_reuse is False  # a database cannot be fingerprinted
    run = f"r{uuid.uuid4().hex[:8]}"
    return run_data_transfer_step(
        task.definition, StepContext("sqlx", run, task.task_id, {}, lambda *_: None)
    )


def test_a_query_a_table_and_a_function_land_as_parquet_and_csv(ws, tmp_path):
    db = Datastore.get(ws, "sales_db")
    assert db.datastore_type == "AzurePostgreSql"
    query = SqlDataReference(
        db, "north", sql_query="SELECT id, amount FROM orders WHERE region = 'north'"
    )
    out = _run(ws, DataTransferStep("q", query, DataReference(Datastore(ws, "exports"), "d",
                                                              "north/rows.parquet")))  # fmt: skip
    table = pq.read_table(tmp_path / "exports" / "north" / "rows.parquet")
    assert table.num_rows == ROWS // 3 == out.metrics["rows"]
    assert table.column_names == ["id", "amount"]
    assert sorted(table.column("id").to_pylist())[:2] == [3, 6]

    whole = SqlDataReference(db, "orders", sql_table="public.orders")
    _run(ws, DataTransferStep("t", whole, DataReference(Datastore(ws, "exports"), "c",
                                                        "all/orders.csv")))  # fmt: skip
    csv = pa_csv.read_csv(tmp_path / "exports" / "all" / "orders.csv")
    assert csv.num_rows == ROWS and csv.column_names == ["id", "region", "amount", "day"]
    assert csv.column("region").to_pylist().count("north") == ROWS // 3

    north = SqlDataReference(db, "fn", sql_stored_procedure="north_orders")
    blob = PipelineData("north_blob", datastore=Datastore(ws, "sql_out_blob"))
    result = _run(ws, DataTransferStep("p", north, blob))
    ref = result.outputs["north_blob"]
    assert ref.uri.startswith("az://")
    location = datastores.location_of(ref.store)
    with location.fs.open(location.path(f"{ref.path}/fn.parquet"), "rb") as f:
        assert pq.read_table(f).num_rows == ROWS // 3


def test_bad_sql_sources_fail_clearly_naming_the_store(ws):
    db = Datastore.get(ws, "sales_db")
    with pytest.raises(UserErrorException, match="exactly one of sql_table"):
        SqlDataReference(db, "both", sql_table="orders", sql_query="SELECT 1")
    with pytest.raises(UserErrorException, match="sql_table 'orders; DROP TABLE x'"):
        SqlDataReference(db, "inj", sql_table="orders; DROP TABLE x")
    with pytest.raises(UserErrorException, match="not a SQL database"):
        SqlDataReference(Datastore(ws, "exports"), "files", sql_table="orders")
    with pytest.raises(UserErrorException, match="is a SQL database"):
        Datastore(ws, "sales_db").upload_files([__file__], show_progress=False)
    missing = SqlDataReference(db, "missing", sql_table="no_such_table")
    dest = DataReference(Datastore(ws, "exports"), "x", "x.parquet")
    with pytest.raises(StepRunError) as info:
        _run(ws, DataTransferStep("missing", missing, dest))
    assert "no_such_table" in str(info.value) and PG_PASSWORD not in str(info.value)
