"""Airflow DAG `e2e_killed`: a step that writes part of its output, then hangs until killed."""

from mlpipelines import Pipeline, PipelineData, PipelineParameter, PythonScriptStep, Workspace

ws = Workspace.current()
pid_file = PipelineParameter("pid_file", default_value="")
result = PipelineData("result", datastore=ws.get_default_datastore())
hang = PythonScriptStep(
    name="hang",
    script_name="hang.py",
    source_directory="scripts",
    arguments=["--pid-file", pid_file, "--out", result],
    outputs=[result],
)
dag = Pipeline(ws, [hang]).to_dag("e2e_killed", default_args={"retries": 0})
