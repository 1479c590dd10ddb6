"""``azureml.data.azure_sql_database_datastore``."""

from mlpipelines.model.datastore_types import AzureSqlDatabaseDatastore

__all__ = ["AzureSqlDatabaseDatastore"]
