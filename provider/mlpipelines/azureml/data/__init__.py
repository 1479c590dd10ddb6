"""``azureml.data``."""

from mlpipelines.model.data import DataReference
from mlpipelines.model.dataset import (
    DataPath,
    DatasetConsumptionConfig,
    FileDataset,
    TabularDataset,
)

__all__ = [
    "DataPath",
    "DataReference",
    "DatasetConsumptionConfig",
    "FileDataset",
    "TabularDataset",
]
