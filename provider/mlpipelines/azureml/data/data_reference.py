"""``azureml.data.data_reference``."""

from mlpipelines.model.data import DataReference

__all__ = ["DataReference"]
