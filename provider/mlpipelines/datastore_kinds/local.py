"""A folder every worker sees at the same path, as a datastore kind."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlpipelines.datastore_kinds.base import (
    ConnectionForm,
    DatastoreKind,
    FormField,
    required_extra,
)
from mlpipelines.errors import UserErrorException

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem


class LocalFolderKind(DatastoreKind):
    """A folder every worker sees at the same path (extra ``path``)."""

    name = "local"
    datastore_type = "LocalFolder"
    conn_type = "mlpipelines_local"
    hook_name = "ML pipelines datastore: local folder"
    hook_class_name = "LocalFolderDatastoreHook"
    uri_scheme = "file"
    extra_keys = ("path",)
    form = ConnectionForm(
        fields={"path": FormField("Folder", "Absolute folder path, the same on every worker")},
        placeholders={"extra": '{"path": "/data/datastores/mystore"}'},
    )
    is_local = True

    @classmethod
    def top_and_options(
        cls, name: str, fields: Mapping[str, Any], extra: Mapping[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        path = required_extra(name, extra, "path", "extra 'path' (the folder)")
        if not os.path.isabs(os.path.expanduser(path)):
            raise UserErrorException(
                f"datastore '{name}': extra 'path' must be absolute, got '{path}'"
            )
        return str(Path(path).expanduser().resolve()), {}

    @classmethod
    def filesystem(cls, options: Mapping[str, Any]) -> AbstractFileSystem:
        from fsspec.implementations.local import LocalFileSystem

        return LocalFileSystem(auto_mkdir=True)

    @classmethod
    def uri(cls, path: str, options: Mapping[str, Any]) -> str:
        return Path(path).resolve().as_uri()

    @classmethod
    def top(cls, root: str) -> str:
        return root

    @classmethod
    def replace(cls, fs: AbstractFileSystem, source: str, target: str) -> None:
        os.replace(source, target)
