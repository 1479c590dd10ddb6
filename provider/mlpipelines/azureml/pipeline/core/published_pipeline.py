"""``azureml.pipeline.core.published_pipeline``."""

from mlpipelines.client.published_pipeline import PublishedPipeline

__all__ = ["PublishedPipeline"]
