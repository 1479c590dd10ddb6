"""Airflow DAG `e2e_failure`: a step whose script fails, and one after it that must not run."""

from mlpipelines import Pipeline, PipelineData, PythonScriptStep, Workspace

ws = Workspace.current()
half = PipelineData("half", datastore=ws.get_default_datastore())
breaks = PythonScriptStep(
    name="breaks",
    script_name="fail.py",
    source_directory="scripts",
    arguments=["--out", half],
    outputs=[half],
)
after = PythonScriptStep(
    name="after",
    script_name="echo_args.py",
    source_directory="scripts",
    arguments=["--out", half],
    inputs=[half],
)
dag = Pipeline(ws, [after]).to_dag("e2e_failure", default_args={"retries": 0})
