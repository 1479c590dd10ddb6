"""``azureml.data.azure_data_lake_datastore``."""

from mlpipelines.model.datastore_types import AzureDataLakeGen2Datastore

__all__ = ["AzureDataLakeGen2Datastore"]
