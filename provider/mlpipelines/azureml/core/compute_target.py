"""``azureml.core.compute_target``."""

from mlpipelines.errors import ComputeTargetException
from mlpipelines.model.compute import ComputeTarget

__all__ = ["ComputeTarget", "ComputeTargetException"]
