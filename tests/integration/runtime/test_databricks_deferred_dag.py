"""A deferrable DatabricksStep in a real DAG run: ``dag.test()`` runs the trigger in line,
resumes the task, and the next step reads its output; a second run reuses it."""

from __future__ import annotations

import textwrap

import pytest

from support.dag_test_runs import databricks_connection, run_script

pytestmark = pytest.mark.integration

DAG_FILE = """
\"\"\"Airflow DAG (DagBag's safe mode reads only files that say both words).\"\"\"
from mlpipelines import DatabricksStep, Pipeline, PipelineData, PythonScriptStep, Workspace

ws = Workspace.current()
model = PipelineData("model", datastore=ws.get_default_datastore())
train = DatabricksStep(
    name="train",
    notebook_path="/Shared/train",
    existing_cluster_id="c-1",
    outputs=[model],
    compute_target="databricks_e2e",
    run_name="e2e-train",
    deferrable=True,
)
check = PythonScriptStep(
    name="check",
    script_name="check.py",
    source_directory={source!r},
    arguments=["--model", model],
    inputs=[model],
)
dag = Pipeline(ws, steps=[train, check]).to_dag("databricks_deferred_e2e")
"""

CHECK_SCRIPT = """
import argparse, os
parser = argparse.ArgumentParser()
parser.add_argument("--model")
print("model folder:", os.path.isdir(parser.parse_args().model))
"""

TWO_RUNS = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
for _ in range(2):
    dag = DagBag(sys.argv[1]).get_dag("databricks_deferred_e2e")
    run = dag.test()
    print("RESULT " + json.dumps({"state": str(run.state),
          "tis": {ti.task_id: str(ti.state) for ti in run.get_task_instances()}}))
"""


def test_deferred_step_resumes_and_is_reused_next_run(airflow_home, jobs_api, tmp_path):
    source = tmp_path / "scripts"
    source.mkdir()
    (source / "check.py").write_text(textwrap.dedent(CHECK_SCRIPT))
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "databricks_deferred_e2e.py").write_text(DAG_FILE.format(source=str(source)))
    env = {**airflow_home.env, "AIRFLOW_CONN_DATABRICKS_E2E": databricks_connection(jobs_api)}

    results = run_script(TWO_RUNS, dags, env, expected_runs=2)
    first, second = results
    assert first["state"] == "success", first
    assert first["tis"] == {"mlpipelines_reuse": "success", "train": "success", "check": "success"}
    assert len(jobs_api.runs) == 1
    assert "json" in jobs_api.get_bodies, "the trigger polled with the async hook"
    stdout = sorted(
        (airflow_home.home / "mlpipelines" / "workspaceblobstore" / "artifacts").glob(
            "databricks_deferred_e2e/*/check/stdout.txt"
        )
    )
    assert stdout and "model folder: True" in stdout[0].read_text()
    assert second["state"] == "success", second
    assert second["tis"]["train"] == "skipped", "reused: nothing submitted, nothing deferred"
    assert len(jobs_api.runs) == 1
