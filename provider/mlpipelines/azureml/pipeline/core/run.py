"""``azureml.pipeline.core.run``."""

from mlpipelines.client.pipeline_run import PipelineRun, StepRun
from mlpipelines.client.port_data import PortDataReference

# The old SDK's StepRunOutput wrapped a PortDataReference; here the reference stands for both.
StepRunOutput = PortDataReference

__all__ = ["PipelineRun", "StepRun", "StepRunOutput"]
