"""``azureml.data.azure_storage_datastore``."""

from mlpipelines.model.datastore_types import AzureBlobDatastore, AzureFileDatastore

__all__ = ["AzureBlobDatastore", "AzureFileDatastore"]
