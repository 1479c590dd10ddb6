"""A SQL datastore on the real Airflow, as the AML data-transfer sample uses one: registered
from a client, its rows copied by a DataTransferStep into the default datastore as Parquet and
read by the next step; the database password shows in no log, XCom or file the run writes."""

from __future__ import annotations

import uuid

import pytest

from mlpipelines.azureml.core import Datastore, Experiment, Workspace
from mlpipelines.azureml.data.sql_data_reference import SqlDataReference
from mlpipelines.azureml.exceptions import UserErrorException
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData
from mlpipelines.azureml.pipeline.steps import DataTransferStep, PythonScriptStep
from support.sql_servers import PG_DATABASE, PG_PASSWORD, PG_USER

pytestmark = pytest.mark.e2e

READ = """import os, sys
import pyarrow.parquet as pq
from mlpipelines import Run
folder = sys.argv[sys.argv.index("--orders") + 1]
table = pq.read_table(os.path.join(folder, "north_orders.parquet"))
run = Run.get_context()
run.log("rows", table.num_rows)
run.log("amount", float(sum(table.column("amount").to_pylist())))
print("read", table.num_rows, "north orders")
"""


def test_rows_of_a_postgres_datastore_feed_a_script_and_the_password_stays_secret(
    airflow, postgres, tmp_path
):
    postgres.run_sql(
        "DROP TABLE IF EXISTS e2e_orders; CREATE TABLE e2e_orders (id int, region text,"
        " amount numeric(8,2)); INSERT INTO e2e_orders SELECT i, CASE WHEN i % 2 = 0 THEN"
        " 'north' ELSE 'south' END, i FROM generate_series(1, 10) i;"
        f"ALTER TABLE e2e_orders OWNER TO {PG_USER};"
    )
    ws = Workspace.from_config(airflow.home / "config.json")
    name = f"sales_{uuid.uuid4().hex[:6]}"
    try:  # the samples' idiom: fetch, else register
        sql_store = Datastore.get(ws, name)
    except UserErrorException:
        sql_store = Datastore.register_azure_postgre_sql(
            ws, name, server_name="127.0.0.1", database_name=PG_DATABASE, user_id=PG_USER,
            user_password=PG_PASSWORD, port_number=postgres.port,
        )  # fmt: skip
    connection = airflow.api.call("GET", f"/api/v2/connections/{name}")
    assert (connection["conn_type"], connection["schema"]) == ("postgres", PG_DATABASE)
    assert PG_PASSWORD not in str(connection)

    north = SqlDataReference(
        sql_store,
        "north_orders",
        sql_query="SELECT id, amount FROM e2e_orders WHERE region = 'north'",
    )
    orders = PipelineData("orders", datastore=ws.get_default_datastore())
    transfer = DataTransferStep("from_sql", north, orders)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "read.py").write_text(READ)
    read = PythonScriptStep(
        name="read", script_name="read.py", source_directory=str(tmp_path / "src"),
        arguments=["--orders", orders], inputs=[orders],
    )  # fmt: skip
    run = Experiment(ws, f"sql_{name}").submit(Pipeline(ws, [transfer, read]))
    assert run.wait_for_completion(show_output=False, timeout_seconds=300) == "Finished"

    (step,) = run.find_step_run("read")
    assert step.get_metrics() == {"rows": 5, "amount": 30.0}
    (copy,) = run.find_step_run("from_sql")
    ref = copy.get_outputs()["orders"]
    assert (airflow.home / "mlpipelines" / ref["datastore"] / ref["path"] /
            "north_orders.parquet").is_file()  # fmt: skip
    logs = copy.get_logs() + step.get_logs()
    assert "wrote 5 row(s)" in logs and "read 5 north orders" in logs
    assert PG_PASSWORD not in logs + str(ref)
    written = [p for p in (airflow.home / "logs", airflow.home / "mlpipelines")
               if p.exists() for p in p.rglob("*") if p.is_file()]  # fmt: skip
    assert written and not [p for p in written if PG_PASSWORD.encode() in p.read_bytes()]

    sql_store.unregister()
    with pytest.raises(UserErrorException, match=f"no datastore named '{name}'"):
        Datastore.get(ws, name)
