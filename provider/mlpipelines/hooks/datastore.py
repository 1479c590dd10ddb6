"""Airflow hooks for datastores: a connection whose conn_id is the datastore's name becomes a
``StoreLocation`` and its fsspec filesystem, built on first use.

``DatastoreHook`` reads any datastore connection; each registered datastore kind gets a
subclass named by its ``hook_class_name`` (e.g. ``S3DatastoreHook``) that reads only
connections of its type.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from airflow.sdk import BaseHook
from fsspec import AbstractFileSystem

from mlpipelines.datastore_kinds import FILE_KINDS, DatastoreKind
from mlpipelines.errors import UserErrorException
from mlpipelines.hooks.connection_forms import ui_field_behaviour
from mlpipelines.storage.connections import location_from_connection
from mlpipelines.storage.location import StoreLocation


class DatastoreHook(BaseHook):
    """A datastore read through its Airflow connection (conn_id = datastore name)."""

    conn_name_attr = "datastore_conn_id"
    default_conn_name = "workspaceblobstore"
    conn_type = ""
    hook_name = "ML pipelines datastore"

    def __init__(self, datastore_conn_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.datastore_conn_id = datastore_conn_id or self.default_conn_name

    @cached_property
    def location(self) -> StoreLocation:
        """The datastore as a location; the connection is read once, strictly."""
        conn = self.get_connection(self.datastore_conn_id)
        conn_type = (conn.conn_type or "").replace("-", "_")
        if self.conn_type and conn_type != self.conn_type:
            raise UserErrorException(
                f"datastore '{self.datastore_conn_id}': connection type is '{conn_type}', "
                f"{type(self).__name__} reads '{self.conn_type}' connections"
            )
        return location_from_connection(self.datastore_conn_id, conn)

    @cached_property
    def fs(self) -> AbstractFileSystem:
        """The datastore's fsspec filesystem (nothing connects before this is used)."""
        return self.location.fs

    def get_conn(self) -> AbstractFileSystem:
        """The fsspec filesystem (Airflow's name for a hook's client)."""
        return self.fs

    def check(self) -> None:
        """List the datastore's container/bucket/share once; a clear error if that fails."""
        self.location.check()

    def test_connection(self) -> tuple[bool, str]:
        """The UI's Test button: list the datastore once."""
        try:
            self.check()
        except Exception as exc:
            return False, str(exc)
        return True, f"datastore '{self.datastore_conn_id}' is reachable ({self.location.uri()})"

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Hidden and relabeled connection form fields for this connection type."""
        return ui_field_behaviour(cls.conn_type)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(datastore_conn_id={self.datastore_conn_id!r})"


def _hook_class(kind: type[DatastoreKind]) -> type[DatastoreHook]:
    """The hook of one datastore kind: its connection type, names and docstring are the kind's."""
    return type(
        kind.hook_class_name,
        (DatastoreHook,),
        {
            "__module__": __name__,
            "__qualname__": kind.hook_class_name,
            "__doc__": kind.__doc__,
            "conn_type": kind.conn_type,
            "hook_name": kind.hook_name,
            "default_conn_name": kind.default_conn_name,
        },
    )


# One hook per registered kind, named as the kind declares (``S3DatastoreHook``, ...), so a
# new kind gets its hook, and the provider info can name it, without an edit here.
HOOKS: dict[str, type[DatastoreHook]] = {kind.conn_type: _hook_class(kind) for kind in FILE_KINDS}
globals().update({hook.__name__: hook for hook in HOOKS.values()})
__all__ = ["HOOKS", "DatastoreHook", *(hook.__name__ for hook in HOOKS.values())]
