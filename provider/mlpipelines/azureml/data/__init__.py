"""``azureml.data``."""

from mlpipelines.model.data import DataReference

__all__ = ["DataReference"]
