"""``azureml.pipeline.steps``."""

from mlpipelines.model.steps import PythonScriptStep

__all__ = ["PythonScriptStep"]
