"""Airflow DAG `e2e_task_group`: a pipeline embedded in a DAG of the user's own, between two
tasks of the user's."""

import json
import os

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, task

from mlpipelines import Pipeline, PipelineData, PythonScriptStep, Workspace

ws = Workspace.current()
echoed = PipelineData("echoed", datastore=ws.get_default_datastore())
echo = PythonScriptStep(
    name="echo",
    script_name="echo_args.py",
    source_directory="scripts",
    arguments=["inside-group", "--out", echoed],
    outputs=[echoed],
)

with DAG("e2e_task_group", schedule=None) as dag:

    @task
    def after(ti=None):
        ref = ti.xcom_pull(task_ids="ml.echo", key="output_echoed")
        home = os.environ["AIRFLOW_HOME"]
        path = os.path.join(home, "mlpipelines", ref["datastore"], ref["path"], "received.json")
        with open(path) as source:
            return json.load(source)

    start = EmptyOperator(task_id="start")
    group = Pipeline(ws, [echo]).to_task_group("ml")
    start >> group >> after()
