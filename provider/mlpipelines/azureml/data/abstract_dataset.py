"""``azureml.data.abstract_dataset``."""

from mlpipelines.model.dataset import AbstractDataset

__all__ = ["AbstractDataset"]
