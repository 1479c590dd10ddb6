"""Small JSON documents under one folder of a datastore: read, replace, create exclusively,
take over, delete. What the reuse cache keeps (manifests, in-progress markers, step records)
goes through here, so it works on a local folder and on Azure Blob or S3 alike.

A reader sees a whole old document or a whole new one, never half of one: a local file is
written beside and renamed into place; an object store replaces an object in one request.
Exclusive creation is one atomic step too: a hard link of a finished local file, or a
conditional write on an object store (``If-None-Match: *``), which only one writer wins.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlpipelines._json_files import write_json_atomic
from mlpipelines.datastore_kinds import KINDS
from mlpipelines.errors import UserErrorException
from mlpipelines.storage.location import StoreLocation


class JsonDocuments:
    """JSON documents under ``folder`` of one datastore (``folder`` relative to its root)."""

    def __init__(self, location: StoreLocation, folder: str) -> None:
        if not location.is_local and not location.datastore_kind.atomic_create:
            fit = [k.name for k in KINDS if k.is_local or k.atomic_create]
            raise UserErrorException(
                f"datastore '{location.datastore}' is of kind {location.kind}; the reuse cache "
                f"and run artifacts need one of kind {', '.join(fit[:-1])} or {fit[-1]} (writes "
                "there are atomic); make one of those the default datastore"
            )
        self.location = location
        self.folder = folder.strip("/")

    @property
    def is_local(self) -> bool:
        return self.location.is_local

    def path(self, relative: str) -> str:
        """The fsspec path (a local path for a local folder) of a document."""
        return self.location.path(f"{self.folder}/{relative}")

    def describe(self, relative: str) -> str:
        return self.location.uri(f"{self.folder}/{relative}")

    # -- reading --------------------------------------------------------------------------
    def read(self, relative: str) -> Any:
        """The document's JSON; FileNotFoundError when there is none, ValueError when damaged."""
        if self.is_local:
            return json.loads(Path(self.path(relative)).read_text(encoding="utf-8"))
        try:
            data = self.location.fs.cat_file(self.path(relative))
        except FileNotFoundError:
            raise
        except OSError as exc:
            if _missing(exc):
                raise FileNotFoundError(self.describe(relative)) from None
            raise
        return json.loads(data)

    def read_all(self, folder: str, names: Sequence[str]) -> list[Any]:
        """The documents ``folder/<name>`` for each of ``names`` (plain file names), read in one
        pass; None for one missing or damaged. The folder's path is worked out once, and a
        remote store fetches them in one batched call: hundreds of small documents (a
        ParallelRunStep's mini-batch results) cost less than as many ``read`` calls."""
        if any("/" in name or name in ("", ".", "..") for name in names):
            raise ValueError(f"not plain file names under {folder}: {list(names)[:3]} ...")
        base = self.path(folder)
        paths = [f"{base}/{name}" for name in names]
        if self.is_local:
            return [_loaded_local(path) for path in paths]
        found = self.location.fs.cat(paths, on_error="return")
        return [_loaded(found.get(path)) for path in paths]

    def exist_all(self, folder: str, names: Sequence[str]) -> list[bool]:
        """``exists`` of each ``folder/<name>`` (plain file names), the folder's path worked
        out once."""
        base = self.path(folder)
        if self.is_local:
            return [os.path.exists(f"{base}/{name}") for name in names]
        fs = self.location.fs
        return [bool(fs.exists(f"{base}/{name}")) for name in names]

    def exists(self, relative: str) -> bool:
        if self.is_local:
            return Path(self.path(relative)).exists()
        return bool(self.location.fs.exists(self.path(relative)))

    # -- writing --------------------------------------------------------------------------
    def write(self, relative: str, data: Any, compact: bool = False) -> None:
        """Replace the document whole (readers see the old one or the new one); ``compact``
        writes it on one line (large or frequent documents no one reads by eye)."""
        indent = None if compact else 1
        if self.is_local:
            write_json_atomic(Path(self.path(relative)), data, indent)
            return
        body = json.dumps(data, indent=indent, default=str).encode()
        self.location.fs.pipe_file(self.path(relative), body)

    def create(self, relative: str, data: Any, durable: bool = False) -> bool:
        """Create the document holding ``data`` in one atomic step; False if it exists.

        The one create-once protocol of the package (reuse markers, dataset versions).
        ``durable`` syncs a local file to disk before it appears, for documents that must
        outlive a crash (a marker need not: a lost one only lets another run compute).
        """
        body = json.dumps(data, indent=1, sort_keys=True).encode()
        if self.is_local:
            path = Path(self.path(relative))
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
            with open(tmp, "xb") as sink:
                sink.write(body)
                if durable:
                    sink.flush()
                    os.fsync(sink.fileno())
            try:
                os.link(tmp, path)
                return True
            except FileExistsError:
                return False
            finally:
                tmp.unlink(missing_ok=True)
        fs, path_ = self.location.fs, self.path(relative)
        try:
            self.location.datastore_kind.create_exclusive(fs, path_, body)
        except Exception as exc:
            if _exists_already(exc):
                return False
            raise
        return True

    def take_over(self, relative: str) -> None:
        """Remove a document found stale, so that a contender can ``create`` it again.

        Locally it is renamed aside first, so only one of several contenders removes it (the
        others then meet the new one). An object store has no rename: the document is
        deleted, and in a rare race two contenders may each take over a stale marker.
        """
        if self.is_local:
            path = Path(self.path(relative))
            aside = path.with_name(f"{path.name}.stale-{uuid.uuid4().hex[:12]}")
            with contextlib.suppress(FileNotFoundError):
                os.rename(path, aside)
                aside.unlink()
            return
        self.delete(relative)

    def delete(self, relative: str) -> None:
        """Remove the document if it is there."""
        if self.is_local:
            Path(self.path(relative)).unlink(missing_ok=True)
            return
        with contextlib.suppress(FileNotFoundError):
            self.location.fs.rm_file(self.path(relative))


def _loaded_local(path: str) -> Any:
    try:
        with open(path, "rb") as source:
            return _loaded(source.read())
    except OSError:
        return None


def _loaded(data: Any) -> Any:
    if not isinstance(data, bytes):
        return None  # missing, or the error fetching it
    try:
        return json.loads(data)
    except ValueError:
        return None


def _missing(exc: BaseException) -> bool:
    text = f"{type(exc).__name__} {exc}"
    return any(s in text for s in ("NoSuchKey", "BlobNotFound", "ResourceNotFound", "404"))


def _exists_already(exc: BaseException) -> bool:
    """True when a conditional create failed because the object exists."""
    text = f"{type(exc).__name__} {exc}"
    return any(
        s in text
        for s in ("BlobAlreadyExists", "ResourceExistsError", "PreconditionFailed", "412", "409")
    ) or isinstance(exc, FileExistsError)
