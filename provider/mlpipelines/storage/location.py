"""A datastore opened for I/O: its fsspec filesystem and the root every relative path hangs on."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlpipelines.datastore_kinds import (
    DatastoreKind,
    LocalFolderKind,
    UnknownDatastoreKind,
    datastore_kind,
)
from mlpipelines.errors import UserErrorException
from mlpipelines.records.paths import clean_relative_path

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

_SECRET_PARTS = re.compile(r"(AccountKey|SharedAccessSignature|sig)=([^;&\s'\"]+)", re.IGNORECASE)


class DatastoreAccessError(RuntimeError):
    """A datastore cannot be reached or refused us; the message names the datastore."""


@dataclass(frozen=True, repr=False)
class StoreLocation:
    """One datastore as fsspec sees it.

    ``root`` is the fsspec path of the datastore's top (a local folder, ``container/prefix``,
    ``bucket/prefix``, ``/share/prefix``), without a trailing slash; every path a user gives is
    relative to it. ``options`` are the flat settings the filesystem is built from; secrets
    among them never show in ``repr``/``str`` and are scrubbed from error messages.
    """

    datastore: str
    kind: str
    root: str
    options: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        try:
            datastore_kind(self.kind)
        except UnknownDatastoreKind as exc:
            raise UserErrorException(f"datastore '{self.datastore}': {exc}") from None

    @classmethod
    def local(cls, folder: str | os.PathLike[str], datastore: str | None = None) -> StoreLocation:
        """A local folder as a location (``datastore`` defaults to the folder's path)."""
        root = str(Path(folder).expanduser().resolve())
        return cls(datastore=datastore or root, kind=LocalFolderKind.name, root=root)

    @property
    def datastore_kind(self) -> type[DatastoreKind]:
        """What this location's kind declares and how it builds and names things."""
        return datastore_kind(self.kind)

    @cached_property
    def fs(self) -> AbstractFileSystem:
        """The filesystem, built on first use so nothing connects or imports SDKs at parse time."""
        try:
            return self.datastore_kind.filesystem(dict(self.options))
        except Exception as exc:
            raise self.error("cannot be opened", exc) from None

    def path(self, relative: str | None = "") -> str:
        """The fsspec path of ``relative`` on this datastore (``..`` is refused)."""
        rel = clean_relative_path(relative)
        return f"{self.root}/{rel}" if rel else self.root

    def relative(self, fs_path: str) -> str:
        """The datastore-relative path of an fsspec path below ``root``."""
        root = self.root.rstrip("/")
        path = fs_path.rstrip("/")
        if path == root:
            return ""
        if not path.startswith(root + "/"):
            raise UserErrorException(f"'{fs_path}' is not on datastore '{self.datastore}'")
        return path[len(root) + 1 :]

    def uri(self, relative: str | None = "") -> str:
        """A URI naming ``relative`` on this datastore (``file://``, ``az://``, ``s3://``,
        ``smb://host:port/share/...``); it carries no credentials."""
        return self.datastore_kind.uri(self.path(relative), dict(self.options))

    @property
    def is_local(self) -> bool:
        """True when paths on this datastore are paths on this machine."""
        return self.datastore_kind.is_local

    @property
    def top(self) -> str:
        """The container, bucket or share (the folder itself for a local datastore)."""
        return self.datastore_kind.top(self.root)

    def describe(self, relative: str | None = "") -> str:
        """``datastore 'name' path 'rel'``, for messages."""
        rel = clean_relative_path(relative)
        return f"datastore '{self.datastore}' path '{rel or '/'}'"

    def scrub(self, text: str) -> str:
        """``text`` with every secret of this location (and any key/signature) replaced by ***."""
        for key, value in self.options:
            if key in self.datastore_kind.secret_options and value:
                text = text.replace(str(value), "***")
        return _SECRET_PARTS.sub(lambda m: f"{m.group(1)}=***", text)

    def error(self, what: str, exc: BaseException, relative: str | None = None) -> Exception:
        """A clear error naming this datastore for a failure ``exc`` (secrets scrubbed)."""
        where = self.describe(relative) if relative is not None else f"datastore '{self.datastore}'"
        detail = self.scrub(f"{type(exc).__name__}: {exc}")
        return DatastoreAccessError(f"{where} ({self.kind}, {self.uri()}) {what}: {detail}")

    def check(self) -> None:
        """List the datastore's container/bucket/share once; raise a clear error if that fails.

        Wrong credentials, a missing container or an unreachable server all show here, named
        after the datastore, instead of as an SDK traceback in the middle of a step.
        """
        try:
            if self.is_local:
                Path(self.root).mkdir(parents=True, exist_ok=True)
            self.fs.invalidate_cache()
            self.fs.ls(self.top, detail=False)
            self.datastore_kind.probe(dict(self.options), self.top)
        except DatastoreAccessError:
            raise
        except Exception as exc:
            raise self.error("cannot be listed (check its connection)", exc) from None

    def __repr__(self) -> str:
        name, kind, root = self.datastore, self.kind, self.root
        return f"StoreLocation(datastore={name!r}, kind={kind!r}, root={root!r})"

    __str__ = __repr__
