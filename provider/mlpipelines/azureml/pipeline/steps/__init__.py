"""``azureml.pipeline.steps``."""

from mlpipelines.model.analytics import AdlaStep, AnalyticsStep
from mlpipelines.model.azure_only_names import (
    AutoMLStep,
    AzureBatchStep,
    EstimatorStep,
    HyperDriveStep,
    KustoStep,
    MpiStep,
    SynapseSparkStep,
)
from mlpipelines.model.command_step import CommandStep
from mlpipelines.model.databricks import DatabricksStep
from mlpipelines.model.module_step import ModuleStep
from mlpipelines.model.parallel_run import ParallelRunConfig, ParallelRunStep
from mlpipelines.model.steps import PythonScriptStep
from mlpipelines.model.transfer_step import DataTransferStep

__all__ = [
    "AdlaStep",
    "AnalyticsStep",
    "AutoMLStep",
    "AzureBatchStep",
    "CommandStep",
    "DataTransferStep",
    "DatabricksStep",
    "EstimatorStep",
    "HyperDriveStep",
    "KustoStep",
    "ModuleStep",
    "MpiStep",
    "ParallelRunConfig",
    "ParallelRunStep",
    "PythonScriptStep",
    "SynapseSparkStep",
]
