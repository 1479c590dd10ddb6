"""Datastores as fsspec filesystems: one interface over local folders, Azure Blob, Azure Files
and S3, used by the runtime, datasets and transfers.

Importing this package imports no storage SDK and no Airflow; both load on first use.
"""

from mlpipelines.storage.connections import open_datastore
from mlpipelines.storage.location import DatastoreAccessError, StoreLocation

__all__ = ["DatastoreAccessError", "StoreLocation", "open_datastore"]
