"""``azureml.core.script_run``: ``ScriptRun``, what ``Experiment.submit(ScriptRunConfig)``
returns; here a ScriptRunConfig runs as a one-step pipeline, so it is that pipeline's run."""

from mlpipelines.client.pipeline_run import PipelineRun

ScriptRun = PipelineRun

__all__ = ["ScriptRun"]
