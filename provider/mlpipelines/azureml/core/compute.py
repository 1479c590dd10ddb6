"""``azureml.core.compute``."""

from mlpipelines.model.compute import AdlaCompute, AmlCompute, ComputeTarget
from mlpipelines.model.databricks import DatabricksCompute

__all__ = ["AdlaCompute", "AmlCompute", "ComputeTarget", "DatabricksCompute"]
