"""``azureml.pipeline.core``: pipelines, intermediate data, parameters."""

from mlpipelines.client.pipeline_draft import PipelineDraft
from mlpipelines.client.pipeline_endpoint import PipelineEndpoint, PipelineIdVersion
from mlpipelines.client.pipeline_run import PipelineRun, StepRun
from mlpipelines.client.port_data import PortDataReference
from mlpipelines.client.published_pipeline import PublishedPipeline
from mlpipelines.client.recurrence import ScheduleRecurrence
from mlpipelines.client.schedule import Schedule
from mlpipelines.client.time_zones import TimeZone
from mlpipelines.model.azure_only_names import TrainingOutput
from mlpipelines.model.data import PipelineData
from mlpipelines.model.module import Module, ModuleVersion, ModuleVersionDescriptor
from mlpipelines.model.module_ports import InputPortDef, OutputPortDef
from mlpipelines.model.parameter import PipelineParameter
from mlpipelines.model.pipeline import Pipeline, StepSequence
from mlpipelines.model.steps import Step as PipelineStep

__all__ = [
    "InputPortDef",
    "Module",
    "ModuleVersion",
    "ModuleVersionDescriptor",
    "OutputPortDef",
    "Pipeline",
    "PipelineData",
    "PipelineDraft",
    "PipelineEndpoint",
    "PipelineIdVersion",
    "PipelineParameter",
    "PipelineRun",
    "PipelineStep",
    "PortDataReference",
    "PublishedPipeline",
    "Schedule",
    "ScheduleRecurrence",
    "StepRun",
    "StepSequence",
    "TimeZone",
    "TrainingOutput",
]
