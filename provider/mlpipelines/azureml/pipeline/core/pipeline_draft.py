"""``azureml.pipeline.core.pipeline_draft``."""

from mlpipelines.client.pipeline_draft import PipelineDraft

__all__ = ["PipelineDraft"]
