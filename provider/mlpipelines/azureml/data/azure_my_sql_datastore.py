"""``azureml.data.azure_my_sql_datastore``."""

from mlpipelines.model.datastore_types import AzureMySqlDatastore

__all__ = ["AzureMySqlDatastore"]
