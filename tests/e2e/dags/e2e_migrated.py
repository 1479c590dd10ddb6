"""A pipeline migrated from Azure ML SDK v1 by the one import edit. Its text never names the
scheduler it runs on, so only mlpipelines' discovery rule makes the processor parse it."""

from mlpipelines.azureml.core import Workspace
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData
from mlpipelines.azureml.pipeline.steps import PythonScriptStep

ws = Workspace.current()
echoed = PipelineData("echoed", datastore=ws.get_default_datastore())
echo = PythonScriptStep(
    name="echo",
    script_name="echo_args.py",
    arguments=["migrated", "--out", echoed],
    outputs=[echoed],
    source_directory="scripts",
)
pipeline = Pipeline(workspace=ws, steps=[echo])
migrated = pipeline.to_dag("e2e_migrated")
