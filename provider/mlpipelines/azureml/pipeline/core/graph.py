"""``azureml.pipeline.core.graph``."""

from mlpipelines.client.port_data import PortDataReference
from mlpipelines.model.data import PipelineData
from mlpipelines.model.module_ports import InputPortDef, OutputPortDef
from mlpipelines.model.parameter import PipelineParameter

__all__ = [
    "InputPortDef",
    "OutputPortDef",
    "PipelineData",
    "PipelineParameter",
    "PortDataReference",
]
