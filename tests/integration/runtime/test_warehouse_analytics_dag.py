"""An AnalyticsStep on a Databricks SQL warehouse target in a real DAG run (``dag.test()``):
the run's parameter reaches the warehouse as a bound marker, the next step reads the Parquet
it wrote, and a second run with the same inputs reuses it."""

from __future__ import annotations

import textwrap

import pytest

from support.dag_test_runs import databricks_connection, run_script

pytestmark = pytest.mark.integration

DAG_FILE = """
\"\"\"Airflow DAG (DagBag's safe mode reads only files that say both words).\"\"\"
from mlpipelines import (
    AnalyticsStep, DataReference, Pipeline, PipelineData, PipelineParameter, PythonScriptStep,
    Workspace,
)

ws = Workspace.current()
sales = DataReference(ws.get_default_datastore(), "sales", path_on_datastore="sales")
big = PipelineData("big", datastore=ws.get_default_datastore())
report = AnalyticsStep(
    name="report",
    script_name="report.sql",
    source_directory={source!r},
    inputs=[sales],
    outputs=[big],
    params={{"min_amount": PipelineParameter("min_amount", default_value=10)}},
    compute_target="sql_warehouse",
)
check = PythonScriptStep(
    name="check",
    script_name="check.py",
    source_directory={source!r},
    arguments=["--big", big],
    inputs=[big],
)
dag = Pipeline(ws, steps=[report, check]).to_dag("warehouse_analytics_e2e")
"""

REPORT_SQL = """
CREATE VIEW big AS
SELECT region, sum(amount) AS total FROM sales
WHERE amount >= getvariable('min_amount')
GROUP BY region;
"""

CHECK_SCRIPT = """
import argparse
import pyarrow.dataset as ds
parser = argparse.ArgumentParser()
parser.add_argument("--big")
table = ds.dataset(parser.parse_args().big, format="parquet").to_table()
print("regions:", sorted(table.column("region").to_pylist()))
"""

TWO_RUNS = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
from mlpipelines import Workspace
from mlpipelines.azureml.core.compute import AdlaCompute, ComputeTarget

ComputeTarget.attach(Workspace.current(), "sql_warehouse", AdlaCompute.attach_configuration(
    engine="databricks_sql", databricks_compute="databricks_e2e", warehouse_id="wh-test"))
for _ in range(2):
    dag = DagBag(sys.argv[1]).get_dag("warehouse_analytics_e2e")
    run = dag.test(run_conf={"min_amount": 25})
    print("RESULT " + json.dumps({"state": str(run.state),
          "tis": {ti.task_id: str(ti.state) for ti in run.get_task_instances()}}))
"""


def test_warehouse_step_runs_in_a_dag_and_is_reused_next_run(airflow_home, jobs_api, tmp_path):
    source = tmp_path / "scripts"
    source.mkdir()
    (source / "report.sql").write_text(REPORT_SQL)
    (source / "check.py").write_text(textwrap.dedent(CHECK_SCRIPT))
    store = airflow_home.home / "mlpipelines" / "workspaceblobstore"
    (store / "sales").mkdir(parents=True)
    (store / "sales" / "sales.csv").write_text("region,amount\nnorth,5\nsouth,30\nwest,50\n")
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "warehouse_analytics_e2e.py").write_text(DAG_FILE.format(source=str(source)))
    env = {**airflow_home.env, "AIRFLOW_CONN_DATABRICKS_E2E": databricks_connection(jobs_api)}

    results = run_script(TWO_RUNS, dags, env, expected_runs=2)
    first, second = results
    assert first["state"] == "success", first
    assert first["tis"] == {"mlpipelines_reuse": "success", "report": "success", "check": "success"}
    script = [b for b in jobs_api.warehouse.bodies if "schema" in b]
    assert len(script) == 1
    assert script[0]["parameters"] == [{"name": "min_amount", "value": "25", "type": "BIGINT"}]
    stdout = sorted((store / "artifacts").glob("warehouse_analytics_e2e/*/check/stdout.txt"))
    assert stdout and "regions: ['south', 'west']" in stdout[0].read_text()
    assert second["state"] == "success", second
    assert second["tis"]["report"] == "skipped", "reused: no statement sent again"
    assert len([b for b in jobs_api.warehouse.bodies if "schema" in b]) == 1
    assert jobs_api.warehouse.schemas("wh-test") == []
