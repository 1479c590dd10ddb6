"""Airflow DAG `command_pipeline`: CommandSteps, as Azure ML's CommandStep samples write them.

`squares` runs a shell script that writes a CSV itself; `summarize` runs `python summarize.py`
on it. Each command runs as an argv list (no shell): the `rows` value reaches the script as one
argument, whatever it holds. Try
`mlpipelines trigger command_pipeline --param rows=20 --wait`.
"""

from mlpipelines.azureml.core import ScriptRunConfig, Workspace
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData, PipelineParameter
from mlpipelines.azureml.pipeline.steps import CommandStep

ws = Workspace.current()
rows = PipelineParameter("rows", default_value=10)
squares = PipelineData("squares", datastore=ws.get_default_datastore())

make_squares = CommandStep(
    name="squares",
    command=["sh squares.sh", squares, rows],
    outputs=[squares],
    source_directory="scripts/command",
)
summarize = CommandStep(
    name="summarize",
    runconfig=ScriptRunConfig(
        source_directory="scripts/command", command=["python summarize.py --data", squares]
    ),
    inputs=[squares],
)

dag = Pipeline(ws, steps=[make_squares, summarize]).to_dag("command_pipeline", tags=["example"])
