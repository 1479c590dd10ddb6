"""Airflow DAG `e2e_pipeline_view`: prepare -> train -> report, with metrics and a
parameter, for the pipeline view's tests (REST and browser): a re-run with the same
`alpha` reuses every step, another `alpha` reuses `prepare` only."""

from mlpipelines import Pipeline, PipelineData, PipelineParameter, PythonScriptStep, Workspace

ws = Workspace.current()
store = ws.get_default_datastore()
alpha = PipelineParameter("alpha", default_value=1.0)
rows = PipelineParameter("rows", default_value=150)
prepared = PipelineData("prepared", datastore=store)
model = PipelineData("model", datastore=store)
source = "scripts/pipeline_view"

prepare = PythonScriptStep(
    name="prepare",
    script_name="prepare.py",
    source_directory=source,
    arguments=["--rows", rows, "--out", prepared],
    outputs=[prepared],
)
train = PythonScriptStep(
    name="train",
    script_name="train.py",
    source_directory=source,
    arguments=["--data", prepared, "--alpha", alpha, "--out", model],
    inputs=[prepared],
    outputs=[model],
)
report = PythonScriptStep(
    name="report",
    script_name="report.py",
    source_directory=source,
    arguments=["--model", model],
    inputs=[model],
)
dag = Pipeline(ws, [report], description="Pipeline view test").to_dag("e2e_pipeline_view")
