"""``azureml.pipeline.core.graph``."""

from mlpipelines.client.port_data import PortDataReference
from mlpipelines.model.data import PipelineData
from mlpipelines.model.parameter import PipelineParameter

__all__ = ["PipelineData", "PipelineParameter", "PortDataReference"]
