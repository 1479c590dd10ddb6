"""Databricks File System, as a datastore kind: files inside a Databricks workspace, which
only a DatabricksStep reads and writes (as ``dbfs:/`` paths), as in Azure ML.

The Airflow workers never open it: its filesystem is a clear error naming the datastore's
one use, and steps of other kinds are refused when the pipeline is defined.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mlpipelines.datastore_kinds.base import PREFIX_FIELD, ConnectionForm, DatastoreKind
from mlpipelines.errors import UserErrorException

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

TOP = "dbfs"
"""The pseudo top every DBFS path hangs on (``dbfs/raw`` is ``dbfs:/raw``)."""
ONLY_DATABRICKS = "only a DatabricksStep can read or write a DBFS datastore (as dbfs:/ paths)"


class DbfsKind(DatastoreKind):
    """The DBFS of the Databricks workspace a DatabricksStep runs in (no settings)."""

    name = "dbfs"
    datastore_type = "DBFS"
    conn_type = "mlpipelines_dbfs"
    hook_name = "ML pipelines datastore: Databricks File System"
    hook_class_name = "DbfsDatastoreHook"
    uri_scheme = "dbfs"
    extra_keys = ("prefix",)
    form = ConnectionForm(fields={"prefix": PREFIX_FIELD}, placeholders={"extra": "{}"})
    atomic_create = True  # never written by a worker: nothing to replace

    @classmethod
    def top_and_options(
        cls, name: str, fields: Mapping[str, Any], extra: Mapping[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        return TOP, {"datastore": name}

    @classmethod
    def filesystem(cls, options: Mapping[str, Any]) -> AbstractFileSystem:
        raise UserErrorException(
            f"datastore '{options.get('datastore')}' is a DBFS datastore: {ONLY_DATABRICKS}; "
            "copy the data to a Blob, ADLS Gen2 or S3 datastore for other steps"
        )

    @classmethod
    def uri(cls, path: str, options: Mapping[str, Any]) -> str:
        """``dbfs:/raw/a.csv`` for the path ``dbfs/raw/a.csv``."""
        return "dbfs:/" + path.removeprefix(TOP).lstrip("/")

    @classmethod
    def create_exclusive(cls, fs: AbstractFileSystem, path: str, data: bytes) -> None:
        raise UserErrorException(ONLY_DATABRICKS)
