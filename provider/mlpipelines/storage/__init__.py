"""Datastores as fsspec filesystems: one interface over local folders, Azure Blob, Azure Files
and S3, used by the runtime, datasets and transfers."""

from mlpipelines.storage.location import StoreLocation, open_datastore

__all__ = ["StoreLocation", "open_datastore"]
