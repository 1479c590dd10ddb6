"""``azureml.data``."""

from mlpipelines.model.data import DataReference
from mlpipelines.model.dataset import (
    DataPath,
    DatasetConsumptionConfig,
    FileDataset,
    TabularDataset,
)
from mlpipelines.model.output_dataset import OutputFileDatasetConfig
from mlpipelines.model.sql_data_reference import SqlDataReference

__all__ = [
    "DataPath",
    "DataReference",
    "DatasetConsumptionConfig",
    "FileDataset",
    "OutputFileDatasetConfig",
    "SqlDataReference",
    "TabularDataset",
]
