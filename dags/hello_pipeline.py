"""Airflow DAG `hello_pipeline`: the smallest useful pipeline, two steps and one parameter.

`greet` writes a greeting to intermediate data; `shout` reads it. Try
`mlpipelines trigger hello_pipeline --param greeting="Hi there" --wait`.
"""

from mlpipelines import Pipeline, PipelineData, PipelineParameter, PythonScriptStep, Workspace

ws = Workspace.current()
greeting = PipelineParameter("greeting", default_value="Hello")
message = PipelineData("message", datastore=ws.get_default_datastore())

greet = PythonScriptStep(
    name="greet",
    script_name="greet.py",
    source_directory="scripts/hello",
    arguments=["--greeting", greeting, "--out", message],
    outputs=[message],
)
shout = PythonScriptStep(
    name="shout",
    script_name="shout.py",
    source_directory="scripts/hello",
    arguments=["--message", message],
    inputs=[message],
)

dag = Pipeline(ws, steps=[greet, shout]).to_dag("hello_pipeline", tags=["example"])
