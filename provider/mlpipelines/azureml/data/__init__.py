"""``azureml.data``."""

from mlpipelines.model.data import DataReference
from mlpipelines.model.dataset import (
    AbstractDataset,
    DataPath,
    DatasetConsumptionConfig,
    DataType,
    FileDataset,
    TabularDataset,
)
from mlpipelines.model.datastore_types import (
    AzureBlobDatastore,
    AzureDataLakeGen2Datastore,
    AzureFileDatastore,
    AzureMySqlDatastore,
    AzurePostgreSqlDatastore,
    AzureSqlDatabaseDatastore,
    DBFSDatastore,
)
from mlpipelines.model.output_dataset import OutputFileDatasetConfig
from mlpipelines.model.sql_data_reference import SqlDataReference

__all__ = [
    "AbstractDataset",
    "AzureBlobDatastore",
    "AzureDataLakeGen2Datastore",
    "AzureFileDatastore",
    "AzureMySqlDatastore",
    "AzurePostgreSqlDatastore",
    "AzureSqlDatabaseDatastore",
    "DBFSDatastore",
    "DataPath",
    "DataReference",
    "DataType",
    "DatasetConsumptionConfig",
    "FileDataset",
    "OutputFileDatasetConfig",
    "SqlDataReference",
    "TabularDataset",
]
