"""``azureml.pipeline.core.pipeline_endpoint``."""

from mlpipelines.client.pipeline_endpoint import PipelineEndpoint, PipelineIdVersion

__all__ = ["PipelineEndpoint", "PipelineIdVersion"]
