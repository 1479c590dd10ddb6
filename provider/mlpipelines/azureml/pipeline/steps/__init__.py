"""``azureml.pipeline.steps``."""

from mlpipelines.model.analytics import AdlaStep, AnalyticsStep
from mlpipelines.model.databricks import DatabricksStep
from mlpipelines.model.steps import PythonScriptStep
from mlpipelines.model.transfer_step import DataTransferStep

__all__ = [
    "AdlaStep",
    "AnalyticsStep",
    "DataTransferStep",
    "DatabricksStep",
    "PythonScriptStep",
]
