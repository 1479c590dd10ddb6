"""``azureml.pipeline.steps``."""

from mlpipelines.model.analytics import AdlaStep, AnalyticsStep
from mlpipelines.model.azure_only_names import (
    AutoMLStep,
    AzureBatchStep,
    EstimatorStep,
    HyperDriveStep,
    KustoStep,
    MpiStep,
)
from mlpipelines.model.databricks import DatabricksStep
from mlpipelines.model.parallel_run import ParallelRunConfig, ParallelRunStep
from mlpipelines.model.steps import PythonScriptStep
from mlpipelines.model.transfer_step import DataTransferStep

__all__ = [
    "AdlaStep",
    "AnalyticsStep",
    "AutoMLStep",
    "AzureBatchStep",
    "DataTransferStep",
    "DatabricksStep",
    "EstimatorStep",
    "HyperDriveStep",
    "KustoStep",
    "MpiStep",
    "ParallelRunConfig",
    "ParallelRunStep",
    "PythonScriptStep",
]
