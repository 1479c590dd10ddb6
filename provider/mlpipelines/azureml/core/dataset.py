"""``azureml.core.dataset``."""

from mlpipelines.model.dataset import Dataset

__all__ = ["Dataset"]
