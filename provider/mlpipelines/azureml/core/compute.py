"""``azureml.core.compute``."""

from mlpipelines.model.compute import ComputeTarget

__all__ = ["ComputeTarget"]
