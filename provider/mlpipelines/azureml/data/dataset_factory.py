"""``azureml.data.dataset_factory``."""

from mlpipelines.model.dataset import DataType, FileDatasetFactory, TabularDatasetFactory

__all__ = ["DataType", "FileDatasetFactory", "TabularDatasetFactory"]
