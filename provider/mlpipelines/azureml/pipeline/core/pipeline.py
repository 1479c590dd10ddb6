"""``azureml.pipeline.core.pipeline``."""

from mlpipelines.model.pipeline import Pipeline

__all__ = ["Pipeline"]
