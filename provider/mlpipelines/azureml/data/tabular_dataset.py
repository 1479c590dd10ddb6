"""``azureml.data.tabular_dataset``."""

from mlpipelines.model.dataset import TabularDataset

__all__ = ["TabularDataset"]
