"""``azureml.data.azure_postgre_sql_datastore``."""

from mlpipelines.model.datastore_types import AzurePostgreSqlDatastore

__all__ = ["AzurePostgreSqlDatastore"]
