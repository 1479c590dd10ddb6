"""``azureml.data.file_dataset``."""

from mlpipelines.model.dataset import FileDataset

__all__ = ["FileDataset"]
