"""``azureml.data.dbfs_datastore``."""

from mlpipelines.model.datastore_types import DBFSDatastore

__all__ = ["DBFSDatastore"]
