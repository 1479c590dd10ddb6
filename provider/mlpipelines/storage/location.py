"""A datastore opened for I/O: its fsspec filesystem and the root every relative path hangs on."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlpipelines.model.datastore import clean_relative_path

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem


@dataclass(frozen=True)
class StoreLocation:
    """One datastore as fsspec sees it.

    ``root`` is the fsspec path of the datastore's top (a local folder, ``container/prefix``,
    ``bucket/prefix``), without a trailing slash; every path a user gives is relative to it.
    """

    datastore: str
    kind: str
    root: str
    options: tuple[tuple[str, Any], ...] = ()

    @cached_property
    def fs(self) -> AbstractFileSystem:
        """The filesystem, built on first use so nothing connects at parse time."""
        from fsspec.implementations.local import LocalFileSystem

        if self.kind == "local":
            return LocalFileSystem()
        raise NotImplementedError(f"datastore kind '{self.kind}'")

    def path(self, relative: str | None = "") -> str:
        """The fsspec path of ``relative`` on this datastore (``..`` is refused)."""
        rel = clean_relative_path(relative)
        return f"{self.root}/{rel}" if rel else self.root

    def uri(self, relative: str | None = "") -> str:
        """A URI naming ``relative`` on this datastore (``file://``, ``az://``, ``s3://``)."""
        if self.kind == "local":
            return Path(self.path(relative)).resolve().as_uri()
        return f"{self.fs.protocol if isinstance(self.fs.protocol, str) else self.fs.protocol[0]}://{self.path(relative)}"

    @property
    def is_local(self) -> bool:
        """True when paths on this datastore are paths on this machine."""
        return self.kind == "local"


def open_datastore(name: str, workspace: Any = None) -> StoreLocation:
    """Open the datastore ``name`` of ``workspace`` (default: the one this process runs in)."""
    from mlpipelines.model.workspace import Workspace

    ws = workspace or Workspace.current()
    root = ws.datastore_root(name)
    return StoreLocation(datastore=name, kind="local", root=str(root))
