"""Datastore kinds (local folder, Azure Blob, Azure Files, S3, ADLS Gen2, DBFS, SQL databases):
one class per kind, and a registry by name and connection type. Importing this imports no
storage SDK and no Airflow."""

from __future__ import annotations

from mlpipelines.datastore_kinds.adls_gen2 import AdlsGen2Kind
from mlpipelines.datastore_kinds.azure_blob import AzureBlobKind
from mlpipelines.datastore_kinds.azure_files import AzureFilesKind
from mlpipelines.datastore_kinds.base import ConnectionForm, DatastoreKind, FormField
from mlpipelines.datastore_kinds.dbfs import DbfsKind
from mlpipelines.datastore_kinds.local import LocalFolderKind
from mlpipelines.datastore_kinds.registry import (
    FILE_KINDS,
    KINDS,
    UnknownDatastoreKind,
    conn_types,
    datastore_kind,
    kind_names,
    kind_of_conn_type,
)
from mlpipelines.datastore_kinds.s3 import S3Kind
from mlpipelines.datastore_kinds.sql import MySqlKind, PostgresKind, SqlDatabaseKind, SqlServerKind

__all__ = [
    "FILE_KINDS",
    "KINDS",
    "AdlsGen2Kind",
    "AzureBlobKind",
    "AzureFilesKind",
    "ConnectionForm",
    "DatastoreKind",
    "DbfsKind",
    "FormField",
    "LocalFolderKind",
    "MySqlKind",
    "PostgresKind",
    "S3Kind",
    "SqlDatabaseKind",
    "SqlServerKind",
    "UnknownDatastoreKind",
    "conn_types",
    "datastore_kind",
    "kind_names",
    "kind_of_conn_type",
]
