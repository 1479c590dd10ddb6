"""The datastore kinds, looked up by name or by Airflow connection type.

Everything kind-specific derives from here: the hooks and the UI forms (``hooks/``), the
provider info's connection types, registration bodies and ``Datastore.register_*``,
connection parsing, filesystems, URIs and the atomic-write decisions (``storage/``).

A new kind is one module in this package, one line in ``KINDS`` and its SDK in the project's
dependencies. Its ``DatastoreKind`` subclass declares:

- ``name`` (the kind in datastore specs, stored as is), ``datastore_type`` (Azure ML's name),
  ``conn_type``, ``hook_name``, ``hook_class_name`` and, if not ``workspaceblobstore``,
  ``default_conn_name``;
- ``connection_settings`` (registration keyword -> connection field: the fields it uses),
  ``extra_keys``, ``secret_fields`` and ``secret_options``;
- ``form``: one ``FormField`` per extra key, labels and placeholders;
- ``uri_scheme``; ``is_local``, ``atomic_create`` and ``parallel_copies`` where they differ
  from the defaults;
- ``top_and_options`` (connection -> top and filesystem options, strictly checked) and
  ``filesystem`` (its SDK imported inside); ``uri``/``top``/``probe`` where the defaults do
  not fit; ``replace`` without ``atomic_create``, ``create_exclusive`` with it.
"""

from __future__ import annotations

from mlpipelines.datastore_kinds.adls_gen2 import AdlsGen2Kind
from mlpipelines.datastore_kinds.azure_blob import AzureBlobKind
from mlpipelines.datastore_kinds.azure_files import AzureFilesKind
from mlpipelines.datastore_kinds.base import DatastoreKind
from mlpipelines.datastore_kinds.dbfs import DbfsKind
from mlpipelines.datastore_kinds.local import LocalFolderKind
from mlpipelines.datastore_kinds.s3 import S3Kind
from mlpipelines.datastore_kinds.sql import MySqlKind, PostgresKind, SqlServerKind
from mlpipelines.errors import UserErrorException

KINDS: tuple[type[DatastoreKind], ...] = (LocalFolderKind, AzureBlobKind, AzureFilesKind, S3Kind)
KINDS += (AdlsGen2Kind, DbfsKind, PostgresKind, MySqlKind, SqlServerKind)
FILE_KINDS = tuple(kind for kind in KINDS if kind.holds_files)
"""The kinds whose connections, hooks and forms this provider declares (the SQL kinds' belong
to their Airflow providers)."""

_BY_NAME = {kind.name: kind for kind in KINDS}
_BY_CONN_TYPE = {kind.conn_type: kind for kind in KINDS}
if len(_BY_NAME) != len(KINDS) or len(_BY_CONN_TYPE) != len(KINDS):
    raise RuntimeError("two datastore kinds share a name or a connection type")


class UnknownDatastoreKind(UserErrorException):
    """A kind or connection type that no datastore kind declares."""


def kind_names() -> tuple[str, ...]:
    """Every kind's name, in registry order."""
    return tuple(_BY_NAME)


def conn_types() -> tuple[str, ...]:
    """Every kind's Airflow connection type, in registry order."""
    return tuple(_BY_CONN_TYPE)


def datastore_kind(name: str) -> type[DatastoreKind]:
    """The kind named ``name`` (``local``, ``azure_blob``, ...)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnknownDatastoreKind(
            f"unknown datastore kind '{name}' (known: {', '.join(kind_names())})"
        ) from None


def kind_of_conn_type(conn_type: str) -> type[DatastoreKind]:
    """The kind whose connections have type ``conn_type`` (``-`` is read as ``_``, as the
    Airflow UI may write it)."""
    try:
        return _BY_CONN_TYPE[conn_type.replace("-", "_")]
    except KeyError:
        raise UnknownDatastoreKind(
            f"connection type '{conn_type}' is not a datastore type "
            f"(use one of {', '.join(conn_types())})"
        ) from None
