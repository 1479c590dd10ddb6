"""mlpipelines: Azure ML SDK v1 style ML pipelines on Apache Airflow 3.

Everything a pipeline author needs is importable from here; ``mlpipelines.azureml.*`` holds
the same objects under the old SDK's module paths.
"""

from mlpipelines._version import __version__ as __version__
from mlpipelines.errors import (
    ActivityFailedException,
    ComputeTargetException,
    PipelineValidationError,
    Problem,
    StepRunError,
    UserErrorException,
)
from mlpipelines.model import (
    AdlaStep,
    AnalyticsStep,
    CommandStep,
    ComputeTarget,
    DatabricksStep,
    DataReference,
    Datastore,
    DataTransferStep,
    NotebookRunConfig,
    NotebookRunnerStep,
    Pipeline,
    PipelineData,
    PipelineParameter,
    PythonScriptStep,
    ScriptRunConfig,
    StepSequence,
    Workspace,
)
from mlpipelines.model.dataset import (
    Dataset,
    DatasetConsumptionConfig,
    FileDataset,
    TabularDataset,
)
from mlpipelines.model.output_dataset import OutputFileDatasetConfig
from mlpipelines.model.parallel_run import ParallelRunConfig, ParallelRunStep
from mlpipelines.model.run import Run

_CLIENT_EXPORTS = {
    "PipelineRun": "mlpipelines.client.pipeline_run",
    "StepRun": "mlpipelines.client.pipeline_run",
    "Experiment": "mlpipelines.client.experiment",
    "PublishedPipeline": "mlpipelines.client.published_pipeline",
    "PipelineEndpoint": "mlpipelines.client.pipeline_endpoint",
    "Schedule": "mlpipelines.client.schedule",
    "ScheduleRecurrence": "mlpipelines.client.recurrence",
    "PipelineDraft": "mlpipelines.client.pipeline_draft",
    "PortDataReference": "mlpipelines.client.port_data",
    "RunDetails": "mlpipelines.client.run_details",
    "Model": "mlpipelines.model.registered_model",
    "Environment": "mlpipelines.model.environment",
    "RunConfiguration": "mlpipelines.model.environment",
    "CondaDependencies": "mlpipelines.model.conda_dependencies",
    "Module": "mlpipelines.model.module",
    "ModuleVersion": "mlpipelines.model.module",
    "ModuleStep": "mlpipelines.model.module_step",
    "InputPortDef": "mlpipelines.model.module_ports",
    "OutputPortDef": "mlpipelines.model.module_ports",
}


def __getattr__(name: str) -> object:
    """Client classes (and the environment and model registry) load on first use: DAG files
    import this package at every parse and never need them."""
    if name in _CLIENT_EXPORTS:
        import importlib

        return getattr(importlib.import_module(_CLIENT_EXPORTS[name]), name)
    raise AttributeError(f"module 'mlpipelines' has no attribute {name!r}")


__all__ = [
    "ActivityFailedException",
    "AdlaStep",
    "AnalyticsStep",
    "CommandStep",
    "ComputeTarget",
    "ComputeTargetException",
    "CondaDependencies",
    "DataReference",
    "DataTransferStep",
    "DatabricksStep",
    "Dataset",
    "DatasetConsumptionConfig",
    "Datastore",
    "Environment",
    "Experiment",
    "FileDataset",
    "InputPortDef",
    "Model",
    "Module",
    "ModuleStep",
    "ModuleVersion",
    "NotebookRunConfig",
    "NotebookRunnerStep",
    "OutputFileDatasetConfig",
    "OutputPortDef",
    "ParallelRunConfig",
    "ParallelRunStep",
    "Pipeline",
    "PipelineData",
    "PipelineDraft",
    "PipelineEndpoint",
    "PipelineParameter",
    "PipelineRun",
    "PipelineValidationError",
    "PortDataReference",
    "Problem",
    "PublishedPipeline",
    "PythonScriptStep",
    "Run",
    "RunConfiguration",
    "RunDetails",
    "Schedule",
    "ScheduleRecurrence",
    "ScriptRunConfig",
    "StepRun",
    "StepRunError",
    "StepSequence",
    "TabularDataset",
    "UserErrorException",
    "Workspace",
]
