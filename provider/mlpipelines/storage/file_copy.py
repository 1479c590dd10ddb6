"""One file from one datastore to another, never visible half-written.

How each destination kind gets a whole file or nothing:
- a kind with ``atomic_create`` (Azure Blob: a committed block list; S3: a single PUT or a
  completed multipart upload) is written in place; on failure the staged blocks / the
  multipart upload are abandoned, never committed.
- any other kind (a local folder, an SMB share): the bytes go to a hidden
  ``.<name>.partial-<id>`` next to the target, which the kind's ``replace`` renames over it.

A copy between two local folders never passes through Python (``local_copy``: a reflink, else
``copy_file_range``). ``copy_file`` does not fsync it: a crash may leave a shorter file under
the final name, which the size check of a retry and the stat fingerprint a reuse compares both
refuse; ``copy_local(durable=True)`` would cost the disk's write time of the whole file.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable, Iterable
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from fsspec.callbacks import Callback

from mlpipelines.storage.local_copy import METHODS, copy_into_new_file

if TYPE_CHECKING:
    from mlpipelines.storage.location import StoreLocation

CHUNK = 8 * 1024 * 1024
PARTIAL_MARK = ".partial-"


class ProgressCallback(Callback):
    """Forwards an fsspec transfer's byte counts to a shared progress counter."""

    def __init__(self, advance: Any) -> None:
        super().__init__()
        self._advance = advance
        self.reported = 0

    def call(self, *args: Any, **kwargs: Any) -> None:
        self.report(self.value)

    def report(self, value: int) -> None:
        """Advance the shared counter to ``value`` bytes of this file."""
        if self._advance is not None and value > self.reported:
            self._advance(value - self.reported)
            self.reported = value


def is_partial(name: str) -> bool:
    """True for the hidden temporary names this module writes."""
    base = name.rstrip("/").rsplit("/", 1)[-1]
    return base.startswith(".") and PARTIAL_MARK in base


def partial_name(fs_path: str) -> str:
    """A hidden temporary name next to ``fs_path``."""
    parent, _, base = fs_path.rpartition("/")
    return f"{parent}/.{base}{PARTIAL_MARK}{uuid.uuid4().hex[:12]}"


def copy_file(
    src: StoreLocation, src_path: str, dst: StoreLocation, dst_path: str, progress: Any = None
) -> str | None:
    """Copy one file and make it visible at ``dst_path`` in one step.

    Returns the MD5 hex digest of the bytes when they passed through this process (streamed
    copies), else None.
    """
    callback = ProgressCallback(progress)
    if src.is_local and dst.is_local:
        copy_local(src_path, dst_path, callback.report)
    elif src.is_local and dst.datastore_kind.atomic_create:
        dst.fs.put_file(src_path, dst_path, callback=callback)
    elif src.is_local:
        dst.fs.makedirs(_parent(dst_path), exist_ok=True)
        _via_partial(dst, dst_path, lambda tmp: dst.fs.put_file(src_path, tmp, callback=callback))
    elif dst.is_local:
        _via_partial(dst, dst_path, lambda tmp: src.fs.get_file(src_path, tmp, callback=callback))
    else:
        return _stream(src, src_path, dst, dst_path, callback)
    return None


def write_checked(
    dst: StoreLocation, dst_path: str, chunks: Iterable[bytes], check: Callable[[], None]
) -> int:
    """Write ``chunks`` to ``dst_path``, visible only once all are written and ``check()``
    (called after the last chunk, before the file is committed) has not raised; returns the
    bytes written. What ``check`` refuses is abandoned, never shown."""
    written = 0

    def write(target: str) -> None:
        nonlocal written
        if dst.is_local:
            with open(target, "wb") as local:
                for chunk in chunks:
                    local.write(chunk)
                    written += len(chunk)
            check()
            return
        writer = dst.fs.open(target, "wb", block_size=CHUNK)
        try:
            for chunk in chunks:
                writer.write(chunk)
                written += len(chunk)
            check()
        except BaseException:
            _abandon(writer)
            raise
        writer.close()

    if not dst.is_local and dst.datastore_kind.atomic_create:
        write(dst_path)
    else:
        if not dst.is_local:
            dst.fs.makedirs(_parent(dst_path), exist_ok=True)
        _via_partial(dst, dst_path, write)
    return written


def copy_local(
    src_path: str,
    dst_path: str,
    progress: Callable[[int], None] | None = None,
    durable: bool = False,
    methods: tuple[str, ...] = METHODS,
) -> str:
    """Copy a local file to a local path through a hidden partial renamed over it; the
    kernel primitive that copied the bytes (``methods`` narrows them, for tests).

    ``durable`` fsyncs the file before the rename and its folder after it, so the rename
    cannot reach the disk before the bytes do.
    """
    folder = os.path.dirname(dst_path)
    os.makedirs(folder, exist_ok=True)
    tmp = partial_name(dst_path)
    try:
        used = copy_into_new_file(src_path, tmp, methods, progress, durable)
        os.replace(tmp, dst_path)
    except BaseException:
        _quiet_remove_local(tmp)
        raise
    if durable:
        _fsync_folder(folder)
    return used


def _fsync_folder(folder: str) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _stream(
    src: StoreLocation, src_path: str, dst: StoreLocation, dst_path: str, callback: ProgressCallback
) -> str:
    """Chunked copy between two remote stores: at most a few chunks in memory per file."""
    md5 = hashlib.md5(usedforsecurity=False)

    def write(target: str) -> None:
        done = 0
        with src.fs.open(src_path, "rb", block_size=CHUNK) as reader:
            writer = dst.fs.open(target, "wb", block_size=CHUNK)
            try:
                while chunk := reader.read(CHUNK):
                    writer.write(chunk)
                    md5.update(chunk)
                    done += len(chunk)
                    callback.report(done)
            except BaseException:
                _abandon(writer)
                raise
            writer.close()

    if dst.datastore_kind.atomic_create:
        write(dst_path)
    else:
        dst.fs.makedirs(_parent(dst_path), exist_ok=True)
        _via_partial(dst, dst_path, write)
    return md5.hexdigest()


def _via_partial(dst: StoreLocation, dst_path: str, write: Any) -> None:
    """Write through a hidden temporary next to the target, then rename it over the target."""
    tmp = partial_name(dst_path)
    if dst.is_local:
        os.makedirs(os.path.dirname(dst_path), exist_ok=True)
    try:
        write(tmp)
        _promote(dst, tmp, dst_path)
    except BaseException:
        if dst.is_local:
            _quiet_remove_local(tmp)
        else:
            _quiet_remove(dst, tmp)
        raise


def _promote(dst: StoreLocation, tmp: str, dst_path: str) -> None:
    if dst.is_local:
        os.replace(tmp, dst_path)  # no filesystem object needed for a local folder
    else:
        dst.datastore_kind.replace(dst.fs, tmp, dst_path)


def _abandon(writer: Any) -> None:
    """Drop an unfinished remote write without committing it (fsspec commits on close/GC)."""
    with suppress(Exception):
        writer.discard()  # s3fs aborts the multipart upload; adlfs leaves blocks uncommitted
    try:
        writer.closed = True
    except Exception:
        with suppress(Exception):
            writer.close()


def _quiet_remove(dst: StoreLocation, path: str) -> None:
    with suppress(Exception):  # the store may be what failed; the name is hidden either way
        dst.fs.rm_file(path)


def _quiet_remove_local(path: str) -> None:
    with suppress(FileNotFoundError):
        os.remove(path)


def _parent(fs_path: str) -> str:
    return fs_path.rpartition("/")[0]
