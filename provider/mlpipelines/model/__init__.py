"""The pipeline vocabulary: plain classes that know nothing of Airflow."""

from mlpipelines.model.analytics import AdlaStep, AnalyticsStep
from mlpipelines.model.command_step import CommandStep
from mlpipelines.model.compute import ComputeTarget
from mlpipelines.model.data import DataInput, DataReference, PipelineData
from mlpipelines.model.databricks import DatabricksStep
from mlpipelines.model.datastore import Datastore
from mlpipelines.model.notebook_step import NotebookRunConfig, NotebookRunnerStep
from mlpipelines.model.parallel_run import ParallelRunConfig, ParallelRunStep
from mlpipelines.model.parameter import PipelineParameter
from mlpipelines.model.pipeline import Pipeline, StepSequence
from mlpipelines.model.script_run_config import ScriptRunConfig
from mlpipelines.model.steps import PythonScriptStep, Step
from mlpipelines.model.transfer_step import DataTransferStep
from mlpipelines.model.workspace import Workspace

__all__ = [
    "AdlaStep",
    "AnalyticsStep",
    "CommandStep",
    "ComputeTarget",
    "DataInput",
    "DataReference",
    "DataTransferStep",
    "DatabricksStep",
    "Datastore",
    "NotebookRunConfig",
    "NotebookRunnerStep",
    "ParallelRunConfig",
    "ParallelRunStep",
    "Pipeline",
    "PipelineData",
    "PipelineParameter",
    "PythonScriptStep",
    "ScriptRunConfig",
    "Step",
    "StepSequence",
    "Workspace",
]
