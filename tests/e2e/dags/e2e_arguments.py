"""Airflow DAG `e2e_arguments`: echoes its argv and params so tests can see what arrived."""

from mlpipelines import Pipeline, PipelineData, PipelineParameter, PythonScriptStep, Workspace

ws = Workspace.current()
first = PipelineParameter("first", default_value="plain")
second = PipelineParameter("second", default_value="plain")
third = PipelineParameter("third", default_value="plain")
count = PipelineParameter("count", default_value=3)
echoed = PipelineData("echoed", datastore=ws.get_default_datastore())

echo = PythonScriptStep(
    name="echo",
    script_name="echo_args.py",
    source_directory="scripts",
    arguments=[first, second, third, "--count", count, "--out", echoed],
    params={"third": third},
    outputs=[echoed],
)
dag = Pipeline(ws, [echo]).to_dag("e2e_arguments")
