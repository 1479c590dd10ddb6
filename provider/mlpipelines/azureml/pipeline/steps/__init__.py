"""``azureml.pipeline.steps``."""

from mlpipelines.model.analytics import AdlaStep, AnalyticsStep
from mlpipelines.model.databricks import DatabricksStep
from mlpipelines.model.steps import PythonScriptStep

__all__ = ["AdlaStep", "AnalyticsStep", "DatabricksStep", "PythonScriptStep"]
