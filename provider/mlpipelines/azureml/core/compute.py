"""``azureml.core.compute``."""

from mlpipelines.model.compute import ComputeTarget
from mlpipelines.model.databricks import DatabricksCompute

__all__ = ["ComputeTarget", "DatabricksCompute"]
