"""The old SDK's datastore classes (``AzureBlobDatastore``, ...) as kinds of ``Datastore``.

Here every datastore is one ``Datastore`` whose ``datastore_type`` names its kind; these classes
let code written against the old per-kind classes (type hints, ``isinstance`` checks) run: an
instance check asks the datastore's type, and building one is building a ``Datastore``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from mlpipelines.model.datastore import Datastore


class _ByDatastoreType(type):
    """``isinstance(ds, AzureBlobDatastore)``: a ``Datastore`` of that ``datastore_type``."""

    def __instancecheck__(cls, instance: Any) -> bool:
        types: tuple[str, ...] = getattr(cls, "datastore_types", ())
        return isinstance(instance, Datastore) and (not types or instance.datastore_type in types)


class AbstractDatastore(Datastore, metaclass=_ByDatastoreType):
    """Any datastore (the old SDK's common base class)."""

    datastore_types: ClassVar[tuple[str, ...]] = ()


class AzureBlobDatastore(AbstractDatastore):
    datastore_types = ("AzureBlob",)


class AzureFileDatastore(AbstractDatastore):
    datastore_types = ("AzureFile",)


class AzureDataLakeGen2Datastore(AbstractDatastore):
    datastore_types = ("AzureDataLakeGen2",)


class AzureSqlDatabaseDatastore(AbstractDatastore):
    datastore_types = ("AzureSqlDatabase",)


class AzurePostgreSqlDatastore(AbstractDatastore):
    datastore_types = ("AzurePostgreSql",)


class AzureMySqlDatastore(AbstractDatastore):
    datastore_types = ("AzureMySql",)


class DBFSDatastore(AbstractDatastore):
    datastore_types = ("DBFS",)
