"""Airflow DAG `e2e_ui_surfaces`: one step reading a fixed file and writing PipelineData,
with two parameters, for the UI surfaces test (params, assets, links)."""

from mlpipelines import (
    DataReference,
    Pipeline,
    PipelineData,
    PipelineParameter,
    PythonScriptStep,
    Workspace,
)

ws = Workspace.current()
store = ws.get_default_datastore()
greeting = PipelineParameter("greeting", default_value="hello", description="Said first")
count = PipelineParameter("count", default_value=3)
raw = DataReference(store, "raw", "e2e_ui_surfaces/raw.txt")
echoed = PipelineData("echoed", datastore=store)

echo = PythonScriptStep(
    name="echo",
    script_name="echo_args.py",
    source_directory="scripts",
    arguments=[greeting, "--count", count, "--raw", raw, "--out", echoed],
    inputs=[raw],
    outputs=[echoed],
)
dag = Pipeline(ws, [echo]).to_dag("e2e_ui_surfaces")
